package io.raftlock.raft;

import io.raftlock.raft.Message.RequestVote;
import io.raftlock.raft.Message.RequestVoteResponse;

/**
 * Running for leader (§5.2), in two rounds when PreVote is on (thesis §9.6): the node becomes a
 * (pre-)candidate, asks every other voter of the configuration in force, and acts on the count
 * {@link Election} keeps. The term, the vote and the role stay in {@link RaftNode}; this class
 * changes them only through the node's transitions.
 *
 * <p>Invariants: only answers of the current round's kind count, and only while the node still
 * holds that round's role, so a late answer of an earlier round or term changes nothing; a won
 * pre-vote turns into a real election at once, a won election into leadership, and a lost round
 * makes the node a follower in its current term. A pre-vote round changes neither term nor vote.
 *
 * <p>Threading: owned by the node's thread, like the node.
 */
final class Candidacy {
  private final RaftNode node;
  private final RaftLog log;
  private final Election election;
  private final String id;

  Candidacy(RaftNode node, RaftLog log, Election election) {
    this.node = node;
    this.log = log;
    this.election = election;
    this.id = node.id();
  }

  /**
   * Starts a round: a pre-vote in the term the node would use, or a real election in a new term.
   * {@code transfer}: the leader asked for it (TimeoutNow), so voters that still hear from that
   * leader answer anyway (thesis §3.10, §4.2.3).
   */
  void start(boolean preVote, boolean transfer) {
    long term = preVote ? node.becomePreCandidate() : node.becomeCandidate();
    if (election.startCount() == Election.Tally.WON) {
      won(preVote);
      return;
    }
    for (String v : log.config().voters()) {
      if (!v.equals(id)) {
        node.send(new RequestVote(id, v, term, log.lastIndex(), log.lastTerm(), preVote, transfer));
      }
    }
  }

  /** One voter's answer, its term already settled by the node. */
  void answered(RequestVoteResponse r) {
    Role role = node.role();
    boolean current = (role == Role.PRE_CANDIDATE && r.preVote()) || (role == Role.CANDIDATE && !r.preVote());
    if (!current) {
      return;
    }
    Election.Tally tally = election.record(r.from(), r.voteGranted());
    if (tally == Election.Tally.WON) {
      won(r.preVote());
    } else if (tally == Election.Tally.LOST) {
      node.becomeFollower(node.term(), null);
    }
  }

  private void won(boolean preVote) {
    if (preVote) {
      start(false, false);
    } else {
      node.becomeLeader();
    }
  }
}
