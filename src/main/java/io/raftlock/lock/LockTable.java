package io.raftlock.lock;

import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;

/**
 * The locks, their wait queues and the two deadline heaps, with the primitive transitions the
 * commands are made of. No validation here: callers have checked ownership and limits.
 *
 * <p>Invariants: every lock in {@link #locks} is held and is in {@link #leases}; every waiter in
 * a queue is in {@link #waits} and vice versa; a client appears at most once in a queue and never
 * in the queue of a lock it holds. {@link #locks} is a {@link LinkedHashMap}: its iteration order
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

  /** Creates {@code lockId} (which must be absent) held by {@code clientId}. */
  LockState grantNew(String lockId, String clientId, long token, long nowMs, long ttlMs,
      String[] metadata) {
    LockState l = new LockState(lockId);
    setHolder(l, clientId, token, nowMs, ttlMs, metadata);
    locks.put(lockId, l);
    leases.add(l);
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
    while (!l.waiters.isEmpty()) {
      Waiter w = l.waiters.get(0);
      l.waiters = l.waiters.removeAt(0);
      waits.remove(w);
      if (w.waitDeadlineMs <= nowMs) {
        counters.waitTimeouts++;
        events.add(new LockEvent.WaitTimedOut(l.lockId, w.clientId, 0, index));
        continue;
      }
      setHolder(l, w.clientId, index, nowMs, w.ttlMs, w.metadata);
      leases.update(l);
      counters.grants++;
      events.add(new LockEvent.Granted(l.lockId, w.clientId, index, index));
      return w;
    }
    leases.remove(l);
    locks.remove(l.lockId);
    return null;
  }

  Waiter addWaiter(LockState l, String clientId, int priority, long ttlMs, long nowMs,
      long waitTimeoutMs, long seq, String[] metadata) {
    Waiter w = new Waiter(l, clientId, priority, ttlMs, nowMs, nowMs + waitTimeoutMs, seq,
        metadata);
    l.waiters = l.waiters.add(w);
    waits.add(w);
    return w;
  }

  /** Removes the waiter at {@code position} of {@code l}'s queue. */
  Waiter removeWaiterAt(LockState l, int position) {
    Waiter w = l.waiters.get(position);
    l.waiters = l.waiters.removeAt(position);
    waits.remove(w);
    return w;
  }

  /** All waiters of {@code clientId}, in arrival order (seq), independent of heap layout. */
  List<Waiter> waitersOf(String clientId) {
    List<Waiter> found = new ArrayList<>();
    for (int i = 0; i < waits.size(); i++) {
      Waiter w = waits.get(i);
      if (w.clientId.equals(clientId)) {
        found.add(w);
      }
    }
    found.sort((a, b) -> Long.compare(a.seq, b.seq));
    return found;
  }

  /** A new holding from {@code acquiredAtMs} for {@code ttlMs}. */
  private static void setHolder(LockState l, String clientId, long token, long acquiredAtMs,
      long ttlMs, String[] metadata) {
    l.holder = clientId;
    l.token = token;
    l.acquiredAtMs = acquiredAtMs;
    l.expiresAtMs = acquiredAtMs + ttlMs;
    l.leaseTtlMs = ttlMs;
    l.metadata = metadata;
  }
}
