package io.raftlock.api;

import static org.awaitility.Awaitility.await;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.google.protobuf.Duration;
import io.raftlock.proto.api.AcquireRequest;
import io.raftlock.proto.api.AcquireResponse;
import io.raftlock.proto.api.ErrorCode;
import io.raftlock.proto.api.GetLockInfoRequest;
import io.raftlock.proto.api.GetStatusRequest;
import io.raftlock.proto.api.LockEventMessage;
import io.raftlock.proto.api.RaftLockGrpcClient;
import io.raftlock.proto.api.ReleaseRequest;
import io.raftlock.proto.api.RenewRequest;
import io.raftlock.proto.api.WatchRequest;
import io.raftlock.testing.LocalCluster;
import io.vertx.core.Vertx;
import io.vertx.core.net.SocketAddress;
import io.vertx.grpc.client.GrpcClient;
import io.vertx.grpc.client.InvalidStatusException;
import java.nio.file.Path;
import java.util.List;
import java.util.concurrent.CopyOnWriteArrayList;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The client API end to end on a real 3-node cluster in this JVM, through the Vert.x gRPC client:
 * writes on any node, pushed grants to a waiter connected to a follower, committed expiry.
 */
class ClientApiClusterTest {
  @TempDir static Path root;
  static LocalCluster cluster;
  static Vertx vertx;
  static GrpcClient grpc;

  @BeforeAll
  static void startCluster() {
    cluster = new LocalCluster(3, root).start();
    vertx = Vertx.vertx();
    grpc = GrpcClient.client(vertx);
  }

  @AfterAll
  static void stopCluster() {
    if (grpc != null) {
      grpc.close().await();
      vertx.close().await();
    }
    cluster.close();
  }

  static RaftLockGrpcClient client(String node) {
    return RaftLockGrpcClient.create(grpc, SocketAddress.inetSocketAddress(cluster.clientPort(node), "127.0.0.1"));
  }

  /**
   * Opens a Watch and collects its events. The handler is set on the client's event loop as the
   * response arrives: set later from the test thread, the first messages could be dispatched
   * before it exists.
   */
  static void watch(RaftLockGrpcClient c, String clientId, List<LockEventMessage> events) {
    vertx.runOnContext(v -> c.watch(WatchRequest.newBuilder().setClientId(clientId).build())
        .onSuccess(stream -> stream.handler(events::add)));
  }

  static Duration seconds(long s) {
    return Duration.newBuilder().setSeconds(s).build();
  }

  @Test
  void acquireOnAFollowerIsForwardedAndTheTokenIsTheGrantIndex() {
    RaftLockGrpcClient follower = client(cluster.follower());
    AcquireResponse r = follower.acquire(AcquireRequest.newBuilder().setLockId("fwd").setClientId("c1")
        .setTtl(seconds(30)).setRequestId("fwd-1").build()).await();
    assertTrue(r.getAcquired(), r.toString());
    long token = r.getLock().getVersion();
    assertTrue(token > 0);
    // A retry with the same request id returns the original grant, not LOCK_HELD.
    AcquireResponse again = client(cluster.awaitLeader()).acquire(AcquireRequest.newBuilder().setLockId("fwd")
        .setClientId("c1").setTtl(seconds(30)).setRequestId("fwd-1").build()).await();
    assertEquals(token, again.getLock().getVersion());
    // Another client is refused in-band with LOCK_HELD.
    AcquireResponse other = follower.acquire(AcquireRequest.newBuilder().setLockId("fwd").setClientId("c2")
        .setTtl(seconds(30)).build()).await();
    assertFalse(other.getAcquired());
    assertEquals(ErrorCode.LOCK_HELD, other.getError().getCode());
    // Linearizable read on another follower sees the holder.
    String otherFollower = cluster.running().stream()
        .filter(id -> !id.equals(cluster.awaitLeader())).reduce((a, b) -> b).orElseThrow();
    var info = client(otherFollower).getLockInfo(GetLockInfoRequest.newBuilder().setLockId("fwd").build()).await();
    assertEquals("c1", info.getLockInfo().getOwnerId());
    assertEquals(token, info.getLockInfo().getVersion());
    assertTrue(follower.release(ReleaseRequest.newBuilder().setLockId("fwd").setClientId("c1")
        .setVersion(token).build()).await().getReleased());
  }

  @Test
  void aWaiterOnAFollowerIsPushedItsGrantWhenTheHolderReleasesOnTheLeader() {
    String leader = cluster.awaitLeader();
    RaftLockGrpcClient holder = client(leader);
    RaftLockGrpcClient waiter = client(cluster.follower());
    List<LockEventMessage> events = new CopyOnWriteArrayList<>();
    watch(waiter, "waiter", events);
    await().until(() -> !events.isEmpty());
    assertEquals(LockEventMessage.Kind.WATCH_STARTED, events.get(0).getKind());

    long token = holder.acquire(AcquireRequest.newBuilder().setLockId("push").setClientId("holder")
        .setTtl(seconds(30)).build()).await().getLock().getVersion();
    AcquireResponse queued = waiter.acquire(AcquireRequest.newBuilder().setLockId("push").setClientId("waiter")
        .setTtl(seconds(30)).setWait(true).setWaitTimeout(seconds(60)).build()).await();
    assertTrue(queued.getQueued(), queued.toString());
    assertEquals(0, queued.getQueuePosition(), "no other waiter ahead");

    assertTrue(holder.release(ReleaseRequest.newBuilder().setLockId("push").setClientId("holder")
        .setVersion(token).build()).await().getReleased());
    await().until(() -> events.stream().anyMatch(e -> e.getKind() == LockEventMessage.Kind.GRANTED));
    LockEventMessage granted = events.stream().filter(e -> e.getKind() == LockEventMessage.Kind.GRANTED)
        .findFirst().orElseThrow();
    assertEquals("push", granted.getLockId());
    assertTrue(granted.getVersion() > token, "fencing tokens increase");
    // The pushed token is the real one: the waiter can renew with it.
    assertTrue(waiter.renew(RenewRequest.newBuilder().setLockId("push").setClientId("waiter")
        .setVersion(granted.getVersion()).setNewTtl(seconds(30)).build()).await().getRenewed());
  }

  @Test
  void aHolderThatStopsRenewingLosesTheLockToTheWaiterThroughCommittedExpiry() {
    RaftLockGrpcClient c = client(cluster.follower());
    List<LockEventMessage> events = new CopyOnWriteArrayList<>();
    watch(c, "heir", events);
    await().until(() -> !events.isEmpty());
    long token = c.acquire(AcquireRequest.newBuilder().setLockId("lease").setClientId("gone")
        .setTtl(seconds(1)).build()).await().getLock().getVersion();
    assertTrue(c.acquire(AcquireRequest.newBuilder().setLockId("lease").setClientId("heir")
        .setTtl(seconds(30)).setWait(true).setWaitTimeout(seconds(60)).build()).await().getQueued());
    await().atMost(java.time.Duration.ofSeconds(10))
        .until(() -> events.stream().anyMatch(e -> e.getKind() == LockEventMessage.Kind.GRANTED));
    var info = c.getLockInfo(GetLockInfoRequest.newBuilder().setLockId("lease").build()).await();
    assertEquals("heir", info.getLockInfo().getOwnerId());
    assertTrue(info.getLockInfo().getVersion() > token);
  }

  @Test
  void invalidRequestsAreRefusedWithTheFieldNamedAndNothingIsProposed() {
    RaftLockGrpcClient c = client(cluster.awaitLeader());
    long before = c.getStatus(GetStatusRequest.getDefaultInstance()).await().getRaftStatus().getCommitIndex();
    var f = c.acquire(AcquireRequest.newBuilder().setLockId("").setClientId("x").setTtl(seconds(30)).build());
    await().until(f::isComplete);
    assertTrue(f.failed());
    InvalidStatusException e = (InvalidStatusException) f.cause();
    assertEquals(io.vertx.grpc.common.GrpcStatus.INVALID_ARGUMENT, e.actualStatus());
    var ttl = c.acquire(AcquireRequest.newBuilder().setLockId("a").setClientId("x").setTtl(seconds(100_000)).build());
    await().until(ttl::isComplete);
    assertTrue(ttl.failed());
    long after = c.getStatus(GetStatusRequest.getDefaultInstance()).await().getRaftStatus().getCommitIndex();
    assertEquals(before, after, "nothing was proposed");
  }
}
