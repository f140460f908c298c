package io.raftlock.raft;

/**
 * A node's role. Transitions (§5.2, thesis §9.6):
 *
 * <pre>
 *   FOLLOWER --election timeout--> PRE_CANDIDATE --majority of pre-votes--> CANDIDATE
 *   FOLLOWER --TimeoutNow--------------------------------------------------> CANDIDATE
 *   CANDIDATE --majority of votes--> LEADER
 *   any role --message with a higher term, or a leader of the current term--> FOLLOWER
 *   LEADER --CheckQuorum fails (no majority heard for an election timeout)--> FOLLOWER
 * </pre>
 */
public enum Role {
  FOLLOWER,
  PRE_CANDIDATE,
  CANDIDATE,
  LEADER
}
