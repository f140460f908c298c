package io.raftlock.sim;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import org.junit.jupiter.api.Test;

/**
 * Ring 1 of TESTING.md: the real Raft core, many seeds, faults drawn from each seed, safety after
 * every event, then liveness after healing. {@code -Dsim.seeds=N} changes the count (default
 * 1,500: 3- and 5-node clusters in about equal numbers, sized to keep the default suite near its
 * 15-minute budget; {@code scripts/sim.sh N} runs longer soaks); {@code -Dsim.seed=S} replays one seed.
 */
class SimulationTest {

  @Test
  void manySeedsKeepSafetyAndLiveness() {
    assumeTrue(System.getProperty("sim.seed") == null, "replaying a single seed instead");
    long seeds = Long.getLong("sim.seeds", 1_500);
    long first = Long.getLong("sim.firstSeed", 1);
    SimulationMain.Summary s = SimulationMain.runSeeds(first, seeds, false);
    System.out.println(s);
    assertTrue(s.threeNode > 0 && s.fiveNode > 0, "both cluster sizes covered");
    assertEquals(0, s.failed, () -> "failing seeds:\n" + s.failures);
  }

  @Test
  void replayOneSeed() {
    String seed = System.getProperty("sim.seed");
    assumeTrue(seed != null, "set -Dsim.seed=N to replay a seed");
    Simulation.Result r = Simulation.run(Long.parseLong(seed));
    System.out.println(SimulationMain.describe(r));
    assertTrue(r.ok(), () -> String.join("\n", r.violations()));
  }

  @Test
  void sameSeedSameRun() {
    Simulation.Result a = Simulation.run(42);
    Simulation.Result b = Simulation.run(42);
    assertEquals(a.events(), b.events(), "a seed must replay exactly");
    assertEquals(a.acknowledged(), b.acknowledged());
    assertEquals(a.messagesDropped(), b.messagesDropped());
  }
}
