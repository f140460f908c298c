package io.raftlock.web;

import io.raftlock.lock.LockFilter;
import io.raftlock.lock.LockInfo;
import io.raftlock.lock.LockLimits;
import io.raftlock.lock.LockStateMachine;
import io.raftlock.lock.LockStats;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;

/**
 * The locks the cluster page shows: the most contested first (most waiters), then the most
 * recently granted (highest fencing token, since the token is the index of the granting entry).
 *
 * <p>Runs on the Raft context, inside a query, once per page refresh, so its cost is bounded:
 * with at most {@link LockLimits#MAX_PAGE_LIMIT} locks held it sorts them all (exact answer);
 * beyond that it sorts the contested locks (the first {@code MAX_PAGE_LIMIT} by lock id) and
 * fills up with the grants in {@link RecentGrants} that are still held.
 */
public final class BusiestLocks {
  /** What the page shows: {@code shown} in display order, {@code stats} over all locks. */
  public record Summary(List<LockInfo> shown, LockStats stats) {}

  static final Comparator<LockInfo> BUSIEST = Comparator.comparingInt(LockInfo::waiterCount).reversed()
      .thenComparing(Comparator.comparingLong(LockInfo::token).reversed());

  private BusiestLocks() {}

  public static Summary pick(LockStateMachine sm, RecentGrants recent, int limit) {
    LockStats stats = sm.stats();
    List<LockInfo> candidates;
    if (stats.activeLocks() <= LockLimits.MAX_PAGE_LIMIT) {
      candidates = sm.listLocks(LockFilter.ALL, LockLimits.MAX_PAGE_LIMIT, 0).locks();
    } else {
      Map<String, LockInfo> byId = new LinkedHashMap<>();
      sm.listLocks(LockFilter.ALL.withOnlyContested(true), LockLimits.MAX_PAGE_LIMIT, 0).locks()
          .forEach(l -> byId.put(l.lockId(), l));
      for (RecentGrants.Grant g : recent.newestFirst()) {
        if (!byId.containsKey(g.lockId())) {
          Optional<LockInfo> held = sm.lockInfo(g.lockId());
          // Only the grant that still holds: a later grant of the same lock carries a new token.
          held.filter(l -> l.token() == g.token()).ifPresent(l -> byId.put(l.lockId(), l));
        }
      }
      candidates = new ArrayList<>(byId.values());
    }
    return new Summary(top(candidates, limit), stats);
  }

  static List<LockInfo> top(List<LockInfo> locks, int limit) {
    List<LockInfo> sorted = new ArrayList<>(locks);
    sorted.sort(BUSIEST);
    return List.copyOf(sorted.subList(0, Math.min(limit, sorted.size())));
  }
}
