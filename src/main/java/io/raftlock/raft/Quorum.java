package io.raftlock.raft;

import java.util.Arrays;

/** Majority arithmetic, kept apart so it can be tested against a brute-force oracle. */
public final class Quorum {
  private Quorum() {}

  /**
   * The largest value {@code v} such that a majority of {@code values} are ≥ {@code v}: the index
   * a majority has matched (§5.3), or the newest heartbeat a majority has echoed.
   *
   * @param values one value per voter; not modified
   */
  public static long majorityValue(long[] values) {
    if (values.length == 0) {
      throw new IllegalArgumentException("no voters");
    }
    long[] sorted = values.clone();
    Arrays.sort(sorted);
    // Ascending: the element at n - quorum has `quorum` elements at or above it.
    int quorum = values.length / 2 + 1;
    return sorted[values.length - quorum];
  }

  /** Whether {@code granted} votes out of {@code voters} form a majority. */
  public static boolean isMajority(int granted, int voters) {
    return granted >= voters / 2 + 1;
  }
}
