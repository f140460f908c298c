package io.raftlock.it;

import static io.raftlock.testing.StockRaftLock.seconds;
import static org.awaitility.Awaitility.await;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import io.grpc.ManagedChannel;
import io.grpc.ManagedChannelBuilder;
import io.grpc.Status;
import io.grpc.StatusRuntimeException;
import io.raftlock.client.RaftLockClient;
import io.raftlock.proto.api.AcquireRequest;
import io.raftlock.proto.api.AcquireResponse;
import io.raftlock.proto.api.GetLockInfoRequest;
import io.raftlock.proto.api.GetLockInfoResponse;
import io.raftlock.testing.FakeTime;
import io.raftlock.testing.StockRaftLock;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Issue 18: the leader's wall clock is stepped ten minutes forward and back (libfaketime with a
 * control file, monotonic time left alone) while locks are held and waited on. No lease may end
 * before its holder's local deadline (early: two holders), and an abandoned lease must pass to its
 * waiter within its TTL plus a bound (late: before the fix, a lease granted after the step back
 * outlived its TTL by the ten minutes).
 */
class LeaseClockStepIT {
  private static final Path JAR = Path.of("target", "raftlock.jar");
  private static final long TEN_MINUTES_S = 600;
  private static final Duration HELD_TTL = Duration.ofSeconds(20);
  private static final Duration LATER_TTL = Duration.ofSeconds(5);
  /** How long the leader's wall clock stays ten minutes ahead, once it is seen there. */
  private static final Duration STEP_HELD = Duration.ofSeconds(3);
  /** Expiry check (a tick), commit, the waiter's grant and our poll, on a loaded machine. */
  private static final long LATE_BOUND_MS = 3_000;
  /** Reads of the holder before a timeout fails the test (15 s each, see {@link #holder}). */
  private static final int READ_ATTEMPTS = 3;

  @TempDir Path root;

  private StockRaftLock api;

  @Test
  void aLeaderWallClockSteppedTenMinutesForwardAndBackExpiresNoLeaseEarlyOrLate() throws Exception {
    assertTrue(Files.exists(JAR), "the fat jar is built before integration tests");
    installTools();
    assumeTrue(FakeTime.available(), FakeTime.LIBFAKETIME + " is missing (scripts/install-nemesis-tools.sh installs it as root)");
    try (ProcessCluster c = new ProcessCluster(3, root, JAR).withFakeClocks()) {
      c.startAll();
      String leader = c.awaitReadyLeader(null, Duration.ofSeconds(60));
      ManagedChannel channel = ManagedChannelBuilder.forAddress("127.0.0.1", c.clientPort(leader)).usePlaintext().build();
      try {
        api = new StockRaftLock(channel, 15_000); // generous: two cores shared by several JVMs
        StockRaftLock.WatchStream waiters = api.watch("waiter");

        long heldSentNanos = System.nanoTime();
        long heldToken = acquire("stepped", "holder-1", HELD_TTL);
        assertTrue(queue("stepped", "waiter"), "the waiter queues behind holder-1");

        c.setClock(leader, "+" + TEN_MINUTES_S);
        awaitWallClockAhead(c, leader, (TEN_MINUTES_S - 10) * 1_000, true);
        await("holder-1 keeps its lease while the leader's wall clock is ten minutes ahead").during(STEP_HELD).atMost(STEP_HELD.plusSeconds(READ_ATTEMPTS * 15L)).pollInterval(Duration.ofMillis(200))
            .until(() -> holder("stepped").equals("holder-1#" + heldToken)); // many expiry checks
        c.setClock(leader, "+0");
        awaitWallClockAhead(c, leader, 10_000, false);
        assertEquals("holder-1#" + heldToken, holder("stepped"),
            "a lease with most of its TTL left outlives ten minutes of the leader's wall clock");

        long laterSentNanos = System.nanoTime();
        long laterToken = acquire("after-step", "holder-2", LATER_TTL);
        assertTrue(queue("after-step", "waiter"), "the waiter queues behind holder-2");

        holdsUntilItsDeadline("after-step", "holder-2", laterToken, laterSentNanos, LATER_TTL);
        passesToTheWaiterInTime("after-step", laterSentNanos, LATER_TTL);
        holdsUntilItsDeadline("stepped", "holder-1", heldToken, heldSentNanos, HELD_TTL);
        passesToTheWaiterInTime("stepped", heldSentNanos, HELD_TTL);

        assertEquals(leader, c.readyLeader(null).orElse(null),
            "the same leader throughout: its own lease clock was under test, not a Promote");
        waiters.cancel();
      } finally {
        channel.shutdownNow().awaitTermination(5, TimeUnit.SECONDS);
      }
    }
  }

  private long acquire(String lockId, String clientId, Duration ttl) {
    AcquireResponse r = api.acquire(AcquireRequest.newBuilder().setLockId(lockId).setClientId(clientId)
        .setTtl(seconds(ttl.toSeconds())).setRequestId("acq-" + lockId + "-" + clientId).build());
    assertTrue(r.getAcquired(), () -> clientId + " acquires " + lockId + ": " + r);
    return r.getLock().getVersion();
  }

  private boolean queue(String lockId, String clientId) {
    AcquireResponse r = api.acquire(AcquireRequest.newBuilder().setLockId(lockId).setClientId(clientId)
        .setTtl(seconds(60)).setWait(true).setWaitTimeout(seconds(120))
        .setRequestId("wait-" + lockId + "-" + clientId).build());
    return r.getQueued();
  }

  /** The leader's wall clock, read from its cluster page snapshot, is (or is no longer) ahead. */
  private static void awaitWallClockAhead(ProcessCluster c, String id, long aheadMs, boolean ahead) {
    await().atMost(Duration.ofSeconds(15)).pollInterval(Duration.ofMillis(100)).until(() ->
        c.getJson(id, "/ui/snapshot")
            .map(s -> s.get("atMs").asLong() - System.currentTimeMillis())
            .map(offsetMs -> ahead ? offsetMs >= aheadMs : offsetMs < aheadMs)
            .orElse(false));
  }

  /**
   * Held by {@code owner} with {@code token} at every read that completed before the holder's
   * local deadline (a linearizable read reflects the state at some instant before it returns).
   */
  private void holdsUntilItsDeadline(String lockId, String owner, long token, long sentNanos, Duration ttl) {
    long deadlineNanos = RaftLockClient.localDeadline(sentNanos, ttl);
    long remainingMs = TimeUnit.NANOSECONDS.toMillis(deadlineNanos - System.nanoTime());
    assertTrue(remainingMs > 0, lockId + ": the test itself ran past the holder's deadline");
    String[] lostTo = {null};
    await().atMost(Duration.ofMillis(remainingMs + 10_000)).pollInterval(Duration.ofMillis(100))
        .ignoreExceptionsInstanceOf(StatusRuntimeException.class).until(() -> {
      String seen = holder(lockId);
      boolean beforeDeadline = System.nanoTime() < deadlineNanos;
      if (beforeDeadline && !seen.equals(owner + "#" + token)) {
        lostTo[0] = seen + " with " + TimeUnit.NANOSECONDS.toMillis(deadlineNanos - System.nanoTime())
            + " ms left of the holder's deadline";
      }
      return lostTo[0] != null || !beforeDeadline;
    });
    assertEquals(null, lostTo[0], lockId + " expired early: held by");
  }

  /** The lease expired and its waiter was granted within the TTL plus the bound. */
  private void passesToTheWaiterInTime(String lockId, long sentNanos, Duration ttl) {
    long leftMs = TimeUnit.NANOSECONDS.toMillis(sentNanos - System.nanoTime()) + ttl.toMillis() + LATE_BOUND_MS;
    await(lockId + " passes to its waiter within its TTL + " + LATE_BOUND_MS + " ms")
        .atMost(Duration.ofMillis(Math.max(1, leftMs))).pollInterval(Duration.ofMillis(50))
        .ignoreExceptionsInstanceOf(StatusRuntimeException.class).until(() -> holder(lockId).startsWith("waiter#"));
  }

  /**
   * "owner#token" as a linearizable read sees it, or "" when the lock is free. A read the node
   * could not confirm in time (a starved machine, an election) is read again, as its refusal says:
   * a read changes nothing, and a late answer is no answer about the lease.
   */
  private String holder(String lockId) {
    GetLockInfoRequest request = GetLockInfoRequest.newBuilder().setLockId(lockId).build();
    for (int attempt = 1; ; attempt++) {
      try {
        GetLockInfoResponse r = api.getLockInfo(request);
        return r.hasLockInfo() ? r.getLockInfo().getOwnerId() + "#" + r.getLockInfo().getVersion() : "";
      } catch (StatusRuntimeException e) {
        Status.Code code = e.getStatus().getCode();
        if (attempt == READ_ATTEMPTS || (code != Status.Code.DEADLINE_EXCEEDED && code != Status.Code.UNAVAILABLE)) {
          throw e;
        }
      }
    }
  }

  /** As NemesisIT: libfaketime through the project's script; missing tools skip the test. */
  private static void installTools() throws Exception {
    Process p = new ProcessBuilder("bash", "scripts/install-nemesis-tools.sh").inheritIO().start();
    if (!p.waitFor(5, TimeUnit.MINUTES)) {
      p.destroyForcibly();
    }
  }
}
