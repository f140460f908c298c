package io.raftlock.raft;

import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;

/**
 * The node's log since the last compaction, held in memory; stable storage is written from
 * {@link Ready} and read back only on restart, so the core never waits on a disk.
 *
 * <p>Invariants (checked by {@link #checkInvariants}):
 *
 * <ul>
 *   <li>{@code entries.get(k).index() == offsetIndex + 1 + k}: contiguous after the offset;
 *   <li>{@code offsetIndex <= appliedIndex <= commitIndex <= lastIndex()};
 *   <li>{@code offsetIndex <= snapshot.index()} when a snapshot exists (entries between them are
 *       kept so lagging followers can be served without a snapshot);
 *   <li>{@code unpersistedFrom - 1 <= lastIndex()}: every entry before it was handed to storage.
 * </ul>
 *
 * <p>It also tracks cluster membership, because a configuration takes effect as soon as its entry
 * is in the log (Raft thesis §4.1) and must revert when that entry is truncated: {@code configs}
 * holds every CONFIG entry after {@code baseConfigIndex}, and {@code baseConfig} is the
 * configuration in force at that index (the snapshot's, or the bootstrap configuration at 0).
 * Invariant: {@code baseConfigIndex <= appliedIndex} and every key of {@code configs} is in
 * {@code (baseConfigIndex, lastIndex()]} with a CONFIG entry at that index.
 */
final class RaftLog {
  private final ArrayList<Entry> entries = new ArrayList<>();
  /** Index and term of the last entry dropped from memory (0/0 when none). */
  private long offsetIndex;

  private long offsetTerm;
  /** Newest snapshot, sent to followers whose next entry was compacted away; may be null. */
  private Snapshot snapshot;
  /** A snapshot received from a leader and not yet handed to the driver; may be null. */
  private Snapshot pendingSnapshot;

  private long commitIndex;
  /** Highest index handed to the driver to apply (through committed entries or a snapshot). */
  private long appliedIndex;
  /** First index not yet handed to storage through a {@link Ready}. */
  private long unpersistedFrom;
  /** Highest index storage reported durable whose entry is still in this log unchanged. */
  private long persistedIndex;

  /** Configuration in force at {@code baseConfigIndex}. */
  private ClusterConfig baseConfig;

  private long baseConfigIndex;
  /** CONFIG entries after {@code baseConfigIndex}, by index, decoded. */
  private final TreeMap<Long, ClusterConfig> configs = new TreeMap<>();

  /**
   * @param bootstrap the configuration at index 0, used when there is no snapshot
   */
  RaftLog(PersistentState state, ClusterConfig bootstrap) {
    Snapshot snap = state.snapshot();
    baseConfig = bootstrap;
    if (snap != null) {
      snapshot = snap;
      offsetIndex = snap.index();
      offsetTerm = snap.term();
      baseConfig = snap.meta().config();
      baseConfigIndex = snap.index();
    }
    if (baseConfig == null) {
      throw new IllegalArgumentException("a node needs a bootstrap configuration or a snapshot");
    }
    entries.addAll(state.entries());
    // Restart: the latest configuration is the last CONFIG entry in the log, else the snapshot's.
    for (Entry e : entries) {
      trackConfig(e);
    }
    // The persisted commit index is a hint; the log may have come back shorter than it.
    commitIndex = Math.max(offsetIndex, Math.min(state.hardState().commitIndex(), lastIndex()));
    appliedIndex = offsetIndex;
    unpersistedFrom = lastIndex() + 1;
    persistedIndex = lastIndex(); // everything recovered was read back from disk
  }

  long lastIndex() {
    return offsetIndex + entries.size();
  }

  long lastTerm() {
    return entries.isEmpty() ? offsetTerm : entries.get(entries.size() - 1).term();
  }

  long firstIndex() {
    return offsetIndex + 1;
  }

  long commitIndex() {
    return commitIndex;
  }

  long appliedIndex() {
    return appliedIndex;
  }

  Snapshot snapshot() {
    return snapshot;
  }

  /** Term of the entry at {@code index}, or -1 when it is compacted away or not present. */
  long term(long index) {
    if (index == offsetIndex) {
      return offsetTerm;
    }
    if (index < offsetIndex || index > lastIndex()) {
      return -1;
    }
    return entries.get((int) (index - offsetIndex - 1)).term();
  }

  Entry entry(long index) {
    return entries.get((int) (index - offsetIndex - 1));
  }

  boolean matchTerm(long index, long term) {
    return term(index) == term;
  }

  /** §5.4.1: a candidate's log is at least as up-to-date as ours. */
  boolean isUpToDate(long lastLogIndex, long lastLogTerm) {
    return lastLogTerm > lastTerm() || (lastLogTerm == lastTerm() && lastLogIndex >= lastIndex());
  }

  /** Appends a new entry at the end (leader only). */
  void append(Entry e) {
    if (e.index() != lastIndex() + 1) {
      throw new RaftException("append at " + e.index() + " after last " + lastIndex());
    }
    entries.add(e);
    trackConfig(e);
  }

  private void trackConfig(Entry e) {
    if (e.type() == EntryType.CONFIG && e.index() > baseConfigIndex) {
      configs.put(e.index(), ClusterConfig.decode(e.data()));
    }
  }

  /** The latest configuration in the log, committed or not: the one in force (thesis §4.1). */
  ClusterConfig config() {
    return configs.isEmpty() ? baseConfig : configs.lastEntry().getValue();
  }

  /** Index of the entry that set {@link #config()} (the snapshot index or 0 for the base). */
  long configIndex() {
    return configs.isEmpty() ? baseConfigIndex : configs.lastKey();
  }

  /**
   * The configuration in force at {@code index}: the last CONFIG entry at or before it, else the
   * base. Only defined from the base index on (earlier history is compacted away).
   */
  ClusterConfig configAt(long index) {
    if (index < baseConfigIndex) {
      throw new IllegalArgumentException(
          "configuration at " + index + " is compacted (known from " + baseConfigIndex + ")");
    }
    Map.Entry<Long, ClusterConfig> e = configs.floorEntry(index);
    return e == null ? baseConfig : e.getValue();
  }

  /**
   * Follower side of AppendEntries after the consistency check passed at {@code prevIndex}:
   * skips entries already present, truncates at the first conflicting one and appends the rest
   * (§5.3 step 3 and 4). Returns the index of the last new entry.
   */
  long appendFromLeader(long prevIndex, List<Entry> incoming) {
    for (int k = 0; k < incoming.size(); k++) {
      Entry e = incoming.get(k);
      if (e.index() <= offsetIndex) {
        continue; // already compacted into our snapshot, hence committed and identical
      }
      long existing = term(e.index());
      if (existing == e.term()) {
        continue;
      }
      if (e.index() <= commitIndex) {
        throw new RaftException(
            "conflict at committed index " + e.index() + " (commit " + commitIndex + ")");
      }
      if (existing != -1) {
        truncateFrom(e.index());
      }
      for (int j = k; j < incoming.size(); j++) {
        append(incoming.get(j));
      }
      break;
    }
    return prevIndex + incoming.size();
  }

  private void truncateFrom(long index) {
    entries.subList((int) (index - offsetIndex - 1), entries.size()).clear();
    configs.tailMap(index, true).clear(); // a truncated configuration no longer applies
    unpersistedFrom = Math.min(unpersistedFrom, index);
    persistedIndex = Math.min(persistedIndex, index - 1);
  }

  long persistedIndex() {
    return persistedIndex;
  }

  /**
   * Storage made entries up to ({@code index}, {@code term}) durable. Ignored when that entry was
   * replaced meanwhile: its replacement is durable only when its own batch completes. (By Log
   * Matching an entry with the same index and term is the same entry, so a re-append after two
   * truncations is correctly counted.)
   */
  boolean markPersisted(long index, long term) {
    if (index > persistedIndex && index <= lastIndex() && term(index) == term) {
      persistedIndex = index;
      return true;
    }
    return false;
  }

  /**
   * Fast backtracking: the largest index ≤ {@code index} whose term is ≤ {@code term}. Entries
   * after it cannot match a log whose entry at {@code index} has {@code term}.
   */
  long findConflictByTerm(long index, long term) {
    long i = Math.min(index, lastIndex());
    while (i > offsetIndex && term(i) > term) {
      i--;
    }
    return i;
  }

  /** Entries [lo, hi) capped at {@code maxBytes} (at least one entry when any exists). */
  List<Entry> slice(long lo, long hi, long maxBytes) {
    if (lo > hi || lo <= offsetIndex || hi > lastIndex() + 1) {
      throw new RaftException("slice [" + lo + "," + hi + ") outside (" + offsetIndex + "," + lastIndex() + "]");
    }
    int from = (int) (lo - offsetIndex - 1);
    int to = (int) (hi - offsetIndex - 1);
    long bytes = 0;
    int end = from;
    while (end < to) {
      bytes += entries.get(end).sizeBytes();
      if (bytes > maxBytes && end > from) {
        break;
      }
      end++;
    }
    return end == from ? List.of() : List.copyOf(entries.subList(from, end));
  }

  void commitTo(long index) {
    if (index > commitIndex) {
      if (index > lastIndex()) {
        throw new RaftException("commit " + index + " beyond last index " + lastIndex());
      }
      commitIndex = index;
    }
  }

  /** Committed entries not yet handed out for applying, up to {@code maxEntries}. */
  List<Entry> takeCommitted(int maxEntries) {
    long hi = Math.min(commitIndex, appliedIndex + maxEntries);
    if (hi <= appliedIndex) {
      return List.of();
    }
    List<Entry> out = slice(appliedIndex + 1, hi + 1, Long.MAX_VALUE);
    appliedIndex = hi;
    return out;
  }

  boolean hasCommittedToApply() {
    return commitIndex > appliedIndex;
  }

  /** Entries not yet handed to storage, marking them handed. */
  List<Entry> takeUnpersisted() {
    if (unpersistedFrom > lastIndex()) {
      return List.of();
    }
    List<Entry> out = slice(unpersistedFrom, lastIndex() + 1, Long.MAX_VALUE);
    unpersistedFrom = lastIndex() + 1;
    return out;
  }

  boolean hasUnpersisted() {
    return unpersistedFrom <= lastIndex() || pendingSnapshot != null;
  }

  Snapshot takePendingSnapshot() {
    Snapshot s = pendingSnapshot;
    pendingSnapshot = null;
    return s;
  }

  boolean hasPendingSnapshot() {
    return pendingSnapshot != null;
  }

  /**
   * Replaces the whole log by a snapshot received from the leader (§7): everything up to its
   * index is committed by definition; entries are discarded because ours conflict or are short.
   */
  void restore(Snapshot snap) {
    if (snap.index() <= commitIndex) {
      throw new RaftException("restore of snapshot " + snap.index() + " at commit " + commitIndex);
    }
    entries.clear();
    offsetIndex = snap.index();
    offsetTerm = snap.term();
    snapshot = snap;
    pendingSnapshot = snap;
    configs.clear();
    baseConfig = snap.meta().config();
    baseConfigIndex = snap.index();
    commitIndex = snap.index();
    appliedIndex = snap.index();
    unpersistedFrom = snap.index() + 1;
    persistedIndex = Math.min(persistedIndex, snap.index() - 1);
  }

  /**
   * Takes a snapshot the driver made at an applied index and drops entries up to
   * {@code compactIndex} from memory. Entries between the two are kept for lagging followers.
   */
  void compact(Snapshot snap, long compactIndex) {
    if (snap.index() > appliedIndex || compactIndex > snap.index()) {
      throw new IllegalArgumentException(
          "snapshot " + snap.index() + " / compact " + compactIndex + " beyond applied " + appliedIndex);
    }
    if (snapshot == null || snap.index() > snapshot.index()) {
      // The snapshot must carry the configuration at its own index, not a later appended one:
      // a restart from it would otherwise resurrect a configuration whose entry may be truncated.
      ClusterConfig expected = configAt(snap.index());
      if (!expected.equals(snap.meta().config())) {
        throw new IllegalArgumentException("snapshot at " + snap.index() + " carries configuration "
            + snap.meta().config() + " but " + expected + " is in force there");
      }
      snapshot = snap;
      baseConfig = expected;
      baseConfigIndex = snap.index();
      configs.headMap(snap.index(), true).clear();
    }
    if (compactIndex <= offsetIndex) {
      return;
    }
    long newOffsetTerm = term(compactIndex);
    entries.subList(0, (int) (compactIndex - offsetIndex)).clear();
    offsetIndex = compactIndex;
    offsetTerm = newOffsetTerm;
  }

  /** The entries held in memory, oldest first (read-only). */
  List<Entry> entriesView() {
    return Collections.unmodifiableList(entries);
  }

  void checkInvariants() {
    if (!(offsetIndex <= appliedIndex && appliedIndex <= commitIndex && commitIndex <= lastIndex())) {
      throw new RaftException(
          "log bounds broken: offset " + offsetIndex + " applied " + appliedIndex
              + " commit " + commitIndex + " last " + lastIndex());
    }
    if (snapshot != null && snapshot.index() < offsetIndex) {
      throw new RaftException("snapshot " + snapshot.index() + " older than offset " + offsetIndex);
    }
  }
}
