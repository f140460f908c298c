package io.raftlock.raft;

/**
 * Outcome of a membership change proposal ({@link RaftNode#addLearner} and friends). Like
 * {@link ProposeResult}, {@code ACCEPTED} carries the (term, index) of the CONFIG entry; the change
 * is in force on the leader at once and permanent once that entry commits. Every other status is
 * a refusal that changed nothing.
 *
 * @param config on ACCEPTED the new configuration, otherwise the one in force
 * @param leaderHint on NOT_LEADER the leader if known, on LEADERSHIP_TRANSFER the target
 */
public record ConfigChangeResult(
    Status status, long term, long index, String leaderHint, ClusterConfig config) {

  public enum Status {
    ACCEPTED,
    /** This node is not the leader. */
    NOT_LEADER,
    /** The leader is handing leadership over and takes no new entries meanwhile. */
    LEADERSHIP_TRANSFER,
    /**
     * The leader has not yet committed an entry of its own term. Until it has, an earlier
     * leader's configuration change may still be pending in some log (thesis §4.1, the fix to
     * the single-server change bug), so it starts none of its own.
     */
    LEADER_NOT_READY,
    /** A CONFIG entry is still uncommitted: one change at a time (thesis §4.1). */
    CHANGE_IN_PROGRESS,
    /** The server id is null or blank. */
    INVALID_ID,
    /** The server is already a member (voter or learner as asked, or the other kind). */
    ALREADY_MEMBER,
    /** The server is not a member. */
    NOT_A_MEMBER,
    /** Promotion of a server that is not a learner. */
    NOT_A_LEARNER,
    /** Promotion with a minimum catch-up index of 0 and no {@code force}. */
    MIN_INDEX_REQUIRED,
    /** The learner's match index is below the required minimum: it is still catching up. */
    LEARNER_BEHIND,
    /** Removing the only voter would leave a configuration that can elect nobody. */
    LAST_VOTER
  }

  public boolean accepted() {
    return status == Status.ACCEPTED;
  }

  static ConfigChangeResult refused(Status status, ClusterConfig current) {
    return new ConfigChangeResult(status, 0, 0, null, current);
  }
}
