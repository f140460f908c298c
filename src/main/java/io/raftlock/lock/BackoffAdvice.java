package io.raftlock.lock;

/**
 * How a client should back off before retrying an acquire (the seed's {@code BackoffAdvice}).
 * {@code initialBackoffMs} and {@code maxBackoffMs} are always within
 * [{@link LockLimits#MIN_BACKOFF_MS}, {@link LockLimits#MAX_BACKOFF_MS}] and initial ≤ max.
 *
 * @param estimatedAvailabilityInMs state-machine estimate of when the lock may be free: the
 *     holder's remaining lease plus the TTLs of all waiters (0 when the lock is free)
 */
public record BackoffAdvice(
    long initialBackoffMs,
    long maxBackoffMs,
    double multiplier,
    double jitterFactor,
    long estimatedAvailabilityInMs) {

  /**
   * Advice derived from an availability estimate: start at a quarter of it, never exceed it, both
   * clamped to the seed's bounds.
   */
  static BackoffAdvice forEstimate(long estimatedAvailabilityInMs) {
    long max = LockLimits.clampBackoff(estimatedAvailabilityInMs);
    long initial = Math.min(max, LockLimits.clampBackoff(estimatedAvailabilityInMs / 4));
    return new BackoffAdvice(
        initial,
        max,
        LockLimits.BACKOFF_MULTIPLIER,
        LockLimits.BACKOFF_JITTER_FACTOR,
        estimatedAvailabilityInMs);
  }
}
