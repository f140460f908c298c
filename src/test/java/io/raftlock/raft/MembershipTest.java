package io.raftlock.raft;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.raftlock.raft.ConfigChangeResult.Status;
import java.util.List;
import java.util.Set;
import java.util.SplittableRandom;
import java.util.TreeSet;
import org.junit.jupiter.api.Test;

/** Membership changes in the core, one node at a time (cluster behaviour is in the simulator). */
class MembershipTest {
  private static final ClusterConfig THREE = ClusterConfig.ofVoters(Set.of("a", "b", "c"));
  private static final ClusterConfig THREE_PLUS_LEARNER =
      new ClusterConfig(new TreeSet<>(Set.of("a", "b", "c")), new TreeSet<>(Set.of("d")));

  private static RaftNode node(String id, ClusterConfig cluster) {
    return new RaftNode(RaftConfig.defaults(id), cluster, PersistentState.empty(), new SplittableRandom(1));
  }

  /** Takes a Ready, reports its batch durable at once, and returns it. */
  private static Ready cycle(RaftNode n) {
    Ready rd = n.ready();
    n.advance(rd);
    PersistBatch b = rd.persistBatch();
    if (b.lastIndex() > 0) {
      n.persisted(b.lastIndex(), b.lastTerm());
    }
    return rd;
  }

  private static void drain(RaftNode n) {
    while (n.hasReady()) {
      cycle(n);
    }
  }

  /** Ticks a single-voter node until it leads; its no-op is appended but not yet durable. */
  private static void electSoleVoter(RaftNode n) {
    for (int i = 0; i < 100 && n.role() != Role.LEADER; i++) {
      n.tick();
    }
    assertEquals(Role.LEADER, n.role());
  }

  private static void ack(RaftNode leader, String from, long match) {
    leader.step(new Message.AppendEntriesResponse(from, leader.id(), leader.term(), true, match, 0, 0, 0));
    drain(leader);
  }

  @Test
  void configurationTakesEffectOnAppendAndRevertsWhenTruncated() {
    RaftNode b = node("b", THREE);
    b.step(new Message.AppendEntries("a", "b", 1, 0, 0,
        List.of(Entry.noop(1, 1), Entry.config(1, 2, THREE_PLUS_LEARNER)), 1));
    cycle(b);
    assertEquals(THREE_PLUS_LEARNER, b.clusterConfig(), "in force before it commits");
    assertEquals(2, b.configIndex());
    assertEquals(THREE, b.configAt(1));
    // A new leader's log never had index 2: the entry is replaced and the change undone.
    b.step(new Message.AppendEntries("c", "b", 2, 1, 1, List.of(Entry.normal(2, 2, new byte[] {7})), 1));
    cycle(b);
    assertEquals(THREE, b.clusterConfig());
    assertEquals(0, b.configIndex());
  }

  @Test
  void nodeOutsideItsConfigurationStartsButNeverCampaigns() {
    RaftNode d = node("d", THREE);
    assertTrue(d.isRemoved());
    assertTrue(d.status().removed());
    for (int i = 0; i < 100; i++) {
      d.tick();
      drain(d);
    }
    assertEquals(Role.FOLLOWER, d.role());
    assertEquals(0, d.term());
    // It learns it is a learner from the leader's log.
    d.step(new Message.AppendEntries("a", "d", 1, 0, 0,
        List.of(Entry.noop(1, 1), Entry.config(1, 2, THREE_PLUS_LEARNER)), 2));
    cycle(d);
    assertFalse(d.isRemoved());
    assertEquals(THREE_PLUS_LEARNER, d.status().config());
  }

  @Test
  void changesAreRefusedWithATypedReasonAndChangeNothing() {
    RaftNode a = node("a", ClusterConfig.ofVoters(Set.of("a")));
    RaftNode b = node("b", THREE);
    assertEquals(Status.NOT_LEADER, b.addLearner("d").status());
    assertEquals(Status.INVALID_ID, b.addLearner(" ").status());

    electSoleVoter(a);
    assertEquals(Status.LEADER_NOT_READY, a.addLearner("b").status(), "no entry of its term committed yet");
    drain(a);
    assertEquals(Status.LAST_VOTER, a.removeServer("a").status());
    assertEquals(Status.NOT_A_MEMBER, a.removeServer("z").status());
    assertEquals(Status.ALREADY_MEMBER, a.addVoter("a").status());
    assertEquals(Status.NOT_A_MEMBER, a.promoteLearner("b", 1, false).status());
    long before = a.lastIndex();
    ConfigChangeResult added = a.addLearner("b");
    assertEquals(Status.ACCEPTED, added.status());
    assertEquals(before + 1, added.index());
    assertTrue(a.clusterConfig().learners().contains("b"));
    assertEquals(Status.CHANGE_IN_PROGRESS, a.addLearner("c").status(), "one change at a time");
    assertEquals(before + 1, a.lastIndex(), "the refusal appended nothing");
    drain(a); // a alone is the majority: the learner entry commits
    assertEquals(added.index(), a.commitIndex());
    assertEquals(Status.NOT_A_LEARNER, a.promoteLearner("a", 1, false).status());
    assertEquals(Status.MIN_INDEX_REQUIRED, a.promoteLearner("b", 0, false).status());
    assertEquals(Status.LEARNER_BEHIND, a.promoteLearner("b", a.commitIndex(), false).status());
    ack(a, "b", a.commitIndex());
    assertEquals(Status.ACCEPTED, a.promoteLearner("b", a.commitIndex(), false).status());
    assertEquals(Set.of("a", "b"), a.clusterConfig().voters());
  }

  @Test
  void removedLeaderStopsCountingItselfAndStepsDownOnceTheChangeCommits() {
    RaftNode a = node("a", ClusterConfig.ofVoters(Set.of("a")));
    electSoleVoter(a);
    drain(a);
    assertTrue(a.addVoter("b").accepted());
    drain(a);
    ack(a, "b", a.lastIndex());
    assertEquals(a.lastIndex(), a.commitIndex());
    long term = a.term();

    ConfigChangeResult removal = a.removeServer("a");
    assertTrue(removal.accepted());
    assertTrue(a.isRemoved());
    drain(a); // durable here, but a no longer counts itself
    assertEquals(Role.LEADER, a.role(), "keeps leading until the removal commits");
    assertTrue(a.commitIndex() < removal.index());

    a.step(new Message.AppendEntriesResponse("b", "a", term, true, removal.index(), 0, 0, 0));
    Ready rd = a.ready();
    a.advance(rd);
    assertEquals(removal.index(), a.commitIndex());
    assertEquals(Role.FOLLOWER, a.role());
    assertNotNull(rd.softState(), "the driver hears that leadership was lost");
    assertEquals(Role.FOLLOWER, rd.softState().role());
    assertTrue(rd.messages().stream().anyMatch(m -> m instanceof Message.TimeoutNow t && t.to().equals("b")),
        "hands over to the caught-up voter");
    for (int i = 0; i < 100; i++) {
      a.tick();
      drain(a);
    }
    assertEquals(Role.FOLLOWER, a.role(), "a removed server never campaigns");
    assertEquals(term, a.term());
  }

  @Test
  void snapshotMustCarryTheConfigurationAtItsIndexAndRestartRecoversTheLatest() {
    RaftNode b = node("b", THREE);
    b.step(new Message.AppendEntries("a", "b", 1, 0, 0,
        List.of(Entry.noop(1, 1), Entry.config(1, 2, THREE_PLUS_LEARNER), Entry.normal(1, 3, new byte[] {1})), 3));
    drain(b);
    Snapshot wrong = new Snapshot(new SnapshotMeta(1, 1, THREE_PLUS_LEARNER), new byte[0]);
    assertThrows(IllegalArgumentException.class, () -> b.compact(wrong, 1));
    b.compact(new Snapshot(new SnapshotMeta(1, 1, b.configAt(1)), new byte[0]), 1);
    assertEquals(THREE_PLUS_LEARNER, b.clusterConfig());

    // Restart from the snapshot at 1 (old configuration) plus the log tail holding the change.
    PersistentState tail = new PersistentState(new HardState(1, null, 3),
        new Snapshot(new SnapshotMeta(1, 1, THREE), new byte[0]),
        List.of(Entry.config(1, 2, THREE_PLUS_LEARNER), Entry.normal(1, 3, new byte[] {1})), 3, 1);
    RaftNode fromTail = new RaftNode(RaftConfig.defaults("b"), THREE, tail, new SplittableRandom(1));
    assertEquals(THREE_PLUS_LEARNER, fromTail.clusterConfig());
    // Restart from a snapshot that already includes the change: the bootstrap config is ignored.
    PersistentState snapOnly = new PersistentState(new HardState(1, null, 3),
        new Snapshot(new SnapshotMeta(3, 1, THREE_PLUS_LEARNER), new byte[0]), List.of(), 3, 1);
    RaftNode fromSnap = new RaftNode(RaftConfig.defaults("b"), THREE, snapOnly, new SplittableRandom(1));
    assertEquals(THREE_PLUS_LEARNER, fromSnap.clusterConfig());
  }
}
