package io.raftlock.bench;

import java.util.Arrays;
import java.util.List;

/**
 * Latency samples in nanoseconds: a growable long[] sorted once for percentiles. One instance
 * belongs to one simulated client (one event loop); {@link #merge} combines them afterwards.
 */
final class ApiLatencies {
  private long[] values = new long[4096];
  private int size;
  private boolean sorted;

  void add(long nanos) {
    if (size == values.length) {
      values = Arrays.copyOf(values, size * 2);
    }
    values[size++] = nanos;
    sorted = false;
  }

  int count() {
    return size;
  }

  static ApiLatencies merge(List<ApiLatencies> parts) {
    ApiLatencies all = new ApiLatencies();
    int total = parts.stream().mapToInt(ApiLatencies::count).sum();
    all.values = new long[Math.max(1, total)];
    for (ApiLatencies p : parts) {
      System.arraycopy(p.values, 0, all.values, all.size, p.size);
      all.size += p.size;
    }
    return all;
  }

  /** The p-th percentile (0..100) in milliseconds, nearest rank; NaN without samples. */
  double percentileMs(double p) {
    if (size == 0) {
      return Double.NaN;
    }
    if (!sorted) {
      Arrays.sort(values, 0, size);
      sorted = true;
    }
    int rank = (int) Math.ceil(p / 100.0 * size) - 1;
    return values[Math.max(0, Math.min(size - 1, rank))] / 1e6;
  }
}
