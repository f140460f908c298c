package io.raftlock.it;

import static org.awaitility.Awaitility.await;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.Map;
import java.util.Optional;
import java.util.TreeMap;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Real fat-jar processes: {@code kill -9} of the leader, again and again. Each time a new leader
 * must be elected, the killed node must restart from its data directory and catch up, and nothing
 * any node ever reported committed may be lost or change.
 */
class ProcessClusterIT {
  private static final Path JAR = Path.of("target", "raftlock.jar");

  @TempDir Path root;

  @Test
  void threeNodesSurviveFiveLeaderKills() throws Exception {
    killLeaderRepeatedly(3, 5);
  }

  @Test
  void fiveNodesSurviveThreeLeaderKills() throws Exception {
    killLeaderRepeatedly(5, 3);
  }

  private void killLeaderRepeatedly(int size, int kills) throws Exception {
    assertTrue(Files.exists(JAR), "the fat jar is built before integration tests");
    try (ProcessCluster c = new ProcessCluster(size, root, JAR)) {
      c.startAll();
      String leader = c.awaitReadyLeader(null, Duration.ofSeconds(60));
      Map<Long, Long> committed = new TreeMap<>();
      for (int k = 0; k < kills; k++) {
        sample(c, committed);
        c.kill(leader);
        String next = c.awaitReadyLeader(leader, Duration.ofSeconds(15));
        assertNotEquals(leader, next);
        sample(c, committed);
        c.start(leader);
        awaitCaughtUp(c, leader, next);
        leader = next;
      }
      awaitConverged(c);
      for (var e : committed.entrySet()) {
        for (String id : c.ids()) {
          assertEquals(e.getValue(), c.termAt(id, e.getKey()),
              "entry " + e.getKey() + " committed in term " + e.getValue() + " is on " + id);
        }
      }
      assertTrue(committed.size() >= kills, "each new leader committed its own entry");
    }
  }

  /** Records every node's (commitIndex, commitTerm); an index must never change its term. */
  private static void sample(ProcessCluster c, Map<Long, Long> committed) {
    for (String id : c.ids()) {
      Optional<JsonNode> s = c.running(id) ? c.status(id) : Optional.empty();
      if (s.isPresent() && s.get().get("commitIndex").asLong() > 0) {
        long index = s.get().get("commitIndex").asLong();
        long term = s.get().get("commitTerm").asLong();
        Long before = committed.putIfAbsent(index, term);
        assertTrue(before == null || before == term, "index " + index + " committed in terms " + before + " and " + term);
      }
    }
  }

  private static long commitIndex(ProcessCluster c, String id) {
    return c.status(id).map(s -> s.get("commitIndex").asLong()).orElse(-1L);
  }

  private static void awaitCaughtUp(ProcessCluster c, String node, String leader) {
    long target = commitIndex(c, leader);
    await().atMost(Duration.ofSeconds(30)).pollInterval(Duration.ofMillis(50))
        .until(() -> commitIndex(c, node) >= target);
  }

  private static void awaitConverged(ProcessCluster c) {
    await().atMost(Duration.ofSeconds(30)).pollInterval(Duration.ofMillis(50)).until(() -> {
      long first = commitIndex(c, c.ids().get(0));
      return first > 0 && c.ids().stream().allMatch(id -> commitIndex(c, id) == first);
    });
  }
}
