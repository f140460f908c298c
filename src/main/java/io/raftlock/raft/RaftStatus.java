package io.raftlock.raft;

import java.util.SortedMap;

/**
 * A read-only picture of a node for status calls and metrics. {@code config} is the latest
 * configuration in the node's log (in force from the moment it was appended); {@code removed}
 * says this node is not a member of it (removed, or not yet added).
 */
public record RaftStatus(
    String nodeId,
    Role role,
    long term,
    String leaderId,
    long lastIndex,
    long lastTerm,
    long commitIndex,
    long appliedIndex,
    long persistedIndex,
    long snapshotIndex,
    boolean needsRepair,
    long commitTerm,
    SortedMap<String, PeerStatus> peers,
    ClusterConfig config,
    boolean removed) {

  /** Without membership (kept for callers that predate it): no configuration, not removed. */
  public RaftStatus(String nodeId, Role role, long term, String leaderId, long lastIndex,
      long lastTerm, long commitIndex, long appliedIndex, long persistedIndex, long snapshotIndex,
      boolean needsRepair, long commitTerm, SortedMap<String, PeerStatus> peers) {
    this(nodeId, role, term, leaderId, lastIndex, lastTerm, commitIndex, appliedIndex,
        persistedIndex, snapshotIndex, needsRepair, commitTerm, peers, null, false);
  }

  /** A leader that has committed an entry of its own term: it can serve proposals and reads. */
  public boolean leaderReady() {
    return role == Role.LEADER && commitTerm == term;
  }

  /** Leader's view of one follower; empty map on non-leaders. */
  public record PeerStatus(
      long matchIndex, long nextIndex, String state, int inflight, boolean recentActive) {}
}
