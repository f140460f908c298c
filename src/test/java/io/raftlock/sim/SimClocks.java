package io.raftlock.sim;

import java.util.HashMap;
import java.util.Map;
import java.util.SplittableRandom;

/**
 * Every node's two clocks, with simulated time as true time. The wall clock starts at a fixed
 * offset and is <em>stepped</em> forward and back by the fault plan (NTP step, VM resume, a
 * mistaken {@code date}); the monotonic clock is never stepped but runs at a rate of its own,
 * within {@code ±maxRateSkew} of true time (the error the client's 2 % margin covers). Drawn from a
 * generator of their own, so other components' draws do not depend on them.
 */
final class SimClocks {
  static final long EPOCH_MS = 1_700_000_000_000L;

  private final Map<String, Long> wallOffsetMs = new HashMap<>();
  private final Map<String, Double> monoRate = new HashMap<>();
  private final Map<String, Long> monoBaseNanos = new HashMap<>();
  long steps;

  SimClocks(SplittableRandom random, Iterable<String> nodeIds, Map<String, Long> initialOffsetMs,
      double maxRateSkew) {
    for (String id : nodeIds) {
      wallOffsetMs.put(id, initialOffsetMs.getOrDefault(id, 0L));
      monoRate.put(id, 1 + (random.nextDouble() * 2 - 1) * maxRateSkew);
      monoBaseNanos.put(id, random.nextLong(1L << 50)); // an arbitrary origin, as nanoTime's is
    }
  }

  /** Node {@code id}'s wall clock at simulated time {@code simMs}. */
  long wallMs(String id, long simMs) {
    return EPOCH_MS + simMs + wallOffsetMs.get(id);
  }

  /** Node {@code id}'s monotonic clock at simulated time {@code simMs}. */
  long monoNanos(String id, long simMs) {
    return monoBaseNanos.get(id) + (long) (simMs * 1_000_000.0 * monoRate.get(id));
  }

  /** Steps node {@code id}'s wall clock by {@code deltaMs} (either sign); the monotonic clock is untouched. */
  void stepWall(String id, long deltaMs) {
    wallOffsetMs.merge(id, deltaMs, Long::sum);
    steps++;
  }

  double rate(String id) {
    return monoRate.get(id);
  }
}
