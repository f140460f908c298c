package io.raftlock.api;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.google.protobuf.Duration;
import io.raftlock.lock.ErrorCode;
import io.raftlock.lock.LockCommand;
import io.raftlock.proto.api.AcquireRequest;
import io.raftlock.proto.api.OpenSessionRequest;
import io.raftlock.proto.api.ReleaseRequest;
import io.raftlock.proto.api.RenewRequest;
import io.raftlock.proto.api.ResumeSessionRequest;
import java.util.Optional;
import org.junit.jupiter.api.Test;

class SessionRequestsTest {
  static Duration ms(long ms) {
    return ApiMapper.durationOfMillis(ms);
  }

  static OpenSessionRequest.Builder open() {
    return OpenSessionRequest.newBuilder().setName("worker").setTtl(ms(10_000));
  }

  static void assertField(String field, ErrorCode code, Optional<ValidationError> e) {
    assertTrue(e.isPresent(), "expected a refusal of " + field);
    assertEquals(field, e.get().field());
    assertEquals(code, e.get().code());
  }

  @Test
  void openNamesItsFieldsAndItsTtlRange() {
    assertTrue(SessionRequests.validate(open().build()).isEmpty());
    assertTrue(SessionRequests.validate(open().setTtl(ms(1_000)).build()).isEmpty());
    assertTrue(SessionRequests.validate(open().setTtl(ms(600_000)).build()).isEmpty());
    assertField("open.ttl", ErrorCode.INVALID_TTL, SessionRequests.validate(open().setTtl(ms(999)).build()));
    assertField("open.ttl", ErrorCode.INVALID_TTL, SessionRequests.validate(open().setTtl(ms(600_001)).build()));
    assertField("open.ttl", ErrorCode.INVALID_ARGUMENT, SessionRequests.validate(open().clearTtl().build()));
    assertField("open.name", ErrorCode.INVALID_ARGUMENT, SessionRequests.validate(open().setName("").build()));
    assertField("open.name", ErrorCode.INVALID_ARGUMENT, SessionRequests.validate(open().setName("a\nb").build()));
    assertField("open.metadata[]", ErrorCode.INVALID_ARGUMENT,
        SessionRequests.validate(open().putMetadata("", "v").build()));
    assertThrows(IllegalArgumentException.class, () -> SessionRequests.toCommand(open().setName("").build(), 1));
    LockCommand.OpenSession c = SessionRequests.toCommand(open().putMetadata("k", "v").build(), 5);
    assertEquals(new LockCommand.OpenSession("worker", 10_000, new java.util.TreeMap<>(java.util.Map.of("k", "v")), 5), c);
  }

  @Test
  void resumeNeedsAPositiveIdAsUnsigned() {
    assertTrue(SessionRequests.validate(ResumeSessionRequest.newBuilder().setSessionId(7).build()).isEmpty());
    assertField("resume.session_id", ErrorCode.INVALID_ARGUMENT,
        SessionRequests.validate(ResumeSessionRequest.getDefaultInstance()));
    assertField("resume.session_id", ErrorCode.INVALID_ARGUMENT,
        SessionRequests.validate(ResumeSessionRequest.newBuilder().setSessionId(-1).build()));
  }

  @Test
  void lockRequestsNeedNoClientIdAndKeepTheirOwnLabel() {
    AcquireRequest bare = AcquireRequest.newBuilder().setLockId("l").setRequestId("r").build();
    AcquireRequest q = SessionRequests.labelled(bare);
    assertTrue(RequestValidator.validate(q).isEmpty());
    LockCommand.SessionOwned c = SessionRequests.owned(ApiMapper.toCommand(q, 9), 42, bare.getClientId());
    assertEquals(new LockCommand.Acquire("l", "", 30_000, false, 0, 0, null, "r", 9, 42), c);

    ReleaseRequest labelled = ReleaseRequest.newBuilder().setLockId("l").setClientId("me").setVersion(3).build();
    assertEquals(new LockCommand.Release("l", "me", 3, "", 9, 42),
        SessionRequests.owned(ApiMapper.toCommand(SessionRequests.labelled(labelled), 9), 42, "me"));

    RenewRequest noTtl = RenewRequest.newBuilder().setLockId("l").setVersion(3).build();
    assertTrue(RequestValidator.validate(SessionRequests.labelled(noTtl)).isEmpty(), "new_ttl may be omitted");
  }

  @Test
  void lockRequestErrorsAreNamedUnderTheirOperation() {
    Optional<ValidationError> e = SessionRequests.under("acquire",
        RequestValidator.validate(SessionRequests.labelled(AcquireRequest.newBuilder().setLockId("").build())));
    assertField("acquire.lock_id", ErrorCode.INVALID_ARGUMENT, e);
    assertTrue(e.get().message().startsWith("acquire.lock_id"), e.get().message());
    assertField("acquire.client_id", ErrorCode.INVALID_ARGUMENT, SessionRequests.under("acquire",
        RequestValidator.validate(SessionRequests.labelled(AcquireRequest.newBuilder().setLockId("l")
            .setClientId("a\u0001").build()))));
  }
}
