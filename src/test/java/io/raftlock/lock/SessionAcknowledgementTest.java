package io.raftlock.lock;

import static io.raftlock.lock.Cmds.T0;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;
import static org.junit.jupiter.api.Assertions.assertTrue;

import org.junit.jupiter.api.Test;

/**
 * Numbered session requests (the Raft dissertation's §6.3): the client says which answers it has,
 * the session forgets those replies at once, and a late copy of an answered request is refused
 * instead of applied anew.
 */
class SessionAcknowledgementTest {
  private final LockStateMachine sm = new LockStateMachine();
  private long index;

  /** Session 1, opened at index 1. */
  SessionAcknowledgementTest() {
    apply(new LockCommand.OpenSession("w", 10_000, null, T0));
  }

  private LockReply apply(LockCommand cmd) {
    return sm.apply(++index, cmd).reply();
  }

  private static LockCommand acquire(long seq, long answeredBelow, String lock) {
    return new LockCommand.Sequenced(seq, answeredBelow,
        new LockCommand.Acquire(lock, "", 0, false, 0, 0, null, "r" + seq, T0, 1));
  }

  private static LockCommand release(long seq, long answeredBelow, String lock, long token) {
    return new LockCommand.Sequenced(seq, answeredBelow,
        new LockCommand.Release(lock, "", token, "r" + seq, T0, 1));
  }

  private int remembered() {
    return sm.sessionInfo(1).orElseThrow().rememberedRequests();
  }

  @Test
  void answeredRepliesAreForgottenAtOnce() {
    assertInstanceOf(LockReply.Granted.class, apply(acquire(1, 1, "a")));
    assertEquals(1, remembered());
    // The release says the acquire's answer arrived: only the release's reply is kept.
    assertInstanceOf(LockReply.Released.class, apply(release(2, 2, "a", 2)));
    assertEquals(1, remembered());
    for (long seq = 3; seq < 200; seq += 2) {
      apply(acquire(seq, seq, "a"));
      apply(release(seq + 1, seq + 1, "a", index));
    }
    assertEquals(1, remembered(), "a session remembers what is in flight, not its last 1,000");
  }

  @Test
  void anAwaitedRequestIsStillAnsweredFromMemory() {
    LockReply first = apply(acquire(1, 1, "a"));
    apply(acquire(2, 1, "b")); // 1 still awaited: nothing is forgotten
    assertEquals(2, remembered());
    long hash = sm.stateHash();
    assertEquals(first, apply(acquire(1, 1, "a")), "a retry gets the first reply");
    assertEquals(hash, sm.stateHash());
  }

  @Test
  void aLateCopyOfAnAnsweredRequestIsRefusedAndChangesNothing() {
    apply(acquire(1, 1, "a"));
    apply(release(2, 2, "a", 2));
    apply(acquire(3, 3, "b"));
    long hash = sm.stateHash();
    // A copy of the first acquire, still on its way when the client moved on: applied anew it
    // would take "a" again for a session that no longer wants it.
    LockReply.Error late = assertInstanceOf(LockReply.Error.class, apply(acquire(1, 1, "a")));
    assertEquals(ErrorCode.INVALID_ARGUMENT, late.code());
    assertTrue(late.message().contains("late copy"), late.message());
    assertEquals(hash, sm.stateHash());
    assertTrue(sm.lockInfo("a").isEmpty());
  }

  @Test
  void theMarkNeverMovesBack() {
    apply(acquire(1, 1, "a"));
    apply(acquire(5, 5, "b"));
    apply(acquire(6, 2, "c")); // an older copy's view: the mark stays at 5
    assertInstanceOf(LockReply.Error.class, apply(acquire(4, 2, "d")));
    assertTrue(sm.lockInfo("d").isEmpty());
  }

  @Test
  void repliesAppliedOutOfOrderGoAtALaterAcknowledgement() {
    apply(acquire(1, 1, "a"));
    apply(acquire(3, 1, "c"));
    apply(acquire(2, 1, "b")); // remembered in the order 1, 3, 2
    apply(acquire(4, 3, "d")); // forgets 1, stops at 3, which is still awaited
    assertEquals(3, remembered());
    apply(acquire(5, 5, "e")); // now 3, 2 and 4 go
    assertEquals(1, remembered());
  }

  @Test
  void badNumbersAreRefusedAndChangeNothing() {
    long hash = sm.stateHash();
    LockCommand.Acquire a = new LockCommand.Acquire("a", "", 0, false, 0, 0, null, "r", T0, 1);
    for (LockCommand bad : new LockCommand[] {
        new LockCommand.Sequenced(0, 0, a), new LockCommand.Sequenced(3, 4, a),
        new LockCommand.Sequenced(3, -1, a), new LockCommand.Sequenced(-3, -4, a)}) {
      assertEquals(ErrorCode.INVALID_ARGUMENT, assertInstanceOf(LockReply.Error.class, apply(bad)).code());
    }
    assertEquals(hash, sm.stateHash());
    assertEquals(ErrorCode.SESSION_NOT_FOUND, assertInstanceOf(LockReply.Error.class,
        apply(new LockCommand.Sequenced(1, 1, new LockCommand.Acquire("a", "", 0, false, 0, 0, null, "r", T0, 7))))
        .code());
  }

  @Test
  void aSnapshotKeepsTheMarkAndTheNumbers() {
    apply(acquire(1, 1, "a"));
    apply(acquire(3, 1, "c"));
    apply(release(4, 3, "a", 2));
    LockStateMachine back = LockStateMachine.restore(sm.snapshot());
    assertEquals(sm.stateHash(), back.stateHash());
    assertEquals(sm.sessionInfo(1), back.sessionInfo(1));
    // Both refuse the late copy and forget the same replies at the next acknowledgement.
    for (LockStateMachine m : new LockStateMachine[] {sm, back}) {
      assertInstanceOf(LockReply.Error.class, m.apply(index + 1, acquire(1, 1, "a")).reply());
      m.apply(index + 2, acquire(5, 5, "e"));
      assertEquals(1, m.sessionInfo(1).orElseThrow().rememberedRequests());
    }
    assertEquals(sm.stateHash(), back.stateHash());
  }
}
