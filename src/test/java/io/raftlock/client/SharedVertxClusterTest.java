package io.raftlock.client;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.time.Duration;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

/**
 * Clients built without a Vert.x instance share one per process: closing one leaves the others
 * working, and the last one to close closes it, so a client built afterwards starts a new one.
 */
@Timeout(120)
class SharedVertxClusterTest extends ClientClusterFixture {

  RaftLockClient client(String name) {
    List<String> eps = cluster.ids().stream().map(id -> "127.0.0.1:" + cluster.clientPort(id)).toList();
    RaftLockClient c = RaftLockClient.builder().endpoints(eps).clientId(name)
        .sessionTtl(Duration.ofSeconds(5)).operationTimeout(Duration.ofSeconds(60)).build();
    clients.add(c);
    return c;
  }

  @Test
  void clientsShareOneVertxThatOutlivesEachButTheLast() throws Exception {
    int before = SharedVertx.users();
    RaftLockClient a = client("shared-a");
    RaftLockClient b = client("shared-b");
    assertEquals(before + 2, SharedVertx.users());

    LockHandle held = a.lock("shared/x", Duration.ofSeconds(30));
    a.close();
    assertEquals(before + 1, SharedVertx.users());

    // b runs on the instance a used; a's close ended a's session, so b gets the lock at once.
    LockHandle next = b.lock("shared/x", Duration.ofSeconds(30));
    assertTrue(next.token() > held.token(), "b's grant is fenced above a's");
    b.unlock(next);
    b.close();
    assertEquals(before, SharedVertx.users());

    // A client built after the last close gets a fresh shared instance.
    RaftLockClient c = client("shared-c");
    assertEquals(before + 1, SharedVertx.users());
    c.unlock(c.lock("shared/x", Duration.ofSeconds(30)));
  }
}
