package io.raftlock.storage;

import static io.raftlock.storage.StorageFixtures.batch;
import static io.raftlock.storage.StorageFixtures.entries;
import static io.raftlock.storage.StorageFixtures.persistAndWait;
import static io.raftlock.storage.StorageFixtures.snapshot;
import static org.awaitility.Awaitility.await;
import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.raftlock.raft.PersistBatch;
import io.raftlock.raft.PersistentState;
import io.raftlock.raft.Snapshot;
import java.io.IOException;
import java.io.RandomAccessFile;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class SnapshotAndCompactionTest {
  @TempDir Path dir;

  private StorageOptions options() {
    return StorageOptions.defaults(dir).withReserveBytes(0).withSegmentEntries(10);
  }

  private static void save(ChronicleRaftStorage s, Snapshot snap, long compactIndex) {
    CompletableFuture<Throwable> done = new CompletableFuture<>();
    s.saveSnapshot(snap, compactIndex, done::complete);
    assertNull(done.orTimeout(30, TimeUnit.SECONDS).join());
  }

  private long segmentFiles() throws IOException {
    try (Stream<Path> files = Files.list(dir.resolve(ChronicleLog.DIR))) {
      return files.filter(f -> f.toString().endsWith(".cq4")).count();
    }
  }

  @Test
  void snapshotRoundTripAndCompactionDeletesWholeSegmentsBelowIt() throws Exception {
    Snapshot snap = snapshot(150, 1, "state-at-150");
    try (ChronicleRaftStorage s = new ChronicleRaftStorage(options())) {
      s.recover();
      for (long i = 1; i <= 200; i += 10) {
        persistAndWait(s, batch(entries(1, i, i + 9)));
      }
      long before = segmentFiles();
      save(s, snap, 150);
      // segments holding 1..150 go (15 of 10 entries each); the active one never does
      await().atMost(Duration.ofSeconds(10)).until(() -> segmentFiles() <= before - 15);
      persistAndWait(s, batch(entries(1, 201, 205)));
    }
    try (ChronicleRaftStorage s = new ChronicleRaftStorage(options())) {
      PersistentState st = s.recover();
      assertEquals(150, st.snapshot().index());
      assertArrayEquals(snap.data(), st.snapshot().data());
      assertEquals(snap.meta(), st.snapshot().meta());
      assertEquals(entries(1, 151, 205), st.entries());
      assertTrue(s.recoveryReport().clean(), s.recoveryReport().toString());
    }
  }

  @Test
  void compactingUpToTheLastEntryKeepsTheLogAppendable() throws Exception {
    try (ChronicleRaftStorage s = new ChronicleRaftStorage(options())) {
      s.recover();
      persistAndWait(s, batch(entries(1, 1, 35)));
      save(s, snapshot(35, 1, "all"), 35);
      persistAndWait(s, batch(entries(2, 36, 40))); // compaction runs before or after: either works
      assertEquals(entries(2, 36, 40), s.readEntries(36, 40).get(10, TimeUnit.SECONDS));
    }
    try (ChronicleRaftStorage s = new ChronicleRaftStorage(options())) {
      PersistentState st = s.recover();
      assertEquals(35, st.snapshot().index());
      assertEquals(entries(2, 36, 40), st.entries());
    }
  }

  @Test
  void onlyTheNewestSnapshotsAreKeptAndADamagedOneFallsBack() throws Exception {
    try (ChronicleRaftStorage s = new ChronicleRaftStorage(options().withSnapshotsKept(2))) {
      s.recover();
      persistAndWait(s, batch(entries(1, 1, 40)));
      for (long i = 10; i <= 40; i += 10) {
        save(s, snapshot(i, 1, "s" + i), 0);
      }
    }
    SnapshotStore store = new SnapshotStore(dir.resolve("snapshots"), 2);
    List<Path> kept = store.listNewestFirst();
    assertEquals(2, kept.size());
    try (RandomAccessFile f = new RandomAccessFile(kept.get(0).toFile(), "rw")) {
      f.seek(f.length() - 6);
      f.write('!');
    }
    try (ChronicleRaftStorage s = new ChronicleRaftStorage(options())) {
      PersistentState st = s.recover();
      assertEquals(30, st.snapshot().index());
      assertEquals(entries(1, 31, 40), st.entries());
      assertFalse(s.recoveryReport().problems().isEmpty());
    }
  }

  @Test
  void installedSnapshotThatConflictsDiscardsTheLog() throws Exception {
    try (ChronicleRaftStorage s = new ChronicleRaftStorage(options())) {
      s.recover();
      persistAndWait(s, batch(entries(1, 1, 100)));
      persistAndWait(s, new PersistBatch(null, snapshot(80, 3, "leader"), List.of()));
    }
    try (ChronicleRaftStorage s = new ChronicleRaftStorage(options())) {
      PersistentState st = s.recover();
      assertEquals(80, st.snapshot().index());
      assertEquals(List.of(), st.entries());
      assertEquals(80, st.durableLastIndex());
      persistAndWait(s, batch(entries(3, 81, 90)));
    }
    try (ChronicleRaftStorage s = new ChronicleRaftStorage(options())) {
      PersistentState st = s.recover();
      assertEquals(entries(3, 81, 90), st.entries());
      assertTrue(s.recoveryReport().clean(), s.recoveryReport().toString());
    }
  }

  @Test
  void installedSnapshotReplacesTheWholeLogAndTheMarkNeverFalls() throws Exception {
    try (ChronicleRaftStorage s = new ChronicleRaftStorage(options())) {
      s.recover();
      persistAndWait(s, batch(entries(1, 1, 100)));
      // as the core's log does on restore: everything goes, even entries that would match
      persistAndWait(s, new PersistBatch(null, snapshot(50, 1, "leader"), entries(1, 51, 52)));
    }
    try (ChronicleRaftStorage s = new ChronicleRaftStorage(options())) {
      PersistentState st = s.recover();
      assertEquals(50, st.snapshot().index());
      assertEquals(entries(1, 51, 52), st.entries());
      assertEquals(100, st.durableLastIndex()); // (1, 100) was reached durably once
      assertEquals(1, st.durableLastTerm());
      assertTrue(st.lostDurableEntries());
    }
  }
}
