package io.raftlock.lock;

import java.util.ArrayList;
import java.util.Collection;
import java.util.List;
import java.util.SortedMap;

/**
 * A live session as shown by queries.
 *
 * @param sessionId log index of the entry that opened it
 * @param name its label
 * @param expiresAtMs when it ends unless kept alive
 * @param heldLocks locks it holds
 * @param waits waits it has queued
 * @param rememberedRequests request ids it remembers for idempotency
 */
public record SessionInfo(
    long sessionId,
    String name,
    long ttlMs,
    long expiresAtMs,
    int heldLocks,
    int waits,
    int rememberedRequests,
    SortedMap<String, String> metadata) {

  static SessionInfo of(Session s) {
    return new SessionInfo(s.id, s.name, s.ttlMs, s.expiresAtMs, s.holds.size(), s.waits.size(),
        s.rememberedCount(), LockState.unflatten(s.metadata));
  }

  /** A page of {@code sessions} (already in id order). */
  static SessionPage page(Collection<Session> sessions, int limit, int offset) {
    if (offset < 0) {
      throw new IllegalArgumentException("offset must be >= 0: " + offset);
    }
    int pageLimit = LockLimits.pageLimit(limit);
    List<SessionInfo> page = new ArrayList<>();
    int i = 0;
    for (Session s : sessions) {
      if (i >= offset && page.size() < pageLimit) {
        page.add(of(s));
      }
      i++;
    }
    return new SessionPage(page, sessions.size(), offset + page.size() < sessions.size());
  }
}
