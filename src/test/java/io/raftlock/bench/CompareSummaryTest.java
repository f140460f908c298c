package io.raftlock.bench;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** The summary of scripts/bench.sh from hand-written run files: tables, ratios, targets, notes. */
class CompareSummaryTest {
  @TempDir Path dir;

  private static String pairs(int clients, double rate, double p50, double p99, String via) {
    return """
        {"via": "%s", "clients": %d, "pairsPerSec": %s, "acquireP50Ms": %s, "acquireP99Ms": %s,
         "releaseP50Ms": 1.0, "releaseP99Ms": 2.0, "errors": 0, "firstEndpointIsLeader": true,
         "cpuUsPerPair": {"leader": 100.0, "followers": 60.0, "driver": 40.0},
         "safety": {"grantsChecked": 10, "occupancyViolations": 0, "tokenViolations": 0, "sameClientRegrants": 0}}
        """.formatted(via, clients, rate, p50, p99);
  }

  private static String handoff(double rate, double next99, long regrants) {
    return """
        {"via": "x", "handoffsPerSec": %s, "releaseSentToGrantP50Ms": 1.0, "releaseSentToGrantP99Ms": %s,
         "grantP50Ms": 0.0, "grantP99Ms": 0.5, "grantBeforeReleaseReturned": 5, "handoffsTimed": 10, "errors": 0,
         "safety": {"grantsChecked": 10, "occupancyViolations": 0, "tokenViolations": 0, "sameClientRegrants": %d}}
        """.formatted(rate, next99, regrants);
  }

  private void writeRuns() throws Exception {
    Files.writeString(dir.resolve("raftlock-run1.json"), "{\"loadAverageBefore\": \"1 1 1\", \"warmupS\": 1, "
        + "\"measureS\": 3, \"w1\": [" + pairs(1, 500, 1.0, 3.0, "c") + "," + pairs(64, 3000, 5.0, 10.0, "c") + "], "
        + "\"w1Shared\": " + pairs(64, 6000, 4.0, 8.0, "s") + ", \"w1Floor\": " + pairs(64, 4000, 3.0, 6.0, "f")
        + ", \"w1FloorLow\": " + pairs(1, 800, 0.5, 2.0, "f")
        + ", \"w2\": " + handoff(1600, 4.0, 0) + ", \"w2Floor\": " + handoff(2000, 2.0, 0)
        + ", \"w3\": {\"unavailableMs\": 400, \"errorsSurfaced\": 0, \"lostAcquires\": 0}}");
    Files.writeString(dir.resolve("etcd-run1.json"), "{\"loadAverageBefore\": \"1 1 1\", \"w1\": ["
        + pairs(1, 400, 2.5, 5.0, "e") + "," + pairs(64, 500, 20.0, 50.0, "e") + "], \"w2\": " + handoff(160, 9.0, 2)
        + ", \"w3\": {\"unavailableMs\": 1000, \"errorsSurfaced\": 0, \"lostAcquires\": 0}}");
    Files.writeString(dir.resolve("machine.txt"), "cores (nproc)=2\n");
  }

  @Test
  void theTablesPutTheClientPathNextToTheFloorAndEtcd() throws Exception {
    writeRuns();
    Path md = dir.resolve("benchmarks.md");
    Files.writeString(md, "old tables\n" + CompareSummary.NOTES + "\nnotes written by hand\n");
    CompareSummary.write(dir, dir.resolve("machine.txt"), md);
    String s = Files.readString(md);

    assertTrue(s.contains("| 64 | pairs/s | 3,000 | 500 | 6.00× |"), s);
    assertTrue(s.contains("| pairs/s | 3,000 | 6,000 | 4,000 | 0.75× | 1.50× |"), s);
    assertTrue(s.contains("| CPU per pair: leader | 100 µs | 100 µs | 100 µs | 1.00× | 1.00× |"), s);
    assertTrue(s.contains("## W1 at 1 user: the client path against the server-side floor"), s);
    assertTrue(s.contains("| pairs/s | 500 | 800 | 0.63× | 400 |"), s);
    assertTrue(s.contains("| handoffs/s | 1,600 | 2,000 | 160 | 10.00× |"), s);
    assertTrue(s.contains("| same-client re-grants | 0 | 0 | 2 | – |"), s);
    assertTrue(s.contains("| W1, 1 client: acquire p50 ≤ 0.5 × etcd's | 0.40× (1 vs 2.50 ms) | **yes** |"), s);
    assertTrue(s.contains("| W1: one shared client at least as fast as 64 clients | 2.00× (6,000 vs 3,000 pairs/s) | **yes** |"), s);
    assertTrue(s.contains("the client path within 25 % of ApiLoadBench | 0.75× of the floor (3,000 vs 4,000 pairs/s) | **yes** |"), s);
    assertTrue(s.contains("| W2: next grant after the release call p99 ≤ 5 ms | 4 ms | **yes** |"), s);
    assertTrue(s.contains("| etcd | 30 | 0 | 0 | 2 | 0 |"), "etcd's re-grants are counted: " + s);
    assertTrue(s.endsWith(CompareSummary.NOTES + "\nnotes written by hand\n"), "the notes are kept");
    assertTrue(!s.contains("old tables"), s);
    assertTrue(s.contains("> **Smoke run** (1 run(s) per system, 1 s warm-up / 3 s measured"), "a short session says so: " + s);
  }

  @Test
  void cpuPerOperationSplitsLeaderFollowersAndDriver() {
    Map<String, Object> m = CompareBench.cpuPerOp(Map.of("node-1", 30.0, "node-2", 100.0, "node-3", 20.0,
        "driver", 50.0), 1000, "node-2");
    assertEquals(100.0, m.get("leader"));
    assertEquals(50.0, m.get("followers"));
    assertEquals(50.0, m.get("driver"));
    assertEquals(2, ((List<?>) m.get("followerEach")).size());
    assertTrue(CompareBench.cpuPerOp(Map.of("driver", 5.0), 0, "node-1").isEmpty(), "no pairs, no per-pair figure");
  }
}
