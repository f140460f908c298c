package io.raftlock.lock;

import java.util.ArrayList;
import java.util.Collection;
import java.util.List;
import java.util.TreeMap;

/**
 * The live sessions by id and their deadline heap. {@link #byId} is a {@link TreeMap}: listings
 * and snapshots go in id order, never in hash order. Every live session is in {@link #deadlines}.
 */
final class SessionTable {
  private final TreeMap<Long, Session> byId = new TreeMap<>();
  final DeadlineHeap<Session> deadlines = new DeadlineHeap<>(Session.DEADLINE_ORDER);

  Session get(long id) {
    return byId.get(id);
  }

  int size() {
    return byId.size();
  }

  Collection<Session> all() {
    return byId.values();
  }

  void add(Session s) {
    if (byId.putIfAbsent(s.id, s) != null) {
      throw new IllegalArgumentException("duplicate session " + s.id);
    }
    deadlines.add(s);
  }

  /** Bulk add for restore; call {@link DeadlineHeap#heapify()} on {@link #deadlines} after. */
  void addUnordered(Session s) {
    if (byId.putIfAbsent(s.id, s) != null) {
      throw new IllegalArgumentException("duplicate session " + s.id);
    }
    deadlines.addUnordered(s);
  }

  void remove(Session s) {
    byId.remove(s.id);
    deadlines.remove(s);
  }

  /** The session lives until {@code nowMs + ttl}; never earlier than now (time is monotonic). */
  void keepAlive(Session s, long nowMs) {
    s.expiresAtMs = Math.max(s.expiresAtMs, nowMs + s.ttlMs);
    deadlines.update(s);
  }

  /** Removes and returns the sessions due at {@code t}, in (expiry, id) order. */
  List<Session> popDue(long t) {
    List<Session> due = new ArrayList<>();
    for (Session s = deadlines.peek(); s != null && s.expiresAtMs <= t; s = deadlines.peek()) {
      deadlines.remove(s);
      due.add(s);
    }
    return due;
  }

  /** Leader change: every session lives at least until {@code nowMs + ttl}; returns how many moved. */
  int promote(long nowMs) {
    int extended = 0;
    for (Session s : byId.values()) {
      if (nowMs + s.ttlMs > s.expiresAtMs) {
        s.expiresAtMs = nowMs + s.ttlMs;
        extended++;
      }
    }
    if (extended > 0) {
      deadlines.heapify();
    }
    return extended;
  }
}
