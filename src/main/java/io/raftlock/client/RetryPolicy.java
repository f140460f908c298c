package io.raftlock.client;

import java.time.Duration;
import java.util.Random;

/**
 * Exponential backoff with jitter: attempt {@code n} (0-based) waits about
 * {@code initial * multiplier^n}, capped at {@code max}, spread by ±{@code jitterFactor} so that
 * clients which failed together do not retry together. A server hint (a {@code retry-after} or
 * the lower bound of its backoff advice) is a floor: the client never retries sooner than the
 * server asked.
 */
public record RetryPolicy(Duration initialBackoff, Duration maxBackoff, double multiplier, double jitterFactor) {
  public static final RetryPolicy DEFAULT =
      new RetryPolicy(Duration.ofMillis(50), Duration.ofSeconds(2), 2.0, 0.2);

  public RetryPolicy {
    if (initialBackoff.isNegative() || initialBackoff.isZero() || maxBackoff.compareTo(initialBackoff) < 0) {
      throw new IllegalArgumentException("need 0 < initialBackoff <= maxBackoff");
    }
    if (!(multiplier >= 1.0) || !(jitterFactor >= 0.0 && jitterFactor < 1.0)) {
      throw new IllegalArgumentException("need multiplier >= 1 and 0 <= jitterFactor < 1");
    }
  }

  /** The delay before retry number {@code attempt} (0 = the first retry), at least {@code floorMs}. */
  public long delayMs(int attempt, long floorMs, Random random) {
    return delayMs(initialBackoff.toMillis(), maxBackoff.toMillis(), multiplier, jitterFactor, attempt, floorMs, random);
  }

  /** Shared with the server's backoff advice, which carries the same four parameters. */
  static long delayMs(long initialMs, long maxMs, double multiplier, double jitter, int attempt, long floorMs,
      Random random) {
    double base = Math.min((double) maxMs, initialMs * Math.pow(multiplier, Math.min(attempt, 62)));
    double spread = base * jitter * (2 * random.nextDouble() - 1);
    long ms = Math.max(1, Math.round(base + spread));
    return Math.max(ms, floorMs);
  }
}
