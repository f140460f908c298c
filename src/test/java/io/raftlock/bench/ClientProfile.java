package io.raftlock.bench;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.concurrent.Callable;
import java.util.function.Function;
import jdk.jfr.Configuration;
import jdk.jfr.Recording;

/**
 * JFR profiles of one workload through {@code RaftLockClient} and the same workload through
 * {@code ApiLoadBench}'s raw driver, back to back on one cluster: a recording of the leader
 * (started with jcmd while the cluster is idle, written after the run) and one of this driver (the
 * client JVM), each summarized by {@link ApiJfrSummary} to {@code <dir>/<name>-<process>.txt}.
 */
final class ClientProfile {
  private ClientProfile() {}

  /**
   * Runs {@code workload} on the confirmed leader with both recordings; prints its result line and
   * the summaries. The leader is confirmed again afterwards: attaching JFR to a node of a loaded
   * machine can stall it long enough to lose leadership, and then the recording is a follower's.
   */
  static void record(List<ApiLoadBench.NodeRef> nodes, Path dir, String name,
      Function<ApiLoadBench.NodeRef, Callable<ApiLoadBench.PairsResult>> workload) throws Exception {
    Files.createDirectories(dir);
    ApiLoadBench.NodeRef leader = ApiLoadBench.awaitLeader(nodes);
    if (leader.pid() < 0) {
      System.out.println("profile skipped: the leader's pid is unknown");
      return;
    }
    Path leaderJfr = dir.resolve(name + "-leader.jfr").toAbsolutePath();
    Path driverJfr = dir.resolve(name + "-driver.jfr").toAbsolutePath();
    Files.deleteIfExists(leaderJfr);
    System.out.printf("%nprofiling %s: JFR of the leader %s (pid %d) and of the driver%n", name, leader.id(), leader.pid());
    ApiLoadBench.jcmd(leader.pid(), "Started recording", "JFR.start", "name=" + name, "settings=profile");
    ApiLoadBench.PairsResult r;
    try (Recording driver = new Recording(Configuration.getConfiguration("profile"))) {
      driver.start();
      r = workload.apply(leader).call();
      driver.stop();
      driver.dump(driverJfr);
      ApiLoadBench.jcmd(leader.pid(), "", "JFR.stop", "name=" + name, "filename=" + leaderJfr);
    }
    System.out.printf("  (profiled run: %.0f pairs/s, acquire p99 %.2f ms, CPU µs/pair %s)%n", r.rate(),
        r.acquire().percentileMs(99), CompareBench.cpuPerOp(r.cpuMs(), r.pairs(), leader.id()));
    ApiLoadBench.NodeRef after = ApiLoadBench.awaitLeader(nodes);
    if (!after.equals(leader)) {
      System.out.printf("  WARNING: the leader moved from %s to %s during the profiled run: the %s recording "
          + "is not the leader's throughout%n", leader.id(), after.id(), leader.id());
    }
    for (Path f : List.of(leaderJfr, driverJfr)) {
      if (Files.exists(f) && Files.size(f) > 0) {
        String s = ApiJfrSummary.summarize(f, 15);
        Files.writeString(dir.resolve(f.getFileName().toString().replace(".jfr", ".txt")), s);
        System.out.println();
        System.out.print(s);
      } else {
        System.out.println("no recording at " + f);
      }
    }
  }
}
