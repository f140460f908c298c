package io.raftlock.raft;

/**
 * Outcome of {@link RaftNode#propose}. {@code ACCEPTED} carries the (term, index) the entry was
 * given: the entry is committed only if, when {@code index} is applied, it still has {@code term}.
 */
public record ProposeResult(Status status, long term, long index, String leaderHint) {
  public enum Status {
    ACCEPTED,
    /** This node is not the leader; {@code leaderHint} is the leader if known, else null. */
    NOT_LEADER,
    /** The leader is handing leadership over and takes no new entries meanwhile. */
    LEADERSHIP_TRANSFER
  }

  public boolean accepted() {
    return status == Status.ACCEPTED;
  }

  static ProposeResult accepted(long term, long index) {
    return new ProposeResult(Status.ACCEPTED, term, index, null);
  }

  static ProposeResult notLeader(String leaderHint) {
    return new ProposeResult(Status.NOT_LEADER, 0, 0, leaderHint);
  }
}
