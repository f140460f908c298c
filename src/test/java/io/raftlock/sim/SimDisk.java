package io.raftlock.sim;

import io.raftlock.raft.Entry;
import io.raftlock.raft.HardState;
import io.raftlock.raft.PersistBatch;
import io.raftlock.raft.PersistentState;
import io.raftlock.raft.RaftStorage;
import io.raftlock.raft.Snapshot;
import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.List;
import java.util.TreeMap;
import java.util.function.Consumer;
import java.util.random.RandomGenerator;

/**
 * An honest fake disk (like KRaft's MockLog or FoundationDB's AsyncFileNonDurable): writes become
 * durable only when their simulated sync completes, in FIFO order; a crash loses everything not
 * yet synced, optionally keeping a torn prefix of the first unsynced batch's entries (what a
 * checksummed log recovers after a power cut in the middle of a write).
 */
final class SimDisk implements RaftStorage {
  private final Scheduler scheduler;
  private final RandomGenerator random;

  // Durable state: survives crashes.
  private HardState hardState = HardState.EMPTY;
  private Snapshot snapshot;
  private final TreeMap<Long, Entry> log = new TreeMap<>();
  private long durableLastIndex;
  private long durableLastTerm;

  // Volatile: writes in progress, lost on crash.
  private record Pending(Runnable makeDurable, PersistBatch batch) {}

  private final ArrayDeque<Pending> pending = new ArrayDeque<>();
  private long incarnation;
  private long lastCompletionMs;

  int minLatencyMs = 1;
  int maxLatencyMs = 3;
  long syncs;

  SimDisk(Scheduler scheduler, RandomGenerator random) {
    this.scheduler = scheduler;
    this.random = random;
  }

  @Override
  public PersistentState recover() {
    long first = snapshot == null ? 1 : snapshot.index() + 1;
    List<Entry> entries = new ArrayList<>();
    for (long i = first; log.containsKey(i); i++) {
      entries.add(log.get(i));
    }
    return new PersistentState(hardState, snapshot, entries, durableLastIndex, durableLastTerm);
  }

  @Override
  public void persist(PersistBatch batch, Consumer<Throwable> onDurable) {
    enqueue(() -> {
      applyBatch(batch, batch.entries().size());
      onDurable.accept(null);
    }, batch);
  }

  @Override
  public void saveSnapshot(Snapshot snap, long compactIndex, Consumer<Throwable> onDurable) {
    enqueue(() -> {
      if (snapshot == null || snap.index() > snapshot.index()) {
        snapshot = snap;
      }
      log.headMap(compactIndex, true).clear();
      onDurable.accept(null);
    }, null);
  }

  private void enqueue(Runnable makeDurable, PersistBatch batch) {
    Pending p = new Pending(makeDurable, batch);
    pending.addLast(p);
    long at = Math.max(lastCompletionMs, scheduler.nowMs() + minLatencyMs + random.nextInt(maxLatencyMs - minLatencyMs + 1));
    lastCompletionMs = at;
    long inc = incarnation;
    scheduler.at(at, () -> {
      if (inc != incarnation || pending.peekFirst() != p) {
        return; // the process crashed before this sync completed
      }
      pending.removeFirst();
      syncs++;
      p.makeDurable.run();
    });
  }

  private void applyBatch(PersistBatch batch, int entryCount) {
    if (batch.snapshot() != null) {
      snapshot = batch.snapshot();
      log.clear();
    }
    List<Entry> entries = batch.entries().subList(0, entryCount);
    if (!entries.isEmpty()) {
      // Suffix truncation: an entry replaces its index and everything after it.
      log.tailMap(entries.get(0).index(), true).clear();
      for (Entry e : entries) {
        log.put(e.index(), e);
      }
    }
    if (entryCount == batch.entries().size()) {
      if (batch.hardState() != null) {
        hardState = batch.hardState();
      }
      raiseDurableMark();
    }
  }

  /** The mark only rises, in the order of Raft's log comparison (§5.4.1). */
  private void raiseDurableMark() {
    long index = log.isEmpty() ? (snapshot == null ? 0 : snapshot.index()) : log.lastKey();
    long term = log.isEmpty() ? (snapshot == null ? 0 : snapshot.term()) : log.lastEntry().getValue().term();
    if (term > durableLastTerm || (term == durableLastTerm && index > durableLastIndex)) {
      durableLastTerm = term;
      durableLastIndex = index;
    }
  }

  /**
   * The process dies: unsynced writes vanish. With {@code torn}, a random prefix of the first
   * unsynced batch's entries reached the platter (never its hard state: that file is renamed
   * into place atomically).
   */
  void crash(boolean torn) {
    incarnation++;
    Pending first = pending.peekFirst();
    if (torn && first != null && first.batch != null && !first.batch.entries().isEmpty()
        && first.batch.snapshot() == null) {
      int n = random.nextInt(first.batch.entries().size());
      if (n > 0) {
        applyBatch(first.batch, n); // entries only: an unfinished batch never raises the mark
      }
    }
    pending.clear();
    lastCompletionMs = scheduler.nowMs();
  }

  /**
   * Corruption found on restart: the log's tail beyond {@code keep} entries is unreadable,
   * while the separately synced durable mark still remembers what was acknowledged.
   */
  void loseTail(int dropEntries) {
    for (int i = 0; i < dropEntries && !log.isEmpty(); i++) {
      log.remove(log.lastKey());
    }
  }

  int pendingCount() {
    return pending.size();
  }

  @Override
  public void close() {}
}
