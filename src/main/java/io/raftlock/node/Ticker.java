package io.raftlock.node;

import io.vertx.core.Vertx;

/**
 * Drives the core's logical clock: a Vert.x periodic timer on the Raft context, one tick per
 * {@code tickMs}, handed on to the verticle's tick.
 *
 * <p>Invariant: two ticks handed on are at least half a period apart. Periodic timers run at a
 * fixed rate: after the loop was busy, the overdue ticks fire back to back. Counting them all
 * would age every election timer in one burst right after a stall (and make followers campaign),
 * so a tick closer than half a period to the last is skipped.
 */
final class Ticker {
  private final long tickMs;
  private final Runnable onTick;
  private Vertx vertx;
  private long timerId = -1;
  private long lastTickNanos = Long.MIN_VALUE / 2;

  Ticker(long tickMs, Runnable onTick) {
    this.tickMs = tickMs;
    this.onTick = onTick;
  }

  /** Starts ticking; call on the Raft context. */
  void start(Vertx vertx) {
    this.vertx = vertx;
    timerId = vertx.setPeriodic(tickMs, id -> fire());
  }

  /** Stops ticking; call on the Raft context. A no-op before {@link #start}. */
  void stop() {
    if (vertx != null) {
      vertx.cancelTimer(timerId);
    }
  }

  private void fire() {
    long now = System.nanoTime();
    if (now - lastTickNanos < tickMs * 500_000L) {
      return;
    }
    lastTickNanos = now;
    onTick.run();
  }
}
