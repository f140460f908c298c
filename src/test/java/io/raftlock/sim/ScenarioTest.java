package io.raftlock.sim;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.raftlock.raft.Message;
import io.raftlock.raft.ProposeResult;
import io.raftlock.raft.RaftConfig;
import io.raftlock.raft.RaftNode;
import io.raftlock.raft.Role;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

/**
 * Hand-written cluster scenarios on the simulator, each a short script (in the spirit of etcd
 * raft's testdata interaction scripts). With the default config one tick is 10 ms and the
 * election timeout 100–200 ms.
 */
class ScenarioTest {
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

  private static RaftConfig defaults() {
    return RaftConfig.defaults("template");
  }

  private SimNode follower(SimNode leader) {
    return c.nodes.stream().filter(n -> n != leader && n.up).findFirst().orElseThrow();
  }

  /** Proposes on the current leader and waits until these proposals are acknowledged. */
  private void proposeAndCommit(int count) {
    SimNode leader = c.leader();
    List<SimCluster.Proposal> mine = new ArrayList<>();
    for (int i = 0; i < count; i++) {
      SimCluster.Proposal p = c.proposeOn(leader.id);
      assertNotNull(p, "the leader accepts the proposal");
      mine.add(p);
      c.runFor(5);
    }
    assertTrue(c.runUntil(() -> mine.stream().allMatch(p -> p.outcome.equals("ok")), 5_000), "proposals commit");
  }

  /** Proposes filler until the log passes every pending proposal's index, then converges. */
  private boolean fillAndConverge() {
    return c.runUntil(() -> {
      SimNode l = c.leader();
      if (l != null && c.maxPendingIndex() > l.raft.lastIndex()) {
        c.proposeOn(l.id);
      }
      return c.converged() && c.pendingProposals() == 0;
    }, 5_000);
  }

  @Test
  void isolatedLeaderStepsDownAndItsUncommittedEntriesAreReplaced() {
    c = SimCluster.of(3, 11);
    SimNode old = c.awaitLeader(2_000);
    long oldTerm = old.raft.term();
    proposeAndCommit(5);

    c.isolate(old.id);
    SimCluster.Proposal stranded = c.proposeOn(old.id); // accepted, can never commit
    assertNotNull(stranded);
    assertTrue(c.runUntil(() -> c.leader() != null && c.leader() != old, 3_000), "majority elects");
    assertTrue(c.leader().raft.term() > oldTerm);
    assertTrue(c.runUntil(() -> old.raft.role() != Role.LEADER, 3 * ELECTION_MS), "CheckQuorum");
    proposeAndCommit(3);

    c.healNetwork();
    assertTrue(c.runUntil(c::converged, 2_000));
    assertEquals("superseded", stranded.outcome);
  }

  @Test
  void followerWithLongDivergingLogIsTruncatedToTheLeaders() {
    c = SimCluster.of(5, 12);
    SimNode old = c.awaitLeader(2_000);
    proposeAndCommit(3);

    c.isolate(old.id);
    List<SimCluster.Proposal> stranded = new ArrayList<>();
    for (int i = 0; i < 100; i++) {
      stranded.add(c.proposeOn(old.id));
    }
    assertTrue(c.runUntil(() -> c.leader() != null && c.leader() != old, 3_000));
    proposeAndCommit(40);
    assertTrue(old.raft.lastIndex() > c.leader().raft.commitIndex() - 40, "old leader holds a long diverging tail");

    c.healNetwork();
    assertTrue(fillAndConverge(), "stranded proposals are resolved once the log grows past them");
    assertTrue(stranded.stream().allMatch(p -> p.outcome.equals("superseded")));
    SimNode leader = c.leader();
    for (long i = 1; i <= leader.raft.commitIndex(); i++) {
      assertEquals(leader.raft.termAt(i), old.raft.termAt(i), "log matches at " + i);
    }
  }

  @Test
  void splitVoteIsResolvedInALaterTerm() {
    c = SimCluster.of(3, 13);
    SimNode leader = c.awaitLeader(2_000);
    long term = leader.raft.term();
    List<SimNode> others = c.nodes.stream().filter(n -> n != leader).toList();
    c.crash(leader.id, false);
    // Both survivors start an election in the same instant and vote for themselves.
    for (SimNode n : others) {
      n.receive(new Message.TimeoutNow(leader.id, n.id, term));
    }
    assertTrue(others.stream().allMatch(n -> n.raft.role() == Role.CANDIDATE && n.raft.term() == term + 1));
    SimNode next = c.awaitLeader(3_000);
    assertNotNull(next);
    assertFalse(c.checker.leaderByTerm().containsKey(term + 1), "the split term has no leader");
    assertTrue(next.raft.term() >= term + 2);
  }

  @Test
  void checkQuorumStepsDownALeaderCutOffFromTheMajority() {
    c = SimCluster.of(3, 14);
    SimNode leader = c.awaitLeader(2_000);
    c.isolate(leader.id);
    c.runFor(3 * ELECTION_MS);
    assertNotEquals(Role.LEADER, leader.raft.role(), "stepped down (and now tries to pre-campaign)");
  }

  @Test
  void withoutCheckQuorumAnIsolatedLeaderKeepsBelievingItLeads() {
    c = new SimCluster(3, 14, RaftNode::new, defaults().withCheckQuorum(false), 0, 0);
    SimNode leader = c.awaitLeader(2_000);
    c.isolate(leader.id);
    c.runFor(3 * ELECTION_MS);
    assertEquals(Role.LEADER, leader.raft.role(), "the contrast that shows CheckQuorum matters");
  }

  @Test
  void preVoteKeepsARejoiningNodeFromDisruptingAHealthyLeader() {
    c = SimCluster.of(3, 15);
    SimNode leader = c.awaitLeader(2_000);
    long term = leader.raft.term();
    SimNode f = follower(leader);
    c.isolate(f.id);
    c.runFor(25 * ELECTION_MS); // many election timeouts: without PreVote its term would climb
    assertEquals(term, f.raft.term(), "pre-votes never raise the isolated node's term");
    c.healNetwork();
    c.runFor(10 * ELECTION_MS);
    assertEquals(leader, c.leader());
    assertEquals(term, leader.raft.term(), "no election was forced by the rejoin");
  }

  @Test
  void withoutPreVoteARejoiningNodeForcesAnElection() {
    c = new SimCluster(3, 15, RaftNode::new, defaults().withPreVote(false).withCheckQuorum(false), 0, 0);
    SimNode leader = c.awaitLeader(2_000);
    long term = leader.raft.term();
    SimNode f = follower(leader);
    c.isolate(f.id);
    c.runFor(25 * ELECTION_MS);
    assertTrue(f.raft.term() > term + 3, "the isolated node's term climbs");
    c.healNetwork();
    assertTrue(c.runUntil(() -> c.leader() != null && c.leader().raft.term() > term, 5_000));
  }

  @Test
  void followerBehindCompactionCatchesUpByInstallSnapshot() {
    c = new SimCluster(3, 16, RaftNode::new, defaults(), 20, 5);
    SimNode leader = c.awaitLeader(2_000);
    SimNode f = follower(leader);
    c.crash(f.id, false);
    proposeAndCommit(300);
    assertTrue(leader.raft.status().snapshotIndex() > 100, "the leader compacted its log");
    c.restart(f.id);
    assertTrue(c.runUntil(c::converged, 5_000));
    assertTrue(c.network.sentOfType(Message.InstallSnapshot.class) > 0);
    assertTrue(f.raft.status().snapshotIndex() > 100, "the follower installed a snapshot");
    assertEquals(leader.sm.digest(), f.sm.digest());
  }

  @Test
  void leadershipTransferUnderLoad() {
    c = SimCluster.of(3, 17);
    SimNode leader = c.awaitLeader(2_000);
    SimNode target = follower(leader);
    long[] refused = new long[1];
    c.scheduler.after(1, new Runnable() {
      @Override
      public void run() {
        if (c.propose() == null) {
          refused[0]++;
        }
        if (c.scheduler.nowMs() < 3_000) {
          c.scheduler.after(3, this);
        }
      }
    });
    c.runFor(300);
    assertEquals(RaftNode.TransferStatus.STARTED, leader.raft.transferLeadership(target.id));
    leader.drain();
    assertEquals(ProposeResult.Status.LEADERSHIP_TRANSFER, leader.raft.propose(new byte[] {1}).status());
    leader.drain();
    assertTrue(c.runUntil(() -> c.leader() == target, 2 * ELECTION_MS), "target leads within an election timeout");
    c.runFor(3_000);
    assertTrue(c.runUntil(() -> c.converged() && c.pendingProposals() == 0, 3_000));
    assertTrue(c.proposals.stream().filter(p -> p.outcome.equals("ok")).count() > 100);
  }

  @Test
  void nodeThatLostAcknowledgedEntriesNeverCampaignsBeforeRepair() {
    c = SimCluster.of(3, 18);
    SimNode leader = c.awaitLeader(2_000);
    proposeAndCommit(30);
    SimNode f = follower(leader);
    c.crash(f.id, false);
    f.disk.loseTail(10); // a corrupted tail found on restart
    c.restart(f.id);
    assertTrue(f.raft.needsRepair());
    boolean[] campaignedWhileBroken = new boolean[1];
    boolean repaired = c.runUntil(() -> {
      Role r = f.raft.role();
      if (f.raft.needsRepair() && (r == Role.CANDIDATE || r == Role.PRE_CANDIDATE || r == Role.LEADER)) {
        campaignedWhileBroken[0] = true;
      }
      return !f.raft.needsRepair() && c.converged();
    }, 5_000);
    assertTrue(repaired, "the leader restored the lost entries");
    assertFalse(campaignedWhileBroken[0]);
    assertEquals(leader.sm.digest(), f.sm.digest());
  }

  @Test
  void linearizableReadsOnLeaderAndFollower() {
    c = SimCluster.of(3, 19);
    SimNode leader = c.awaitLeader(2_000);
    proposeAndCommit(10);
    long commit = leader.raft.commitIndex();
    assertEquals(RaftNode.ReadRequestStatus.PENDING, leader.raft.readIndex(1));
    leader.drain();
    SimNode f = follower(leader);
    assertEquals(RaftNode.ReadRequestStatus.PENDING, f.raft.readIndex(2));
    f.drain();
    assertTrue(c.runUntil(() -> leader.readStates.containsKey(1L) && f.readStates.containsKey(2L), 1_000));
    assertEquals(commit, leader.readStates.get(1L));
    assertEquals(commit, f.readStates.get(2L));
    assertNotEquals(0L, c.network.sentOfType(Message.ReadIndexRequest.class));
  }

  @Test
  void isolatedLeaderCannotConfirmAReadIndex() {
    c = SimCluster.of(3, 20);
    SimNode leader = c.awaitLeader(2_000);
    proposeAndCommit(3);
    c.isolate(leader.id);
    leader.raft.readIndex(7);
    leader.drain();
    c.runFor(3 * ELECTION_MS);
    assertEquals(-1L, leader.readStates.get(7L), "refused when it stepped down, never confirmed");
  }

  @Test
  void leaderBelowTheStorageReserveHandsOverAndCatchesUpWhenSpaceReturns() {
    c = SimCluster.of(3, 22);
    SimNode full = c.awaitLeader(2_000);
    proposeAndCommit(10);
    full.raft.storageBelowReserve(true);
    full.drain();
    long lastIndexWhenFull = full.raft.lastIndex();
    long termWhenFull = full.raft.term();
    boolean[] campaignedOrGrewWhileFull = new boolean[1];
    c.afterEachEvent = () -> {
      Role r = full.raft.role();
      if (r == Role.PRE_CANDIDATE || r == Role.CANDIDATE || (r == Role.LEADER && full.raft.term() > termWhenFull)
          || full.raft.lastIndex() > lastIndexWhenFull) {
        campaignedOrGrewWhileFull[0] = true;
      }
    };
    assertTrue(c.runUntil(() -> c.leader() != null && c.leader() != full, 2 * ELECTION_MS),
        "a caught-up voter takes over within an election timeout");
    proposeAndCommit(20);
    c.runFor(5 * ELECTION_MS); // long enough to campaign, were it allowed to
    assertEquals(Role.FOLLOWER, full.raft.role());
    assertEquals(lastIndexWhenFull, full.raft.lastIndex(), "took no entries while full");
    assertFalse(campaignedOrGrewWhileFull[0]);

    c.afterEachEvent = () -> {};
    full.raft.storageBelowReserve(false);
    assertTrue(c.runUntil(c::converged, 2_000), "the full node catches up once space returns");
    assertEquals(c.leader().sm.digest(), full.sm.digest());
  }

  @Test
  void followerBelowTheStorageReserveStillVotesButNeverCampaigns() {
    c = SimCluster.of(3, 23);
    SimNode leader = c.awaitLeader(2_000);
    proposeAndCommit(5);
    SimNode full = follower(leader);
    full.raft.storageBelowReserve(true);
    c.crash(leader.id, false);
    assertTrue(c.runUntil(() -> c.leader() != null, 5 * ELECTION_MS), "the third node wins with the full node's vote");
    assertTrue(c.leader() != full);
    c.runFor(5 * ELECTION_MS);
    assertTrue(c.leader() != full && c.leader() != null);
    full.raft.storageBelowReserve(false);
    c.restart(leader.id);
    proposeAndCommit(5);
    assertTrue(c.runUntil(c::converged, 2_000));
  }

  @Test
  void idleFollowersLearnACommitWithoutWaitingForAHeartbeat() {
    // Heartbeats every 40 ticks (400 ms): a follower that learned commits only from them would
    // take up to that long; each commit must reach every follower within a few message delays.
    c = new SimCluster(3, 24, RaftNode::new, new RaftConfig("template", 80, 40, 256, 512, 1 << 20, 4096,
        true, true), 0, 0);
    SimNode leader = c.awaitLeader(5_000);
    proposeAndCommit(3);
    for (int i = 0; i < 5; i++) {
      c.runFor(1_000); // idle: every follower has long acknowledged everything
      SimCluster.Proposal p = c.proposeOn(leader.id);
      assertTrue(c.runUntil(() -> leader.raft.commitIndex() >= p.index, 200), "commits");
      assertTrue(c.runUntil(() -> c.nodes.stream().allMatch(n -> n.raft.commitIndex() >= p.index), 50),
          () -> "every follower learns commit " + p.index + " at once: " + c.describeState());
    }
  }
}
