package io.raftlock.sim;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.raftlock.raft.ClusterConfig;
import io.raftlock.raft.ConfigChangeResult;
import io.raftlock.raft.PersistentState;
import io.raftlock.raft.RaftConfig;
import io.raftlock.raft.RaftNode;
import java.util.List;
import java.util.random.RandomGenerator;
import org.junit.jupiter.api.Test;

/**
 * Proves the membership checks can fail: a core that starts a configuration change while another
 * is uncommitted (two single-server changes in flight are a two-server change without joint
 * consensus) splits a partitioned cluster into two majorities, and the invariant checker sees
 * two different entries committed at one index. The same script on the real core is safe.
 */
class BrokenMembershipRuleTest {

  /** Accepts every change at once. */
  static final class ManyChangesNode extends RaftNode {
    ManyChangesNode(RaftConfig c, ClusterConfig cluster, PersistentState s, RandomGenerator r) {
      super(c, cluster, s, r);
    }

    @Override
    protected boolean oneChangeAtATime() {
      return false;
    }
  }

  /**
   * {n1, n2, n3} plus spares n4, n5. The leader is cut off from the other two voters but still
   * reaches the spares, and adds both as voters. With both changes in force, the leader, n4 and
   * n5 are 3 of 5; the two voters on the other side are 2 of the old 3.
   */
  private static SimCluster addTwoVotersAcrossAPartition(SimNode.Factory factory, List<ConfigChangeResult> results) {
    SimCluster c = new SimCluster(3, 2, 41, factory, RaftConfig.defaults("template"), 0, 0, null);
    assertTrue(c.runUntil(() -> c.leader() != null && c.leader().raft.status().leaderReady(), 3_000));
    SimNode leader = c.leader();
    List<String> otherSide = c.ids.subList(0, 3).stream().filter(id -> !id.equals(leader.id)).toList();
    for (String a : List.of(leader.id, "n4", "n5")) {
      for (String b : otherSide) {
        c.network.cut(a, b);
        c.network.cut(b, a);
      }
    }
    results.add(c.change(raft -> raft.addVoter("n4")));
    results.add(c.change(raft -> raft.addVoter("n5")));
    c.runFor(3_000);
    return c;
  }

  @Test
  void overlappingChangesCommitTwoHistories() {
    List<ConfigChangeResult> results = new java.util.ArrayList<>();
    SimCluster c = addTwoVotersAcrossAPartition(ManyChangesNode::new, results);
    assertTrue(results.stream().allMatch(ConfigChangeResult::accepted));
    assertTrue(c.checker.violations().stream().anyMatch(v -> v.contains("committed as")),
        () -> "expected two histories committed, got " + c.checker.violations());
  }

  @Test
  void theRealCoreRefusesTheSecondChangeAndStaysSafe() {
    List<ConfigChangeResult> results = new java.util.ArrayList<>();
    SimCluster c = addTwoVotersAcrossAPartition(RaftNode::new, results);
    assertEquals(ConfigChangeResult.Status.ACCEPTED, results.get(0).status());
    assertEquals(ConfigChangeResult.Status.CHANGE_IN_PROGRESS, results.get(1).status());
    c.healNetwork();
    assertTrue(c.runUntil(c::converged, 5_000));
    c.checker.finalCheck(c.nodes);
    assertEquals(List.of(), c.checker.violations());
  }
}
