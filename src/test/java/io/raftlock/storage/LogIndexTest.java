package io.raftlock.storage;

import static org.junit.jupiter.api.Assertions.assertEquals;

import io.raftlock.raft.Entry;
import java.util.SplittableRandom;
import java.util.TreeMap;
import org.junit.jupiter.api.Test;

/** {@link LogIndex} against a dumb oracle: a TreeMap where writing index i first removes all ≥ i. */
class LogIndexTest {
  @Test
  void matchesTheOracleOverRandomWrites() {
    for (long seed = 1; seed <= 200; seed++) {
      SplittableRandom r = new SplittableRandom(seed);
      LogIndex index = new LogIndex(false);
      TreeMap<Long, long[]> oracle = new TreeMap<>();
      for (int step = 0; step < 500; step++) {
        long last = oracle.isEmpty() ? 0 : oracle.lastKey();
        long i = switch (r.nextInt(10)) {
          case 0 -> 1 + r.nextLong(last + 1); // replacement somewhere in the log
          case 1 -> last + 2 + r.nextInt(5); // a gap, as after a damaged region
          default -> last + 1;
        };
        if (r.nextInt(40) == 0 && !oracle.isEmpty()) {
          long below = 1 + r.nextLong(oracle.lastKey());
          index.dropBelow(below);
          oracle.headMap(below, false).clear();
          continue;
        }
        if (r.nextInt(20) == 0) {
          index.truncateFrom(i);
          oracle.tailMap(i, true).clear();
          continue;
        }
        long term = 1 + r.nextInt(5);
        long position = r.nextLong();
        index.put(Entry.normal(term, i, null), position);
        oracle.tailMap(i, true).clear();
        oracle.put(i, new long[] {term, position});
      }
      assertEquals(oracle.isEmpty() ? -1 : oracle.lastKey(), index.lastIndex(), "seed " + seed);
      for (long i = 1; i <= (oracle.isEmpty() ? 0 : oracle.lastKey()) + 1; i++) {
        long[] want = oracle.get(i);
        assertEquals(want == null ? -1 : want[0], index.term(i), "seed " + seed + " index " + i);
        assertEquals(want == null ? -1 : want[1], index.position(i), "seed " + seed + " index " + i);
      }
    }
  }
}
