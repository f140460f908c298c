package io.raftlock.api;

import io.raftlock.lock.SessionInfo;
import io.raftlock.proto.api.LockEventMessage;
import io.vertx.core.Future;
import java.util.Optional;
import java.util.function.Consumer;
import java.util.function.LongFunction;
import java.util.function.LongSupplier;

/**
 * The warning a session stream gets before its session expires ({@code SESSION_EXPIRING}), due
 * when no keep-alive of the session has been committed for two thirds of its TTL.
 *
 * <p><b>Who decides.</b> The node holding the stream, as advice: expiry itself stays a committed
 * {@code Expire}, and the lock core is untouched. The session's committed deadline is lease time
 * (the leader's clock); this node maps it onto its own monotonic clock through an <em>anchor</em>:
 * a reply of this stream that carried the deadline (open, resume, keep-alive), stamped
 * {@code deadline - ttl} by the leader just before it arrived here. The warning is then due
 * {@code (deadline - anchorDeadline) + 2/3 ttl} after the anchor's arrival. When it is due, the
 * committed deadline is read again (a keep-alive may have come through a renew or another stream
 * of the session): moved → re-armed for it; unchanged → warned once for that deadline; the session
 * gone → stopped (its SESSION_EXPIRED or SESSION_CLOSED event is on its way). A warning can be
 * late by the anchor's reply latency, never early by more than clock-rate differences.
 *
 * <p><b>Threading.</b> The API context only (timers and the read complete there).
 */
final class SessionExpiryWarning {
  /** Timers of the API context (Vert.x in production). */
  interface Timers {
    long schedule(long delayMs, Runnable task);

    void cancel(long timerId);
  }

  /** Re-check interval when the deadline or the TTL cannot be read (a node stopping). */
  static final long RETRY_MS = 1_000;

  private final Timers timers;
  private final LongSupplier nanoTime;
  private final LongFunction<Future<Optional<SessionInfo>>> committed;
  private final Consumer<LockEventMessage> push;
  private long sessionId;
  private long ttlMs;
  private long anchorNanos;
  private long anchorDeadlineMs;
  /** The deadline already warned about; another warning needs a later deadline. */
  private long warnedDeadlineMs = Long.MIN_VALUE;
  private long timer = -1;
  /** Bumped by every (re)arm and stop: a read that completes after it is stale and ignored. */
  private long generation;
  private boolean running;

  /**
   * @param committed the session's state as committed and applied on this node (empty: ended)
   * @param push delivers the warning on the stream
   */
  SessionExpiryWarning(Timers timers, LongSupplier nanoTime,
      LongFunction<Future<Optional<SessionInfo>>> committed, Consumer<LockEventMessage> push) {
    this.timers = timers;
    this.nanoTime = nanoTime;
    this.committed = committed;
    this.push = push;
  }

  /**
   * A reply carrying session {@code id}'s deadline just arrived: anchors on it and arms.
   * {@code knownTtlMs} is the TTL if the reply said it (open), else 0 (it is read).
   */
  void anchor(long id, long deadlineMs, long knownTtlMs) {
    if (id != sessionId) {
      ttlMs = 0;
      warnedDeadlineMs = Long.MIN_VALUE;
    }
    sessionId = id;
    if (knownTtlMs > 0) {
      ttlMs = knownTtlMs;
    }
    anchorNanos = nanoTime.getAsLong();
    anchorDeadlineMs = deadlineMs;
    running = true;
    if (ttlMs > 0) {
      arm(dueInMs(deadlineMs));
    } else {
      check();
    }
  }

  /** The stream detached or ended: no more warnings. Idempotent. */
  void stop() {
    running = false;
    cancel();
  }

  private void check() {
    long gen = cancel();
    committed.apply(sessionId).onComplete(ar -> {
      if (!running || gen != generation) {
        return;
      }
      if (ar.failed()) {
        arm(RETRY_MS);
      } else if (ar.result().isEmpty()) {
        running = false;
      } else {
        onCommitted(ar.result().get());
      }
    });
  }

  private void onCommitted(SessionInfo s) {
    ttlMs = s.ttlMs();
    long dueInMs = dueInMs(s.expiresAtMs());
    if (dueInMs > 0) {
      arm(dueInMs);
      return;
    }
    if (s.expiresAtMs() != warnedDeadlineMs) {
      warnedDeadlineMs = s.expiresAtMs();
      push.accept(ResponseMapper.sessionExpiring(s));
    }
    // Look again once more than the deadline's last third has passed: by then the session has
    // expired (read empty), or was kept alive (a later deadline, armed anew).
    arm(Math.max(1, ttlMs / 3));
  }

  /** Milliseconds until the warning for {@code deadlineMs} is due (<= 0: due now). */
  private long dueInMs(long deadlineMs) {
    long dueAfterAnchorMs = deadlineMs - anchorDeadlineMs + 2 * ttlMs / 3;
    long sinceAnchorMs = (nanoTime.getAsLong() - anchorNanos) / 1_000_000;
    return dueAfterAnchorMs - sinceAnchorMs;
  }

  private void arm(long delayMs) {
    cancel();
    timer = timers.schedule(Math.max(1, delayMs), this::check);
  }

  /** Cancels the timer and any read in flight; returns the new generation. */
  private long cancel() {
    if (timer >= 0) {
      timers.cancel(timer);
      timer = -1;
    }
    return ++generation;
  }
}
