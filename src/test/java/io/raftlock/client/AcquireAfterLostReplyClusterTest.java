package io.raftlock.client;

import static org.awaitility.Awaitility.await;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.raftlock.proto.api.AcquireRequest;
import io.raftlock.proto.api.AcquireResponse;
import io.raftlock.proto.api.GetLockInfoRequest;
import io.raftlock.proto.api.LockInfo;
import io.raftlock.proto.api.ReleaseRequest;
import io.raftlock.testing.LocalCluster;
import java.nio.file.Path;
import java.time.Duration;
import java.util.Optional;
import java.util.stream.Collectors;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

/**
 * Before sessions, an acquire whose answer was lost left the client id holding a lock whose lease
 * started before the next acquire, which then returned that older holding. With sessions the
 * client's locks belong to its session and live exactly as long as it: an older holding of the
 * session is covered by the same lease as a new one, and the handle's local deadline (the
 * session's) never passes the server's expiry of the lock. A plain acquire under the same client
 * id is another owner altogether.
 */
@Timeout(120)
class AcquireAfterLostReplyClusterTest {
  @TempDir Path root;

  @Test
  void aHandlesDeadlineIsNoLaterThanTheServersExpiryOfItsSession() {
    try (LocalCluster cluster = new LocalCluster(3, root).start();
        RaftLockClient c = RaftLockClient.builder().clientId("lost-reply").sessionTtl(Duration.ofSeconds(3))
            .endpoints(cluster.ids().stream().map(id -> "127.0.0.1:" + cluster.clientPort(id))
                .collect(Collectors.joining(","))).build()) {
      // A plain acquire with the client's id: owned by that id, not by the client's session.
      AcquireResponse plain = RaftLockClient.await(c.acquire(AcquireRequest.newBuilder().setLockId("lr-plain")
          .setClientId("lost-reply").setTtl(com.google.protobuf.Duration.newBuilder().setSeconds(30)).build()));
      assertTrue(plain.getAcquired());
      assertEquals(Optional.empty(), c.tryLock("lr-plain", Duration.ofSeconds(4), Duration.ZERO),
          "the session is another owner than the client id");
      RaftLockClient.await(c.release(ReleaseRequest.newBuilder().setLockId("lr-plain").setClientId("lost-reply")
          .setVersion(plain.getLock().getVersion()).build()));

      LockHandle h = c.tryLock("lr", Duration.ofSeconds(4), Duration.ZERO).orElseThrow();
      long start = System.nanoTime();
      // Over two session TTLs, through several keep-alives: the client never claims longer than the server.
      await().pollInterval(Duration.ofMillis(250)).atMost(Duration.ofSeconds(20))
          .until(() -> deadlineNoLaterThanServer(c, h) && System.nanoTime() - start > 6_000_000_000L);
      assertTrue(h.isHeld());
      assertTrue(c.unlock(h));
    }
  }

  static boolean deadlineNoLaterThanServer(RaftLockClient c, LockHandle h) {
    long localDeadlineWallMs = System.currentTimeMillis() + h.remaining().toMillis();
    LockInfo info = RaftLockClient.await(c.getLockInfo(GetLockInfoRequest.newBuilder().setLockId("lr").build()))
        .getLockInfo();
    long serverExpiryMs = info.getExpiresAt().getSeconds() * 1000 + info.getExpiresAt().getNanos() / 1_000_000;
    // Same machine, same wall clock: the client must stop claiming the lock before the server's expiry.
    assertTrue(localDeadlineWallMs <= serverExpiryMs,
        "local deadline " + (localDeadlineWallMs - serverExpiryMs) + " ms after the server's expiry");
    return true;
  }
}
