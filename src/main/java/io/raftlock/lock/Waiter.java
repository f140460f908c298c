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
  final String clientId;
  final int priority;
  /** TTL the waiter gets when promoted. */
  final long ttlMs;
  final long enqueuedAtMs;
  final long waitDeadlineMs;
  final long seq;
  /** Metadata the waiter gets when promoted: sorted key/value pairs, or {@code null} if none. */
  final String[] metadata;

  Waiter(LockState lock, String clientId, int priority, long ttlMs, long enqueuedAtMs,
      long waitDeadlineMs, long seq, String[] metadata) {
    this.lock = lock;
    this.clientId = clientId;
    this.priority = priority;
    this.ttlMs = ttlMs;
    this.enqueuedAtMs = enqueuedAtMs;
    this.waitDeadlineMs = waitDeadlineMs;
    this.seq = seq;
    this.metadata = metadata;
  }
}
