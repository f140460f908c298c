package io.raftlock.raft;

import static org.junit.jupiter.api.Assertions.assertEquals;

import net.jqwik.api.ForAll;
import net.jqwik.api.Property;
import net.jqwik.api.constraints.LongRange;
import net.jqwik.api.constraints.Size;
import java.util.List;

/** {@link Quorum} against a brute-force oracle (as etcd raft's quorum/quick_test.go does). */
class QuorumTest {

  @Property(tries = 2000)
  void majorityValueMatchesOracle(@ForAll @Size(min = 1, max = 9) List<@LongRange(min = 0, max = 20) Long> values) {
    long[] v = values.stream().mapToLong(Long::longValue).toArray();
    assertEquals(oracle(v), Quorum.majorityValue(v));
  }

  /** The largest candidate value that at least a majority of values reach. */
  private static long oracle(long[] values) {
    long best = Long.MIN_VALUE;
    for (long candidate : values) {
      int atLeast = 0;
      for (long v : values) {
        if (v >= candidate) {
          atLeast++;
        }
      }
      if (atLeast > values.length / 2 && candidate > best) {
        best = candidate;
      }
    }
    return best;
  }

  @Property
  void majorityNeedsMoreThanHalf(@ForAll @LongRange(min = 1, max = 9) long voters) {
    int n = (int) voters;
    for (int granted = 0; granted <= n; granted++) {
      assertEquals(granted * 2 > n, Quorum.isMajority(granted, n));
    }
  }
}
