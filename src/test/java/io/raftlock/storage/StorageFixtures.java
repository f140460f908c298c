package io.raftlock.storage;

import io.raftlock.raft.ClusterConfig;
import io.raftlock.raft.Entry;
import io.raftlock.raft.HardState;
import io.raftlock.raft.PersistBatch;
import io.raftlock.raft.RaftStorage;
import io.raftlock.raft.Snapshot;
import io.raftlock.raft.SnapshotMeta;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;
import java.util.Set;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;

/** Small helpers shared by the storage tests. */
final class StorageFixtures {
  static {
    System.setProperty("chronicle.analytics.disable", "true");
  }

  private StorageFixtures() {}

  static byte[] payload(long term, long index) {
    return ("entry-" + term + "-" + index).getBytes(StandardCharsets.UTF_8);
  }

  static Entry entry(long term, long index) {
    return Entry.normal(term, index, payload(term, index));
  }

  static List<Entry> entries(long term, long from, long to) {
    List<Entry> out = new ArrayList<>();
    for (long i = from; i <= to; i++) {
      out.add(entry(term, i));
    }
    return out;
  }

  static PersistBatch batch(List<Entry> entries) {
    return new PersistBatch(null, null, entries);
  }

  static PersistBatch batch(HardState hs, List<Entry> entries) {
    return new PersistBatch(hs, null, entries);
  }

  /** Persists and waits for the completion; fails the test on a storage error. */
  static void persistAndWait(RaftStorage s, PersistBatch b) {
    CompletableFuture<Throwable> done = new CompletableFuture<>();
    s.persist(b, done::complete);
    Throwable t = done.orTimeout(30, TimeUnit.SECONDS).join();
    if (t != null) {
      throw new AssertionError("persist failed", t);
    }
  }

  static Throwable persistExpectingFailure(RaftStorage s, PersistBatch b) {
    CompletableFuture<Throwable> done = new CompletableFuture<>();
    s.persist(b, done::complete);
    return done.orTimeout(30, TimeUnit.SECONDS).join();
  }

  static Snapshot snapshot(long index, long term, String data) {
    return new Snapshot(new SnapshotMeta(index, term, ClusterConfig.ofVoters(Set.of("n1", "n2", "n3"))),
        data.getBytes(StandardCharsets.UTF_8));
  }
}
