package io.raftlock.raft;

import java.util.List;

/**
 * What a node reads back from stable storage on start, and all the core needs to resume.
 *
 * @param hardState last synced term, vote and commit index
 * @param snapshot newest durable snapshot, or {@code null} when none was taken
 * @param entries the verified log after the snapshot, contiguous and in index order
 * @param durableLastIndex with {@code durableLastTerm}, the most up-to-date (term, index) — in the
 *     order of Raft's log comparison, §5.4.1 — that the node's log ever reached durably (kept in
 *     the separately synced hard-state file, never lowered). When the verified log compares
 *     below it, entries the node may have acknowledged are gone: the node must not campaign, and
 *     votes only for candidates at least as up-to-date as this mark, until a leader repairs it.
 * @param durableLastTerm term of the entry at {@code durableLastIndex}
 */
public record PersistentState(
    HardState hardState,
    Snapshot snapshot,
    List<Entry> entries,
    long durableLastIndex,
    long durableLastTerm) {
  public PersistentState {
    hardState = hardState == null ? HardState.EMPTY : hardState;
    entries = List.copyOf(entries);
    long expected = (snapshot == null ? 0 : snapshot.index()) + 1;
    for (Entry e : entries) {
      if (e.index() != expected) {
        throw new IllegalArgumentException(
            "recovered log is not contiguous: expected index " + expected + " got " + e.index());
      }
      expected++;
    }
  }

  public static PersistentState empty() {
    return new PersistentState(HardState.EMPTY, null, List.of(), 0, 0);
  }

  /** Term of the last entry present after recovery (snapshot or log). */
  public long lastTerm() {
    if (!entries.isEmpty()) {
      return entries.get(entries.size() - 1).term();
    }
    return snapshot == null ? 0 : snapshot.term();
  }

  /** The recovered log is less up-to-date than what the node once held durably. */
  public boolean lostDurableEntries() {
    return durableLastTerm > lastTerm()
        || (durableLastTerm == lastTerm() && durableLastIndex > lastIndex());
  }

  /** Last index present after recovery (snapshot or log). */
  public long lastIndex() {
    if (!entries.isEmpty()) {
      return entries.get(entries.size() - 1).index();
    }
    return snapshot == null ? 0 : snapshot.index();
  }
}
