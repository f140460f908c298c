package io.raftlock.nemesis;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.EnumSet;
import java.util.List;
import java.util.Random;
import org.junit.jupiter.api.Test;

/** The short profile (the failsafe run) carries the new faults without growing. */
class ProfileTest {
  @Test
  void theShortProfilePlansAsManyFaultsAsBeforeWithClientPartitionsTornPowerLossesAndFloods() {
    List<Profile.Planned> plan = Profile.SHORT.plan(new Random(1), EnumSet.noneOf(FaultKind.class), 0);
    assertEquals(28, plan.size(), "28 quota faults, as before the three new kinds");
    assertEquals(3, plan.stream().filter(p -> p.kind() == FaultKind.CLIENT_PARTITION).count());
    assertEquals(2, plan.stream().filter(p -> p.kind() == FaultKind.TORN_POWER).count());
    assertEquals(2, plan.stream().filter(p -> p.kind() == FaultKind.FLOOD).count());
    assertEquals(150, Profile.SHORT.faultSeconds);
  }

  @Test
  void skippedKindsAreLeftOutOfThePlan() {
    List<Profile.Planned> plan = Profile.SHORT.plan(new Random(1),
        EnumSet.of(FaultKind.CLIENT_PARTITION, FaultKind.TORN_POWER), 0);
    assertEquals(23, plan.size());
    assertTrue(plan.stream().noneMatch(p -> p.kind() == FaultKind.CLIENT_PARTITION || p.kind() == FaultKind.TORN_POWER));
  }
}
