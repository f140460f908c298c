package io.raftlock.raft;

import java.util.Arrays;

/**
 * One Raft log entry (Raft paper §5.3). Immutable by contract: {@code data} is never written after
 * construction, so entries are shared between the log, {@link Ready} and messages without copies.
 *
 * @param term the leader's term when the entry was created
 * @param index position in the log, starting at 1
 * @param type what the entry carries
 * @param data opaque state-machine command (empty for {@link EntryType#NOOP})
 */
public record Entry(long term, long index, EntryType type, byte[] data) {
  private static final byte[] EMPTY = new byte[0];

  public Entry {
    if (term < 1 || index < 1) {
      throw new IllegalArgumentException("entry term and index start at 1: " + term + "/" + index);
    }
    if (type == null) {
      throw new IllegalArgumentException("entry type is required");
    }
    data = data == null ? EMPTY : data;
  }

  public static Entry normal(long term, long index, byte[] data) {
    return new Entry(term, index, EntryType.NORMAL, data);
  }

  public static Entry noop(long term, long index) {
    return new Entry(term, index, EntryType.NOOP, EMPTY);
  }

  /** A membership change: the entry's data is the encoded new configuration. */
  public static Entry config(long term, long index, ClusterConfig config) {
    return new Entry(term, index, EntryType.CONFIG, config.encode());
  }

  /** Approximate size on the wire and in memory, used for batching limits. */
  public int sizeBytes() {
    return data.length + 24;
  }

  @Override
  public boolean equals(Object o) {
    return o instanceof Entry e
        && e.term == term
        && e.index == index
        && e.type == type
        && Arrays.equals(e.data, data);
  }

  @Override
  public int hashCode() {
    return Long.hashCode(term) * 31 + Long.hashCode(index) * 17 + Arrays.hashCode(data);
  }

  @Override
  public String toString() {
    return "Entry{" + term + "/" + index + " " + type + " " + data.length + "B}";
  }
}
