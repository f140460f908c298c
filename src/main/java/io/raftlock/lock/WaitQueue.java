package io.raftlock.lock;

import java.util.Arrays;

/**
 * The waiters of one lock, kept sorted by {@link Waiter#QUEUE_ORDER} (priority, then arrival) in
 * a plain array: queues are short (capped per lock) and read far more often than written.
 *
 * <p>{@link #EMPTY} is shared by every lock without waiters so that an uncontended lock pays no
 * queue object; it is never mutated ({@link #add} on it returns a fresh queue).
 */
final class WaitQueue {
  static final WaitQueue EMPTY = new WaitQueue(new Waiter[0]);

  private Waiter[] waiters;
  private int size;

  private WaitQueue(Waiter[] waiters) {
    this.waiters = waiters;
  }

  int size() {
    return size;
  }

  boolean isEmpty() {
    return size == 0;
  }

  Waiter get(int position) {
    return waiters[position];
  }

  /** Inserts {@code w} in queue order; returns the queue to keep (a new one if this was EMPTY). */
  WaitQueue add(Waiter w) {
    WaitQueue q = this == EMPTY ? new WaitQueue(new Waiter[4]) : this;
    q.insert(w);
    return q;
  }

  private void insert(Waiter w) {
    if (size == waiters.length) {
      waiters = Arrays.copyOf(waiters, size * 2);
    }
    int pos = Arrays.binarySearch(waiters, 0, size, w, Waiter.QUEUE_ORDER);
    if (pos >= 0) {
      throw new IllegalArgumentException("two waiters with seq " + w.seq);
    }
    // seq is unique, so w is never found: binarySearch returns -(insertion point) - 1.
    int at = -pos - 1;
    System.arraycopy(waiters, at, waiters, at + 1, size - at);
    waiters[at] = w;
    size++;
  }

  /**
   * Position of the owner's wait (waiters ahead of it), or -1 if it is not waiting. The owner is
   * {@code session}, or the client {@code clientId} when {@code session} is null.
   */
  int positionOf(Session session, String principal, String clientId) {
    for (int i = 0; i < size; i++) {
      if (waiters[i].ownedBy(session, principal, clientId)) {
        return i;
      }
    }
    return -1;
  }

  /** Position of {@code w}, which must be in this queue. */
  int positionOf(Waiter w) {
    for (int i = 0; i < size; i++) {
      if (waiters[i] == w) {
        return i;
      }
    }
    throw new IllegalStateException("waiter not in its queue");
  }

  /** Removes the waiter at {@code position}; returns the queue to keep (EMPTY once empty). */
  WaitQueue removeAt(int position) {
    System.arraycopy(waiters, position + 1, waiters, position, size - position - 1);
    waiters[--size] = null;
    return size == 0 ? EMPTY : this;
  }
}
