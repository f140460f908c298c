package io.raftlock.lock;

/**
 * Limits and defaults of the lock API. The values copy the seed server package
 * ({@code MaxLockIDLength}, {@code MinLockTTL}, {@code MinBackoffAdvice}, ...); the API layer
 * validates requests against them before proposing, and the state machine re-checks them
 * defensively (see {@link CommandValidator}). Lengths count UTF-16 chars, like the seed counts
 * characters.
 *
 * <p>Every value the state machine consults when it applies an entry (the id, metadata, TTL,
 * wait-timeout, priority and time bounds, {@link #DEFAULT_TTL_MS}, the backoff constants) is part
 * of the log's meaning: a replica replaying old entries under a binary in which one changed would
 * apply them differently. They are pinned by a test; to change one, make it a committed setting
 * ({@link LockStateMachine.Config}) instead. The {@code DEFAULT_*} sizes below are only the
 * recommended settings ({@link LockStateMachine.Config#RECOMMENDED}), which reach a cluster
 * through a committed {@code Configure}; the page limits are applied by queries, not entries.
 */
public final class LockLimits {
  public static final int MAX_LOCK_ID_LENGTH = 256;
  public static final int MAX_CLIENT_ID_LENGTH = 256;
  public static final int MAX_REQUEST_ID_LENGTH = 128;

  public static final long MIN_TTL_MS = 1_000;
  public static final long MAX_TTL_MS = 24 * 3_600_000L;
  /**
   * TTL given to a waiter enqueued through {@code EnqueueWaiter}, which carries no TTL of its own.
   * (An {@code Acquire} with {@code wait} carries the TTL the waiter asked for.)
   */
  public static final long DEFAULT_TTL_MS = 30_000;

  /**
   * Session TTL range: at least the lock TTL minimum; at most 10 minutes (like the wait timeout),
   * since a session is kept alive by one cheap keep-alive and a dead client's locks stay taken
   * for up to one TTL.
   */
  public static final long MIN_SESSION_TTL_MS = 1_000;
  public static final long MAX_SESSION_TTL_MS = 10 * 60_000L;
  /** Default bound of a session's remembered request ids (oldest evicted first). */
  public static final int DEFAULT_SESSION_DEDUPE_MAX_ENTRIES = 1_000;

  public static final long MIN_WAIT_TIMEOUT_MS = 1_000;
  public static final long MAX_WAIT_TIMEOUT_MS = 10 * 60_000L;

  public static final int MIN_PRIORITY = -1000;
  public static final int MAX_PRIORITY = 1000;
  public static final int DEFAULT_PRIORITY = 0;

  public static final int MAX_METADATA_ENTRIES = 32;
  public static final int MAX_METADATA_KEY_LENGTH = 64;
  public static final int MAX_METADATA_VALUE_LENGTH = 256;

  public static final int DEFAULT_PAGE_LIMIT = 100;
  public static final int MAX_PAGE_LIMIT = 1000;

  /** Backoff advice is always within [MIN_BACKOFF_MS, MAX_BACKOFF_MS]. */
  public static final long MIN_BACKOFF_MS = 1_000;
  public static final long MAX_BACKOFF_MS = 30_000;
  public static final double BACKOFF_MULTIPLIER = 1.5;
  public static final double BACKOFF_JITTER_FACTOR = 0.2;

  /** Default per-lock waiter cap; beyond it an enqueue gets {@code WAIT_QUEUE_FULL}. */
  public static final int DEFAULT_MAX_WAITERS_PER_LOCK = 1000;
  /** Default time a (client, request id) is remembered for idempotency, in state-machine time. */
  public static final long DEFAULT_DEDUPE_RETENTION_MS = 10 * 60_000L;
  /** Default bound on the idempotency table; the oldest entries are evicted first. */
  public static final int DEFAULT_DEDUPE_MAX_ENTRIES = 100_000;

  /**
   * Largest leader timestamp accepted (9999-12-31T23:59:59.999Z). Bounding time keeps every
   * {@code time + ttl} and {@code time + retention} sum far from overflow.
   */
  public static final long MAX_TIME_MS = 253_402_300_799_999L;

  private LockLimits() {}

  /** Clamps a requested page size: non-positive means the default, above the max means the max. */
  public static int pageLimit(int requested) {
    if (requested <= 0) {
      return DEFAULT_PAGE_LIMIT;
    }
    return Math.min(requested, MAX_PAGE_LIMIT);
  }

  static long clampBackoff(long ms) {
    return Math.max(MIN_BACKOFF_MS, Math.min(MAX_BACKOFF_MS, ms));
  }
}
