package io.raftlock.api;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;

import io.raftlock.lock.AclState;
import io.vertx.grpc.common.GrpcStatus;
import java.util.Base64;
import org.junit.jupiter.api.Test;

/** The key format, and the fast check's answers for keys that are missing, malformed or unknown. */
class ApiKeysTest {

  @Test
  void aKeyCarriesItsPublicIdAnd256RandomBits() {
    ApiKeys.NewKey k = ApiKeys.generate();
    assertEquals(ApiKeys.KEY_CHARS, k.key().length());
    assertEquals(k.keyId(), ApiKeys.idOf(k.key()));
    String secret = k.key().substring(ApiKeys.KEY_CHARS - 43);
    assertEquals(32, Base64.getUrlDecoder().decode(secret).length);
    assertArrayEquals(ApiKeys.sha256(k.key()), k.hash());
    assertNotEquals(k.key(), ApiKeys.generate().key());
  }

  @Test
  void malformedKeysHaveNoId() {
    String good = ApiKeys.generate().key();
    for (String bad : new String[] {"", "rlk_", good.substring(1), good + "x", good.replace("rlk_", "rlx_"),
        "rlk_ABCDEF0123456789_" + good.substring(21), "rlk_0123456789abcdefx" + good.substring(21)}) {
      assertNull(ApiKeys.idOf(bad), bad);
    }
    assertEquals(good, ApiKeys.fromAuthorization("bearer  " + good + " "));
    assertNull(ApiKeys.fromAuthorization("Basic " + good));
    assertNull(ApiKeys.fromAuthorization(null));
  }

  @Test
  void whileAuthIsOffAnyonePassesAndWhileItIsOnNoKeyIsUnauthenticated() {
    ApiAuth off = new ApiAuth(() -> AclState.EMPTY);
    assertEquals(ApiAuth.Caller.ANONYMOUS, off.authenticate(null));
    assertEquals(ApiAuth.Caller.ANONYMOUS, off.authenticate("Bearer nonsense"));
    ApiAuth on = new ApiAuth(() -> enabledWithOneKey());
    for (String header : new String[] {null, "Bearer nonsense", "Bearer " + ApiKeys.generate().key()}) {
      ApiException e = assertThrows(ApiException.class, () -> on.authenticate(header));
      assertEquals(GrpcStatus.UNAUTHENTICATED, e.status(), String.valueOf(header));
    }
  }

  /** Auth on with one administrator's key: every other key is a stranger's. */
  private static AclState enabledWithOneKey() {
    io.raftlock.lock.LockStateMachine sm = new io.raftlock.lock.LockStateMachine();
    sm.apply(1, new io.raftlock.lock.LockCommand.Acl(new io.raftlock.lock.AclOp.Enable("root", "0123456789abcdef",
        ApiKeys.sha256("not a key anyone holds")), 1_700_000_000_000L));
    return sm.acl();
  }
}
