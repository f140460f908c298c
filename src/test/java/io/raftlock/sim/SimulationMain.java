package io.raftlock.sim;

/**
 * Runs many seeds from the command line (see scripts/sim.sh):
 * {@code SimulationMain <firstSeed> <count>} or {@code SimulationMain --seed <seed>} to replay one
 * with its full report. Exits 1 when any seed fails.
 */
public final class SimulationMain {
  private SimulationMain() {}

  public static void main(String[] args) {
    if (args.length == 2 && args[0].equals("--seed")) {
      Simulation.Result r = Simulation.run(Long.parseLong(args[1]));
      System.out.println(describe(r));
      r.violations().forEach(v -> System.out.println("  " + v));
      System.exit(r.ok() ? 0 : 1);
    }
    long first = args.length > 0 ? Long.parseLong(args[0]) : 1;
    long count = args.length > 1 ? Long.parseLong(args[1]) : 1000;
    Summary s = runSeeds(first, count, true);
    System.out.println(s);
    System.exit(s.failed == 0 ? 0 : 1);
  }

  static String describe(Simulation.Result r) {
    return (r.ok() ? "ok   " : "FAIL ") + r.plan() + " events=" + r.events() + " proposals=" + r.proposals()
        + " acked=" + r.acknowledged() + " crashes=" + r.crashes() + " partitions=" + r.partitions()
        + " transfers=" + r.transfers() + " membershipChanges=" + r.membershipChanges()
        + " (refused " + r.membershipRefusals() + ")" + " dropped=" + r.messagesDropped() + " lockGrantsChecked=" + r.lockGrantsChecked()
        + " clockSteps=" + r.clockSteps() + " lockExpiriesChecked=" + r.lockExpiriesChecked()
        + " sessionsOpened=" + r.sessionsOpened() + " sessionExpiriesChecked=" + r.sessionExpiriesChecked();
  }

  /** Aggregate figures over a range of seeds. */
  static final class Summary {
    long seeds;
    long failed;
    long events;
    long crashes;
    long partitions;
    long transfers;
    long membershipChanges;
    long membershipRefusals;
    long dropped;
    long acknowledged;
    long lockSeeds;
    long lockGrantsChecked;
    long clockSteps;
    long lockExpiriesChecked;
    long sessionsOpened;
    long sessionExpiriesChecked;
    long threeNode;
    long fiveNode;
    long elapsedMs;
    final StringBuilder failures = new StringBuilder();

    @Override
    public String toString() {
      return String.format(
          "seeds=%d failed=%d (3-node %d, 5-node %d; lock state machine %d, %d grants checked, "
              + "%d expiries held to the holder's deadline, %d sessions opened, %d session expiries held to "
              + "the holder's deadline, %d wall-clock steps) events=%d "
              + "crashes=%d partitions=%d transfers=%d membershipChanges=%d (refused %d) "
              + "messagesDropped=%d acknowledgedProposals=%d elapsed=%.1fs%n%s",
          seeds, failed, threeNode, fiveNode, lockSeeds, lockGrantsChecked, lockExpiriesChecked, sessionsOpened,
          sessionExpiriesChecked, clockSteps, events, crashes, partitions,
          transfers, membershipChanges, membershipRefusals, dropped, acknowledged, elapsedMs / 1000.0,
          failures);
    }
  }

  static Summary runSeeds(long first, long count, boolean printFailures) {
    Summary s = new Summary();
    long start = System.nanoTime();
    for (long seed = first; seed < first + count; seed++) {
      Simulation.Result r = Simulation.run(seed);
      s.seeds++;
      s.events += r.events();
      s.crashes += r.crashes();
      s.partitions += r.partitions();
      s.transfers += r.transfers();
      s.membershipChanges += r.membershipChanges();
      s.membershipRefusals += r.membershipRefusals();
      s.dropped += r.messagesDropped();
      s.acknowledged += r.acknowledged();
      if (r.plan().lockWorkload()) {
        s.lockSeeds++;
        s.lockGrantsChecked += r.lockGrantsChecked();
        s.lockExpiriesChecked += r.lockExpiriesChecked();
        s.sessionsOpened += r.sessionsOpened();
        s.sessionExpiriesChecked += r.sessionExpiriesChecked();
        s.clockSteps += r.clockSteps();
      }
      if (r.plan().nodes() == 3) {
        s.threeNode++;
      } else {
        s.fiveNode++;
      }
      if (!r.ok()) {
        s.failed++;
        if (s.failed <= 10) {
          s.failures.append(describe(r)).append('\n');
          r.violations().stream().limit(5).forEach(v -> s.failures.append("    ").append(v).append('\n'));
          s.failures.append("    replay: scripts/sim.sh --seed ").append(seed).append('\n');
        }
        if (printFailures) {
          System.out.println(describe(r));
        }
      }
    }
    s.elapsedMs = (System.nanoTime() - start) / 1_000_000;
    return s;
  }
}
