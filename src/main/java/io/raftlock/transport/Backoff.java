package io.raftlock.transport;

import java.util.random.RandomGenerator;

/**
 * Reconnect delays: exponential from {@code baseMs}, capped at {@code maxMs}, with "equal jitter"
 * (a uniform pick in [d/2, d]) so that nodes restarted together do not reconnect in lockstep,
 * while the delay never collapses to zero.
 */
final class Backoff {
  private final long baseMs;
  private final long maxMs;
  private final RandomGenerator random;

  Backoff(long baseMs, long maxMs, RandomGenerator random) {
    if (baseMs <= 0 || maxMs < baseMs) {
      throw new IllegalArgumentException("need 0 < baseMs <= maxMs: " + baseMs + ", " + maxMs);
    }
    this.baseMs = baseMs;
    this.maxMs = maxMs;
    this.random = random;
  }

  /** Delay before the attempt that follows {@code failures} (>= 1) consecutive failures. */
  long delayMs(int failures) {
    long ceiling = ceilingMs(failures);
    long half = ceiling / 2;
    return half + random.nextLong(ceiling - half + 1);
  }

  /** The un-jittered delay: baseMs * 2^(failures-1), capped. */
  long ceilingMs(int failures) {
    int shift = Math.max(0, Math.min(failures - 1, 30));
    long d = baseMs << shift;
    return d <= 0 || d > maxMs ? maxMs : d;
  }
}
