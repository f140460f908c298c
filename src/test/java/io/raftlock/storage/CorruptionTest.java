package io.raftlock.storage;

import static io.raftlock.storage.StorageFixtures.batch;
import static io.raftlock.storage.StorageFixtures.persistAndWait;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.raftlock.raft.Entry;
import io.raftlock.raft.HardState;
import io.raftlock.raft.PersistentState;
import java.io.IOException;
import java.io.RandomAccessFile;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.stream.Stream;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Damage a stopped node's log the ways disks do (flipped byte, zeroed 4 KiB page, truncated tail):
 * recovery must detect it, report it, and return a durable mark beyond the verified log so the
 * node does not vote until a leader repairs it.
 */
class CorruptionTest {
  private static final int ENTRIES = 1000;
  private static final int DAMAGED = 500;

  @TempDir Path dir;

  private StorageOptions options() {
    return StorageOptions.defaults(dir).withReserveBytes(0);
  }

  static Entry entry(long index) {
    String text = String.format("payload-%06d-", index) + "x".repeat(100);
    return Entry.normal(1, index, text.getBytes(StandardCharsets.UTF_8));
  }

  @BeforeEach
  void writeLog() throws Exception {
    try (ChronicleRaftStorage s = new ChronicleRaftStorage(options())) {
      s.recover();
      List<Entry> all = new ArrayList<>();
      for (long i = 1; i <= ENTRIES; i++) {
        all.add(entry(i));
      }
      persistAndWait(s, batch(new HardState(1, "n1", ENTRIES), all));
    }
  }

  @Test
  void flippedByteIsDetected() throws Exception {
    Damage d = locate(DAMAGED);
    try (RandomAccessFile f = new RandomAccessFile(d.file.toFile(), "rw")) {
      f.seek(d.offset + 3);
      int b = f.read();
      f.seek(d.offset + 3);
      f.write(b ^ 0x10);
    }
    PersistentState st = recoverAndCheck(DAMAGED - 1);
    assertEquals(ENTRIES, st.durableLastIndex());
  }

  @Test
  void zeroedPageIsDetected() throws Exception {
    Damage d = locate(DAMAGED);
    long page = d.offset & ~4095L;
    try (RandomAccessFile f = new RandomAccessFile(d.file.toFile(), "rw")) {
      f.seek(page);
      f.write(new byte[4096]);
    }
    PersistentState st = recoverAndCheck(-1);
    assertTrue(st.lastIndex() < DAMAGED, "entries in the zeroed page must not be recovered");
  }

  @Test
  void truncatedTailIsDetected() throws Exception {
    Damage d = locate(900);
    try (RandomAccessFile f = new RandomAccessFile(d.file.toFile(), "rw")) {
      f.setLength(d.offset);
    }
    PersistentState st = recoverAndCheck(-1);
    assertTrue(st.lastIndex() < 900, "recovered " + st.lastIndex());
  }

  @Test
  void repairStillNeededAfterARestartMidRepairAndClearedOnceCaughtUp() throws Exception {
    Damage d = locate(DAMAGED);
    try (RandomAccessFile f = new RandomAccessFile(d.file.toFile(), "rw")) {
      f.seek(d.offset);
      f.write(new byte[] {0x7f, 0x7f});
    }
    try (ChronicleRaftStorage s = new ChronicleRaftStorage(options())) {
      PersistentState st = s.recover();
      assertEquals(DAMAGED - 1, st.lastIndex());
      // a vote and part of the repair, then a crash: the node must still not vote on restart
      persistAndWait(s, batch(new HardState(2, "n2", 0), List.of(entry(DAMAGED), entry(DAMAGED + 1))));
    }
    try (ChronicleRaftStorage s = new ChronicleRaftStorage(options())) {
      PersistentState st = s.recover();
      assertEquals(DAMAGED + 1, st.lastIndex());
      assertEquals(ENTRIES, st.durableLastIndex());
      assertTrue(s.recoveryReport().needsRepair());
      List<Entry> rest = new ArrayList<>();
      for (long i = DAMAGED + 2; i <= ENTRIES + 5; i++) {
        rest.add(entry(i));
      }
      persistAndWait(s, batch(rest));
    }
    try (ChronicleRaftStorage s = new ChronicleRaftStorage(options())) {
      PersistentState st = s.recover();
      assertEquals(ENTRIES + 5, st.lastIndex());
      assertEquals(ENTRIES + 5, st.durableLastIndex());
      assertFalse(s.recoveryReport().needsRepair(), s.recoveryReport().toString());
      for (Entry e : st.entries()) {
        assertEquals(entry(e.index()), e);
      }
    }
  }

  @Test
  void documentLeftIncompleteByACrashEndsItsSegmentAndLaterSegmentsStillCount() throws Exception {
    Damage d = locate(ENTRIES);
    long header = d.offset - 22 - 4; // Chronicle's 4-byte header, then the frame's 22-byte header
    try (RandomAccessFile f = new RandomAccessFile(d.file.toFile(), "rw")) {
      f.seek(header + 3);
      int b = f.read();
      f.seek(header + 3);
      f.write(b | 0x80); // the not-complete bit: as if the writer died inside this document
    }
    long t0 = System.nanoTime();
    try (ChronicleRaftStorage s = new ChronicleRaftStorage(options())) {
      PersistentState st = s.recover();
      System.out.printf("recovery past an incomplete document took %d ms%n",
          (System.nanoTime() - t0) / 1_000_000);
      assertEquals(ENTRIES - 1, st.lastIndex());
      persistAndWait(s, batch(List.of(entry(ENTRIES), entry(ENTRIES + 1))));
    }
    t0 = System.nanoTime();
    try (ChronicleRaftStorage s = new ChronicleRaftStorage(options())) {
      PersistentState st = s.recover();
      System.out.printf("second recovery took %d ms%n", (System.nanoTime() - t0) / 1_000_000);
      assertEquals(ENTRIES + 1, st.lastIndex());
      assertFalse(s.recoveryReport().needsRepair(), s.recoveryReport().toString());
    }
  }

  /** Recovers, checks the damage was reported and the node needs repair; -1 skips the exact end. */
  private PersistentState recoverAndCheck(long expectedLast) throws Exception {
    try (ChronicleRaftStorage s = new ChronicleRaftStorage(options())) {
      PersistentState st = s.recover();
      RecoveryReport r = s.recoveryReport();
      if (expectedLast >= 0) {
        assertEquals(expectedLast, st.lastIndex(), r.toString());
      }
      assertFalse(r.problems().isEmpty(), "damage not reported");
      assertTrue(r.needsRepair(), r.toString());
      assertTrue(st.durableLastIndex() > st.lastIndex());
      assertTrue(st.lostDurableEntries());
      for (Entry e : st.entries()) {
        assertEquals(entry(e.index()), e, "recovered entries are intact");
      }
      System.out.println(r);
      return st;
    }
  }

  private record Damage(Path file, long offset) {}

  /** File and offset of the payload of entry {@code index}. */
  private Damage locate(long index) throws IOException {
    byte[] needle = String.format("payload-%06d-", index).getBytes(StandardCharsets.UTF_8);
    try (Stream<Path> files = Files.list(dir.resolve(ChronicleLog.DIR))) {
      for (Path p : files.filter(f -> f.toString().endsWith(".cq4")).toList()) {
        byte[] all = Files.readAllBytes(p);
        int at = indexOf(all, needle);
        if (at >= 0) {
          return new Damage(p, at);
        }
      }
    }
    throw new AssertionError("entry " + index + " not found in the log files");
  }

  private static int indexOf(byte[] hay, byte[] needle) {
    outer:
    for (int i = 0; i + needle.length <= hay.length; i++) {
      for (int j = 0; j < needle.length; j++) {
        if (hay[i + j] != needle[j]) {
          continue outer;
        }
      }
      return i;
    }
    return -1;
  }
}
