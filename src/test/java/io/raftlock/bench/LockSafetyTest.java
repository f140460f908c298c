package io.raftlock.bench;

import static org.junit.jupiter.api.Assertions.assertEquals;

import java.util.List;
import org.junit.jupiter.api.Test;

class LockSafetyTest {
  @Test
  void aCleanSequenceOfHoldingsHasNoViolations() {
    LockSafety s = new LockSafety();
    for (long token = 1; token <= 5; token++) {
      s.acquired("a", token);
      s.releasing("a");
      s.acquired("b", token * 10);
      s.releasing("b");
    }
    assertEquals(10, s.grants());
    assertEquals(0, s.occupancyViolations());
    assertEquals(0, s.tokenViolations());
  }

  @Test
  void aSecondHolderBeforeTheReleaseIsAnOccupancyViolation() {
    LockSafety s = new LockSafety();
    s.acquired("a", 1);
    s.acquired("a", 2);
    assertEquals(1, s.occupancyViolations());
    assertEquals(0, s.tokenViolations());
  }

  @Test
  void aTokenThatDoesNotIncreaseIsATokenViolation() {
    LockSafety s = new LockSafety();
    s.acquired("a", 7);
    s.releasing("a");
    s.acquired("a", 7);
    s.releasing("a");
    s.acquired("a", 3);
    s.releasing("a");
    s.acquired("a", 8);
    assertEquals(2, s.tokenViolations());
    assertEquals(0, s.occupancyViolations());
  }

  @Test
  void aGrantToTheClientThatHeldTheLockJustBeforeIsASameClientRegrant() {
    LockSafety s = new LockSafety();
    String[] holders = {"c1", "c2", "c3", "c1", "c1", "c2"};
    for (int i = 0; i < holders.length; i++) {
      s.acquired("handoff", i + 1, holders[i]);
      s.releasing("handoff");
    }
    s.acquired("other", 1, "c2"); // another lock: its own sequence of holders
    assertEquals(1, s.sameClientRegrants());
    assertEquals(0, s.occupancyViolations());
    assertEquals(0, s.tokenViolations());
    assertEquals(1L, s.toMap().get("sameClientRegrants"));
  }

  @Test
  void theSummaryTakesTheMedianOfTheRuns() {
    assertEquals(2.0, CompareSummary.median(List.of(1.0, 2.0, 9.0)));
    assertEquals(2.5, CompareSummary.median(List.of(1.0, 2.0, 3.0, 9.0)));
    assertEquals(Double.NaN, CompareSummary.median(List.<Double>of()));
  }
}
