package io.raftlock.lock;

import static io.raftlock.lock.Cmds.T0;
import static io.raftlock.lock.Cmds.acquire;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.ArrayList;
import java.util.List;
import net.jqwik.api.Arbitraries;
import net.jqwik.api.Arbitrary;
import net.jqwik.api.Combinators;
import net.jqwik.api.ForAll;
import net.jqwik.api.Property;
import net.jqwik.api.Provide;
import org.junit.jupiter.api.Test;

/**
 * {@link LeaseClock}: anchored per term at {@code max(smTime, wall)}, then advanced by monotonic
 * time only; never below the state machine's time; the expiry decision waits for Promote. A wall
 * clock stepped forward or back after the anchor changes nothing.
 */
class LeaseClockTest {
  private static final long MS = 1_000_000L;
  private static final long MINUTES_10 = 600_000;
  private final LeaseClock clock = new LeaseClock();

  @Test
  void anchorsAtTheLaterOfStateMachineTimeAndWallClock() {
    assertEquals(T0 + 5, clock.nowMs(1, T0, T0 + 5, 777));
    assertEquals(T0 + 5, clock.nowMs(1, T0, T0 + 5, 777), "no monotonic time, no lease time");
    LeaseClock behind = new LeaseClock();
    assertEquals(T0, behind.nowMs(1, T0, T0 - 9_000, 0), "a wall clock behind the state machine is not used");
    assertEquals(1, clock.anchorTerm());
  }

  @Test
  void advancesByMonotonicElapsedTimeOnly() {
    clock.nowMs(3, T0, T0, 1_000 * MS);
    assertEquals(T0 + 250, clock.nowMs(3, T0, T0 + MINUTES_10, 1_250 * MS), "wall stepped +10 min");
    assertEquals(T0 + 400, clock.nowMs(3, T0, T0 - MINUTES_10, 1_400 * MS + MS - 1), "wall stepped back");
    assertEquals(T0 + 401, clock.nowMs(3, T0, 0, 1_401 * MS));
  }

  @Test
  void neverBelowTheStateMachineTimeAndContinuesFromIt() {
    clock.nowMs(2, T0, T0, 0);
    // Entries of an earlier leader, stamped 5 s ahead, applied after this node took over.
    assertEquals(T0 + 5_000, clock.nowMs(2, T0 + 5_000, T0, 100 * MS));
    assertEquals(T0 + 5_050, clock.nowMs(2, T0 + 5_000, T0, 150 * MS), "advances from the new anchor");
    assertEquals(T0 + 5_050, clock.nowMs(2, T0, T0, 150 * MS), "a lower state-machine time does not pull it back");
  }

  @Test
  void aNewTermAnchorsAgainAndReadsTheWallClockThere() {
    clock.nowMs(1, T0, T0, 0);
    assertEquals(T0 + 1_000, clock.nowMs(1, T0, T0, 1_000 * MS));
    assertEquals(T0 + 2_000 + MINUTES_10, clock.nowMs(4, T0 + 1_000, T0 + 2_000 + MINUTES_10, 2_000 * MS));
    assertEquals(4, clock.anchorTerm());
  }

  @Test
  void aMonotonicReadingBeforeTheAnchorCountsAsNoTime() {
    clock.nowMs(1, T0, T0, 10 * MS);
    assertEquals(T0, clock.nowMs(1, T0, T0 + 1, 5 * MS));
    assertEquals(T0 + 1, clock.nowMs(1, T0, T0, 11 * MS));
  }

  @Test
  void expiryWaitsForTheTermsPromoteThenForTheDeadline() {
    LockCommand first = clock.expiryCommand(5, false, T0, T0 + 10, T0 + MINUTES_10, 0);
    assertEquals(new LockCommand.Promote(T0 + MINUTES_10), first);
    assertNull(clock.expiryCommand(5, true, T0 + MINUTES_10, T0 + MINUTES_10 + 30_000, T0, 29_999 * MS));
    assertEquals(new LockCommand.Expire(T0 + MINUTES_10 + 30_000),
        clock.expiryCommand(5, true, T0 + MINUTES_10, T0 + MINUTES_10 + 30_000, T0, 30_000 * MS));
    assertEquals(new LockCommand.Promote(T0 + MINUTES_10),
        clock.expiryCommand(6, false, T0 + MINUTES_10, Long.MAX_VALUE, T0, 31_000 * MS),
        "a new term anchors again (here at the state machine's time) and promotes before any expiry");
  }

  /** The first fault: the leader's wall clock jumps +10 min while a 30 s lease is held. */
  @Test
  void aWallClockStepForwardDoesNotExpireAHeldLease() {
    LockStateMachine sm = new LockStateMachine();
    sm.apply(1, new LockCommand.Promote(clock.nowMs(1, 0, T0, 0)));
    sm.apply(2, acquire("a", "h", 30_000, clock.nowMs(1, sm.smTimeMs(), T0, 5 * MS)));
    long deadline = sm.nextDeadlineMs();
    assertEquals(T0 + 30_005, deadline);
    for (long s = 1; s < 30; s++) {
      assertNull(clock.expiryCommand(1, true, sm.smTimeMs(), deadline, T0 + MINUTES_10 + s * 1_000, s * 1_000 * MS),
          "not due after " + s + " s of a 30 s lease");
    }
    assertInstanceOf(LockCommand.Expire.class,
        clock.expiryCommand(1, true, sm.smTimeMs(), deadline, T0 - MINUTES_10, 30_005 * MS));
  }

  /** The second fault: forward and back again; later leases must still last their TTL. */
  @Test
  void aStepForwardAndBackLeavesLaterLeasesTheirTtl() {
    LockStateMachine sm = new LockStateMachine();
    sm.apply(1, new LockCommand.Promote(clock.nowMs(1, 0, T0, 0)));
    sm.apply(2, new LockCommand.Expire(clock.nowMs(1, sm.smTimeMs(), T0 + MINUTES_10, 1_000 * MS)));
    sm.apply(3, acquire("a", "h", 10_000, clock.nowMs(1, sm.smTimeMs(), T0 + 2_000, 2_000 * MS)));
    assertEquals(T0 + 12_000, sm.nextDeadlineMs(), "state-machine time was never pushed ahead");
    assertInstanceOf(LockCommand.Expire.class,
        clock.expiryCommand(1, true, sm.smTimeMs(), sm.nextDeadlineMs(), T0, 12_000 * MS));
  }

  // ------------------------------------------------------------------ properties

  /** One reading: a term, the state machine's time, the wall clock, the monotonic clock. */
  record Reading(long term, long smTimeMs, long wallMs, long monoNanos) {}

  /** A plausible history: terms and both clocks move forward, the wall clock jumps either way. */
  @Provide
  Arbitrary<List<Reading>> histories() {
    Arbitrary<long[]> step = Combinators.combine(
        Arbitraries.integers().between(0, 9).map(i -> i == 0 ? 1L : 0L),         // new term?
        Arbitraries.longs().between(0, 3_000),                                    // sm time advance
        Arbitraries.longs().between(-2 * MINUTES_10, 2 * MINUTES_10),             // wall step
        Arbitraries.longs().between(0, 2_000 * MS))                               // mono elapsed
        .as((t, sm, wall, mono) -> new long[] {t, sm, wall, mono});
    return step.list().ofMinSize(1).ofMaxSize(60).map(steps -> {
      List<Reading> out = new ArrayList<>();
      long term = 1;
      long sm = T0;
      long wall = T0;
      long mono = 42 * MS;
      for (long[] s : steps) {
        term += s[0];
        sm += s[1] * (s[1] % 3 == 0 ? 1 : 0); // most readings see no new state-machine time
        wall += s[3] / MS + s[2] * (s[2] % 4 == 0 ? 1 : 0);
        mono += s[3];
        out.add(new Reading(term, sm, wall, mono));
      }
      return out;
    });
  }

  /** The rule written the dumb way: replay the whole history of the term in nanoseconds. */
  private static long oracle(List<Reading> history, int upTo) {
    Reading last = history.get(upTo);
    int first = upTo;
    while (first > 0 && history.get(first - 1).term() == last.term()) {
      first--;
    }
    Reading anchor = history.get(first);
    long leaseNanos = Math.max(anchor.smTimeMs(), anchor.wallMs()) * MS;
    long mono = anchor.monoNanos();
    for (int i = first + 1; i <= upTo; i++) {
      Reading r = history.get(i);
      leaseNanos = Math.max(leaseNanos + Math.max(0, r.monoNanos() - mono), r.smTimeMs() * MS);
      mono = Math.max(mono, r.monoNanos());
    }
    return Math.floorDiv(leaseNanos, MS);
  }

  @Property(tries = 3_000)
  void agreesWithTheOracle(@ForAll("histories") List<Reading> history) {
    LeaseClock c = new LeaseClock();
    for (int i = 0; i < history.size(); i++) {
      Reading r = history.get(i);
      assertEquals(oracle(history, i), c.nowMs(r.term(), r.smTimeMs(), r.wallMs(), r.monoNanos()), "reading " + i);
    }
  }

  @Property(tries = 3_000)
  void wallClockStepsAfterTheAnchorChangeNothing(@ForAll("histories") List<Reading> history,
      @ForAll List<@net.jqwik.api.constraints.LongRange(min = -10 * MINUTES_10, max = 10 * MINUTES_10) Long> steps) {
    LeaseClock plain = new LeaseClock();
    LeaseClock stepped = new LeaseClock();
    for (int i = 0; i < history.size(); i++) {
      Reading r = history.get(i);
      boolean anchors = i == 0 || history.get(i - 1).term() != r.term();
      long step = anchors || steps.isEmpty() ? 0 : steps.get(i % steps.size());
      assertEquals(plain.nowMs(r.term(), r.smTimeMs(), r.wallMs(), r.monoNanos()),
          stepped.nowMs(r.term(), r.smTimeMs(), r.wallMs() + step, r.monoNanos()), "reading " + i);
    }
  }

  @Property(tries = 3_000)
  void monotonicWithinATermAndNeverBelowStateMachineTime(@ForAll("histories") List<Reading> history) {
    LeaseClock c = new LeaseClock();
    long previous = Long.MIN_VALUE;
    long term = -1;
    for (Reading r : history) {
      long now = c.nowMs(r.term(), r.smTimeMs(), r.wallMs(), r.monoNanos());
      assertTrue(now >= r.smTimeMs(), "below the state machine's time");
      if (r.term() == term) {
        assertTrue(now >= previous, "went backwards within a term");
      }
      previous = now;
      term = r.term();
    }
  }

  /** With the state machine's time not overtaking it, lease time is exactly anchor + elapsed. */
  @Property(tries = 3_000)
  void onlyMonotonicElapsedTimeAdvancesIt(@ForAll("histories") List<Reading> history) {
    LeaseClock c = new LeaseClock();
    Reading anchor = history.get(0);
    long anchorMs = c.nowMs(anchor.term(), anchor.smTimeMs(), anchor.wallMs(), anchor.monoNanos());
    for (Reading r : history) {
      if (r.term() != anchor.term()) {
        return;
      }
      long now = c.nowMs(r.term(), anchor.smTimeMs(), r.wallMs(), r.monoNanos());
      assertEquals(anchorMs + (r.monoNanos() - anchor.monoNanos()) / MS, now);
    }
  }
}
