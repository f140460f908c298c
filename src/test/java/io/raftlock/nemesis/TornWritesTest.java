package io.raftlock.nemesis;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.raftlock.nemesis.LogTailScan.Span;
import io.raftlock.nemesis.TornWrites.Mode;
import io.raftlock.nemesis.TornWrites.Plan;
import io.raftlock.nemesis.TornWrites.Zeroing;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.EnumSet;
import java.util.List;
import java.util.Random;
import java.util.Set;
import org.junit.jupiter.api.Test;

/** The torn-write chooser damages only the unacknowledged spans, and damages something in them. */
class TornWritesTest {
  private static final Path A = Path.of("segment-a.cq4");
  private static final Path B = Path.of("segment-b.cq4");

  @Test
  void everyZeroingLiesInsideASpanWhateverTheSeed() {
    Set<Mode> seen = EnumSet.noneOf(Mode.class);
    for (long seed = 0; seed < 2_000; seed++) {
      Random random = new Random(seed);
      List<Span> spans = randomSpans(random);
      Plan plan = TornWrites.choose(spans, random);
      seen.add(plan.mode());
      assertFalse(plan.zeroings().isEmpty(), "seed " + seed + ": something is torn");
      for (Zeroing z : plan.zeroings()) {
        assertTrue(z.length() > 0, "seed " + seed + ": " + z);
        assertTrue(spans.stream().anyMatch(s -> s.file().equals(z.file()) && s.from() <= z.offset()
            && z.offset() + z.length() <= s.to()), "seed " + seed + ": " + z + " outside " + spans);
      }
    }
    assertEquals(EnumSet.allOf(Mode.class), seen);
  }

  @Test
  void lostPagesKeepALaterPageAfterALostOne() {
    Span threePages = new Span(A, 100, 3 * 4096 + 50);
    for (long seed = 0; seed < 500; seed++) {
      Plan plan = lostPages(List.of(threePages), seed);
      List<Zeroing> units = TornWrites.units(List.of(threePages), TornWrites.PAGE_BYTES);
      int firstLost = units.indexOf(plan.zeroings().get(0));
      boolean laterKept = units.subList(firstLost + 1, units.size()).stream()
          .anyMatch(u -> !plan.zeroings().contains(u));
      assertTrue(laterKept, "seed " + seed + ": reordered, " + plan.zeroings());
    }
  }

  @Test
  void unitsFollowFilePagesAndStartAtTheSpan() {
    List<Zeroing> units = TornWrites.units(List.of(new Span(A, 4000, 8200), new Span(B, 64, 100)), 4096);
    assertEquals(List.of(new Zeroing(A, 4000, 96), new Zeroing(A, 4096, 4096), new Zeroing(A, 8192, 8),
        new Zeroing(B, 64, 36)), units);
  }

  @Test
  void nothingUnacknowledgedMeansNothingTorn() {
    Plan plan = TornWrites.choose(List.of(), new Random(1));
    assertTrue(plan.zeroings().isEmpty());
    assertEquals("no unacknowledged record on disk: nothing torn", plan.describe());
  }

  private static Plan lostPages(List<Span> spans, long seed) {
    for (long s = seed; ; s += 1_000) {
      Random r = new Random(s);
      Plan p = TornWrites.choose(spans, r);
      if (p.mode() == Mode.LOST_PAGES) {
        return p;
      }
    }
  }

  /** One or two files, spans at arbitrary (unaligned) offsets, from a few bytes to a few pages. */
  private static List<Span> randomSpans(Random random) {
    List<Span> spans = new ArrayList<>();
    long from = random.nextInt(100_000);
    spans.add(new Span(A, from, from + 1 + random.nextInt(20_000)));
    if (random.nextBoolean()) {
      long b = 1_000 + random.nextInt(1_000);
      spans.add(new Span(B, b, b + 1 + random.nextInt(9_000)));
    }
    return spans;
  }
}
