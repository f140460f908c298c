package io.raftlock.raft;

/**
 * The state Raft requires on stable storage before a node answers any RPC (Raft paper Figure 2):
 * {@code currentTerm} and {@code votedFor}. {@code commitIndex} is carried along so a restarted
 * node can apply up to it without waiting for a leader; it is an optimisation, not a promise.
 *
 * @param currentTerm latest term this node has seen, never decreases
 * @param votedFor the candidate voted for in {@code currentTerm}, or {@code null}
 * @param commitIndex highest index known committed when this state was produced
 */
public record HardState(long currentTerm, String votedFor, long commitIndex) {
  public static final HardState EMPTY = new HardState(0, null, 0);

  public HardState {
    if (currentTerm < 0 || commitIndex < 0) {
      throw new IllegalArgumentException("negative term or commit index");
    }
  }

  /** True when a vote or a term changed: such a change must be synced before any message leaves. */
  public boolean termOrVoteDiffers(HardState other) {
    return other == null
        || currentTerm != other.currentTerm
        || !java.util.Objects.equals(votedFor, other.votedFor);
  }
}
