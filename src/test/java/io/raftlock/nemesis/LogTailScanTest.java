package io.raftlock.nemesis;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.raftlock.codec.EntryFrame;
import io.raftlock.nemesis.LogTailScan.Span;
import io.raftlock.raft.Entry;
import io.raftlock.raft.HardState;
import io.raftlock.raft.PersistBatch;
import io.raftlock.raft.PersistentState;
import io.raftlock.storage.ChronicleRaftStorage;
import io.raftlock.storage.StorageOptions;
import io.raftlock.storage.StoreProbe;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.channels.FileChannel;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.util.ArrayList;
import java.util.List;
import java.util.Random;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The torn-power mapping on a real store: a crash after the log of a round was synced and before
 * its durable mark was written is staged by putting back the hard-state file of the round before.
 * The scan must find exactly the records above that mark, and whatever the tear does to them,
 * recovery keeps every entry up to the mark.
 */
class LogTailScanTest {
  private static final int ACKED = 10;
  private static final int WRITTEN = 40;

  @TempDir Path dir;

  @Test
  void theSpanIsExactlyTheRecordsAboveTheMarkInOneSegment() throws Exception {
    Path data = stage(false);
    List<Span> spans = LogTailScan.unacknowledged(data);
    assertEquals(1, spans.size(), spans.toString());
    assertEquals(ACKED + 1, frameAt(spans.get(0).file(), spans.get(0).from()).index(), "starts at the first unacked header");
    List<LogTailScan.Segment> segments = LogTailScan.scan(data);
    LogTailScan.Record last = segments.get(segments.size() - 1).records().get(WRITTEN - 1);
    assertEquals(WRITTEN, last.index());
    assertEquals(last.end(), spans.get(0).to(), "ends at the last record's end");
    LogTailScan.Record acked = segments.get(0).records().get(ACKED - 1);
    assertTrue(acked.end() <= spans.get(0).from(), "the acknowledged records lie before the span");
  }

  @Test
  void aNewSegmentAfterARestartHoldsTheWholeSpan() throws Exception {
    Path data = stage(true);
    List<Span> spans = LogTailScan.unacknowledged(data);
    assertEquals(1, spans.size(), spans.toString());
    assertEquals(ACKED + 1, frameAt(spans.get(0).file(), spans.get(0).from()).index());
    assertEquals(2, LogTailScan.scan(data).size(), "acknowledged and unacknowledged records in two segments");
    assertFalse(spans.get(0).file().equals(LogTailScan.scan(data).get(0).file()));
  }

  @Test
  void theRunStopsAtAMarkerARecordAtOrBelowTheMarkOrAnUnreadableStretch() {
    Path a = Path.of("a.cq4");
    Path b = Path.of("b.cq4");
    StoreProbe.Mark mark = new StoreProbe.Mark(10, 2);
    LogTailScan.Record low = new LogTailScan.Record(a, 100, 200, true, 2, 10);
    LogTailScan.Record marker = new LogTailScan.Record(a, 200, 240, false, 3, 6);
    LogTailScan.Record above1 = new LogTailScan.Record(a, 240, 300, true, 3, 6);
    LogTailScan.Record above2 = new LogTailScan.Record(b, 64, 120, true, 3, 7);
    LogTailScan.Record repaired = new LogTailScan.Record(b, 120, 180, true, 2, 9);
    LogTailScan.Segment segA = new LogTailScan.Segment(a, List.of(low, marker, above1), true);
    assertEquals(List.of(new Span(a, 240, 300), new Span(b, 64, 120)),
        LogTailScan.spansAbove(List.of(segA, new LogTailScan.Segment(b, List.of(above2), true)), mark));
    assertEquals(List.of(), LogTailScan.spansAbove(
        List.of(segA, new LogTailScan.Segment(b, List.of(above2, repaired), true)), mark), "a repair after them");
    assertEquals(List.of(new Span(b, 64, 120)), LogTailScan.spansAbove(
        List.of(new LogTailScan.Segment(a, List.of(low, above1), false), new LogTailScan.Segment(b, List.of(above2), true)),
        mark), "an unreadable stretch ends the run");
    assertEquals(List.of(), LogTailScan.spansAbove(List.of(segA), new StoreProbe.Mark(6, 3)), "all at or below the mark");
  }

  @Test
  void recoveryKeepsEveryAcknowledgedEntryWhateverIsTorn() throws Exception {
    Path staged = stage(false);
    for (long seed = 0; seed < 12; seed++) {
      Path data = copyTree(staged, dir.resolve("torn-" + seed));
      TornWrites.Plan plan = TornWrites.choose(LogTailScan.unacknowledged(data), new Random(seed));
      TornWrites.apply(plan);
      try (ChronicleRaftStorage s = new ChronicleRaftStorage(StorageOptions.defaults(data))) {
        PersistentState state = s.recover();
        assertFalse(state.lostDurableEntries(), "seed " + seed + ": " + plan.describe());
        assertTrue(state.lastIndex() >= ACKED && state.lastIndex() < WRITTEN + 1, "seed " + seed);
        for (int i = 1; i <= ACKED; i++) {
          assertArrayEquals(payload(1, i), state.entries().get(i - 1).data(), "seed " + seed + " entry " + i);
        }
        assertEquals(state.entries(), s.readEntries(1, state.lastIndex()).get(30, TimeUnit.SECONDS));
      }
    }
  }

  /**
   * Entries 1..ACKED acknowledged with their mark, then ACKED+1..WRITTEN written and synced, with
   * the hard state put back to the mark before them (the crash between sync and mark).
   */
  private Path stage(boolean restartBetween) throws Exception {
    Path data = dir.resolve("data");
    Path hardState = data.resolve("hardstate");
    ChronicleRaftStorage s = new ChronicleRaftStorage(StorageOptions.defaults(data).withMarkBeforeAck(true));
    s.recover();
    persist(s, new PersistBatch(new HardState(1, "n1", 0), null, entries(1, 1, ACKED)));
    if (restartBetween) {
      s.close();
    }
    Path before = Files.copy(hardState, dir.resolve("hardstate-acked"), StandardCopyOption.REPLACE_EXISTING);
    if (restartBetween) {
      s = new ChronicleRaftStorage(StorageOptions.defaults(data).withMarkBeforeAck(true));
      s.recover();
    }
    for (int from = ACKED + 1; from <= WRITTEN; from += 10) {
      persist(s, new PersistBatch(null, null, entries(1, from, Math.min(WRITTEN, from + 9))));
    }
    s.close();
    Files.copy(before, hardState, StandardCopyOption.REPLACE_EXISTING);
    return data;
  }

  private static byte[] payload(long term, long index) {
    return ("entry-" + term + "-" + index + "-" + "x".repeat(200)).getBytes(StandardCharsets.UTF_8);
  }

  private static List<Entry> entries(long term, int from, int to) {
    List<Entry> out = new ArrayList<>();
    for (int i = from; i <= to; i++) {
      out.add(Entry.normal(term, i, payload(term, i)));
    }
    return out;
  }

  private static void persist(ChronicleRaftStorage s, List<Entry> entries) {
    persist(s, new PersistBatch(null, null, entries));
  }

  private static void persist(ChronicleRaftStorage s, PersistBatch batch) {
    CompletableFuture<Throwable> done = new CompletableFuture<>();
    s.persist(batch, done::complete);
    Throwable t = done.orTimeout(30, TimeUnit.SECONDS).join();
    if (t != null) {
      throw new AssertionError("persist failed", t);
    }
  }

  /** The record whose Chronicle header is at {@code headerAt}. */
  private static EntryFrame.Frame frameAt(Path file, long headerAt) throws Exception {
    try (FileChannel ch = FileChannel.open(file)) {
      ByteBuffer header = ByteBuffer.allocate(4).order(java.nio.ByteOrder.LITTLE_ENDIAN);
      ch.read(header, headerAt);
      int length = header.getInt(0) & 0x3FFF_FFFF;
      ByteBuffer body = ByteBuffer.allocate(length);
      ch.read(body, headerAt + LogTailScan.HEADER_BYTES);
      return EntryFrame.decode(body.flip());
    }
  }

  private static Path copyTree(Path from, Path to) throws IOException {
    try (Stream<Path> all = Files.walk(from)) {
      for (Path p : (Iterable<Path>) all::iterator) {
        Path target = to.resolve(from.relativize(p).toString());
        if (Files.isDirectory(p)) {
          Files.createDirectories(target);
        } else {
          Files.copy(p, target);
        }
      }
    }
    return to;
  }
}
