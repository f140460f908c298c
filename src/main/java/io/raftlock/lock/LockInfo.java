package io.raftlock.lock;

import java.util.List;
import java.util.SortedMap;

/**
 * A held lock as shown by queries (the seed's {@code LockInfo}; only held locks exist).
 *
 * @param token the fencing token (the seed's {@code version}): index of the granting entry
 * @param expiresAtMs end of the lease; for a session-owned lock, its session's expiry
 * @param waiters in grant order (priority, then arrival)
 * @param sessionId the owning session, 0 for a client-owned lock (owned by {@code ownerId})
 */
public record LockInfo(
    String lockId,
    String ownerId,
    long token,
    long acquiredAtMs,
    long expiresAtMs,
    int waiterCount,
    List<WaiterInfo> waiters,
    SortedMap<String, String> metadata,
    long sessionId) {
  public LockInfo {
    waiters = List.copyOf(waiters);
  }

  /** A client-owned lock. */
  public LockInfo(String lockId, String ownerId, long token, long acquiredAtMs, long expiresAtMs,
      int waiterCount, List<WaiterInfo> waiters, SortedMap<String, String> metadata) {
    this(lockId, ownerId, token, acquiredAtMs, expiresAtMs, waiterCount, waiters, metadata, 0);
  }
}
