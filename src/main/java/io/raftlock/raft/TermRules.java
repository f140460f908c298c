package io.raftlock.raft;

import io.raftlock.raft.Message.AppendEntries;
import io.raftlock.raft.Message.AppendEntriesResponse;
import io.raftlock.raft.Message.Heartbeat;
import io.raftlock.raft.Message.InstallSnapshot;
import io.raftlock.raft.Message.RequestVote;
import io.raftlock.raft.Message.RequestVoteResponse;

/**
 * What a message's term does before its type is looked at (§5.1 and Figure 2's "Rules for
 * Servers": a newer term is adopted and the node follows, a stale message is rejected), with the
 * exceptions PreVote and CheckQuorum need (thesis §9.6, §4.2.3). Pure decisions: {@link RaftNode}
 * owns the term and acts on the answer.
 *
 * <p>Invariant: once these rules let a message through, its term is the node's, except a
 * pre-vote request or a granted pre-vote answer, whose higher term is only prospective and
 * changes nothing durable. A stale message is never dispatched.
 */
final class TermRules {
  /** What a message from a newer term does to the node. */
  enum HigherTerm {
    /** Dropped as if lost. */
    IGNORE,
    /** Dispatched without changing the node's term. */
    KEEP_TERM,
    /** The node adopts the term and follows ({@link #leaderOf} the message, if any). */
    ADOPT
  }

  private TermRules() {}

  /**
   * The rule for a message whose term is above ours. {@code inLease}: CheckQuorum is on and this
   * node heard from a leader within the election timeout.
   */
  static HigherTerm higherTerm(Message m, boolean inLease) {
    if (m instanceof RequestVote rv) {
      // Thesis §4.2.3: while we hear from a leader, a vote request is a disruption, not a
      // failure; ignore it unless the leader itself asked for the election (TimeoutNow).
      if (inLease && !rv.transfer()) {
        return HigherTerm.IGNORE;
      }
      if (rv.preVote()) {
        return HigherTerm.KEEP_TERM; // a pre-vote never changes our term
      }
    }
    if (m instanceof RequestVoteResponse r && r.preVote() && r.voteGranted()) {
      return HigherTerm.KEEP_TERM; // granted pre-votes echo the prospective term
    }
    return HigherTerm.ADOPT;
  }

  /** The sender, if {@code m} is a message only the leader of its term sends; else null. */
  static String leaderOf(Message m) {
    boolean fromLeader = m instanceof AppendEntries || m instanceof Heartbeat || m instanceof InstallSnapshot;
    return fromLeader ? m.from() : null;
  }

  /** The answer node {@code id} in {@code currentTerm} owes a message of an older term, or null. */
  static Message staleTermAnswer(Message m, String id, long currentTerm) {
    if (m instanceof AppendEntries || m instanceof Heartbeat) {
      // A deposed leader (e.g. back from a partition). With PreVote and CheckQuorum our higher
      // term would never reach it through votes, so tell it directly and it steps down.
      return new AppendEntriesResponse(id, m.from(), currentTerm, false, 0, 0, 0, 0);
    }
    if (m instanceof RequestVote rv) {
      // Refused with our term, as the Raft paper does for every stale vote request. Without
      // PreVote this is the only way a candidate can learn the term of a voter whose stale
      // configuration leaves the candidate out: that voter never writes to it (simulator seed
      // 320 stayed leaderless for good, each of two voters waiting for the other).
      return new RequestVoteResponse(id, m.from(), currentTerm, false, rv.preVote());
    }
    return null;
  }
}
