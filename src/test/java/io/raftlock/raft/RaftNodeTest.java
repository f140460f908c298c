package io.raftlock.raft;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.List;
import java.util.Set;
import java.util.SplittableRandom;
import org.junit.jupiter.api.Test;

/** The core's contract with its driver, one node at a time. */
class RaftNodeTest {
  private static final ClusterConfig THREE = ClusterConfig.ofVoters(Set.of("a", "b", "c"));

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

  private static void tickUntilLeader(RaftNode n) {
    for (int i = 0; i < 100 && n.role() != Role.LEADER; i++) {
      n.tick();
      while (n.hasReady()) {
        cycle(n);
      }
    }
  }

  @Test
  void singleNodeElectsItselfAndCommitsOnlyAfterItsOwnWriteIsDurable() {
    RaftNode n = node("a", ClusterConfig.ofVoters(Set.of("a")));
    tickUntilLeader(n);
    assertEquals(Role.LEADER, n.role());
    ProposeResult r = n.propose(new byte[] {42});
    assertTrue(r.accepted());
    Ready rd = n.ready();
    n.advance(rd);
    assertEquals(r.index(), rd.entries().get(rd.entries().size() - 1).index());
    assertTrue(rd.committedEntries().stream().noneMatch(e -> e.index() == r.index()), "not durable yet");
    n.persisted(r.index(), r.term());
    Ready next = n.ready();
    n.advance(next);
    assertEquals(List.of(r.index()), next.committedEntries().stream().map(Entry::index).toList());
  }

  @Test
  void followerRefusesProposalsAndNamesTheLeader() {
    RaftNode b = node("b", THREE);
    b.step(new Message.Heartbeat("a", "b", 3, 0, 1));
    ProposeResult r = b.propose(new byte[] {1});
    assertEquals(ProposeResult.Status.NOT_LEADER, r.status());
    assertEquals("a", r.leaderHint());
    assertEquals(3, b.term());
  }

  @Test
  void votesWaitForTheBatchThatRecordsThem() {
    RaftNode b = node("b", THREE);
    b.step(new Message.RequestVote("a", "b", 1, 0, 0, false, false));
    Ready rd = b.ready();
    b.advance(rd);
    assertEquals(new HardState(1, "a", 0), rd.hardState());
    assertTrue(rd.messages().isEmpty());
    Message.RequestVoteResponse vote = (Message.RequestVoteResponse) rd.messagesAfterPersist().get(0);
    assertTrue(vote.voteGranted());
  }

  /**
   * A stale vote request is refused with the voter's term (Raft §5.1), PreVote or not: without
   * PreVote that refusal is how a candidate learns the term of a voter whose stale configuration
   * leaves the candidate out (that voter never sends it anything; simulator seed 320 stayed
   * leaderless with each of two voters waiting for the other). The candidate then steps down.
   */
  @Test
  void aStaleVoteRequestIsRefusedWithTheCurrentTermAndTheCandidateAdoptsIt() {
    RaftNode b = node("b", THREE);
    b.step(new Message.Heartbeat("c", "b", 7, 0, 1));
    cycle(b);
    b.step(new Message.RequestVote("a", "b", 4, 0, 0, false, false));
    Ready rd = cycle(b);
    List<Message> out = new java.util.ArrayList<>(rd.messages());
    out.addAll(rd.messagesAfterPersist());
    assertEquals(List.of(new Message.RequestVoteResponse("b", "a", 7, false, false)), out);
    assertEquals(7, b.term(), "a stale request changes nothing here");

    RaftNode a = node("a", THREE);
    a.step(new Message.RequestVoteResponse("b", "a", 7, false, false));
    assertEquals(7, a.term());
    assertEquals(Role.FOLLOWER, a.role());
  }

  @Test
  void leaderAppendsLeaveBeforeItsOwnWriteCompletes() {
    RaftNode a = node("a", THREE);
    for (int i = 0; i < 30 && a.role() != Role.CANDIDATE; i++) {
      a.tick();
      if (a.hasReady()) {
        cycle(a);
      }
      if (a.role() == Role.PRE_CANDIDATE) {
        a.step(new Message.RequestVoteResponse("b", "a", a.term() + 1, true, true));
      }
    }
    cycle(a);
    a.step(new Message.RequestVoteResponse("b", "a", a.term(), true, false));
    assertEquals(Role.LEADER, a.role());
    Ready rd = a.ready();
    a.advance(rd);
    assertTrue(rd.entries().size() == 1 && rd.entries().get(0).type() == EntryType.NOOP);
    assertTrue(rd.messages().stream().anyMatch(m -> m instanceof Message.AppendEntries));
  }

  @Test
  void staleLeaderIsToldTheNewerTerm() {
    RaftNode b = node("b", THREE);
    b.step(new Message.Heartbeat("c", "b", 5, 0, 1));
    cycle(b);
    b.step(new Message.AppendEntries("a", "b", 2, 0, 0, List.of(), 0));
    Ready rd = cycle(b);
    Message.AppendEntriesResponse r = (Message.AppendEntriesResponse) rd.messagesAfterPersist().get(0);
    assertEquals(5, r.term());
    assertEquals("a", r.to());
  }

  @Test
  void leaderOutsideOurConfigurationIsFollowedButAStaleNonVoterCannotRaiseOurTerm() {
    RaftNode b = node("b", THREE);
    // Thesis §4.1: a leader may be in a configuration our log does not hold yet.
    b.step(new Message.Heartbeat("d", "b", 9, 0, 1));
    cycle(b);
    assertEquals(9, b.term());
    assertEquals("d", b.leaderId());
    // A vote request from a non-voter whose log is behind ours is dropped, term and all.
    b.step(new Message.AppendEntries("d", "b", 9, 0, 0, List.of(Entry.noop(9, 1)), 0));
    cycle(b);
    b.step(new Message.RequestVote("z", "b", 20, 0, 0, false, true));
    assertEquals(9, b.term());
    assertEquals("d", b.leaderId());
  }

  @Test
  void readyMustBeAdvancedBeforeAnythingElse() {
    RaftNode b = node("b", THREE);
    b.step(new Message.Heartbeat("a", "b", 1, 0, 1));
    Ready rd = b.ready();
    assertThrows(IllegalStateException.class, b::tick);
    assertThrows(IllegalStateException.class, () -> b.step(new Message.Heartbeat("a", "b", 1, 0, 2)));
    b.advance(rd);
    b.tick();
  }

  @Test
  void appendBelowTheCommitIndexIsAnsweredWithTheCommitIndexAndChangesNothing() {
    RaftNode b = node("b", THREE);
    b.step(new Message.AppendEntries("a", "b", 1, 0, 0, List.of(Entry.noop(1, 1), Entry.normal(1, 2, new byte[] {1})), 2));
    cycle(b);
    assertEquals(2, b.commitIndex());
    // Committed entries can never conflict, so the follower does not even look at these.
    b.step(new Message.AppendEntries("c", "b", 2, 1, 1, List.of(Entry.normal(2, 2, new byte[] {9})), 2));
    Message.AppendEntriesResponse r = (Message.AppendEntriesResponse) cycle(b).messagesAfterPersist().get(0);
    assertTrue(r.success());
    assertEquals(2, r.matchIndex());
    assertEquals(1, b.termAt(2));
  }

  @Test
  void conflictingSuffixIsReplacedAndReturnedForPersistence() {
    RaftNode b = node("b", THREE);
    b.step(new Message.AppendEntries("a", "b", 1, 0, 0,
        List.of(Entry.noop(1, 1), Entry.normal(1, 2, new byte[] {1}), Entry.normal(1, 3, new byte[] {2})), 1));
    cycle(b);
    b.step(new Message.AppendEntries("c", "b", 2, 1, 1, List.of(Entry.normal(2, 2, new byte[] {7})), 1));
    Ready rd = cycle(b);
    assertEquals(List.of(Entry.normal(2, 2, new byte[] {7})), rd.entries(), "storage truncates from index 2");
    assertEquals(2, b.lastIndex());
  }

  @Test
  void recoveredLogShorterThanItsDurableMarkNeedsRepair() {
    PersistentState lost = new PersistentState(new HardState(3, null, 1), null, List.of(Entry.noop(1, 1)), 5, 3);
    RaftNode b = new RaftNode(RaftConfig.defaults("b"), THREE, lost, new SplittableRandom(1));
    assertTrue(b.needsRepair());
    // A candidate less up-to-date than the mark gets no vote even though it beats our log.
    b.step(new Message.RequestVote("a", "b", 4, 2, 2, false, false));
    Message.RequestVoteResponse no = (Message.RequestVoteResponse) cycle(b).messagesAfterPersist().get(0);
    assertTrue(!no.voteGranted());
    b.step(new Message.RequestVote("c", "b", 5, 6, 3, false, false));
    Message.RequestVoteResponse yes = (Message.RequestVoteResponse) cycle(b).messagesAfterPersist().get(0);
    assertTrue(yes.voteGranted());
  }

  @Test
  void configRejectsAHeartbeatNoShorterThanTheElectionTimeout() {
    assertThrows(IllegalArgumentException.class,
        () -> new RaftConfig("a", 5, 5, 1, 1, 1, 1, true, true));
  }

  @Test
  void clusterConfigRoundTrips() {
    ClusterConfig cfg = new ClusterConfig(new java.util.TreeSet<>(Set.of("a", "b")), new java.util.TreeSet<>(Set.of("c")));
    assertEquals(cfg, ClusterConfig.decode(cfg.encode()));
    assertEquals(2, cfg.quorum());
  }
}
