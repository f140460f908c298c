package io.raftlock.api;

import static io.raftlock.testing.StockRaftLock.seconds;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.grpc.ManagedChannel;
import io.grpc.ManagedChannelBuilder;
import io.grpc.Metadata;
import io.grpc.Status;
import io.grpc.StatusRuntimeException;
import io.raftlock.config.NodeConfig;
import io.raftlock.proto.api.AcquireRequest;
import io.raftlock.proto.api.AcquireResponse;
import io.raftlock.proto.api.GetLockInfoRequest;
import io.raftlock.proto.api.GetLockInfoResponse;
import io.raftlock.proto.api.ErrorCode;
import io.raftlock.testing.LocalCluster;
import io.raftlock.testing.StockRaftLock;
import java.nio.file.Path;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

/**
 * Redirect routing ({@code "api": {"routing": "redirect"}}) seen by a stock grpc-java client: a
 * follower refuses a write with NOT_LEADER and tells where the leader is in the trailers.
 */
@Timeout(120)
class RedirectRoutingClusterTest {
  static final int MAX_IN_FLIGHT = 8;
  static final Metadata.Key<String> LEADER_ADDRESS =
      Metadata.Key.of("raftlock-leader-address", Metadata.ASCII_STRING_MARSHALLER);

  @TempDir static Path root;
  static LocalCluster cluster;
  static final Map<String, ManagedChannel> channels = new HashMap<>();

  @BeforeAll
  static void startCluster() {
    cluster = new LocalCluster(3, root, c -> RateLimitClusterTest.withApi(c,
        new NodeConfig.ClientApi("redirect", 1000, 1000, MAX_IN_FLIGHT, 5000, 5000))).start();
    for (String id : cluster.ids()) {
      channels.put(id, ManagedChannelBuilder.forAddress("127.0.0.1", cluster.clientPort(id)).usePlaintext().build());
    }
  }

  @AfterAll
  static void stopCluster() throws InterruptedException {
    for (ManagedChannel c : channels.values()) {
      c.shutdownNow().awaitTermination(10, TimeUnit.SECONDS);
    }
    if (cluster != null) {
      cluster.close();
    }
  }

  static List<String> followers() {
    String leader = cluster.awaitLeader();
    return cluster.running().stream().filter(id -> !id.equals(leader)).sorted().toList();
  }

  static StockRaftLock client(String node) {
    return new StockRaftLock(channels.get(node));
  }

  static AcquireRequest acquire(String lock) {
    return AcquireRequest.newBuilder().setLockId(lock).setClientId("redirected").setTtl(seconds(30)).build();
  }

  @Test
  void aFollowerRefusesAWriteWithTheLeadersAddressAndTheClientFollowsIt() {
    String leader = cluster.awaitLeader();
    StatusRuntimeException e = assertThrows(StatusRuntimeException.class,
        () -> client(followers().get(0)).acquire(acquire("redirect-1")));
    assertEquals("201", StockRaftLock.trailer(e, StockRaftLock.ERROR_CODE), "NOT_LEADER");
    assertEquals(leader, StockRaftLock.trailer(e, StockRaftLock.LEADER_ID));
    String address = StockRaftLock.trailer(e, LEADER_ADDRESS);
    assertEquals("127.0.0.1:" + cluster.clientPort(leader), address);
    assertTrue(e.getStatus().getDescription().contains(address), e.getStatus().toString());

    ManagedChannel toLeader = ManagedChannelBuilder.forTarget(address).usePlaintext().build();
    try {
      AcquireResponse r = new StockRaftLock(toLeader).acquire(acquire("redirect-1"));
      assertTrue(r.getAcquired(), r.toString());
    } finally {
      toLeader.shutdownNow();
    }
  }

  /** docs/api.md, error codes: NOT_LEADER ends the call with UNAVAILABLE (retry elsewhere) when not in-band. */
  @Test
  void notLeaderEndsTheCallWithTheDocumentedStatus() {
    StatusRuntimeException e = assertThrows(StatusRuntimeException.class,
        () -> client(followers().get(0)).acquire(acquire("redirect-status")));
    assertEquals("201", StockRaftLock.trailer(e, StockRaftLock.ERROR_CODE));
    assertEquals(Status.Code.UNAVAILABLE, e.getStatus().getCode());
  }

  /**
   * A redirected write is admitted (it takes an in-flight permit) and then refused, and the
   * permit is never given back: after {@code maxInFlight - reserved} redirects, the follower
   * refuses all new work with "too many requests in flight" although nothing is in flight.
   */
  @Test
  void redirectsDoNotLeakInFlightPermits() {
    StockRaftLock follower = client(followers().get(1));
    for (int i = 0; i < 2 * MAX_IN_FLIGHT; i++) {
      String lock = "redirect-leak-" + i;
      StatusRuntimeException e = assertThrows(StatusRuntimeException.class, () -> follower.acquire(acquire(lock)),
          "write " + i + " on a follower is redirected");
      assertEquals("201", StockRaftLock.trailer(e, StockRaftLock.ERROR_CODE),
          "write " + i + " (one at a time, nothing else in flight): " + e.getStatus());
    }
    // A read served by the follower itself: nothing is in flight, so it must be admitted.
    GetLockInfoResponse r = follower.getLockInfo(GetLockInfoRequest.newBuilder().setLockId("redirect-leak-0")
        .setStaleRead(true).build());
    assertEquals(ErrorCode.LOCK_NOT_FOUND, r.getError().getCode());
    assertFalse(r.hasLockInfo());
  }
}
