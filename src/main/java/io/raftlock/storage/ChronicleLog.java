package io.raftlock.storage;

import io.raftlock.codec.EntryFrame;
import io.raftlock.codec.EntryFrame.Frame;
import io.raftlock.codec.EntryFrame.FrameException;
import io.raftlock.raft.Entry;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Instant;
import java.time.ZoneOffset;
import java.time.format.DateTimeFormatter;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.NavigableSet;
import java.util.TreeMap;
import net.openhft.chronicle.bytes.Bytes;
import net.openhft.chronicle.bytes.SyncMode;
import net.openhft.chronicle.queue.ExcerptAppender;
import net.openhft.chronicle.queue.ExcerptTailer;
import net.openhft.chronicle.queue.RollCycle;
import net.openhft.chronicle.queue.RollCycles;
import net.openhft.chronicle.queue.impl.single.SingleChronicleQueue;
import net.openhft.chronicle.queue.impl.single.SingleChronicleQueueBuilder;
import net.openhft.chronicle.wire.DocumentContext;

/**
 * The Raft log as {@link EntryFrame} records in a Chronicle Queue, one record per document.
 *
 * <p>Roll cycle: {@link RollCycles#FIVE_MINUTELY} driven by a {@link SegmentClock}, so a "cycle" is
 * a segment of at most {@code segmentEntries} records (FIVE_MINUTELY allows 2^30 records per file
 * and indexes every 256th, which keeps random reads cheap). Compaction deletes a <em>prefix</em> of
 * segment files whose records all have index ≤ the compaction index: deleting only a prefix keeps
 * the replay rule of {@link LogIndex} exact for what remains, because a deleted record can only
 * have invalidated records written before it, which are deleted too.
 *
 * <p>Threading: {@link #recover} runs on the caller of {@code RaftStorage.recover()}; everything
 * else, including the appender and the read tailer (both thread-confined in Chronicle), on the
 * log writer thread.
 */
final class ChronicleLog implements AutoCloseable {
  static final String DIR = "log";
  /** Chronicle's header flag for a document still being written. */
  private static final int NOT_COMPLETE = 0x8000_0000;
  private static final RollCycle ROLL_CYCLE = RollCycles.FIVE_MINUTELY;
  private static final DateTimeFormatter SEGMENT_NAMES =
      DateTimeFormatter.ofPattern(ROLL_CYCLE.format()).withZone(ZoneOffset.UTC);

  private final Path dir;
  private final int segmentEntries;
  private final SegmentClock clock = new SegmentClock(ROLL_CYCLE.lengthInMillis());
  private final SingleChronicleQueue queue;
  private final LogIndex index = new LogIndex(true);
  /** Highest Raft index recorded in each segment (markers included); drives compaction. */
  private final TreeMap<Integer, Long> maxIndexBySegment = new TreeMap<>();
  private ExcerptAppender appender;
  private ExcerptTailer reader;
  private ByteBuffer frame = ByteBuffer.allocate(4096);
  private int recordsInSegment;
  private boolean unsynced;
  /** A segment file was created since the last sync: its directory entry must be synced too. */
  private boolean newSegment = true;

  private ChronicleLog(Path dir, int segmentEntries) {
    this.dir = dir;
    this.segmentEntries = segmentEntries;
    this.queue = SingleChronicleQueueBuilder.binary(dir)
        .rollCycle(ROLL_CYCLE)
        .timeProvider(clock)
        .syncMode(SyncMode.SYNC)
        .timeoutMS(2_000)
        .build();
  }

  /**
   * Opens the queue, first moving aside segment files whose Chronicle header was never completed
   * (problems are added to {@code problems}).
   */
  static ChronicleLog open(Path dataDir, int segmentEntries, List<BadFrame> problems)
      throws IOException {
    Path dir = Files.createDirectories(dataDir.resolve(DIR));
    setAsideUnfinishedSegments(dir, problems);
    return new ChronicleLog(dir, segmentEntries);
  }

  /**
   * A process killed while Chronicle creates a segment leaves a file whose first header is zero or
   * still marked not-complete. It can hold no entry (entries follow that header), but a tailer that
   * reaches it waits for the header to complete for many seconds. The newest such file (the normal
   * crash case) is deleted; an older one can only look like this after damage, so it is renamed to
   * {@code *.damaged} and reported.
   */
  private static void setAsideUnfinishedSegments(Path dir, List<BadFrame> problems)
      throws IOException {
    List<Path> segments = new ArrayList<>();
    try (var ds = Files.newDirectoryStream(dir, "*" + SingleChronicleQueue.SUFFIX)) {
      ds.forEach(segments::add);
    }
    segments.sort(null);
    boolean moved = false;
    for (int k = 0; k < segments.size(); k++) {
      Path p = segments.get(k);
      if (headerComplete(p)) {
        continue;
      }
      moved = true;
      if (k == segments.size() - 1) {
        Files.delete(p); // created by the crash that interrupted it: holds nothing
      } else {
        Path aside = p.resolveSibling(p.getFileName() + ".damaged");
        Files.move(p, aside, java.nio.file.StandardCopyOption.REPLACE_EXISTING);
        problems.add(new BadFrame(p.toString(), -1, -1,
            "segment header is damaged; file moved aside to " + aside.getFileName()));
      }
    }
    if (moved) {
      Fsync.directory(dir);
    }
  }

  /** True when the segment's first Chronicle header is complete (non-zero, not-complete bit clear). */
  private static boolean headerComplete(Path segment) throws IOException {
    try (java.nio.channels.FileChannel ch = java.nio.channels.FileChannel.open(segment)) {
      ByteBuffer b = ByteBuffer.allocate(4).order(java.nio.ByteOrder.LITTLE_ENDIAN);
      while (b.hasRemaining() && ch.read(b) > 0) {
        // read the 4-byte header word
      }
      if (b.hasRemaining()) {
        return false;
      }
      int header = b.getInt(0);
      return header != 0 && (header & NOT_COMPLETE) == 0;
    }
  }

  Path dir() {
    return dir;
  }

  LogIndex index() {
    return index;
  }

  /**
   * Replays every segment in order into {@link #index()}, verifying each record. Within a segment,
   * reading stops at the first bad record (nothing after it can be trusted to be framed right); the
   * next segment is still read, since it was written later and may carry repairs. The clock is
   * then moved past the newest segment so that appends start a fresh file.
   */
  void recover(List<BadFrame> problems) {
    int first = queue.firstCycle();
    int last = queue.lastCycle();
    clock.cycle(Math.max(clock.cycle(), last + 1));
    if (first == Integer.MAX_VALUE || last < first) {
      return;
    }
    NavigableSet<Long> segments = queue.listCyclesBetween(first, last);
    ExcerptTailer tailer = queue.createTailer();
    try {
      for (long segment : segments) {
        recoverSegment(tailer, (int) segment, problems);
      }
    } finally {
      tailer.close();
    }
  }

  private void recoverSegment(ExcerptTailer tailer, int segment, List<BadFrame> problems) {
    maxIndexBySegment.putIfAbsent(segment, -1L);
    if (!tailer.moveToCycle(segment)) {
      return; // an empty segment file: nothing to read
    }
    byte[] buf = new byte[4096];
    while (true) {
      long position = -1;
      try (DocumentContext dc = tailer.readingDocument()) {
        if (!dc.isPresent()) {
          return;
        }
        position = dc.index();
        if (ROLL_CYCLE.toCycle(position) != segment) {
          return; // the tailer rolled on by itself; the caller moves to that segment next
        }
        Bytes<?> bytes = dc.wire().bytes();
        int n = (int) bytes.readRemaining();
        buf = n > buf.length ? new byte[Math.max(n, 2 * buf.length)] : buf;
        bytes.read(buf, 0, n);
        apply(EntryFrame.decode(ByteBuffer.wrap(buf, 0, n)), position, segment);
      } catch (FrameException e) {
        problems.add(new BadFrame(dir.resolve(segmentName(segment)).toString(), position, e.index(), e.getMessage()));
        return;
      } catch (RuntimeException e) {
        problems.add(new BadFrame(dir.resolve(segmentName(segment)).toString(), position, -1, "unreadable record: " + e));
        return;
      }
    }
  }

  private void apply(Frame f, long position, int segment) {
    if (f.isEntry()) {
      index.put(f.toEntry(), position);
    } else {
      index.truncateFrom(f.index());
    }
    maxIndexBySegment.merge(segment, f.index(), Math::max);
  }

  /** Appends one entry (writer thread); it replaces any entry at its index and after. */
  void append(Entry e) {
    ensureFrameCapacity(EntryFrame.frameBytes(e.data().length));
    EntryFrame.encode(e, frame.clear());
    long position = write();
    index.put(e, position);
    maxIndexBySegment.merge(ROLL_CYCLE.toCycle(position), e.index(), Math::max);
  }

  /** Appends a marker that invalidates every entry written so far with index ≥ {@code from}. */
  void appendTruncate(long term, long from) {
    EntryFrame.encodeTruncate(term, from, frame.clear());
    long position = write();
    index.truncateFrom(from);
    maxIndexBySegment.merge(ROLL_CYCLE.toCycle(position), from, Math::max);
  }

  private long write() {
    if (appender == null) {
      appender = queue.createAppender();
    }
    if (recordsInSegment >= segmentEntries) {
      if (unsynced) {
        appender.sync(); // sync() covers only the current segment: flush this one before leaving it
      }
      clock.cycle(clock.cycle() + 1); // the next document opens a new segment file
      recordsInSegment = 0;
      newSegment = true;
    }
    try (DocumentContext dc = appender.writingDocument()) {
      dc.wire().bytes().write(frame.array(), 0, frame.position());
    }
    recordsInSegment++;
    unsynced = true;
    return appender.lastIndexAppended();
  }

  private void ensureFrameCapacity(int n) {
    if (frame.capacity() < n) {
      frame = ByteBuffer.allocate(Math.max(n, 2 * frame.capacity()));
    }
  }

  /**
   * Makes every appended record durable (msync of the mapped segment, plus a directory fsync when
   * a segment file was created since the last sync, so the file itself survives a power cut).
   * Chronicle's {@code sync()} covers the appender's current segment only; a round that rolled to
   * a new segment already synced the previous one in {@link #write()}. No-op when clean.
   */
  boolean sync() throws IOException {
    if (!unsynced) {
      return false;
    }
    appender.sync();
    if (newSegment) {
      Fsync.directory(dir);
      newSegment = false;
    }
    unsynced = false;
    return true;
  }

  /** Entries [lo, hi] read back from the queue and verified (writer thread, or after recovery). */
  List<Entry> entries(long lo, long hi) throws IOException {
    if (reader == null) {
      reader = queue.createTailer();
    }
    List<Entry> out = new ArrayList<>((int) Math.max(0, Math.min(hi - lo + 1, 1 << 16)));
    byte[] buf = new byte[4096];
    for (long i = lo; i <= hi; i++) {
      long position = index.position(i);
      if (position < 0 || !reader.moveToIndex(position)) {
        throw new IOException("entry " + i + " is not in the log");
      }
      try (DocumentContext dc = reader.readingDocument()) {
        Bytes<?> bytes = dc.wire().bytes();
        int n = (int) bytes.readRemaining();
        buf = n > buf.length ? new byte[n] : buf;
        bytes.read(buf, 0, n);
        Frame f = EntryFrame.decode(ByteBuffer.wrap(buf, 0, n));
        if (!f.isEntry() || f.index() != i) {
          throw new IOException("record at " + Long.toHexString(position) + " is not entry " + i);
        }
        out.add(f.toEntry());
      } catch (FrameException e) {
        throw new IOException("entry " + i + " is corrupt: " + e.getMessage(), e);
      }
    }
    return out;
  }

  /**
   * Deletes the longest prefix of segment files whose records all have index ≤ {@code upTo},
   * never the segment being appended to. Returns the deleted files.
   */
  List<Path> compact(long upTo) throws IOException {
    int active = appender == null ? Integer.MAX_VALUE : appender.cycle();
    List<Path> deleted = new ArrayList<>();
    for (Map.Entry<Integer, Long> s : new ArrayList<>(maxIndexBySegment.entrySet())) {
      if (s.getValue() > upTo || s.getKey() >= active || s.getKey() >= clock.cycle()) {
        break;
      }
      Path file = dir.resolve(segmentName(s.getKey()));
      Files.deleteIfExists(file);
      deleted.add(file);
      maxIndexBySegment.remove(s.getKey());
    }
    if (!deleted.isEmpty()) {
      Fsync.directory(dir);
      queue.refreshDirectoryListing();
    }
    return deleted;
  }

  /** File name Chronicle gives a segment (its roll-cycle format applied to the segment start). */
  static String segmentName(int segment) {
    return SEGMENT_NAMES.format(Instant.ofEpochMilli((long) segment * ROLL_CYCLE.lengthInMillis()))
        + SingleChronicleQueue.SUFFIX;
  }

  int segmentCount() {
    return maxIndexBySegment.size();
  }

  @Override
  public void close() {
    // Appender and reader are confined to the writer thread, which closes the queue last.
    queue.close();
  }

  /** Writer thread: releases its Chronicle handles before the queue closes. */
  void closeHandles() {
    if (reader != null) {
      reader.close();
    }
    if (appender != null) {
      appender.close();
    }
  }
}
