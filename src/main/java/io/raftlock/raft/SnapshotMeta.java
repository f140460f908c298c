package io.raftlock.raft;

/**
 * What a snapshot replaces: every entry up to and including {@code lastIncludedIndex} (Raft paper
 * §7), and the membership in force at that index.
 */
public record SnapshotMeta(long lastIncludedIndex, long lastIncludedTerm, ClusterConfig config) {
  public SnapshotMeta {
    if (lastIncludedIndex < 0 || lastIncludedTerm < 0) {
      throw new IllegalArgumentException("negative snapshot index or term");
    }
    if (config == null) {
      throw new IllegalArgumentException("snapshot needs the cluster configuration");
    }
  }
}
