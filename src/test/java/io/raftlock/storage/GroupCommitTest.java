package io.raftlock.storage;

import static io.raftlock.storage.StorageFixtures.batch;
import static io.raftlock.storage.StorageFixtures.entry;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.raftlock.raft.PersistentState;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.locks.ReentrantLock;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** Many producers with one batch in flight each: the writer must cover several batches per sync. */
class GroupCommitTest {
  private static final int PRODUCERS = 16;
  private static final int BATCHES_EACH = 100;

  @TempDir Path dir;

  @Test
  void concurrentProducersShareSyncs() throws Exception {
    StorageOptions o = StorageOptions.defaults(dir).withReserveBytes(0);
    ReentrantLock sequencer = new ReentrantLock(); // stands in for the single Raft event loop
    long[] next = {1};
    try (ChronicleRaftStorage s = new ChronicleRaftStorage(o)) {
      s.recover();
      List<CompletableFuture<Void>> producers = new ArrayList<>();
      for (int p = 0; p < PRODUCERS; p++) {
        producers.add(CompletableFuture.runAsync(() -> {
          for (int b = 0; b < BATCHES_EACH; b++) {
            CompletableFuture<Throwable> done = new CompletableFuture<>();
            sequencer.lock();
            try {
              s.persist(batch(List.of(entry(1, next[0]++))), done::complete);
            } finally {
              sequencer.unlock();
            }
            assertNull(done.orTimeout(30, TimeUnit.SECONDS).join());
          }
        }, runnable -> new Thread(runnable).start()));
      }
      CompletableFuture.allOf(producers.toArray(CompletableFuture[]::new)).get(60, TimeUnit.SECONDS);
      long batches = PRODUCERS * BATCHES_EACH;
      System.out.printf("%d batches, %d syncs%n", batches, s.syncCount());
      assertTrue(s.syncCount() < batches, "syncs " + s.syncCount() + " for " + batches + " batches");
    }
    try (ChronicleRaftStorage s = new ChronicleRaftStorage(o)) {
      PersistentState st = s.recover();
      assertEquals(PRODUCERS * BATCHES_EACH, st.lastIndex());
    }
  }
}
