package io.raftlock.it;

import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import java.util.Optional;

/**
 * Leader failover of a real 3-process cluster with the default timing: time from {@code kill -9}
 * of the leader to another node leading with an entry of its term committed (it accepts
 * proposals). Usage: {@code FailoverBench <kills> [jar]}; see scripts/bench-failover.sh.
 */
public final class FailoverBench {
  private FailoverBench() {}

  public static void main(String[] args) throws Exception {
    int kills = args.length > 0 ? Integer.parseInt(args[0]) : 20;
    Path jar = Path.of(args.length > 1 ? args[1] : "target/raftlock.jar");
    Path root = Files.createTempDirectory("raftlock-failover");
    List<Double> millis = new ArrayList<>();
    try (ProcessCluster c = new ProcessCluster(3, root, jar)) {
      c.startAll();
      String leader = c.awaitReadyLeader(null, Duration.ofSeconds(60));
      for (int k = 0; k < kills; k++) {
        awaitAllCaughtUp(c);
        long t0 = System.nanoTime();
        c.kill(leader);
        Optional<String> next = Optional.empty();
        while (next.isEmpty()) {
          next = c.readyLeader(leader);
          if (System.nanoTime() - t0 > 30_000_000_000L) {
            throw new IllegalStateException("no leader 30 s after the kill");
          }
        }
        double ms = (System.nanoTime() - t0) / 1e6;
        millis.add(ms);
        System.out.printf("kill %2d: %s -> %s in %.0f ms%n", k + 1, leader, next.get(), ms);
        c.start(leader);
        leader = next.get();
      }
    }
    Collections.sort(millis);
    System.out.printf("failover over %d kills: median %.0f ms, p90 %.0f ms, p99 %.0f ms, min %.0f ms, max %.0f ms%n",
        millis.size(), pct(millis, 50), pct(millis, 90), pct(millis, 99), millis.get(0), millis.get(millis.size() - 1));
  }

  private static void awaitAllCaughtUp(ProcessCluster c) {
    org.awaitility.Awaitility.await().atMost(Duration.ofSeconds(30)).pollInterval(Duration.ofMillis(50)).until(() -> {
      long[] commits = c.ids().stream().mapToLong(id -> c.status(id).map(s -> s.get("commitIndex").asLong()).orElse(-1L)).toArray();
      return commits[0] > 0 && commits[0] == commits[1] && commits[1] == commits[2];
    });
  }

  private static double pct(List<Double> sorted, int p) {
    int i = (int) Math.ceil(p / 100.0 * sorted.size()) - 1;
    return sorted.get(Math.max(0, Math.min(sorted.size() - 1, i)));
  }
}
