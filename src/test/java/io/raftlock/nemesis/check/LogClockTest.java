package io.raftlock.nemesis.check;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import org.junit.jupiter.api.Test;

class LogClockTest {
  private static Op op(long invokeT, long returnT) {
    return new Op("c1", "acquire", "L1", Op.Outcome.OK, invokeT, returnT, 1, null, null,
        "{}", "{}");
  }

  /** Entry 5 took effect in [100, 110]; entry 9 in [300, 310]. */
  private static LogClock clock() {
    LogClock clock = new LogClock();
    Op a = op(100, 110);
    Op b = op(300, 310);
    clock.lower(5, a);
    clock.upper(5, a);
    clock.lower(9, b);
    clock.upper(9, b);
    clock.seal();
    return clock;
  }

  @Test
  void boundsFollowTheAnchorsAndAreUnknownBeyondThem() {
    LogClock clock = clock();

    assertEquals(Long.MIN_VALUE, clock.lower(4));
    assertEquals(100, clock.lower(5));
    assertEquals(100, clock.lower(8));
    assertEquals(300, clock.lower(9));
    assertEquals(300, clock.lower(Long.MAX_VALUE));
    assertEquals(110, clock.upper(1));
    assertEquals(310, clock.upper(6));
    assertEquals(Long.MAX_VALUE, clock.upper(10));
    assertEquals(8, clock.lastStateBefore(200));
    assertEquals(Long.MAX_VALUE, clock.lastStateBefore(400));
    assertTrue(clock.contradictions().isEmpty());
  }

  @Test
  void aStateIsObservableOnlyByReadsOverlappingTheTimeItHeld() {
    LogClock clock = clock();

    // State [5, 9) held from τ(5) ∈ [100, 110] to τ(9) ∈ [300, 310].
    assertTrue(clock.observable(5, 9, 200, 210));
    assertTrue(clock.observable(5, 9, 305, 320), "τ(9) may be as late as 310");
    assertTrue(clock.observable(5, 9, 50, 105), "τ(5) may be as early as 100");
    assertFalse(clock.observable(5, 9, 311, 320), "over before the read began");
    assertFalse(clock.observable(5, 9, 50, 99), "not begun when the read ended");
    // State [0, 5) ended by 110 at the latest; [9, ∞) began at 300 at the earliest.
    assertFalse(clock.observable(0, 5, 200, 210));
    assertFalse(clock.observable(9, Long.MAX_VALUE, 200, 210));
    assertTrue(clock.observable(9, Long.MAX_VALUE, 200, 300));
    assertFalse(clock.observable(7, 7, 0, 1_000), "an empty range holds no state");
  }

  @Test
  void anOperationWhoseEntryPrecedesOneThatCommittedBeforeItWasInvokedIsAContradiction() {
    LogClock clock = new LogClock();
    Op early = op(100, 110); // waited for entry 9
    Op late = op(200, 210); // invoked later, yet its entry is at or before 4
    clock.upper(9, early);
    clock.lower(4, late);
    clock.upper(4, late);
    clock.seal();

    assertEquals(1, clock.contradictions().size());
    LogClock.Contradiction c = clock.contradictions().get(0);
    assertEquals(early, c.early());
    assertEquals(late, c.late());
  }
}
