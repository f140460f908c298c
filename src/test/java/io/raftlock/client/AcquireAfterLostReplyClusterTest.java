package io.raftlock.client;

import static org.awaitility.Awaitility.await;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.raftlock.proto.api.AcquireRequest;
import io.raftlock.proto.api.AcquireResponse;
import io.raftlock.proto.api.GetLockInfoRequest;
import io.raftlock.proto.api.LockInfo;
import io.raftlock.testing.LocalCluster;
import java.nio.file.Path;
import java.time.Duration;
import java.util.stream.Collectors;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

/**
 * Regression: an acquire the server applied but whose answer the client never saw (the call
 * failed after the request got through) leaves this client id holding the lock. A later acquire
 * by the same client returns that existing holding, whose lease started at the first request.
 * The handle's local deadline must not be measured from the later request, or the client would
 * claim the lock after the server can expire it: the client confirms such a holding with a
 * renew first.
 */
@Timeout(120)
class AcquireAfterLostReplyClusterTest {
  @TempDir Path root;

  @Test
  void anOldHoldingReturnedByAcquireGetsADeadlineNoLaterThanTheServers() {
    try (LocalCluster cluster = new LocalCluster(3, root).start();
        RaftLockClient c = RaftLockClient.builder().clientId("lost-reply").endpoints(cluster.ids().stream()
            .map(id -> "127.0.0.1:" + cluster.clientPort(id)).collect(Collectors.joining(","))).build()) {
      Duration ttl = Duration.ofSeconds(4);
      // The first acquire, as if its answer had been lost: the high-level API never sees it.
      AcquireResponse first = RaftLockClient.await(c.acquire(AcquireRequest.newBuilder().setLockId("lr")
          .setClientId("lost-reply").setTtl(com.google.protobuf.Duration.newBuilder().setSeconds(4)).build()));
      assertTrue(first.getAcquired());
      long firstAt = System.nanoTime();
      await().pollDelay(Duration.ofMillis(1_500)).until(() -> System.nanoTime() - firstAt > 1_500_000_000L);

      LockHandle h = c.tryLock("lr", ttl, Duration.ZERO).orElseThrow();
      long localDeadlineWallMs = System.currentTimeMillis() + h.remaining().toMillis();
      assertEquals(first.getLock().getVersion(), h.token(), "the existing holding");
      LockInfo info = RaftLockClient.await(c.getLockInfo(GetLockInfoRequest.newBuilder().setLockId("lr").build()))
          .getLockInfo();
      long serverExpiryMs = info.getExpiresAt().getSeconds() * 1000 + info.getExpiresAt().getNanos() / 1_000_000;
      // Same machine, same wall clock: the client must stop claiming the lock before the server's expiry.
      assertTrue(localDeadlineWallMs <= serverExpiryMs,
          "local deadline " + (localDeadlineWallMs - serverExpiryMs) + " ms after the server's expiry");
      assertTrue(c.unlock(h));
    }
  }
}
