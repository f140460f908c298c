package io.raftlock.api;

import static io.raftlock.testing.StockRaftLock.seconds;
import static org.awaitility.Awaitility.await;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.grpc.ManagedChannel;
import io.grpc.ManagedChannelBuilder;
import io.raftlock.proto.api.AcquireRequest;
import io.raftlock.proto.api.AcquireResponse;
import io.raftlock.proto.api.ErrorCode;
import io.raftlock.proto.api.GetLockInfoRequest;
import io.raftlock.proto.api.GetLockInfoResponse;
import io.raftlock.proto.api.GetStatusRequest;
import io.raftlock.proto.api.LockEventMessage;
import io.raftlock.proto.api.RaftLockGrpcClient;
import io.raftlock.proto.api.ReleaseRequest;
import io.raftlock.proto.api.ReleaseResponse;
import io.raftlock.proto.api.WatchRequest;
import io.raftlock.testing.LocalCluster;
import io.raftlock.testing.StockRaftLock;
import io.vertx.core.Vertx;
import io.vertx.core.net.SocketAddress;
import io.vertx.grpc.client.GrpcClient;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

/**
 * A waiter that can no longer hear about its grant is never granted: when its Watch ends (the
 * connection closes or the stream is cancelled) the node it watched on proposes the cancellation
 * of its waits, and a release then frees the lock instead of promoting it.
 */
@Timeout(120)
class WatchDisconnectClusterTest {
  @TempDir static Path root;
  static LocalCluster cluster;
  /** Connected to the leader, never closed: holders and observers. */
  static ManagedChannel observerChannel;
  static StockRaftLock observer;

  @BeforeAll
  static void startCluster() {
    cluster = new LocalCluster(3, root).start();
    observerChannel = channel(cluster.awaitLeader());
    observer = new StockRaftLock(observerChannel);
  }

  @AfterAll
  static void stopCluster() throws InterruptedException {
    if (observerChannel != null) {
      observerChannel.shutdownNow().awaitTermination(10, TimeUnit.SECONDS);
    }
    if (cluster != null) {
      cluster.close();
    }
  }

  static ManagedChannel channel(String node) {
    return ManagedChannelBuilder.forAddress("127.0.0.1", cluster.clientPort(node)).usePlaintext().build();
  }

  static long hold(String lock, String holder) {
    AcquireResponse r = observer.acquire(AcquireRequest.newBuilder().setLockId(lock).setClientId(holder)
        .setTtl(seconds(60)).build());
    assertTrue(r.getAcquired(), r.toString());
    return r.getLock().getVersion();
  }

  static AcquireRequest waitFor(String lock, String waiter) {
    return AcquireRequest.newBuilder().setLockId(lock).setClientId(waiter).setTtl(seconds(30))
        .setWait(true).setWaitTimeout(seconds(120)).build();
  }

  static List<String> waiters(String lock) {
    GetLockInfoResponse r = observer.getLockInfo(GetLockInfoRequest.newBuilder().setLockId(lock)
        .setIncludeWaiters(true).build());
    assertFalse(r.hasError(), r.toString());
    return r.getLockInfo().getWaitersInfoList().stream().map(w -> w.getClientId()).toList();
  }

  static long waitCancels() {
    return observer.getStatus(GetStatusRequest.getDefaultInstance()).getLockStats().getTotalWaitCancels();
  }

  /** After the waiter is gone: the release promotes nobody and the lock is free. */
  static void assertReleasedToNobody(String lock, String holder, long token) {
    ReleaseResponse released = observer.release(ReleaseRequest.newBuilder().setLockId(lock).setClientId(holder)
        .setVersion(token).build());
    assertTrue(released.getReleased(), released.toString());
    assertFalse(released.getWaiterPromoted(), "a disconnected waiter must not be granted");
    GetLockInfoResponse info = observer.getLockInfo(GetLockInfoRequest.newBuilder().setLockId(lock).build());
    assertEquals(ErrorCode.LOCK_NOT_FOUND, info.getError().getCode(), info.toString());
  }

  @Test
  void closingTheGrpcJavaChannelCancelsTheWait() throws InterruptedException {
    String lock = "dc-channel";
    long token = hold(lock, "dc-holder-1");
    ManagedChannel ch = channel(cluster.follower());
    StockRaftLock w = new StockRaftLock(ch);
    StockRaftLock.WatchStream watch = w.watch("dc-w1");
    await().atMost(Duration.ofSeconds(10)).until(() -> watch.has(LockEventMessage.Kind.WATCH_STARTED));
    assertTrue(w.acquire(waitFor(lock, "dc-w1")).getQueued());
    assertEquals(List.of("dc-w1"), waiters(lock));
    long cancelsBefore = waitCancels();

    ch.shutdownNow().awaitTermination(10, TimeUnit.SECONDS);

    await().atMost(Duration.ofSeconds(10)).until(() -> waiters(lock).isEmpty());
    assertEquals(cancelsBefore + 1, waitCancels());
    assertReleasedToNobody(lock, "dc-holder-1", token);
  }

  @Test
  void closingTheVertxClientCancelsTheWait() {
    String lock = "dc-vertx";
    long token = hold(lock, "dc-holder-2");
    Vertx vertx = Vertx.vertx();
    try {
      GrpcClient grpc = GrpcClient.client(vertx);
      RaftLockGrpcClient w = RaftLockGrpcClient.create(grpc,
          SocketAddress.inetSocketAddress(cluster.clientPort(cluster.follower()), "127.0.0.1"));
      List<LockEventMessage> events = new CopyOnWriteArrayList<>();
      // The handler is set on the client's event loop as the response arrives.
      vertx.runOnContext(v -> w.watch(WatchRequest.newBuilder().setClientId("dc-w2").build())
          .onSuccess(stream -> stream.handler(events::add)));
      await().atMost(Duration.ofSeconds(10)).until(() -> !events.isEmpty());
      assertEquals(LockEventMessage.Kind.WATCH_STARTED, events.get(0).getKind());
      assertTrue(w.acquire(waitFor(lock, "dc-w2")).await().getQueued());
      assertEquals(List.of("dc-w2"), waiters(lock));

      grpc.close().await();

      await().atMost(Duration.ofSeconds(10)).until(() -> waiters(lock).isEmpty());
      assertReleasedToNobody(lock, "dc-holder-2", token);
      assertFalse(events.stream().anyMatch(e -> e.getKind() == LockEventMessage.Kind.GRANTED));
    } finally {
      vertx.close().await();
    }
  }

  @Test
  void cancellingTheWatchStreamOnAnOpenConnectionCancelsTheWait() throws InterruptedException {
    String lock = "dc-cancel";
    long token = hold(lock, "dc-holder-3");
    ManagedChannel ch = channel(cluster.follower());
    try {
      StockRaftLock w = new StockRaftLock(ch);
      StockRaftLock.WatchStream watch = w.watch("dc-w3");
      await().atMost(Duration.ofSeconds(10)).until(() -> watch.has(LockEventMessage.Kind.WATCH_STARTED));
      assertTrue(w.acquire(waitFor(lock, "dc-w3")).getQueued());
      assertEquals(List.of("dc-w3"), waiters(lock));

      watch.cancel();

      await().atMost(Duration.ofSeconds(10)).until(() -> waiters(lock).isEmpty());
      assertReleasedToNobody(lock, "dc-holder-3", token);
    } finally {
      ch.shutdownNow().awaitTermination(10, TimeUnit.SECONDS);
    }
  }

  /** Control: the wait is cancelled only when the client's last watch on the node ends. */
  @Test
  void aWaiterWithAnotherOpenWatchOnTheNodeKeepsItsPlaceAndIsGranted() throws InterruptedException {
    String lock = "dc-two";
    long token = hold(lock, "dc-holder-4");
    String node = cluster.follower();
    ManagedChannel first = channel(node);
    ManagedChannel second = channel(node);
    try {
      StockRaftLock.WatchStream closing = new StockRaftLock(first).watch("dc-w4");
      StockRaftLock.WatchStream staying = new StockRaftLock(second).watch("dc-w4");
      await().atMost(Duration.ofSeconds(10)).until(() -> closing.has(LockEventMessage.Kind.WATCH_STARTED)
          && staying.has(LockEventMessage.Kind.WATCH_STARTED));
      assertTrue(new StockRaftLock(second).acquire(waitFor(lock, "dc-w4")).getQueued());
      long cancelsBefore = waitCancels();

      first.shutdownNow().awaitTermination(10, TimeUnit.SECONDS);
      await().atMost(Duration.ofSeconds(10)).until(() -> closing.ended.isDone());
      // Something that passes through the log after the close: had the node proposed a
      // cancellation on the close, it would be applied by the time this acquire is.
      hold(lock + "-barrier", "dc-holder-4");
      await().during(Duration.ofSeconds(1)).atMost(Duration.ofSeconds(3))
          .until(() -> waiters(lock).equals(List.of("dc-w4")));
      assertEquals(cancelsBefore, waitCancels());

      ReleaseResponse released = observer.release(ReleaseRequest.newBuilder().setLockId(lock)
          .setClientId("dc-holder-4").setVersion(token).build());
      assertTrue(released.getWaiterPromoted(), released.toString());
      await().atMost(Duration.ofSeconds(10)).until(() -> staying.has(LockEventMessage.Kind.GRANTED));
      assertEquals(lock, staying.first(LockEventMessage.Kind.GRANTED).getLockId());
      assertEquals("dc-w4", observer.getLockInfo(GetLockInfoRequest.newBuilder().setLockId(lock).build())
          .getLockInfo().getOwnerId());
    } finally {
      first.shutdownNow().awaitTermination(10, TimeUnit.SECONDS);
      second.shutdownNow().awaitTermination(10, TimeUnit.SECONDS);
    }
  }
}
