package io.raftlock.sim;

import static org.junit.jupiter.api.Assertions.assertTrue;

import io.raftlock.raft.ClusterConfig;
import io.raftlock.raft.PersistentState;
import io.raftlock.raft.RaftConfig;
import io.raftlock.raft.RaftNode;
import java.util.random.RandomGenerator;
import org.junit.jupiter.api.Test;

/**
 * Proves the simulator can fail: a core that commits entries of earlier terms by counting
 * replicas (the mistake of the Raft paper's Figure 8) must be caught by some seed.
 */
class BrokenCommitRuleTest {

  /** Commits any index a majority holds, whatever its term: unsafe (§5.4.2). */
  static final class CountingCommitNode extends RaftNode {
    CountingCommitNode(RaftConfig c, ClusterConfig cluster, PersistentState s, RandomGenerator r) {
      super(c, cluster, s, r);
    }

    @Override
    protected boolean mayCommit(long index) {
      return true;
    }
  }

  @Test
  void simulatorCatchesCommitByCounting() {
    int maxSeeds = 5_000;
    for (long seed = 1; seed <= maxSeeds; seed++) {
      // Fixed membership keeps the seed that catches it (and this test's run time) stable.
      Simulation.Result r = Simulation.run(Simulation.Plan.draw(seed).withoutMembership(), CountingCommitNode::new);
      if (!r.ok()) {
        System.out.println("broken commit rule caught by seed " + seed + ": " + r.violations().get(0));
        return;
      }
    }
    assertTrue(false, "no seed in 1.." + maxSeeds + " caught a core that commits by counting");
  }
}
