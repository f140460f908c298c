package io.raftlock.api;

import io.vertx.core.Vertx;
import java.util.ArrayDeque;
import java.util.function.LongSupplier;

/**
 * Deadlines of requests that all have the same timeout, on one context, with one timer for all of
 * them instead of a timer set and cancelled per request (a scheduled-task queue insertion and
 * removal each, on the hot path).
 *
 * <p>Invariant: {@code pending} is in deadline order, because every deadline is its insertion time
 * plus the same timeout. So the timer is armed only for the oldest request still pending; when it
 * fires, expired requests leave from the head and the timer is armed again for the new head. Done
 * requests leave the head as soon as they reach it, so in steady state the queue holds about one
 * request-latency's worth of requests.
 *
 * <p>Threading: confined to the context that created it (every call, and the timer, run there).
 */
final class RequestDeadlines {
  private final Vertx vertx;
  private final LongSupplier nanoTime;
  private final long timeoutNanos;
  private final ArrayDeque<Pending> pending = new ArrayDeque<>();
  private long timerId = -1;
  /** True while expiries run: a request started by one of them must not arm a later timer. */
  private boolean firing;

  /** A request's deadline; {@link #done()} when it completes first. */
  final class Pending {
    private final long deadlineNanos;
    private final Runnable onExpiry;
    private boolean done;

    private Pending(long deadlineNanos, Runnable onExpiry) {
      this.deadlineNanos = deadlineNanos;
      this.onExpiry = onExpiry;
    }

    /** The request completed: its expiry will not run. */
    void done() {
      done = true;
      while (!pending.isEmpty() && pending.peekFirst().done) {
        pending.pollFirst();
      }
    }
  }

  RequestDeadlines(Vertx vertx, long timeoutMs, LongSupplier nanoTime) {
    if (timeoutMs <= 0) {
      throw new IllegalArgumentException("timeoutMs must be > 0, was " + timeoutMs);
    }
    this.vertx = vertx;
    this.nanoTime = nanoTime;
    this.timeoutNanos = timeoutMs * 1_000_000L;
  }

  /** Starts the clock of a request: {@code onExpiry} runs once its timeout passes, unless done first. */
  Pending start(Runnable onExpiry) {
    Pending p = new Pending(nanoTime.getAsLong() + timeoutNanos, onExpiry);
    pending.addLast(p);
    if (timerId < 0 && !firing) {
      arm(timeoutNanos);
    }
    return p;
  }

  /** Requests started and neither done nor expired (and done ones not yet at the head). */
  int size() {
    return pending.size();
  }

  /** Stops the timer; pending expiries will not run. */
  void close() {
    if (timerId >= 0) {
      vertx.cancelTimer(timerId);
      timerId = -1;
    }
    pending.clear();
  }

  private void arm(long inNanos) {
    long ms = Math.max(1, (inNanos + 999_999) / 1_000_000);
    timerId = vertx.setTimer(ms, id -> fire());
  }

  private void fire() {
    timerId = -1;
    firing = true;
    long now = nanoTime.getAsLong();
    try {
      Pending head;
      while ((head = pending.peekFirst()) != null && (head.done || head.deadlineNanos - now <= 0)) {
        pending.pollFirst();
        if (!head.done) {
          head.done = true;
          head.onExpiry.run();
        }
      }
    } finally {
      firing = false;
      Pending head = pending.peekFirst();
      if (head != null) {
        arm(head.deadlineNanos - now);
      }
    }
  }
}
