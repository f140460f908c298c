package io.raftlock.api;

import static org.awaitility.Awaitility.await;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.google.protobuf.Duration;
import io.raftlock.proto.api.AcquireRequest;
import io.raftlock.proto.api.GetLockInfoRequest;
import io.raftlock.proto.api.GetLockInfoResponse;
import io.raftlock.proto.api.RaftLockGrpcClient;
import io.raftlock.testing.LocalCluster;
import io.vertx.core.Vertx;
import io.vertx.core.net.SocketAddress;
import io.vertx.grpc.client.GrpcClient;
import java.nio.file.Path;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * A leader change never cuts a lease short: the new leader's first entry is Promote(now), which
 * extends every held lease to at least now + its TTL before any Expire of its term.
 */
class LeaderChangeGraceTest {
  @TempDir Path root;

  @Test
  void theNewLeaderExtendsEveryLeaseToItsFullTtlFromTheChange() {
    Vertx vertx = Vertx.vertx();
    GrpcClient grpc = GrpcClient.client(vertx);
    try (LocalCluster cluster = new LocalCluster(3, root).start()) {
      String oldLeader = cluster.awaitLeader();
      String survivor = cluster.follower();
      RaftLockGrpcClient c = RaftLockGrpcClient.create(grpc,
          SocketAddress.inetSocketAddress(cluster.clientPort(survivor), "127.0.0.1"));
      long ttlMs = 3_000;
      var acquired = c.acquire(AcquireRequest.newBuilder().setLockId("grace").setClientId("h")
          .setTtl(Duration.newBuilder().setSeconds(ttlMs / 1000)).build()).await();
      assertTrue(acquired.getAcquired(), acquired.toString());
      long grantedExpiryMs = millis(acquired.getLock().getExpiresAt());

      cluster.stop(oldLeader); // hands leadership over, then stops
      long changedAtMs = System.currentTimeMillis();
      String newLeader = cluster.awaitLeader();
      assertTrue(!newLeader.equals(oldLeader));

      // The lease now ends at least TTL after the new leader took over (it promoted at or after
      // changedAtMs minus the transfer time, so allow for the hand-over itself).
      await().untilAsserted(() -> {
        GetLockInfoResponse info = c.getLockInfo(GetLockInfoRequest.newBuilder().setLockId("grace").build()).await();
        assertEquals("h", info.getLockInfo().getOwnerId());
        long expiresMs = millis(info.getLockInfo().getExpiresAt());
        assertTrue(expiresMs > grantedExpiryMs, "the lease was extended");
        assertTrue(expiresMs >= changedAtMs - 1_000 + ttlMs, "extended by a full TTL from the change");
      });
      // And it still expires in the end, through a committed Expire.
      await().atMost(java.time.Duration.ofSeconds(15)).untilAsserted(() -> assertTrue(
          c.getLockInfo(GetLockInfoRequest.newBuilder().setLockId("grace").build()).await().hasError()));
    } finally {
      grpc.close().await();
      vertx.close().await();
    }
  }

  private static long millis(com.google.protobuf.Timestamp t) {
    return t.getSeconds() * 1000 + t.getNanos() / 1_000_000;
  }
}
