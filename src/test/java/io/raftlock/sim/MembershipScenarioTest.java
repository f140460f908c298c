package io.raftlock.sim;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.raftlock.raft.ClusterConfig;
import io.raftlock.raft.ConfigChangeResult;
import io.raftlock.raft.ConfigChangeResult.Status;
import io.raftlock.raft.EntryType;
import io.raftlock.raft.RaftConfig;
import io.raftlock.raft.RaftNode;
import io.raftlock.raft.Role;
import java.util.ArrayList;
import java.util.List;
import java.util.Set;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

/**
 * Membership changes (thesis §4.1, §4.2) on the simulated cluster, one script each. The
 * invariant checker runs after every event, including its membership rules; with the default
 * config one tick is 10 ms and the election timeout 100–200 ms.
 */
class MembershipScenarioTest {
  private static final long ELECTION_MS = 200;
  private SimCluster c;

  @AfterEach
  void safetyHeldThroughout() {
    if (c != null) {
      c.checker.finalCheck(c.nodes);
      assertEquals(List.of(), c.checker.violations());
      assertEquals(List.of(), c.lostAcknowledged());
    }
  }

  private static SimCluster cluster(int voters, int spares, long seed, int snapshotEvery, int keep) {
    return new SimCluster(voters, spares, seed, RaftNode::new, RaftConfig.defaults("template"),
        snapshotEvery, keep, null);
  }

  /** Runs until some node leads and has committed an entry of its term (may change membership). */
  private SimNode awaitReadyLeader() {
    assertTrue(c.runUntil(() -> c.leader() != null && c.leader().raft.status().leaderReady(), 3_000),
        "a leader commits its first entry");
    return c.leader();
  }

  private void proposeAndCommit(int count) {
    List<SimCluster.Proposal> mine = new ArrayList<>();
    for (int i = 0; i < count; i++) {
      SimCluster.Proposal p = c.proposeOn(c.leader().id);
      assertNotNull(p, "the leader accepts the proposal");
      mine.add(p);
      c.runFor(5);
    }
    assertTrue(c.runUntil(() -> mine.stream().allMatch(p -> p.outcome.equals("ok")), 5_000), "proposals commit");
  }

  private ConfigChangeResult accepted(ConfigChangeResult r) {
    assertNotNull(r, "a leader is known");
    assertEquals(Status.ACCEPTED, r.status());
    return r;
  }

  /** Runs until the change's CONFIG entry is committed (seen committed by any node). */
  private void awaitCommitted(ConfigChangeResult r) {
    assertTrue(c.runUntil(() -> {
      var e = c.checker.committed().get(r.index());
      return e != null && e.type() == EntryType.CONFIG && e.term() == r.term();
    }, 3_000), "configuration entry " + r.index() + " commits");
  }

  /** Runs until the leader's match index for {@code id} reaches its commit index. */
  private long awaitCaughtUp(String id) {
    assertTrue(c.runUntil(() -> {
      SimNode l = c.leader();
      var peer = l == null ? null : l.raft.status().peers().get(id);
      return peer != null && peer.matchIndex() >= l.raft.commitIndex();
    }, 5_000), id + " catches up");
    return c.leader().raft.commitIndex();
  }

  private void addAndPromote(String id) {
    awaitCommitted(accepted(c.change(raft -> raft.addLearner(id))));
    long min = awaitCaughtUp(id);
    awaitCommitted(accepted(c.change(raft -> raft.promoteLearner(id, min, false))));
  }

  private static Set<String> voters(SimNode n) {
    return n.raft.clusterConfig().voters();
  }

  @Test
  void growThreeToFiveThroughLearnersThenSurviveTwoCrashes() {
    c = cluster(3, 2, 31, 0, 0);
    awaitReadyLeader();
    proposeAndCommit(20);
    SimNode n4 = c.byId.get("n4");
    assertTrue(n4.raft.isRemoved(), "a spare starts outside the configuration");

    awaitCommitted(accepted(c.change(raft -> raft.addLearner("n4"))));
    awaitCaughtUp("n4");
    assertFalse(n4.raft.isRemoved());
    assertTrue(c.runUntil(() -> n4.sm.lastIndex() >= c.leader().raft.commitIndex(), 2_000), "a learner applies the log");
    assertEquals(Role.FOLLOWER, n4.raft.role());
    assertEquals(0, n4.softStates.stream().filter(s -> s.role() != Role.FOLLOWER).count(), "a learner never campaigns");
    long min = c.leader().raft.commitIndex();
    awaitCommitted(accepted(c.change(raft -> raft.promoteLearner("n4", min, false))));
    addAndPromote("n5");

    assertTrue(c.runUntil(c::converged, 2_000));
    assertEquals(Set.of("n1", "n2", "n3", "n4", "n5"), voters(c.leader()));
    for (SimNode n : c.nodes) {
      assertEquals(voters(c.leader()), voters(n), n.id + " knows the configuration");
    }
    // Five voters: losing two (the leader among them) still leaves a majority.
    SimNode leader = c.leader();
    c.crash(leader.id, false);
    c.crash(c.nodes.stream().filter(n -> n.up && n != leader).findFirst().orElseThrow().id, false);
    assertNotNull(c.awaitLeader(3_000));
    awaitReadyLeader();
    proposeAndCommit(10);
  }

  @Test
  void removedLeaderStepsDownAndGoesQuiet() {
    c = cluster(5, 0, 32, 0, 0);
    SimNode old = awaitReadyLeader();
    long oldTerm = old.raft.term();
    proposeAndCommit(10);

    ConfigChangeResult removal = accepted(c.change(raft -> raft.removeServer(old.id)));
    assertTrue(old.raft.isRemoved(), "in force on the leader at once");
    assertEquals(Role.LEADER, old.raft.role(), "it leads until the removal commits");
    assertTrue(c.runUntil(() -> old.raft.role() != Role.LEADER, 1_000), "steps down once it commits");
    assertTrue(old.raft.commitIndex() >= removal.index());
    assertEquals(Role.FOLLOWER, old.softStates.get(old.softStates.size() - 1).role(), "leadership loss is reported");

    assertTrue(c.runUntil(() -> c.leader() != null && c.leader() != old, ELECTION_MS), "handed over without waiting for a timeout");
    SimNode next = c.leader();
    assertTrue(next.raft.term() > oldTerm);
    assertFalse(next.raft.clusterConfig().isMember(old.id));
    awaitReadyLeader();
    proposeAndCommit(10);

    long sent = c.network.sentBy(old.id);
    long term = old.raft.term();
    c.runFor(20 * ELECTION_MS);
    assertEquals(sent, c.network.sentBy(old.id), "a removed server sends nothing: no heartbeats, no campaigns");
    assertEquals(term, old.raft.term());
    assertEquals(next, c.leader(), "the remaining cluster is not disturbed");
    assertEquals(Set.of(), old.raft.status().peers().keySet());
  }

  @Test
  void shrinkFiveToThreeOneChangeAtATime() {
    c = cluster(5, 0, 33, 0, 0);
    SimNode leader = awaitReadyLeader();
    proposeAndCommit(5);
    List<String> followers = c.nodes.stream().filter(n -> n != leader).map(n -> n.id).limit(2).toList();

    ConfigChangeResult first = accepted(c.change(raft -> raft.removeServer(followers.get(0))));
    ConfigChangeResult second = c.change(raft -> raft.removeServer(followers.get(1)));
    assertEquals(Status.CHANGE_IN_PROGRESS, second.status(), "one change at a time");
    assertEquals(first.config(), second.config(), "the refusal changed nothing");
    awaitCommitted(first);
    awaitCommitted(accepted(c.change(raft -> raft.removeServer(followers.get(1)))));

    assertTrue(c.runUntil(c::converged, 2_000));
    assertEquals(3, voters(c.leader()).size());
    for (String id : followers) {
      SimNode removed = c.byId.get(id);
      assertTrue(c.runUntil(() -> removed.raft.isRemoved(), 1_000), id + " learns of its removal");
    }
    long term = c.leader().raft.term();
    int[] seen = followers.stream().mapToInt(id -> c.byId.get(id).softStates.size()).toArray();
    c.runFor(10 * ELECTION_MS);
    for (int i = 0; i < followers.size(); i++) {
      SimNode removed = c.byId.get(followers.get(i));
      assertEquals(seen[i], removed.softStates.size(), removed.id + " never campaigns once it knows " + removed.softStates + removed.raft.status());
      assertEquals(Role.FOLLOWER, removed.raft.role());
    }
    assertEquals(term, c.leader().raft.term());
    // Three voters: one crash leaves a majority; the removed two do not count.
    c.crash(c.nodes.stream().filter(n -> voters(c.leader()).contains(n.id) && n != c.leader()).findFirst().orElseThrow().id, false);
    proposeAndCommit(5);
  }

  @Test
  void promotionWaitsForTheLearnerToCatchUp() {
    c = cluster(3, 1, 34, 0, 0);
    awaitReadyLeader();
    proposeAndCommit(30);
    c.crash("n4", false);
    awaitCommitted(accepted(c.change(raft -> raft.addLearner("n4"))));
    ClusterConfig before = c.leader().raft.clusterConfig();
    long min = c.leader().raft.commitIndex();

    assertEquals(Status.LEARNER_BEHIND, c.change(raft -> raft.promoteLearner("n4", min, false)).status());
    assertEquals(Status.MIN_INDEX_REQUIRED, c.change(raft -> raft.promoteLearner("n4", 0, false)).status());
    assertEquals(Status.NOT_A_LEARNER, c.change(raft -> raft.promoteLearner("n1", min, false)).status());
    assertEquals(before, c.leader().raft.clusterConfig(), "refusals change nothing");
    assertEquals(min, c.leader().raft.lastIndex(), "and append nothing");

    c.restart("n4");
    awaitCaughtUp("n4");
    awaitCommitted(accepted(c.change(raft -> raft.promoteLearner("n4", min, false))));
    assertTrue(c.runUntil(c::converged, 2_000));
    assertEquals(4, voters(c.leader()).size());
  }

  @Test
  void aNewLeaderChangesNothingBeforeCommittingInItsTerm() {
    c = cluster(3, 1, 35, 0, 0);
    SimNode old = awaitReadyLeader();
    long oldTerm = old.raft.term();
    proposeAndCommit(5);
    List<ConfigChangeResult> firstTry = new ArrayList<>();
    // Probe every event: the moment another node leads, before its no-op commits.
    c.afterEachEvent = () -> {
      SimNode l = c.leader();
      if (firstTry.isEmpty() && l != null && l != old && l.raft.term() > oldTerm) {
        firstTry.add(l.raft.addLearner("n4"));
        l.drain();
      }
    };
    c.crash(old.id, false);
    assertTrue(c.runUntil(() -> !firstTry.isEmpty(), 3_000));
    c.afterEachEvent = () -> {};
    assertEquals(Status.LEADER_NOT_READY, firstTry.get(0).status());
    awaitReadyLeader();
    awaitCommitted(accepted(c.change(raft -> raft.addLearner("n4"))));
    c.restart(old.id);
    assertTrue(c.runUntil(c::converged, 3_000));
  }

  @Test
  void restartRecoversMembershipFromLogAndFromSnapshot() {
    c = cluster(3, 1, 36, 20, 5);
    awaitReadyLeader();
    proposeAndCommit(10);
    addAndPromote("n4");
    ConfigChangeResult removal = accepted(c.change(raft -> raft.removeServer("n1")));
    awaitCommitted(removal);
    assertTrue(c.runUntil(c::converged, 2_000));
    Set<String> expected = Set.of("n2", "n3", "n4");
    for (SimNode n : c.nodes) {
      assertTrue(n.raft.status().snapshotIndex() < removal.index() || n.id.equals("n1"),
          "the change is still in the log, after the snapshot");
    }

    crashAndRestartAll();
    for (SimNode n : c.nodes) {
      assertEquals(expected, voters(n), n.id + " recovers the configuration from its log");
    }
    assertTrue(c.byId.get("n1").raft.isRemoved());
    awaitReadyLeader();
    proposeAndCommit(60); // several snapshots later the change lives only in the snapshots
    assertTrue(c.runUntil(c::converged, 2_000));
    for (String id : expected) {
      assertTrue(c.byId.get(id).raft.status().snapshotIndex() > removal.index());
    }

    crashAndRestartAll();
    for (String id : expected) {
      assertEquals(expected, voters(c.byId.get(id)), id + " recovers the configuration from its snapshot");
    }
    awaitReadyLeader();
    assertNotEquals("n1", c.leader().id);
    proposeAndCommit(5);
  }

  private void crashAndRestartAll() {
    for (SimNode n : c.nodes) {
      c.crash(n.id, false);
    }
    for (SimNode n : c.nodes) {
      c.restart(n.id);
    }
  }

  @Test
  void serverRemovedWhileCutOffDoesNotDisruptTheCluster() {
    c = cluster(5, 0, 37, 0, 0);
    SimNode leader = awaitReadyLeader();
    proposeAndCommit(5);
    SimNode cutOff = c.nodes.stream().filter(n -> n != leader).findFirst().orElseThrow();
    c.isolate(cutOff.id);
    awaitCommitted(accepted(c.change(raft -> raft.removeServer(cutOff.id))));
    proposeAndCommit(5);
    assertFalse(cutOff.raft.isRemoved(), "it never heard of its removal");

    c.healNetwork();
    long term = c.leader().raft.term();
    SimNode current = c.leader();
    c.runFor(20 * ELECTION_MS); // it times out again and again
    assertTrue(cutOff.softStates.stream().anyMatch(s -> s.role() == Role.PRE_CANDIDATE), "it does try");
    assertEquals(current, c.leader(), "but its pre-votes are ignored: its log lacks its removal");
    assertEquals(term, c.leader().raft.term());
    proposeAndCommit(5);
  }
}
