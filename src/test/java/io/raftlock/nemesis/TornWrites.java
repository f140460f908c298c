package io.raftlock.nemesis;

import io.raftlock.nemesis.LogTailScan.Span;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.channels.FileChannel;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.util.ArrayList;
import java.util.List;
import java.util.Random;

/**
 * What a power cut may leave of writes that were never synced: some of their sectors reached the
 * disk, in any order, and the others read back as they were before, zero (the log only appends, so
 * an unwritten stretch after the last record was zero). Damage is chosen only inside the given
 * spans, the unacknowledged records ({@link LogTailScan}); nothing outside them is ever touched.
 */
final class TornWrites {
  static final int PAGE_BYTES = 4096;
  static final int SECTOR_BYTES = 512;

  /** How the unsynced writes were cut short. */
  enum Mode {
    /** Random whole pages lost, a later page kept after a lost one when there are two or more: reordering. */
    LOST_PAGES,
    /** The last writes torn: the spans' bytes from a random sector boundary to the end lost. */
    TORN_TAIL,
    /** Random 512-byte sectors lost: torn pages. */
    TORN_SECTORS
  }

  /** Zero {@code length} bytes of {@code file} from {@code offset}. */
  record Zeroing(Path file, long offset, long length) {}

  /** The chosen damage; no zeroings when there was nothing unacknowledged. */
  record Plan(Mode mode, List<Zeroing> zeroings, long spanBytes) {
    long zeroedBytes() {
      return zeroings.stream().mapToLong(Zeroing::length).sum();
    }

    String describe() {
      if (zeroings.isEmpty()) {
        return "no unacknowledged record on disk: nothing torn";
      }
      return switch (mode) {
        case LOST_PAGES -> "lost " + zeroings.size() + " page(s) of the unacknowledged records";
        case TORN_TAIL -> "tore the unacknowledged tail";
        case TORN_SECTORS -> "lost " + zeroings.size() + " sector(s) of the unacknowledged records";
      } + ": " + zeroedBytes() + " of " + spanBytes + " bytes zeroed";
    }
  }

  private TornWrites() {}

  /** A seeded choice of damage inside {@code spans} (in the order they were written). */
  static Plan choose(List<Span> spans, Random random) {
    Mode mode = Mode.values()[random.nextInt(Mode.values().length)];
    long spanBytes = spans.stream().mapToLong(s -> s.to() - s.from()).sum();
    if (spans.isEmpty()) {
      return new Plan(mode, List.of(), 0);
    }
    List<Zeroing> zeroings = switch (mode) {
      case LOST_PAGES -> lostUnits(units(spans, PAGE_BYTES), 0.5, random, true);
      case TORN_SECTORS -> lostUnits(units(spans, SECTOR_BYTES), 0.3, random, false);
      case TORN_TAIL -> List.of(tornTail(spans.get(spans.size() - 1), random));
    };
    return new Plan(mode, zeroings, spanBytes);
  }

  /** Each span cut at file offsets that are multiples of {@code unit}: the pieces a write is made of. */
  static List<Zeroing> units(List<Span> spans, int unit) {
    List<Zeroing> out = new ArrayList<>();
    for (Span s : spans) {
      for (long at = s.from(); at < s.to(); ) {
        long next = Math.min(s.to(), (at / unit + 1) * unit);
        out.add(new Zeroing(s.file(), at, next - at));
        at = next;
      }
    }
    return out;
  }

  /**
   * A random subset of {@code units}, never empty; with {@code reorder} and two or more units, one
   * lost unit always precedes a kept one (a later write reached the disk, an earlier did not).
   */
  private static List<Zeroing> lostUnits(List<Zeroing> units, double p, Random random, boolean reorder) {
    int n = units.size();
    boolean[] lost = new boolean[n];
    for (int i = 0; i < n; i++) {
      lost[i] = random.nextDouble() < p;
    }
    if (reorder && n >= 2 && !lostBeforeKept(lost)) {
      lost[random.nextInt(n - 1)] = true;
      lost[n - 1] = false;
    }
    boolean any = false;
    for (boolean l : lost) {
      any |= l;
    }
    if (!any) {
      lost[random.nextInt(n)] = true;
    }
    List<Zeroing> out = new ArrayList<>();
    for (int i = 0; i < n; i++) {
      if (lost[i]) {
        out.add(units.get(i));
      }
    }
    return out;
  }

  private static boolean lostBeforeKept(boolean[] lost) {
    boolean seenLost = false;
    for (boolean l : lost) {
      if (!l && seenLost) {
        return true;
      }
      seenLost |= l;
    }
    return false;
  }

  /** The span from a random sector boundary inside it (or its start) to its end. */
  private static Zeroing tornTail(Span s, Random random) {
    long at = s.from() + (long) (random.nextDouble() * (s.to() - s.from()));
    long cut = (at + SECTOR_BYTES - 1) / SECTOR_BYTES * SECTOR_BYTES;
    if (cut >= s.to()) {
      cut = s.from();
    }
    return new Zeroing(s.file(), cut, s.to() - cut);
  }

  /** Writes the zeros and syncs each file. */
  static void apply(Plan plan) throws IOException {
    for (Zeroing z : plan.zeroings()) {
      try (FileChannel ch = FileChannel.open(z.file(), StandardOpenOption.WRITE)) {
        ByteBuffer zeros = ByteBuffer.allocate((int) z.length());
        while (zeros.hasRemaining()) {
          ch.write(zeros, z.offset() + zeros.position());
        }
        ch.force(false);
      }
    }
  }
}
