package io.raftlock.lock;

/**
 * State-machine statistics. Counters are cumulative since the state machine's creation (they are
 * part of the replicated state); the metrics layer derives rates from successive readings.
 *
 * @param activeLocks held locks
 * @param waiters waiting clients over all locks
 * @param contestedLocks held locks with at least one waiter
 * @param averageHoldMs mean duration of ended holdings (0 before the first one ends)
 * @param acquires holdings started (fresh grants and promotions of waiters)
 * @param dedupeEntries request ids remembered with their replies: client-owned ones and those of
 *     every session
 * @param sessions live sessions
 */
public record LockStats(
    int activeLocks,
    int waiters,
    int contestedLocks,
    long averageHoldMs,
    long acquires,
    long releases,
    long expirations,
    long waitTimeouts,
    long waitCancels,
    int dedupeEntries,
    long smTimeMs,
    int sessions) {
  /** Statistics without sessions (as before sessions existed). */
  public LockStats(int activeLocks, int waiters, int contestedLocks, long averageHoldMs,
      long acquires, long releases, long expirations, long waitTimeouts, long waitCancels,
      int dedupeEntries, long smTimeMs) {
    this(activeLocks, waiters, contestedLocks, averageHoldMs, acquires, releases, expirations,
        waitTimeouts, waitCancels, dedupeEntries, smTimeMs, 0);
  }
}
