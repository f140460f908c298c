package io.raftlock.raft;

import java.util.List;

/**
 * One unit of work for stable storage, taken from a {@link Ready}. Storage applies the parts in
 * this order: snapshot (everything up to its index is replaced), then entries (an entry whose
 * index is already present replaces it and every later one: suffix truncation), then the hard
 * state. The batch is durable only when all three are.
 *
 * @param hardState new term/vote/commit, or {@code null} when unchanged
 * @param snapshot a snapshot received from the leader, or {@code null}
 * @param entries new log entries, contiguous, possibly overwriting a suffix; may be empty
 */
public record PersistBatch(HardState hardState, Snapshot snapshot, List<Entry> entries) {
  public PersistBatch {
    entries = List.copyOf(entries);
    for (int i = 1; i < entries.size(); i++) {
      if (entries.get(i).index() != entries.get(i - 1).index() + 1) {
        throw new IllegalArgumentException("batch entries are not contiguous at " + i);
      }
    }
  }

  public boolean isEmpty() {
    return hardState == null && snapshot == null && entries.isEmpty();
  }

  /** Last index this batch makes durable, or -1 when it carries no entry and no snapshot. */
  public long lastIndex() {
    if (!entries.isEmpty()) {
      return entries.get(entries.size() - 1).index();
    }
    return snapshot == null ? -1 : snapshot.index();
  }

  /** Term of {@link #lastIndex()}, or -1. */
  public long lastTerm() {
    if (!entries.isEmpty()) {
      return entries.get(entries.size() - 1).term();
    }
    return snapshot == null ? -1 : snapshot.term();
  }
}
