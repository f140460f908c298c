package io.raftlock.client;

import static org.awaitility.Awaitility.await;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertSame;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.raftlock.client.fencing.FencedResource;
import io.raftlock.proto.api.ErrorCode;
import io.raftlock.proto.api.GetLockInfoRequest;
import io.raftlock.proto.api.GetLockInfoResponse;
import io.raftlock.testing.FreePorts;
import io.vertx.core.Vertx;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.atomic.AtomicLong;
import java.util.concurrent.atomic.AtomicReference;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

/**
 * The Java client against a real 3-node cluster in this JVM: grants pushed to waiters, failover
 * while waiting, keep-alive across a leader change, a paused holder told it lost the lock before
 * the cluster hands it on, and {@code withLock} releasing on failure.
 */
@Timeout(120)
class RaftLockClientClusterTest extends ClientClusterFixture {
  /** A client that starts at {@code first} (e.g. the leader), then the others. */
  RaftLockClient client(String name, String first) {
    return client(name, first, RaftLockClient.DEFAULT_SESSION_TTL);
  }

  RaftLockClient client(String name, String first, Duration sessionTtl) {
    List<String> eps = new ArrayList<>();
    eps.add("127.0.0.1:" + cluster.clientPort(first));
    cluster.ids().stream().filter(id -> !id.equals(first)).forEach(id -> eps.add("127.0.0.1:" + cluster.clientPort(id)));
    RaftLockClient c = RaftLockClient.builder().endpoints(eps).spreadEndpoints(false).clientId(name)
        .sessionTtl(sessionTtl).build();
    clients.add(c);
    return c;
  }

  static GetLockInfoResponse info(RaftLockClient c, String lock) {
    return RaftLockClient.await(c.getLockInfo(GetLockInfoRequest.newBuilder().setLockId(lock).setIncludeWaiters(true).build()));
  }

  static boolean waiting(RaftLockClient observer, String lock, String clientId) {
    return info(observer, lock).getLockInfo().getWaitersInfoList().stream().anyMatch(w -> w.getClientId().equals(clientId));
  }

  @Test
  void lockReturnsAFencingTokenAndUnlockFreesTheLock() {
    // The first endpoint is a closed port: the client moves on to the next.
    List<String> eps = new ArrayList<>(List.of("127.0.0.1:" + FreePorts.next()));
    cluster.ids().forEach(id -> eps.add("127.0.0.1:" + cluster.clientPort(id)));
    RaftLockClient c = RaftLockClient.builder().endpoints(eps).clientId("basic").build();
    clients.add(c);
    LockHandle h = c.lock("basic", Duration.ofSeconds(10));
    assertTrue(h.token() > 0);
    assertTrue(h.isHeld());
    GetLockInfoResponse held = info(c, "basic");
    assertEquals("basic", held.getLockInfo().getOwnerId());
    assertEquals(h.token(), held.getLockInfo().getVersion());
    assertTrue(c.unlock(h));
    assertFalse(h.isHeld());
    assertFalse(c.unlock(h), "a second unlock reports the lock was not held");
    assertEquals(ErrorCode.LOCK_NOT_FOUND, info(c, "basic").getError().getCode());
    LockHandle again = c.lock("basic", Duration.ofSeconds(10));
    assertTrue(again.token() > h.token(), "tokens of one lock strictly increase");
    c.unlock(again);
  }

  @Test
  void aSecondClientWaitsAndIsPushedTheGrantWhenTheFirstUnlocks() {
    RaftLockClient a = client("push-a", cluster.awaitLeader());
    RaftLockClient b = client("push-b", cluster.follower());
    LockHandle ha = a.lock("push", Duration.ofSeconds(10));
    CompletableFuture<LockHandle> hb = b.lockAsync("push", Duration.ofSeconds(10)).toCompletableFuture();
    await().until(() -> waiting(a, "push", "push-b"));
    assertFalse(hb.isDone(), "granted while the lock is held");
    assertTrue(a.unlock(ha));
    LockHandle granted = await().until(() -> hb.getNow(null), x -> x != null);
    assertTrue(granted.token() > ha.token());
    assertTrue(granted.isHeld());
    assertEquals("push-b", info(a, "push").getLockInfo().getOwnerId());
    assertTrue(b.unlock(granted));
  }

  @Test
  void aWaiterWhoseNodeStopsMidLockStillGetsTheLock() {
    String leader = cluster.awaitLeader();
    RaftLockClient holder = client("fo-holder", cluster.follower());
    // The waiter's watch and calls go to the leader first, which is then stopped.
    RaftLockClient waiter = client("fo-waiter", leader);
    LockHandle h = holder.lock("failover", Duration.ofSeconds(10));
    CompletableFuture<LockHandle> w = waiter.lockAsync("failover", Duration.ofSeconds(10)).toCompletableFuture();
    await().until(() -> waiting(holder, "failover", "fo-waiter"));
    cluster.stop(leader);
    cluster.awaitLeader();
    assertTrue(holder.unlock(h));
    LockHandle granted = await().atMost(Duration.ofSeconds(30)).until(() -> w.getNow(null), x -> x != null);
    assertTrue(granted.token() > h.token());
    assertEquals("fo-waiter", info(holder, "failover").getLockInfo().getOwnerId());
    assertTrue(waiter.unlock(granted));
  }

  @Test
  void renewalsKeepALockAcrossALeaderChange() {
    String leader = cluster.awaitLeader();
    // Longer than a leader change takes on a busy machine (a starved client or node can miss
    // keep-alives for a second or two meanwhile), so only a keep-alive that never arrives loses it.
    Duration ttl = Duration.ofSeconds(5);
    RaftLockClient c = client("keeper", leader, ttl);
    LockHandle h = c.lock("kept", ttl);
    AtomicReference<LostReason> lost = new AtomicReference<>();
    h.onLost(lost::set);
    await().during(Duration.ofSeconds(2)).atMost(Duration.ofSeconds(3)).until(h::isHeld);
    cluster.stop(leader);
    cluster.awaitLeader();
    // Over 3 × TTL in all, with the leader change in between.
    await().during(Duration.ofSeconds(13)).atMost(Duration.ofSeconds(14)).until(h::isHeld);
    assertEquals(null, lost.get());
    GetLockInfoResponse i = info(c, "kept");
    assertEquals("keeper", i.getLockInfo().getOwnerId());
    assertEquals(h.token(), i.getLockInfo().getVersion(), "the same holding, never re-granted");
    assertTrue(c.unlock(h));
  }

  @Test
  void aPausedHolderIsToldItLostTheLockBeforeTheClusterHandsItOn() {
    RaftLockClient holder = client("paused", cluster.follower(), Duration.ofSeconds(2));
    RaftLockClient next = client("patient", cluster.awaitLeader());
    AtomicLong lostAt = new AtomicLong();
    AtomicReference<LostReason> reason = new AtomicReference<>();
    LockHandle h = holder.lock("pause", Duration.ofSeconds(2));
    h.onLost(r -> {
      lostAt.set(System.nanoTime());
      reason.set(r);
    });
    AtomicLong grantedAt = new AtomicLong();
    CompletableFuture<LockHandle> w = next.lockAsync("pause", Duration.ofSeconds(10))
        .whenComplete((x, t) -> grantedAt.set(System.nanoTime())).toCompletableFuture();
    await().until(() -> waiting(next, "pause", "patient"));
    holder.suspendRenewals(true); // no keep-alive of its session, as if the holder's process were stopped
    LockHandle granted = await().atMost(Duration.ofSeconds(15)).until(() -> w.getNow(null), x -> x != null);
    await().until(() -> lostAt.get() != 0);
    assertEquals(LostReason.RENEWAL_FAILED, reason.get());
    System.out.printf("paused holder: lost %d ms before the next holder's grant%n",
        (grantedAt.get() - lostAt.get()) / 1_000_000);
    assertFalse(h.isHeld());
    assertTrue(lostAt.get() < grantedAt.get(),
        "lost " + (grantedAt.get() - lostAt.get()) / 1_000_000 + " ms before the grant, must be > 0");
    assertTrue(granted.token() > h.token());
    assertFalse(holder.unlock(h), "a lost lock is not released");
    next.unlock(granted);
  }

  @Test
  void withLockReleasesWhenTheActionThrows() {
    RaftLockClient c = client("with", cluster.awaitLeader());
    AtomicReference<LockHandle> seen = new AtomicReference<>();
    IllegalStateException e = assertThrows(IllegalStateException.class, () -> c.withLock("with", Duration.ofSeconds(10), h -> {
      seen.set(h);
      assertTrue(h.isHeld());
      throw new IllegalStateException("boom");
    }));
    assertEquals("boom", e.getMessage());
    assertFalse(seen.get().isHeld());
    assertEquals(ErrorCode.LOCK_NOT_FOUND, info(c, "with").getError().getCode());
    assertEquals(42, (int) RaftLockClient.await(c.withLockAsync("with", Duration.ofSeconds(10),
        h -> CompletableFuture.completedFuture(42))));
    assertEquals(ErrorCode.LOCK_NOT_FOUND, info(c, "with").getError().getCode());
  }

  @Test
  void tryLockGivesUpAfterItsWaitAndLeavesNoWaiterBehind() {
    RaftLockClient a = client("try-a", cluster.awaitLeader());
    RaftLockClient b = client("try-b", cluster.follower());
    LockHandle h = a.lock("try", Duration.ofSeconds(10));
    assertEquals(Optional.empty(), b.tryLock("try", Duration.ofSeconds(10), Duration.ZERO));
    assertEquals(Optional.empty(), b.tryLock("try", Duration.ofSeconds(10), Duration.ofSeconds(1)));
    await().until(() -> !waiting(a, "try", "try-b"));
    assertTrue(a.unlock(h));
    Optional<LockHandle> now = b.tryLock("try", Duration.ofSeconds(10), Duration.ZERO);
    assertTrue(now.isPresent(), () -> info(a, "try").toString());
    assertThrows(IllegalStateException.class, () -> b.lock("try", Duration.ofSeconds(10)),
        "one client holds a lock once");
    b.unlock(now.get());
  }

  /** The example of docs/client.md, with this cluster's endpoints. */
  @Test
  void theDocumentedExampleRuns() throws Exception {
    String endpoints = String.join(",", cluster.ids().stream().map(id -> "127.0.0.1:" + cluster.clientPort(id)).toList());
    List<LostReason> lostLocks = new java.util.concurrent.CopyOnWriteArrayList<>();
    FencedResource<String> report = new FencedResource<>("");  // stands in for your storage
    try (RaftLockClient client = RaftLockClient.builder()
        .endpoints(endpoints)
        .onLost((lock, why) -> lostLocks.add(why))
        .build()) {
      LockHandle lock = client.lock("reports/daily", Duration.ofSeconds(30)); // waits for the pushed grant
      try {
        report.set(lock.token(), "daily");                                    // fenced write
      } finally {
        client.unlock(lock);
      }
      client.withLock("reports/weekly", Duration.ofSeconds(30), l -> report.set(l.token(), "weekly"));
    }
    assertEquals("weekly", report.value());
    assertEquals(2, report.acceptedWrites());
    assertEquals(List.of(), lostLocks);
  }

  @Test
  void blockingCallsAreRefusedOnAnEventLoop() {
    RaftLockClient c = client("loop", cluster.awaitLeader());
    Vertx vertx = Vertx.vertx();
    try {
      CompletableFuture<Throwable> thrown = new CompletableFuture<>();
      vertx.runOnContext(v -> {
        try {
          c.lock("loop", Duration.ofSeconds(5));
          thrown.complete(null);
        } catch (Throwable t) {
          thrown.complete(t);
        }
      });
      Throwable t = thrown.join();
      assertNotNull(t);
      assertInstanceOf(IllegalStateException.class, t);
    } finally {
      vertx.close().await();
    }
    assertThrows(IllegalArgumentException.class, () -> c.lock("x", Duration.ofMillis(10)), "ttl below 1 s");
    RaftLockException invalid = assertThrows(RaftLockException.class, () -> c.lock("x".repeat(300), Duration.ofSeconds(5)));
    assertSame(ErrorCode.INVALID_ARGUMENT, invalid.code());
    assertEquals("lock_id", invalid.field(), "the server's error trailers are read");
    assertFalse(invalid.retryable());
  }
}
