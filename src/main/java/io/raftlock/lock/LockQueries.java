package io.raftlock.lock;

import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
import java.util.Map;
import java.util.Optional;

/**
 * Read-only views of the lock table. Results never depend on hash-map iteration order: listings
 * are sorted by lock id, queues are in grant order.
 */
final class LockQueries {
  private LockQueries() {}

  static Optional<LockInfo> lockInfo(LockTable table, String lockId) {
    LockState l = table.get(lockId);
    return l == null ? Optional.empty() : Optional.of(info(l));
  }

  static LockInfo info(LockState l) {
    List<WaiterInfo> waiters = new ArrayList<>(l.waiters.size());
    for (int i = 0; i < l.waiters.size(); i++) {
      Waiter w = l.waiters.get(i);
      waiters.add(new WaiterInfo(w.clientId, w.priority, w.enqueuedAtMs, w.waitDeadlineMs, i,
          w.sessionId()));
    }
    return new LockInfo(l.lockId, l.holder, l.token, l.acquiredAtMs, l.leaseExpiresAtMs(),
        l.waiters.size(), waiters, LockState.unflatten(l.metadata), l.sessionId());
  }

  /**
   * Matching locks sorted by lock id, {@code limit} (clamped by {@link LockLimits#pageLimit})
   * from {@code offset}. Filters first, so only matches are sorted.
   */
  static LockPage listLocks(LockTable table, LockFilter filter, int limit, int offset) {
    if (offset < 0) {
      throw new IllegalArgumentException("offset must be >= 0: " + offset);
    }
    int pageLimit = LockLimits.pageLimit(limit);
    List<LockState> matches = new ArrayList<>();
    for (LockState l : table.locks.values()) {
      if (matches(filter, l)) {
        matches.add(l);
      }
    }
    matches.sort(Comparator.comparing(l -> l.lockId));
    int from = Math.min(offset, matches.size());
    int to = (int) Math.min((long) from + pageLimit, matches.size());
    List<LockInfo> page = new ArrayList<>(to - from);
    for (int i = from; i < to; i++) {
      page.add(info(matches.get(i)));
    }
    return new LockPage(page, matches.size(), to < matches.size());
  }

  static boolean matches(LockFilter f, LockState l) {
    if (!Glob.matches(f.lockIdGlob(), l.lockId) || !Glob.matches(f.ownerGlob(), l.holder)) {
      return false;
    }
    if (f.onlyContested() && l.waiters.isEmpty()) {
      return false;
    }
    if (f.expiresBeforeMs() != null && l.leaseExpiresAtMs() >= f.expiresBeforeMs()) {
      return false;
    }
    if (f.expiresAfterMs() != null && l.leaseExpiresAtMs() <= f.expiresAfterMs()) {
      return false;
    }
    return metadataMatches(f.metadata(), l.metadata);
  }

  private static boolean metadataMatches(Map<String, String> wanted, String[] flat) {
    for (Map.Entry<String, String> e : wanted.entrySet()) {
      if (!e.getValue().equals(lookup(flat, e.getKey()))) {
        return false;
      }
    }
    return true;
  }

  private static String lookup(String[] flat, String key) {
    if (flat != null) {
      for (int i = 0; i < flat.length; i += 2) {
        if (flat[i].equals(key)) {
          return flat[i + 1];
        }
      }
    }
    return null;
  }

  /** Holder's remaining lease plus the TTLs of the {@code position} waiters ahead. */
  static long estimatedWaitMs(LockState l, int position, long nowMs) {
    long wait = Math.max(0, l.leaseExpiresAtMs() - nowMs);
    for (int i = 0; i < position; i++) {
      wait += l.waiters.get(i).ttlMs;
    }
    return wait;
  }

  static BackoffAdvice backoff(LockState l, long nowMs) {
    return BackoffAdvice.forEstimate(estimatedWaitMs(l, l.waiters.size(), nowMs));
  }

  static BackoffAdvice backoffAdvice(LockTable table, String lockId, long nowMs) {
    LockState l = table.get(lockId);
    return l == null ? BackoffAdvice.forEstimate(0) : backoff(l, nowMs);
  }

  static LockStats stats(LockTable table, int dedupeEntries, long smTimeMs, int sessions) {
    int contested = 0;
    for (LockState l : table.locks.values()) {
      if (!l.waiters.isEmpty()) {
        contested++;
      }
    }
    LockCounters c = table.counters;
    long averageHold = c.holdsEnded == 0 ? 0 : c.totalHoldMs / c.holdsEnded;
    return new LockStats(table.locks.size(), table.waits.size(), contested, averageHold,
        c.grants, c.releases, c.expirations, c.waitTimeouts, c.waitCancels, dedupeEntries,
        smTimeMs, sessions);
  }
}
