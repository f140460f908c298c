package io.raftlock.lock;

import static io.raftlock.lock.Cmds.T0;
import static io.raftlock.lock.Cmds.acquire;
import static io.raftlock.lock.Cmds.acquireWait;
import static io.raftlock.lock.Cmds.cancel;
import static io.raftlock.lock.Cmds.enqueue;
import static io.raftlock.lock.Cmds.release;
import static io.raftlock.lock.Cmds.renew;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.List;
import org.junit.jupiter.api.Test;

class LockStateMachineTest {
  private final LockStateMachine sm = new LockStateMachine();

  private static ErrorCode code(ApplyResult r) {
    return assertInstanceOf(LockReply.Error.class, r.reply()).code();
  }

  @Test
  void acquireFreeLockGrantsWithTheEntryIndexAsToken() {
    ApplyResult r = sm.apply(7, acquire("a", "c1", 10_000, T0));
    assertEquals(new LockReply.Granted(7, T0, T0 + 10_000), r.reply());
    assertEquals(List.of(new LockEvent.Granted("a", "c1", 7, 7)), r.events());
    LockInfo info = sm.lockInfo("a").orElseThrow();
    assertEquals("c1", info.ownerId());
    assertEquals(7, info.token());
    assertEquals(T0 + 10_000, sm.nextDeadlineMs());
  }

  @Test
  void reacquireByHolderIsIdempotentNotARenew() {
    sm.apply(1, acquire("a", "c1", 10_000, T0));
    ApplyResult r = sm.apply(2, acquire("a", "c1", 60_000, T0 + 5_000));
    assertEquals(new LockReply.Granted(1, T0, T0 + 10_000), r.reply());
    assertTrue(r.events().isEmpty());
  }

  @Test
  void acquireHeldLockWithoutWaitIsLockHeldWithBackoff() {
    sm.apply(1, acquire("a", "c1", 10_000, T0));
    ApplyResult r = sm.apply(2, acquire("a", "c2", 10_000, T0 + 2_000));
    LockReply.Error e = assertInstanceOf(LockReply.Error.class, r.reply());
    assertEquals(ErrorCode.LOCK_HELD, e.code());
    assertNotNull(e.backoff());
    BackoffAdvice b = e.backoff();
    assertEquals(8_000, b.estimatedAvailabilityInMs());
    assertEquals(2_000, b.initialBackoffMs());
    assertEquals(8_000, b.maxBackoffMs());
    assertTrue(r.events().isEmpty());
  }

  @Test
  void backoffAdviceStaysWithinTheSeedBounds() {
    assertEquals(LockLimits.MIN_BACKOFF_MS, sm.backoffAdvice("free").initialBackoffMs());
    assertEquals(LockLimits.MIN_BACKOFF_MS, sm.backoffAdvice("free").maxBackoffMs());
    sm.apply(1, acquire("a", "c1", LockLimits.MAX_TTL_MS, T0));
    BackoffAdvice b = sm.backoffAdvice("a");
    assertEquals(LockLimits.MAX_BACKOFF_MS, b.initialBackoffMs());
    assertEquals(LockLimits.MAX_BACKOFF_MS, b.maxBackoffMs());
    assertEquals(LockLimits.BACKOFF_MULTIPLIER, b.multiplier());
  }

  @Test
  void waitersQueueByPriorityThenArrival() {
    sm.apply(1, acquire("a", "h", 10_000, T0));
    assertEquals(new LockReply.Queued(0, 10_000),
        sm.apply(2, acquireWait("a", "low", 5_000, 60_000, 0, T0)).reply());
    ApplyResult high = sm.apply(3, acquireWait("a", "high", 7_000, 60_000, 5, T0));
    assertEquals(new LockReply.Queued(0, 10_000), high.reply());
    assertEquals(List.of(new LockEvent.Queued("a", "high", 0, 3, 0)), high.events());
    assertEquals(new LockReply.Queued(1, 17_000),
        sm.apply(4, acquireWait("a", "high2", 1_000, 60_000, 5, T0)).reply());
    List<WaiterInfo> ws = sm.lockInfo("a").orElseThrow().waiters();
    assertEquals(List.of("high", "high2", "low"), ws.stream().map(WaiterInfo::clientId).toList());
    // Re-asking returns the current position without a new event.
    ApplyResult again = sm.apply(5, acquireWait("a", "low", 5_000, 60_000, 9, T0));
    assertEquals(new LockReply.Queued(2, 18_000), again.reply());
    assertTrue(again.events().isEmpty());
  }

  @Test
  void releasePromotesBestWaiterWithNewTokenAndItsTtl() {
    sm.apply(1, acquire("a", "h", 10_000, T0));
    sm.apply(2, acquireWait("a", "w1", 3_000, 60_000, 0, T0));
    sm.apply(3, acquireWait("a", "w2", 4_000, 60_000, 1, T0));
    ApplyResult r = sm.apply(4, release("a", "h", 1, T0 + 1_000));
    assertEquals(new LockReply.Released(true), r.reply());
    assertEquals(List.of(new LockEvent.Released("a", "h", 1, 4),
        new LockEvent.Granted("a", "w2", 4, 4)), r.events());
    LockInfo info = sm.lockInfo("a").orElseThrow();
    assertEquals("w2", info.ownerId());
    assertEquals(4, info.token());
    assertEquals(T0 + 5_000, info.expiresAtMs());
    assertEquals(1, info.waiterCount());
  }

  @Test
  void releaseWithoutWaitersDropsTheLock() {
    sm.apply(1, acquire("a", "h", 10_000, T0));
    ApplyResult r = sm.apply(2, release("a", "h", 1, T0 + 4_000));
    assertEquals(new LockReply.Released(false), r.reply());
    assertTrue(sm.lockInfo("a").isEmpty());
    assertEquals(0, sm.stats().activeLocks());
    assertEquals(4_000, sm.stats().averageHoldMs());
    assertEquals(Long.MAX_VALUE, sm.nextDeadlineMs());
  }

  @Test
  void releaseAndRenewErrors() {
    assertEquals(ErrorCode.LOCK_NOT_HELD, code(sm.apply(1, release("a", "h", 1, T0))));
    assertEquals(ErrorCode.LOCK_NOT_HELD, code(sm.apply(2, renew("a", "h", 1, 5_000, T0))));
    sm.apply(3, acquire("a", "h", 10_000, T0));
    assertEquals(ErrorCode.NOT_LOCK_OWNER, code(sm.apply(4, release("a", "x", 3, T0))));
    assertEquals(ErrorCode.NOT_LOCK_OWNER, code(sm.apply(5, renew("a", "x", 3, 5_000, T0))));
    assertEquals(ErrorCode.VERSION_MISMATCH, code(sm.apply(6, release("a", "h", 2, T0))));
    assertEquals(ErrorCode.VERSION_MISMATCH, code(sm.apply(7, renew("a", "h", 4, 5_000, T0))));
    assertEquals(ErrorCode.INVALID_TTL, code(sm.apply(8, renew("a", "h", 3, 999, T0))));
    assertEquals("h", sm.lockInfo("a").orElseThrow().ownerId());
  }

  @Test
  void renewExtendsTheLeaseAndKeepsTheToken() {
    sm.apply(1, acquire("a", "h", 10_000, T0));
    ApplyResult r = sm.apply(2, renew("a", "h", 1, 30_000, T0 + 9_000));
    assertEquals(new LockReply.Renewed(T0 + 39_000), r.reply());
    assertTrue(r.events().isEmpty());
    assertEquals(1, sm.lockInfo("a").orElseThrow().token());
    assertEquals(T0 + 39_000, sm.nextDeadlineMs());
  }

  @Test
  void enqueueWaiterAndCancelWait() {
    assertEquals(ErrorCode.LOCK_NOT_HELD, code(sm.apply(1, enqueue("a", "w", 5_000, 0, T0))));
    assertEquals(ErrorCode.LOCK_NOT_FOUND, code(sm.apply(2, cancel("a", "w", T0))));
    sm.apply(3, acquire("a", "h", 10_000, T0));
    assertEquals(new LockReply.Granted(3, T0, T0 + 10_000),
        sm.apply(4, enqueue("a", "h", 5_000, 0, T0)).reply());
    assertEquals(ErrorCode.NOT_WAITING, code(sm.apply(5, cancel("a", "w", T0))));
    assertEquals(new LockReply.Queued(0, 10_000),
        sm.apply(6, enqueue("a", "w", 5_000, 0, T0)).reply());
    ApplyResult r = sm.apply(7, cancel("a", "w", T0));
    assertEquals(new LockReply.Cancelled(1), r.reply());
    assertEquals(List.of(new LockEvent.WaitCancelled("a", "w", 0, 7)), r.events());
    assertEquals(0, sm.stats().waiters());
  }

  @Test
  void enqueuedWaiterGetsTheDefaultTtl() {
    sm.apply(1, acquire("a", "h", 10_000, T0));
    sm.apply(2, enqueue("a", "w", 60_000, 0, T0));
    sm.apply(3, release("a", "h", 1, T0 + 1_000));
    assertEquals(T0 + 1_000 + LockLimits.DEFAULT_TTL_MS,
        sm.lockInfo("a").orElseThrow().expiresAtMs());
  }

  @Test
  void waitQueueFull() {
    LockStateMachine small = new LockStateMachine(new LockStateMachine.Config(2, 60_000, 10));
    small.apply(1, acquire("a", "h", 10_000, T0));
    small.apply(2, enqueue("a", "w1", 5_000, 0, T0));
    small.apply(3, enqueue("a", "w2", 5_000, 0, T0));
    ApplyResult r = small.apply(4, enqueue("a", "w3", 5_000, 0, T0));
    LockReply.Error e = assertInstanceOf(LockReply.Error.class, r.reply());
    assertEquals(ErrorCode.WAIT_QUEUE_FULL, e.code());
    assertNotNull(e.backoff());
    assertEquals(2, small.stats().waiters());
  }

  @Test
  void expireExpiresExactlyWhatIsDue() {
    sm.apply(1, acquire("a", "h1", 10_000, T0));
    sm.apply(2, acquire("b", "h2", 20_000, T0));
    sm.apply(3, acquireWait("a", "w", 5_000, 5_000, 0, T0));
    assertEquals(T0 + 5_000, sm.nextDeadlineMs());
    ApplyResult early = sm.apply(4, new LockCommand.Expire(T0 + 4_999));
    assertEquals(new LockReply.Expired(0, 0), early.reply());
    ApplyResult r = sm.apply(5, new LockCommand.Expire(T0 + 10_000));
    assertEquals(new LockReply.Expired(1, 1), r.reply());
    assertEquals(List.of(new LockEvent.WaitTimedOut("a", "w", 0, 5),
        new LockEvent.Expired("a", "h1", 1, 5)), r.events());
    assertTrue(sm.lockInfo("a").isEmpty());
    assertEquals("h2", sm.lockInfo("b").orElseThrow().ownerId());
    assertEquals(T0 + 20_000, sm.nextDeadlineMs());
  }

  @Test
  void expiryPromotesAndTimedOutWaitersAreNeverGranted() {
    sm.apply(1, acquire("a", "h", 10_000, T0));
    sm.apply(2, acquireWait("a", "late", 5_000, 12_000, 9, T0));
    sm.apply(3, acquireWait("a", "ok", 5_000, 60_000, 0, T0));
    // Time moves to T0+20s by another command; the lease is due but not yet expired.
    sm.apply(4, acquire("z", "x", 10_000, T0 + 20_000));
    ApplyResult r = sm.apply(5, new LockCommand.Expire(T0 + 10_000));
    assertEquals(List.of(new LockEvent.Expired("a", "h", 1, 5),
        new LockEvent.WaitTimedOut("a", "late", 0, 5),
        new LockEvent.Granted("a", "ok", 5, 5)), r.events());
    assertEquals(new LockReply.Expired(1, 1), r.reply());
    assertEquals(T0 + 25_000, sm.lockInfo("a").orElseThrow().expiresAtMs());
  }

  @Test
  void cancelClientWaitsRemovesAllWaitsOfTheClient() {
    sm.apply(1, acquire("a", "h", 10_000, T0));
    sm.apply(2, acquire("b", "h", 10_000, T0));
    sm.apply(3, acquireWait("b", "gone", 5_000, 60_000, 0, T0));
    sm.apply(4, acquireWait("a", "gone", 5_000, 60_000, 0, T0));
    sm.apply(5, acquireWait("a", "stay", 5_000, 60_000, 0, T0));
    ApplyResult r = sm.apply(6, new LockCommand.CancelClientWaits("gone", T0));
    assertEquals(new LockReply.Cancelled(2), r.reply());
    assertEquals(List.of(new LockEvent.WaitCancelled("b", "gone", 0, 6),
        new LockEvent.WaitCancelled("a", "gone", 0, 6)), r.events());
    assertEquals(1, sm.stats().waiters());
  }

  @Test
  void timeNeverGoesBackwards() {
    sm.apply(1, acquire("a", "h", 10_000, T0 + 5_000));
    ApplyResult r = sm.apply(2, acquire("b", "h", 10_000, T0));
    assertEquals(new LockReply.Granted(2, T0 + 5_000, T0 + 15_000), r.reply());
    assertEquals(T0 + 5_000, sm.smTimeMs());
  }

  @Test
  void duplicateRequestIdReturnsTheFirstReplyAndChangesNothing() {
    var first = new LockCommand.Acquire("a", "c", 10_000, false, 0, 0, null, "r1", T0);
    assertEquals(new LockReply.Granted(1, T0, T0 + 10_000), sm.apply(1, first).reply());
    sm.apply(2, release("a", "c", 1, T0 + 1));
    long hash = sm.stateHash();
    var retry = new LockCommand.Acquire("a", "c", 10_000, false, 0, 0, null, "r1", T0 + 50);
    ApplyResult r = sm.apply(3, retry);
    assertEquals(new LockReply.Granted(1, T0, T0 + 10_000), r.reply());
    assertTrue(r.events().isEmpty());
    assertEquals(hash, sm.stateHash());
    assertTrue(sm.lockInfo("a").isEmpty());
    // Another client may use the same request id.
    var other = new LockCommand.Acquire("a", "d", 10_000, false, 0, 0, null, "r1", T0 + 50);
    assertEquals(new LockReply.Granted(4, T0 + 50, T0 + 10_050), sm.apply(4, other).reply());
  }

  @Test
  void dedupeEntriesExpireByStateMachineTimeAndByCount() {
    LockStateMachine small = new LockStateMachine(new LockStateMachine.Config(10, 60_000, 2));
    var cmd = new LockCommand.Acquire("a", "c", 10_000, false, 0, 0, null, "r1", T0);
    small.apply(1, cmd);
    small.apply(2, new LockCommand.Release("a", "c", 1, "r2", T0));
    assertEquals(2, small.stats().dedupeEntries());
    small.apply(3, new LockCommand.Release("a", "c", 1, "r3", T0)); // evicts r1 (size bound)
    assertEquals(2, small.stats().dedupeEntries());
    assertEquals(new LockReply.Granted(4, T0, T0 + 10_000), small.apply(4, cmd).reply());
    small.apply(5, new LockCommand.Expire(T0 + 60_000)); // evicts everything recorded at T0
    assertEquals(0, small.stats().dedupeEntries());
  }

  @Test
  void invalidCommandsChangeNothing() {
    sm.apply(1, acquire("a", "h", 10_000, T0));
    long hash = sm.stateHash();
    String longId = "x".repeat(LockLimits.MAX_LOCK_ID_LENGTH + 1);
    assertEquals(ErrorCode.INVALID_ARGUMENT, code(sm.apply(2, acquire(longId, "c", 5_000, T0))));
    assertEquals(ErrorCode.INVALID_ARGUMENT, code(sm.apply(3, acquire("", "c", 5_000, T0))));
    assertEquals(ErrorCode.INVALID_ARGUMENT, code(sm.apply(4, acquire("b", "", 5_000, T0))));
    assertEquals(ErrorCode.INVALID_TTL, code(sm.apply(5, acquire("b", "c", 999, T0 + 9))));
    assertEquals(ErrorCode.INVALID_TTL,
        code(sm.apply(6, acquire("b", "c", LockLimits.MAX_TTL_MS + 1, T0))));
    assertEquals(ErrorCode.INVALID_ARGUMENT,
        code(sm.apply(7, acquireWait("a", "c", 5_000, 999, 0, T0))));
    assertEquals(ErrorCode.INVALID_ARGUMENT,
        code(sm.apply(8, acquireWait("a", "c", 5_000, 5_000, 1001, T0))));
    assertEquals(ErrorCode.INVALID_ARGUMENT, code(sm.apply(9, release("a", "h", 0, T0))));
    assertEquals(ErrorCode.INVALID_ARGUMENT,
        code(sm.apply(10, new LockCommand.Expire(-1))));
    assertEquals(ErrorCode.INVALID_ARGUMENT, code(sm.apply(11,
        new LockCommand.Release("a", "h", 1, "r".repeat(129), T0))));
    assertEquals(ErrorCode.INVALID_ARGUMENT,
        code(sm.apply(12, new LockCommand.CancelClientWaits("", T0))));
    assertEquals(hash, sm.stateHash());
  }

  @Test
  void metadataLimitsAreChecked() {
    var tooMany = new java.util.TreeMap<String, String>();
    for (int i = 0; i <= LockLimits.MAX_METADATA_ENTRIES; i++) {
      tooMany.put("k" + i, "v");
    }
    assertEquals(ErrorCode.INVALID_ARGUMENT,
        code(sm.apply(1, Cmds.acquireMeta("a", "c", tooMany, T0))));
    assertEquals(ErrorCode.INVALID_ARGUMENT,
        code(sm.apply(2, Cmds.acquireMeta("a", "c", java.util.Map.of("k".repeat(65), "v"), T0))));
    assertEquals(ErrorCode.INVALID_ARGUMENT,
        code(sm.apply(3, Cmds.acquireMeta("a", "c", java.util.Map.of("k", "v".repeat(257)), T0))));
    ApplyResult ok = sm.apply(4, Cmds.acquireMeta("a", "c", java.util.Map.of("env", "prod"), T0));
    assertTrue(ok.reply().ok());
    assertEquals(java.util.Map.of("env", "prod"), sm.lockInfo("a").orElseThrow().metadata());
  }

  @Test
  void undecodableBytesAreAnInternalErrorAndChangeNothing() {
    long hash = sm.stateHash();
    assertEquals(ErrorCode.INTERNAL_ERROR, code(sm.apply(1, new byte[] {9, 9, 9})));
    assertEquals(ErrorCode.INTERNAL_ERROR, code(sm.apply(2, (byte[]) null)));
    assertEquals(hash, sm.stateHash());
    byte[] ok = LockCommandCodec.encode(acquire("a", "c", 5_000, T0));
    assertTrue(sm.apply(3, ok).reply().ok());
  }

  @Test
  void indexMustBePositive() {
    assertThrows(IllegalArgumentException.class, () -> sm.apply(0, acquire("a", "c", 5_000, T0)));
  }

  @Test
  void errorCodesKeepTheirNumbers() {
    assertEquals(1, ErrorCode.OK.code());
    assertEquals(101, ErrorCode.LOCK_HELD.code());
    assertEquals(108, ErrorCode.NOT_WAITING.code());
    assertEquals(203, ErrorCode.REPLICATION_FAILURE.code());
    assertEquals(306, ErrorCode.PERMISSION_DENIED.code());
    for (ErrorCode c : ErrorCode.values()) {
      assertEquals(c, ErrorCode.ofCode(c.code()));
    }
    assertNull(ErrorCode.ofCode(999));
  }

  @Test
  void statsCountWhatHappened() {
    sm.apply(1, acquire("a", "h", 10_000, T0));
    sm.apply(2, acquireWait("a", "w", 5_000, 60_000, 0, T0));
    sm.apply(3, acquire("b", "h", 20_000, T0));
    LockStats s = sm.stats();
    assertEquals(2, s.activeLocks());
    assertEquals(1, s.waiters());
    assertEquals(1, s.contestedLocks());
    sm.apply(4, release("a", "h", 1, T0 + 2_000));
    sm.apply(5, new LockCommand.Expire(T0 + 10_000));
    s = sm.stats();
    assertEquals(3, s.acquires());
    assertEquals(1, s.releases());
    assertEquals(1, s.expirations());
    assertEquals(1, s.activeLocks());
    assertEquals(5_000, s.averageHoldMs());
    assertFalse(s.contestedLocks() > 0);
  }
}
