package io.raftlock.lock;

import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;

/**
 * The locks, their wait queues and the two deadline heaps, with the primitive transitions the
 * commands are made of. No validation here: callers have checked ownership and limits.
 *
 * <p>Invariants: every lock in {@link #locks} is held; it is in {@link #leases} iff it is
 * client-owned (a session-owned holding lives on its session's lease); every waiter in a queue is
 * in {@link #waits} and vice versa; an owner (a session, or a client id without session) appears
 * at most once in a queue and never in the queue of a lock it holds; a session's
 * {@link Session#holds} and {@link Session#waits} are exactly its holdings and waiters. {@link #locks} is a {@link LinkedHashMap}: its iteration order
 * (lock creation order) is replicated state, preserved by snapshots.
 */
final class LockTable {
  final LinkedHashMap<String, LockState> locks;
  final DeadlineHeap<LockState> leases = new DeadlineHeap<>(LockState.LEASE_ORDER);
  final DeadlineHeap<Waiter> waits = new DeadlineHeap<>(Waiter.DEADLINE_ORDER);
  final LockCounters counters;

  LockTable() {
    this(0, new LockCounters());
  }

  /** A table sized for {@code expectedLocks} (restore knows the count: no rehashing). */
  LockTable(int expectedLocks, LockCounters counters) {
    this.locks = new LinkedHashMap<>(Math.max(16, (int) (expectedLocks / 0.75f) + 1));
    this.counters = counters;
  }

  LockState get(String lockId) {
    return locks.get(lockId);
  }

  /**
   * Creates {@code lockId} (which must be absent) held by {@code session}, or by the client
   * {@code clientId} when {@code session} is null.
   */
  LockState grantNew(String lockId, String clientId, Session session, long token, long nowMs,
      long ttlMs, String[] metadata, String principal) {
    LockState l = new LockState(lockId);
    setHolder(l, clientId, session, token, nowMs, ttlMs, metadata);
    l.principal = principal;
    locks.put(lockId, l);
    counters.grants++;
    return l;
  }

  /** Re-arms the lease to {@code nowMs + ttlMs}; that TTL becomes the lease's TTL. */
  void renew(LockState l, long nowMs, long ttlMs) {
    l.expiresAtMs = nowMs + ttlMs;
    l.leaseTtlMs = ttlMs;
    leases.update(l);
  }

  /**
   * Grace after a leader change: every held lease ends no earlier than
   * {@code nowMs + leaseTtlMs}. Expiries only move later, never earlier. The heap is rebuilt
   * once (O(n)) rather than re-sifted per lock; its order is total, so what it yields does not
   * depend on the layout.
   *
   * @return the number of leases whose expiry moved
   */
  int promoteLeases(long nowMs) {
    int extended = 0;
    for (LockState l : locks.values()) {
      if (l.session != null) {
        continue; // re-armed with its session
      }
      long rearmedAtMs = nowMs + l.leaseTtlMs;
      if (rearmedAtMs > l.expiresAtMs) {
        l.expiresAtMs = rearmedAtMs;
        extended++;
      }
    }
    if (extended > 0) {
      leases.heapify();
    }
    return extended;
  }

  /**
   * Ends the current holding (release or expiry) at {@code nowMs} and hands the lock to the best
   * waiter whose wait has not timed out (waiters met on the way whose deadline is
   * {@code <= nowMs} are dropped with {@code WaitTimedOut}: a timed-out waiter is never granted).
   * The new holding's token is {@code index}. Drops the lock if nobody is left.
   *
   * @return the promoted waiter, or {@code null}
   */
  Waiter endHolding(LockState l, long index, long nowMs, List<LockEvent> events) {
    counters.holdsEnded++;
    counters.totalHoldMs += nowMs - l.acquiredAtMs;
    if (l.session != null) {
      l.session.holds.remove(l);
    }
    while (!l.waiters.isEmpty()) {
      Waiter w = removeWaiterAt(l, 0);
      if (w.waitDeadlineMs <= nowMs) {
        counters.waitTimeouts++;
        events.add(new LockEvent.WaitTimedOut(l.lockId, w.clientId, 0, index, w.sessionId(), w.principal));
        continue;
      }
      setHolder(l, w.clientId, w.session, index, nowMs, w.ttlMs, w.metadata);
      l.principal = w.principal;
      counters.grants++;
      events.add(new LockEvent.Granted(l.lockId, w.clientId, index, index, w.sessionId(), w.principal));
      return w;
    }
    leases.remove(l);
    locks.remove(l.lockId);
    return null;
  }

  Waiter addWaiter(LockState l, String clientId, Session session, int priority, long ttlMs,
      long nowMs, long waitTimeoutMs, long seq, String[] metadata, String principal) {
    Waiter w = new Waiter(l, clientId, session, priority, ttlMs, nowMs, nowMs + waitTimeoutMs,
        seq, metadata);
    w.principal = principal;
    l.waiters = l.waiters.add(w);
    waits.add(w);
    if (session != null) {
      session.waits.add(w);
    }
    return w;
  }

  /** Removes the waiter at {@code position} of {@code l}'s queue. */
  Waiter removeWaiterAt(LockState l, int position) {
    Waiter w = l.waiters.get(position);
    l.waiters = l.waiters.removeAt(position);
    waits.remove(w);
    if (w.session != null) {
      w.session.waits.remove(w);
    }
    return w;
  }

  /**
   * All client-owned waiters of {@code clientId}, in arrival order (seq), independent of heap
   * layout. Session-owned waits with that label are not the client's: their session owns them.
   */
  List<Waiter> waitersOf(String clientId) {
    List<Waiter> found = new ArrayList<>();
    for (int i = 0; i < waits.size(); i++) {
      Waiter w = waits.get(i);
      if (w.ownedBy(null, clientId)) {
        found.add(w);
      }
    }
    found.sort((a, b) -> Long.compare(a.seq, b.seq));
    return found;
  }

  /**
   * A new holding from {@code acquiredAtMs}: for {@code ttlMs} on its own lease when
   * client-owned, on the session's lease otherwise. Moves the lock in or out of the lease heap
   * and between sessions' hold sets as the owner changes.
   */
  private void setHolder(LockState l, String clientId, Session session, long token,
      long acquiredAtMs, long ttlMs, String[] metadata) {
    l.holder = clientId;
    l.session = session;
    l.token = token;
    l.acquiredAtMs = acquiredAtMs;
    l.metadata = metadata;
    if (session == null) {
      l.expiresAtMs = acquiredAtMs + ttlMs;
      l.leaseTtlMs = ttlMs;
      if (l.inHeap()) {
        leases.update(l);
      } else {
        leases.add(l);
      }
    } else {
      l.expiresAtMs = 0;
      l.leaseTtlMs = 0;
      leases.remove(l);
      session.holds.add(l);
    }
  }
}
