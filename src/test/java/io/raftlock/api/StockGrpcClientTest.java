package io.raftlock.api;

import static io.raftlock.testing.StockRaftLock.seconds;
import static org.awaitility.Awaitility.await;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.grpc.ManagedChannel;
import io.grpc.ManagedChannelBuilder;
import io.grpc.Status;
import io.grpc.StatusRuntimeException;
import io.raftlock.proto.api.AcquireRequest;
import io.raftlock.proto.api.AcquireResponse;
import io.raftlock.proto.api.BackoffAdviceRequest;
import io.raftlock.proto.api.BackoffAdviceResponse;
import io.raftlock.proto.api.CancelWaitRequest;
import io.raftlock.proto.api.EnqueueWaiterRequest;
import io.raftlock.proto.api.EnqueueWaiterResponse;
import io.raftlock.proto.api.ErrorCode;
import io.raftlock.proto.api.GetLockInfoRequest;
import io.raftlock.proto.api.GetLockInfoResponse;
import io.raftlock.proto.api.GetLocksRequest;
import io.raftlock.proto.api.GetLocksResponse;
import io.raftlock.proto.api.GetStatusRequest;
import io.raftlock.proto.api.GetStatusResponse;
import io.raftlock.proto.api.HealthRequest;
import io.raftlock.proto.api.HealthResponse;
import io.raftlock.proto.api.HealthStatus;
import io.raftlock.proto.api.LockEventMessage;
import io.raftlock.proto.api.LockFilter;
import io.raftlock.proto.api.ReleaseRequest;
import io.raftlock.proto.api.ReleaseResponse;
import io.raftlock.proto.api.RenewRequest;
import io.raftlock.proto.api.RenewResponse;
import io.raftlock.proto.health.HealthCheckResponse;
import io.raftlock.testing.LocalCluster;
import io.raftlock.testing.StockRaftLock;
import java.nio.file.Path;
import java.time.Duration;
import java.util.HashMap;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

/**
 * A stock grpc-java client (plaintext channel, generic calls, no RaftLock stubs) against a real
 * 3-node cluster: every method on the leader and on a follower, a server-streaming Watch, the
 * standard health service, and error trailers readable without our types.
 */
@Timeout(120)
class StockGrpcClientTest {
  @TempDir static Path root;
  static LocalCluster cluster;
  static final Map<String, ManagedChannel> channels = new HashMap<>();

  @BeforeAll
  static void startCluster() {
    cluster = new LocalCluster(3, root).start();
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

  static StockRaftLock client(String node) {
    return new StockRaftLock(channels.get(node));
  }

  static String node(String role) {
    return role.equals("leader") ? cluster.awaitLeader() : cluster.follower();
  }

  @ParameterizedTest
  @ValueSource(strings = {"leader", "follower"})
  void everyUnaryMethodWorks(String role) {
    String node = node(role);
    String leader = cluster.awaitLeader();
    StockRaftLock c = client(node);
    String lock = "stock-" + role;
    String owner = "owner-" + role;
    String waiter = "waiter-" + role;

    AcquireResponse acquired = c.acquire(AcquireRequest.newBuilder().setLockId(lock).setClientId(owner)
        .setTtl(seconds(30)).putMetadata("k", "v").setRequestId("a-" + role).build());
    assertTrue(acquired.getAcquired(), acquired.toString());
    long token = acquired.getLock().getVersion();
    assertTrue(token > 0, "the fencing token is a log index");
    assertEquals(owner, acquired.getLock().getOwnerId());

    RenewResponse renewed = c.renew(RenewRequest.newBuilder().setLockId(lock).setClientId(owner)
        .setVersion(token).setNewTtl(seconds(60)).setRequestId("r-" + role).build());
    assertTrue(renewed.getRenewed(), renewed.toString());
    assertEquals(token, renewed.getLock().getVersion(), "a renew never changes the token");
    assertTrue(renewed.getLock().getExpiresAt().getSeconds() > acquired.getLock().getExpiresAt().getSeconds(),
        "the lease was extended");

    GetLockInfoResponse info = c.getLockInfo(GetLockInfoRequest.newBuilder().setLockId(lock).build());
    assertFalse(info.hasError(), info.toString());
    assertEquals(owner, info.getLockInfo().getOwnerId());
    assertEquals(token, info.getLockInfo().getVersion());
    assertEquals("v", info.getLockInfo().getMetadataOrThrow("k"));

    GetLocksResponse page = c.getLocks(GetLocksRequest.newBuilder()
        .setFilter(LockFilter.newBuilder().setLockIdPattern(lock)).build());
    assertEquals(1, page.getTotalMatchingFilter(), page.toString());
    assertEquals(lock, page.getLocks(0).getLockId());
    assertEquals(owner, page.getLocks(0).getOwnerId());

    EnqueueWaiterResponse enqueued = c.enqueueWaiter(EnqueueWaiterRequest.newBuilder().setLockId(lock)
        .setClientId(waiter).setTimeout(seconds(30)).setRequestId("e-" + role).build());
    assertTrue(enqueued.getEnqueued(), enqueued.toString());
    assertEquals(0, enqueued.getPosition());
    GetLockInfoResponse withWaiters = c.getLockInfo(GetLockInfoRequest.newBuilder().setLockId(lock)
        .setIncludeWaiters(true).build());
    assertEquals(1, withWaiters.getLockInfo().getWaiterCount());
    assertEquals(waiter, withWaiters.getLockInfo().getWaitersInfo(0).getClientId());

    BackoffAdviceResponse advice = c.getBackoffAdvice(BackoffAdviceRequest.newBuilder().setLockId(lock).build());
    assertFalse(advice.hasError(), advice.toString());
    assertTrue(advice.getAdvice().getEstimatedAvailabilityIn().getSeconds() > 0,
        "a held lock with a waiter is not available now: " + advice);

    assertTrue(c.cancelWait(CancelWaitRequest.newBuilder().setLockId(lock).setClientId(waiter)
        .setRequestId("c-" + role).build()).getCancelled());

    ReleaseResponse released = c.release(ReleaseRequest.newBuilder().setLockId(lock).setClientId(owner)
        .setVersion(token).setRequestId("rel-" + role).build());
    assertTrue(released.getReleased(), released.toString());
    assertFalse(released.getWaiterPromoted(), "the waiter had cancelled");

    GetLockInfoResponse gone = c.getLockInfo(GetLockInfoRequest.newBuilder().setLockId(lock).build());
    assertEquals(ErrorCode.LOCK_NOT_FOUND, gone.getError().getCode(), gone.toString());
    assertFalse(gone.hasLockInfo());

    GetStatusResponse status = c.getStatus(GetStatusRequest.newBuilder().setIncludeReplicationDetails(true).build());
    assertEquals(node, status.getRaftStatus().getNodeId());
    assertEquals(role.equals("leader") ? "LEADER" : "FOLLOWER", status.getRaftStatus().getRole());
    assertEquals(leader, status.getRaftStatus().getLeaderId());
    assertTrue(status.getRaftStatus().getCommitIndex() >= token);
    assertEquals(role.equals("leader") ? 2 : 0, status.getRaftStatus().getReplicationCount(),
        "per-peer replication only on the leader");
    assertTrue(status.getLockStats().getTotalAcquires() >= 1);
    assertEquals(role.equals("leader"), status.getHealth().getIsRaftLeader());

    HealthResponse health = c.health(HealthRequest.getDefaultInstance());
    assertEquals(HealthStatus.ServingStatus.SERVING, health.getStatus(), health.toString());
    assertEquals("127.0.0.1:" + cluster.clientPort(leader), health.getHealthInfo().getRaftLeaderAddress());
  }

  @Test
  void aWatchOnAFollowerStartsThenReceivesTheGrantWhenAHolderOnAnotherNodeReleases() {
    String leader = cluster.awaitLeader();
    String follower = cluster.follower();
    StockRaftLock holder = client(leader);
    StockRaftLock waiter = client(follower);

    StockRaftLock.WatchStream watch = waiter.watch("stock-waiter");
    await().atMost(Duration.ofSeconds(10)).until(() -> !watch.events.isEmpty());
    LockEventMessage started = watch.events.get(0);
    assertEquals(LockEventMessage.Kind.WATCH_STARTED, started.getKind());
    assertEquals("stock-waiter", started.getClientId());
    assertTrue(started.getLogIndex() > 0, "the applied index of the follower");

    long token = holder.acquire(AcquireRequest.newBuilder().setLockId("stock-watch").setClientId("stock-holder")
        .setTtl(seconds(30)).build()).getLock().getVersion();
    assertTrue(token > started.getLogIndex());
    AcquireResponse queued = waiter.acquire(AcquireRequest.newBuilder().setLockId("stock-watch")
        .setClientId("stock-waiter").setTtl(seconds(30)).setWait(true).setWaitTimeout(seconds(60)).build());
    assertTrue(queued.getQueued(), queued.toString());
    assertFalse(queued.getAcquired());
    await().atMost(Duration.ofSeconds(10)).until(() -> watch.has(LockEventMessage.Kind.QUEUED));

    assertTrue(holder.release(ReleaseRequest.newBuilder().setLockId("stock-watch").setClientId("stock-holder")
        .setVersion(token).build()).getWaiterPromoted());
    await().atMost(Duration.ofSeconds(10)).until(() -> watch.has(LockEventMessage.Kind.GRANTED));
    LockEventMessage granted = watch.first(LockEventMessage.Kind.GRANTED);
    assertEquals("stock-watch", granted.getLockId());
    assertEquals("stock-waiter", granted.getClientId());
    assertTrue(granted.getVersion() > token, "tokens of one lock increase");
    assertFalse(watch.ended.isDone(), "the stream stays open");

    // The pushed token is the real one.
    assertEquals("stock-waiter", holder.getLockInfo(GetLockInfoRequest.newBuilder().setLockId("stock-watch").build())
        .getLockInfo().getOwnerId());
    assertTrue(waiter.release(ReleaseRequest.newBuilder().setLockId("stock-watch").setClientId("stock-waiter")
        .setVersion(granted.getVersion()).build()).getReleased());
    await().atMost(Duration.ofSeconds(10)).until(() -> watch.has(LockEventMessage.Kind.RELEASED));
    watch.cancel();
    await().atMost(Duration.ofSeconds(10)).until(watch.ended::isDone);
    assertEquals(Status.Code.CANCELLED, watch.ended.join().getCode());
  }

  @ParameterizedTest
  @ValueSource(strings = {"leader", "follower"})
  void theStandardHealthServiceAnswers(String role) {
    StockRaftLock c = client(node(role));
    assertEquals(HealthCheckResponse.ServingStatus.SERVING, c.check("").getStatus());
    assertEquals(HealthCheckResponse.ServingStatus.SERVING, c.check("raftlock.v1.RaftLock").getStatus());
    StatusRuntimeException e = assertThrows(StatusRuntimeException.class, () -> c.check("no.such.Service"));
    assertEquals(Status.Code.NOT_FOUND, e.getStatus().getCode());
    assertTrue(e.getStatus().getDescription().contains("no.such.Service"), e.getStatus().toString());
  }

  @ParameterizedTest
  @ValueSource(strings = {"leader", "follower"})
  void invalidRequestsFailWithInvalidArgumentAndTheErrorCodeTrailer(String role) {
    StockRaftLock c = client(node(role));
    StatusRuntimeException e = assertThrows(StatusRuntimeException.class, () -> c.acquire(AcquireRequest.newBuilder()
        .setLockId("").setClientId("x").setTtl(seconds(30)).build()));
    assertEquals(Status.Code.INVALID_ARGUMENT, e.getStatus().getCode());
    assertEquals("305", StockRaftLock.trailer(e, StockRaftLock.ERROR_CODE));
    assertEquals("305", e.getTrailers().get(StockRaftLock.ERROR_CODE));
    assertTrue(e.getStatus().getDescription().contains("lock_id"), e.getStatus().toString());
    assertEquals(null, StockRaftLock.trailer(e, StockRaftLock.RETRY_AFTER_MS), "not retryable");

    StatusRuntimeException version = assertThrows(StatusRuntimeException.class, () -> c.release(ReleaseRequest
        .newBuilder().setLockId("l").setClientId("x").setVersion(0).build()));
    assertEquals(Status.Code.INVALID_ARGUMENT, version.getStatus().getCode());
    assertEquals("305", StockRaftLock.trailer(version, StockRaftLock.ERROR_CODE));

    StatusRuntimeException ttl = assertThrows(StatusRuntimeException.class, () -> c.acquire(AcquireRequest.newBuilder()
        .setLockId("l").setClientId("x").setTtl(seconds(100_000)).build()));
    assertEquals(Status.Code.INVALID_ARGUMENT, ttl.getStatus().getCode());
    assertEquals("106", StockRaftLock.trailer(ttl, StockRaftLock.ERROR_CODE), "INVALID_TTL");
  }
}
