package io.raftlock.storage;

import io.raftlock.raft.Entry;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;

/**
 * In-memory map from Raft index to where the newest copy of that entry sits in the queue (its
 * Chronicle index) and its term, built by replaying the queue in write order.
 *
 * <p>Replay rule (suffix truncation on an append-only file): writing index {@code i} invalidates
 * every entry written earlier with index ≥ {@code i}; {@link #truncateFrom} is that rule alone.
 * Gaps are legal while replaying (a corrupt region can hide entries), so the map is a list of
 * contiguous runs ordered by index; only the run that continues the snapshot is recovered.
 *
 * <p>Invariants: runs are non-empty, sorted, non-overlapping; {@code run[k].end < run[k+1].start}.
 * Confined to one thread (recovery, then the log writer).
 */
final class LogIndex {
  private final List<Run> runs = new ArrayList<>();
  private boolean keepEntries;

  /** @param keepEntries also hold the decoded entries (recovery returns them to the core) */
  LogIndex(boolean keepEntries) {
    this.keepEntries = keepEntries;
  }

  /** Records that the newest copy of {@code e} is at {@code position}, applying the replay rule. */
  void put(Entry e, long position) {
    long i = e.index();
    truncateFrom(i);
    Run last = runs.isEmpty() ? null : runs.get(runs.size() - 1);
    if (last == null || last.end() != i - 1) {
      last = new Run(i, keepEntries);
      runs.add(last);
    }
    last.add(e, position);
  }

  /** Drops every entry with index ≥ {@code i}. */
  void truncateFrom(long i) {
    for (int k = runs.size() - 1; k >= 0; k--) {
      Run r = runs.get(k);
      if (r.start >= i) {
        runs.remove(k);
      } else {
        if (r.end() >= i) {
          r.count = (int) (i - r.start);
        }
        return;
      }
    }
  }

  /** Keeps only the contiguous run that contains {@code first}; everything else is dropped. */
  void retainRunFrom(long first) {
    runs.removeIf(r -> !r.contains(first));
    if (!runs.isEmpty()) {
      runs.get(0).dropBefore(first);
    }
  }

  /** Forgets every index below {@code i} (entries a snapshot covers and compaction deleted). */
  void dropBelow(long i) {
    while (!runs.isEmpty() && runs.get(0).end() < i) {
      runs.remove(0);
    }
    if (!runs.isEmpty()) {
      runs.get(0).dropBefore(i);
    }
  }

  /** Frees the decoded entries once recovery has handed them over. */
  void dropEntries() {
    keepEntries = false;
    runs.forEach(r -> r.entries = null);
  }

  boolean isEmpty() {
    return runs.isEmpty();
  }

  /** First index held, or -1. */
  long firstIndex() {
    return runs.isEmpty() ? -1 : runs.get(0).start;
  }

  /** Last index held, or -1. */
  long lastIndex() {
    return runs.isEmpty() ? -1 : runs.get(runs.size() - 1).end();
  }

  /** Term of {@code i}, or -1 when not held. */
  long term(long i) {
    Run r = find(i);
    return r == null ? -1 : r.terms[(int) (i - r.start)];
  }

  /** Chronicle index of {@code i}, or -1 when not held. */
  long position(long i) {
    Run r = find(i);
    return r == null ? -1 : r.positions[(int) (i - r.start)];
  }

  /** Decoded entries of the run containing {@code first}, from {@code first} to its end. */
  List<Entry> entriesFrom(long first) {
    Run r = find(first);
    if (r == null || r.entries == null) {
      return List.of();
    }
    int from = (int) (first - r.start);
    return Arrays.asList(r.entries).subList(from, r.count);
  }

  private Run find(long i) {
    for (int k = runs.size() - 1; k >= 0; k--) {
      Run r = runs.get(k);
      if (r.contains(i)) {
        return r;
      }
      if (r.start < i) {
        return null;
      }
    }
    return null;
  }

  /** A contiguous range [start, start + count). */
  private static final class Run {
    long start;
    int count;
    long[] positions = new long[64];
    long[] terms = new long[64];
    Entry[] entries;

    Run(long start, boolean keepEntries) {
      this.start = start;
      this.entries = keepEntries ? new Entry[64] : null;
    }

    long end() {
      return start + count - 1;
    }

    boolean contains(long i) {
      return i >= start && i <= end();
    }

    void add(Entry e, long position) {
      if (count == positions.length) {
        int n = count * 2;
        positions = Arrays.copyOf(positions, n);
        terms = Arrays.copyOf(terms, n);
        entries = entries == null ? null : Arrays.copyOf(entries, n);
      }
      positions[count] = position;
      terms[count] = e.term();
      if (entries != null) {
        entries[count] = e;
      }
      count++;
    }

    void dropBefore(long first) {
      int skip = (int) (first - start);
      if (skip <= 0) {
        return;
      }
      positions = Arrays.copyOfRange(positions, skip, Math.max(count, skip + 1));
      terms = Arrays.copyOfRange(terms, skip, Math.max(count, skip + 1));
      entries = entries == null ? null : Arrays.copyOfRange(entries, skip, Math.max(count, skip + 1));
      start = first;
      count -= skip;
    }
  }
}
