package io.raftlock.nemesis;

import io.raftlock.codec.EntryFrame;
import io.raftlock.codec.EntryFrame.Frame;
import io.raftlock.codec.EntryFrame.FrameException;
import io.raftlock.storage.StoreProbe;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.channels.FileChannel;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import net.openhft.chronicle.bytes.Bytes;
import net.openhft.chronicle.queue.ExcerptTailer;
import net.openhft.chronicle.queue.RollCycle;
import net.openhft.chronicle.queue.RollCycles;
import net.openhft.chronicle.queue.impl.single.SingleChronicleQueue;
import net.openhft.chronicle.queue.impl.single.SingleChronicleQueueBuilder;
import net.openhft.chronicle.wire.DocumentContext;

/**
 * Where a stopped node's unacknowledged log records lie on disk: the byte ranges that a power cut
 * may tear. Read with Chronicle (read-only) and the store's {@link EntryFrame}, as recovery reads
 * them: segment by segment, each up to its first unreadable record.
 *
 * <p><b>Why the records above the durable mark are unacknowledged.</b> With
 * {@code syncDurableMarkBeforeAck} the writer syncs a round's records, then the hard state with
 * the mark (the highest log end of the round, in Raft's order), and only then acknowledges the
 * round. A round's records lie at or below the log end it reached (a batch's entries rise in
 * (term, index)), so a record strictly above the mark belongs to a round that was never
 * acknowledged. Only the trailing run of such records, in the order they were written, is taken:
 * a record at or below the mark (a repair, a truncation marker) or an unreadable stretch ends it,
 * since what lies before it may have been acknowledged. Without {@code syncDurableMarkBeforeAck}
 * the mark lags acknowledgements and none of this holds.
 */
final class LogTailScan {
  /** Chronicle's roll cycle for the Raft log ({@code ChronicleLog}, docs/storage.md "Segments"). */
  private static final RollCycle ROLL_CYCLE = RollCycles.FIVE_MINUTELY;
  /** Chronicle's header flag for a document still being written. */
  private static final int NOT_COMPLETE = 0x8000_0000;
  /** Chronicle's document header, just before the document's bytes. */
  static final int HEADER_BYTES = 4;
  /** Held: java.util.logging keeps loggers weakly, and the level must outlive this class's init. */
  private static final java.util.logging.Logger CHRONICLE_LOG = java.util.logging.Logger.getLogger("net.openhft");

  static {
    // The harness's console is the run's report: Chronicle's start-up banner and timing notes
    // (INFO) would interleave with it. Its warnings still show.
    System.setProperty("chronicle.announcer.disable", "true");
    System.setProperty("chronicle.analytics.disable", "true");
    CHRONICLE_LOG.setLevel(java.util.logging.Level.WARNING);
  }

  private LogTailScan() {}

  /** One record: its bytes are [headerAt, end) of {@code file}. */
  record Record(Path file, long headerAt, long end, boolean entry, long term, long index) {}

  /** A segment's readable records in order; {@code clean}: it ended at an unwritten header, not a bad record. */
  record Segment(Path file, List<Record> records, boolean clean) {}

  /** A byte range [from, to) of {@code file} holding only unacknowledged records. */
  record Span(Path file, long from, long to) {
    Span {
      if (from < 0 || to <= from) {
        throw new IllegalArgumentException("empty or negative span [" + from + ", " + to + ")");
      }
    }
  }

  /** The byte ranges of the unacknowledged records in the data directory, in the order they were written. */
  static List<Span> unacknowledged(Path dataDir) throws IOException {
    var mark = StoreProbe.durableMark(dataDir);
    if (mark.isEmpty()) {
      return List.of();
    }
    return spansAbove(scan(dataDir), mark.get());
  }

  /**
   * The trailing run of entry records strictly above {@code mark}, as spans (one per file, from the
   * run's first header in that file to its last record's end). See the class comment.
   */
  static List<Span> spansAbove(List<Segment> segments, StoreProbe.Mark mark) {
    List<Record> run = new ArrayList<>();
    outer:
    for (int s = segments.size() - 1; s >= 0; s--) {
      Segment seg = segments.get(s);
      if (!seg.clean()) {
        break; // what the bad record hides may have been acknowledged
      }
      for (int r = seg.records().size() - 1; r >= 0; r--) {
        Record rec = seg.records().get(r);
        if (!rec.entry() || !mark.isBelow(rec.term(), rec.index())) {
          break outer;
        }
        run.add(0, rec);
      }
    }
    List<Span> spans = new ArrayList<>();
    for (Record rec : run) {
      Span last = spans.isEmpty() ? null : spans.get(spans.size() - 1);
      if (last != null && last.file().equals(rec.file())) {
        spans.set(spans.size() - 1, new Span(last.file(), last.from(), rec.end()));
      } else {
        spans.add(new Span(rec.file(), rec.headerAt(), rec.end()));
      }
    }
    return spans;
  }

  /** Every segment's readable records, oldest segment first. */
  static List<Segment> scan(Path dataDir) throws IOException {
    Path dir = StoreProbe.logDir(dataDir);
    List<Segment> segments = new ArrayList<>();
    if (!Files.isDirectory(dir)) {
      return segments;
    }
    try (SingleChronicleQueue queue = SingleChronicleQueueBuilder.binary(dir).readOnly(true)
        .rollCycle(ROLL_CYCLE).timeoutMS(2_000).build()) {
      int first = queue.firstCycle();
      int last = queue.lastCycle();
      if (first == Integer.MAX_VALUE || last < first) {
        return segments;
      }
      ExcerptTailer tailer = queue.createTailer();
      try {
        for (long cycle : queue.listCyclesBetween(first, last)) {
          Path file = StoreProbe.segmentFile(dataDir, (int) cycle);
          // As recovery: a file whose first header is unfinished holds nothing and is deleted at start.
          if (Files.exists(file) && headerComplete(file)) {
            segments.add(readSegment(tailer, (int) cycle, file));
          }
        }
      } finally {
        tailer.close();
      }
    }
    return segments;
  }

  private static Segment readSegment(ExcerptTailer tailer, int cycle, Path file) {
    List<Record> records = new ArrayList<>();
    if (!tailer.moveToCycle(cycle)) {
      return new Segment(file, records, true);
    }
    byte[] buf = new byte[4096];
    while (true) {
      try (DocumentContext dc = tailer.readingDocument()) {
        if (!dc.isPresent() || ROLL_CYCLE.toCycle(dc.index()) != cycle) {
          return new Segment(file, records, true);
        }
        Bytes<?> bytes = dc.wire().bytes();
        long start = bytes.readPosition();
        long end = bytes.readLimit();
        int n = (int) bytes.readRemaining();
        buf = n > buf.length ? new byte[n] : buf;
        bytes.read(buf, 0, n);
        Frame f = EntryFrame.decode(ByteBuffer.wrap(buf, 0, n));
        records.add(new Record(file, start - HEADER_BYTES, end, f.isEntry(), f.term(), f.index()));
      } catch (FrameException | RuntimeException e) {
        return new Segment(file, records, false);
      }
    }
  }

  private static boolean headerComplete(Path file) throws IOException {
    try (FileChannel ch = FileChannel.open(file)) {
      ByteBuffer b = ByteBuffer.allocate(4).order(ByteOrder.LITTLE_ENDIAN);
      while (b.hasRemaining() && ch.read(b) > 0) {
        // the first header word
      }
      int header = b.getInt(0);
      return !b.hasRemaining() && header != 0 && (header & NOT_COMPLETE) == 0;
    }
  }
}
