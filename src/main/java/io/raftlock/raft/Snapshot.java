package io.raftlock.raft;

/**
 * A state-machine snapshot: opaque bytes produced by the state machine plus the metadata Raft
 * needs. Immutable by contract ({@code data} is never written after construction).
 */
public record Snapshot(SnapshotMeta meta, byte[] data) {
  public Snapshot {
    if (meta == null || data == null) {
      throw new IllegalArgumentException("snapshot needs metadata and data");
    }
  }

  public long index() {
    return meta.lastIncludedIndex();
  }

  public long term() {
    return meta.lastIncludedTerm();
  }
}
