package io.raftlock.raft;

import java.util.SortedMap;

/** A read-only picture of a node for status calls and metrics. */
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
    SortedMap<String, PeerStatus> peers) {

  /** A leader that has committed an entry of its own term: it can serve proposals and reads. */
  public boolean leaderReady() {
    return role == Role.LEADER && commitTerm == term;
  }

  /** Leader's view of one follower; empty map on non-leaders. */
  public record PeerStatus(
      long matchIndex, long nextIndex, String state, int inflight, boolean recentActive) {}
}
