package io.raftlock.node;

import io.raftlock.raft.Entry;
import io.raftlock.raft.HardState;
import io.raftlock.raft.PersistBatch;
import io.raftlock.raft.PersistentState;
import io.raftlock.raft.RaftStorage;
import io.raftlock.raft.Snapshot;
import java.util.ArrayList;
import java.util.List;
import java.util.TreeMap;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.function.Consumer;

/**
 * Test storage: keeps everything in memory and completes writes on its own thread, in order, as
 * the real log writer does. Survives a verticle restart (not a process crash).
 */
final class InMemoryStorage implements RaftStorage {
  private final ExecutorService writer = Executors.newSingleThreadExecutor(r -> new Thread(r, "test-log-writer"));
  // Touched only on the writer thread, or before the first persist.
  private HardState hardState = HardState.EMPTY;
  private Snapshot snapshot;
  private final TreeMap<Long, Entry> log = new TreeMap<>();

  @Override
  public PersistentState recover() throws Exception {
    return writer.submit(() -> {
      long first = snapshot == null ? 1 : snapshot.index() + 1;
      List<Entry> entries = new ArrayList<>(log.tailMap(first, true).values());
      long last = entries.isEmpty() ? (snapshot == null ? 0 : snapshot.index()) : entries.get(entries.size() - 1).index();
      long lastTerm = entries.isEmpty() ? (snapshot == null ? 0 : snapshot.term()) : entries.get(entries.size() - 1).term();
      return new PersistentState(hardState, snapshot, entries, last, lastTerm);
    }).get();
  }

  @Override
  public void persist(PersistBatch batch, Consumer<Throwable> onDurable) {
    writer.execute(() -> {
      if (batch.snapshot() != null) {
        snapshot = batch.snapshot();
        log.clear();
      }
      if (!batch.entries().isEmpty()) {
        log.tailMap(batch.entries().get(0).index(), true).clear();
        batch.entries().forEach(e -> log.put(e.index(), e));
      }
      if (batch.hardState() != null) {
        hardState = batch.hardState();
      }
      onDurable.accept(null);
    });
  }

  @Override
  public void saveSnapshot(Snapshot snap, long compactIndex, Consumer<Throwable> onDurable) {
    writer.execute(() -> {
      snapshot = snap;
      log.headMap(compactIndex, true).clear();
      onDurable.accept(null);
    });
  }

  @Override
  public void close() {}

  void shutdown() {
    writer.shutdownNow();
  }
}
