package io.raftlock.lock;

import java.util.List;
import java.util.SortedMap;

/**
 * A held lock as shown by queries (the seed's {@code LockInfo}; only held locks exist).
 *
 * @param token the fencing token (the seed's {@code version}): index of the granting entry
 * @param waiters in grant order (priority, then arrival)
 */
public record LockInfo(
    String lockId,
    String ownerId,
    long token,
    long acquiredAtMs,
    long expiresAtMs,
    int waiterCount,
    List<WaiterInfo> waiters,
    SortedMap<String, String> metadata) {
  public LockInfo {
    waiters = List.copyOf(waiters);
  }
}
