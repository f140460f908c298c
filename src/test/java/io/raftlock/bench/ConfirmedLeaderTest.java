package io.raftlock.bench;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.util.LinkedHashMap;
import java.util.Map;
import org.junit.jupiter.api.Test;

/** The benchmarks' leader lookup, which picks the member W3 kills. */
class ConfirmedLeaderTest {
  private static final ObjectMapper JSON = new ObjectMapper();
  private final ApiLoadBench.NodeRef n1 = new ApiLoadBench.NodeRef("node-1", "127.0.0.1", 1, 11);
  private final ApiLoadBench.NodeRef n2 = new ApiLoadBench.NodeRef("node-2", "127.0.0.1", 2, 12);
  private final ApiLoadBench.NodeRef n3 = new ApiLoadBench.NodeRef("node-3", "127.0.0.1", 3, 13);

  private static JsonNode status(boolean leaderReady, long term, String leaderId) {
    return JSON.createObjectNode().put("leaderReady", leaderReady).put("term", term).put("leaderId", leaderId);
  }

  @Test
  void aDeposedLeaderThatStillClaimsTheRoleIsNotChosen() {
    Map<ApiLoadBench.NodeRef, JsonNode> s = new LinkedHashMap<>();
    s.put(n1, status(true, 3, "node-1")); // has not heard of term 4 yet
    s.put(n2, status(true, 4, "node-2"));
    s.put(n3, status(false, 4, "node-2"));
    assertEquals(n2, ApiLoadBench.confirmedLeader(s, 3));
  }

  @Test
  void noLeaderWhileTheNewTermHasNone() {
    Map<ApiLoadBench.NodeRef, JsonNode> s = new LinkedHashMap<>();
    s.put(n1, status(true, 3, "node-1"));
    s.put(n2, JSON.createObjectNode().put("leaderReady", false).put("term", 4));
    s.put(n3, JSON.createObjectNode().put("leaderReady", false).put("term", 4));
    assertNull(ApiLoadBench.confirmedLeader(s, 3));
  }

  @Test
  void aLeaderWithOneAnsweringFollowerIsConfirmed() {
    Map<ApiLoadBench.NodeRef, JsonNode> s = new LinkedHashMap<>();
    s.put(n2, status(true, 5, "node-2"));
    s.put(n3, status(false, 5, "node-2")); // node-1 does not answer
    assertEquals(n2, ApiLoadBench.confirmedLeader(s, 3));
    s.remove(n3);
    assertNull(ApiLoadBench.confirmedLeader(s, 3));
  }
}
