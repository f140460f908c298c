package io.raftlock.lock;

import java.util.Comparator;

/**
 * One client waiting for a lock. Mutable only through its heap slot; everything else is fixed at
 * enqueue.
 *
 * <p>{@code seq} is the log index of the entry that enqueued the waiter: unique among all waiters
 * ever created (one enqueue per entry) and increasing with arrival, so it is both the FIFO
 * tie-breaker inside a priority and the total-order tie-breaker of the timeout heap.
 */
final class Waiter extends DeadlineHeap.Node {
  /** Queue order: highest priority first, then oldest (lowest seq). */
  static final Comparator<Waiter> QUEUE_ORDER = (a, b) -> {
    int byPriority = Integer.compare(b.priority, a.priority);
    return byPriority != 0 ? byPriority : Long.compare(a.seq, b.seq);
  };

  /** Timeout-heap order: earliest deadline, then seq (unique, so the order is total). */
  static final Comparator<Waiter> DEADLINE_ORDER = (a, b) -> {
    int byDeadline = Long.compare(a.waitDeadlineMs, b.waitDeadlineMs);
    return byDeadline != 0 ? byDeadline : Long.compare(a.seq, b.seq);
  };

  final LockState lock;
  /** The waiter's label (as {@link LockState#holder}). */
  final String clientId;
  /** The owning session, or {@code null} for a client-owned wait (owned by {@link #clientId}). */
  final Session session;
  final int priority;
  /**
   * TTL the waiter gets when promoted; for a session-owned waiter the session's TTL, used only
   * for wait estimates (its holding will live on the session's lease).
   */
  final long ttlMs;
  final long enqueuedAtMs;
  final long waitDeadlineMs;
  final long seq;
  /** The principal of the command that enqueued it ({@code ""}: none); its holding's principal. */
  String principal = "";
  /** Metadata the waiter gets when promoted: sorted key/value pairs, or {@code null} if none. */
  final String[] metadata;

  Waiter(LockState lock, String clientId, Session session, int priority, long ttlMs,
      long enqueuedAtMs, long waitDeadlineMs, long seq, String[] metadata) {
    this.lock = lock;
    this.clientId = clientId;
    this.session = session;
    this.priority = priority;
    this.ttlMs = ttlMs;
    this.enqueuedAtMs = enqueuedAtMs;
    this.waitDeadlineMs = waitDeadlineMs;
    this.seq = seq;
    this.metadata = metadata;
  }

  /** Whether this wait belongs to the owner named by a command (session, or client id). */
  boolean ownedBy(Session s, String ownerClientId) {
    return s == null ? session == null && clientId.equals(ownerClientId) : session == s;
  }

  /** {@link #ownedBy} for a command of {@code callerPrincipal} (see {@link LockState#heldBy}). */
  boolean ownedBy(Session s, String callerPrincipal, String ownerClientId) {
    return ownedBy(s, ownerClientId) && LockState.samePrincipal(principal, callerPrincipal);
  }

  long sessionId() {
    return session == null ? 0 : session.id;
  }
}
