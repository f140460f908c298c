package io.raftlock.lock;

import java.util.List;

/**
 * One page of {@link LockStateMachine#listLocks}, sorted by lock id.
 *
 * @param total number of locks matching the filter (all pages)
 * @param hasMore whether locks follow this page
 */
public record LockPage(List<LockInfo> locks, int total, boolean hasMore) {
  public LockPage {
    locks = List.copyOf(locks);
  }
}
