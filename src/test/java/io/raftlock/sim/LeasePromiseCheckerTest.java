package io.raftlock.sim;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.raftlock.lock.LockCommand;
import io.raftlock.lock.LockCommandCodec;
import io.raftlock.lock.LockStateMachine;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import org.junit.jupiter.api.Test;

/**
 * The lease-promise checker against the real state machine: a session (or lease) that the cluster
 * expires before its holder's local deadline is reported, one expired after it is not. "Early"
 * is made the way a faulty leader would make it: an {@code Expire} stamped later than true time.
 */
class LeasePromiseCheckerTest {
  private final List<String> violations = new ArrayList<>();
  private long simNowMs;
  private final LeasePromiseChecker checker = new LeasePromiseChecker(() -> simNowMs, violations::add);
  private final LockStateMachine sm = new LockStateMachine();
  private long index;

  /** A client sends {@code cmd} at {@code sentMs}, the leader stamps it {@code stampMs}, and it is applied. */
  private void sendAndApply(long sentMs, long stampMs, LockCommand cmd) {
    simNowMs = sentMs;
    byte[] sent = LockCommandCodec.encode(cmd);
    checker.sent(sent);
    byte[] stamped = LockCommandCodec.encode(cmd.withTimeMs(stampMs));
    index++;
    checker.applied(index, stamped, sm.apply(index, stamped));
  }

  private long openSession(long ttlMs) {
    sendAndApply(0, 0, new LockCommand.OpenSession("worker", ttlMs, new TreeMap<>(Map.of("open", "o1")), 0));
    long sessionId = index;
    sendAndApply(10, 10, new LockCommand.Acquire("L0", "worker", 60_000, false, 0, 0, new TreeMap<>(), "r1", 0,
        sessionId));
    return sessionId;
  }

  @Test
  void aSessionExpiredBeforeItsHoldersDeadlineIsReported() {
    long sessionId = openSession(2_000);
    sendAndApply(1_000, 1_000, new LockCommand.KeepAlive(sessionId, 0));
    // The holder may claim the lock until 1,000 + 2,000 less the margin; a leader whose time runs
    // ahead expires the session (and its lock) at true time 2,500.
    sendAndApply(2_500, 3_000, new LockCommand.Expire(0));

    assertEquals(1, checker.sessionExpiriesChecked);
    assertEquals(1, violations.size(), violations::toString);
    assertTrue(violations.get(0).contains("session " + sessionId), violations::toString);
  }

  @Test
  void aSessionExpiredAfterItsHoldersDeadlineIsNot() {
    long sessionId = openSession(2_000);
    sendAndApply(1_000, 1_000, new LockCommand.KeepAlive(sessionId, 0));
    sendAndApply(3_000, 3_000, new LockCommand.Expire(0));

    assertEquals(1, checker.sessionExpiriesChecked);
    assertEquals(List.of(), violations);
  }

  @Test
  void theEarliestUnmatchedKeepAliveIsTakenAsTheSendOfTheAppliedOne() {
    long sessionId = openSession(2_000);
    // Two keep-alives in flight: the checker cannot tell which one was applied, so it takes the
    // first send; an expiry after that deadline (but before the second's) is not reported.
    simNowMs = 500;
    checker.sent(LockCommandCodec.encode(new LockCommand.KeepAlive(sessionId, 0)));
    sendAndApply(1_500, 1_500, new LockCommand.KeepAlive(sessionId, 0));
    sendAndApply(2_600, 3_500, new LockCommand.Expire(0));

    assertEquals(List.of(), violations);
    assertEquals(1, checker.sessionExpiriesChecked);
  }

  @Test
  void aClientOwnedLeaseExpiredBeforeItsHoldersDeadlineIsReported() {
    sendAndApply(0, 0, new LockCommand.Acquire("L0", "c1", 2_000, false, 0, 0, new TreeMap<>(), "r1", 0));
    sendAndApply(1_500, 2_500, new LockCommand.Expire(0));

    assertEquals(1, checker.expiriesChecked);
    assertEquals(1, violations.size(), violations::toString);
  }
}
