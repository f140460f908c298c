package io.raftlock.storage;

import static io.raftlock.storage.StorageFixtures.batch;
import static io.raftlock.storage.StorageFixtures.entries;
import static io.raftlock.storage.StorageFixtures.entry;
import static io.raftlock.storage.StorageFixtures.persistAndWait;
import static io.raftlock.storage.StorageFixtures.persistExpectingFailure;
import static org.awaitility.Awaitility.await;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;
import static org.junit.jupiter.api.Assertions.assertSame;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.raftlock.raft.Entry;
import io.raftlock.raft.HardState;
import io.raftlock.raft.PersistentState;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Queue;
import java.util.Set;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ConcurrentLinkedQueue;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class ChronicleRaftStorageTest {
  @TempDir Path dir;

  private ChronicleRaftStorage open(StorageOptions o) throws Exception {
    return new ChronicleRaftStorage(o);
  }

  private StorageOptions options() {
    return StorageOptions.defaults(dir).withReserveBytes(0);
  }

  private PersistentState reopen(StorageOptions o) throws Exception {
    try (ChronicleRaftStorage s = open(o)) {
      return s.recover();
    }
  }

  @Test
  void emptyStoreRecoversEmpty() throws Exception {
    PersistentState st = reopen(options());
    assertEquals(List.of(), st.entries());
    assertEquals(HardState.EMPTY, st.hardState());
    assertEquals(0, st.durableLastIndex());
  }

  @Test
  void appendedEntriesAndHardStateSurviveReopen() throws Exception {
    try (ChronicleRaftStorage s = open(options())) {
      s.recover();
      persistAndWait(s, batch(new HardState(2, "n2", 0), entries(1, 1, 3)));
      persistAndWait(s, batch(new HardState(2, "n2", 3), entries(2, 4, 10)));
    }
    PersistentState st = reopen(options());
    List<Entry> expected = new ArrayList<>(entries(1, 1, 3));
    expected.addAll(entries(2, 4, 10));
    assertEquals(expected, st.entries());
    assertEquals(new HardState(2, "n2", 3), st.hardState());
    assertEquals(10, st.durableLastIndex());
  }

  @Test
  void replacementEntriesTruncateTheSuffix() throws Exception {
    try (ChronicleRaftStorage s = open(options())) {
      s.recover();
      persistAndWait(s, batch(entries(1, 1, 10)));
      persistAndWait(s, batch(entries(2, 6, 7))); // a new leader overwrote 6.. with a shorter log
      assertEquals(concat(entries(1, 1, 5), entries(2, 6, 7)),
          s.readEntries(1, 7).get(10, TimeUnit.SECONDS));
    }
    PersistentState st = reopen(options());
    assertEquals(concat(entries(1, 1, 5), entries(2, 6, 7)), st.entries());
    assertEquals(7, st.durableLastIndex());
  }

  @Test
  void replayAcrossManySegmentsKeepsNewestCopies() throws Exception {
    StorageOptions o = options().withSegmentEntries(7);
    try (ChronicleRaftStorage s = open(o)) {
      s.recover();
      for (long i = 1; i <= 100; i += 5) {
        persistAndWait(s, batch(entries(1, i, i + 4)));
      }
      persistAndWait(s, batch(entries(3, 50, 60)));
    }
    try (ChronicleRaftStorage s = open(o)) {
      PersistentState st = s.recover();
      assertEquals(concat(entries(1, 1, 49), entries(3, 50, 60)), st.entries());
      assertTrue(s.recoveryReport().clean());
      persistAndWait(s, batch(entries(4, 61, 70))); // appends after a restart go to a new segment
    }
    assertEquals(70, reopen(o).lastIndex());
  }

  @Test
  void voteOnlyBatchIsDurable() throws Exception {
    try (ChronicleRaftStorage s = open(options())) {
      s.recover();
      persistAndWait(s, batch(new HardState(7, "n3", 0), List.of()));
    }
    assertEquals(new HardState(7, "n3", 0), reopen(options()).hardState());
  }

  @Test
  void completionsRunInFifoOrderOnTheWriterThread() throws Exception {
    List<Long> order = new java.util.concurrent.CopyOnWriteArrayList<>();
    List<String> threads = new java.util.concurrent.CopyOnWriteArrayList<>();
    CompletableFuture<Void> last = new CompletableFuture<>();
    try (ChronicleRaftStorage s = open(options())) {
      s.recover();
      for (long i = 1; i <= 500; i++) {
        long idx = i;
        s.persist(batch(List.of(entry(1, i))), t -> {
          order.add(idx);
          threads.add(Thread.currentThread().getName());
          if (idx == 500) {
            last.complete(null);
          }
        });
      }
      last.get(30, TimeUnit.SECONDS);
      assertTrue(s.syncCount() < 500, "syncs " + s.syncCount());
    }
    assertEquals(500, order.size());
    for (int i = 0; i < order.size(); i++) {
      assertEquals(i + 1, order.get(i));
    }
    assertEquals(Set.of("raft-log-writer"), Set.copyOf(threads));
  }

  @Test
  void batchThatDoesNotAttachStopsTheStore() throws Exception {
    try (ChronicleRaftStorage s = open(options())) {
      s.recover();
      persistAndWait(s, batch(entries(1, 1, 3)));
      Throwable gap = persistExpectingFailure(s, batch(entries(1, 10, 11)));
      assertInstanceOf(IllegalStateException.class, gap);
      Throwable after = persistExpectingFailure(s, batch(entries(1, 4, 4)));
      assertSame(gap, after);
      assertSame(gap, s.failure());
    }
    assertEquals(3, reopen(options()).lastIndex());
  }

  @Test
  void spaceGuardRefusesEntriesButSyncsEarlierBatches() throws Exception {
    try (ChronicleRaftStorage s = open(options().withReserveBytes(Long.MAX_VALUE))) {
      s.recover();
      assertTrue(s.belowSpaceReserve());
      persistAndWait(s, batch(new HardState(1, "n1", 0), List.of())); // no entries: allowed
      Throwable full = persistExpectingFailure(s, batch(entries(1, 1, 1)));
      assertInstanceOf(StorageFullException.class, full);
      assertSame(full, persistExpectingFailure(s, batch(new HardState(2, null, 0), List.of())));
    }
    PersistentState st = reopen(options());
    assertEquals(new HardState(1, "n1", 0), st.hardState());
    assertEquals(List.of(), st.entries());
  }

  @Test
  void deferredMarkStillSyncsTermAndVoteBeforeTheAck() throws Exception {
    StorageOptions o = options().withMarkBeforeAck(false);
    CompletableFuture<HardStateFile.Stored> seen = new CompletableFuture<>();
    try (ChronicleRaftStorage s = open(o)) {
      s.recover();
      persistAndWait(s, batch(entries(1, 1, 5)));
      s.persist(batch(new HardState(4, "n2", 5), entries(4, 6, 6)), t -> {
        try (HardStateFile f = HardStateFile.open(dir)) {
          seen.complete(f.current()); // what a crash right after the ack would find
        } catch (Exception e) {
          seen.completeExceptionally(e);
        }
      });
      HardStateFile.Stored atAck = seen.get(10, TimeUnit.SECONDS);
      assertEquals(4, atAck.hardState().currentTerm());
      assertEquals("n2", atAck.hardState().votedFor());
    }
    PersistentState st = reopen(o);
    assertEquals(6, st.durableLastIndex()); // written once the writer went idle or closed
    assertEquals(new HardState(4, "n2", 5), st.hardState());
  }

  @Test
  void hardStateWritesAreReportedTheVoteAtOnceTheMarkWhenTheWriterIdles() throws Exception {
    // Reported on the writer thread; checked here, where a failed assertion fails the test.
    Queue<Long> writeNanos = new ConcurrentLinkedQueue<>();
    try (ChronicleRaftStorage s = open(options().withMarkBeforeAck(false))) {
      s.observeWith(new ChronicleRaftStorage.Observer() {
        @Override
        public void hardStateWritten(long nanos) {
          writeNanos.add(nanos);
        }
      });
      s.recover();
      CompletableFuture<Integer> writesAtAck = new CompletableFuture<>();
      s.persist(batch(new HardState(2, "n1", 0), entries(2, 1, 1)), t -> writesAtAck.complete(writeNanos.size()));
      assertEquals(1, writesAtAck.get(10, TimeUnit.SECONDS), "a new term and vote are written before the ack");

      persistAndWait(s, batch(entries(2, 2, 4)));
      // Only the durable mark moved: it is written later, once the writer has nothing to do.
      await().atMost(10, TimeUnit.SECONDS).until(() -> writeNanos.size() == 2);
      assertTrue(writeNanos.stream().allMatch(nanos -> nanos > 0), () -> "durations " + writeNanos);
      try (HardStateFile f = HardStateFile.open(dir)) {
        assertEquals(4, f.current().durableIndex());
      }
    }
  }

  static List<Entry> concat(List<Entry> a, List<Entry> b) {
    List<Entry> out = new ArrayList<>(a);
    out.addAll(b);
    return out;
  }
}
