package io.raftlock.testing;

import static org.junit.jupiter.api.Assertions.assertEquals;

import io.vertx.core.Vertx;
import io.vertx.core.VertxOptions;
import io.vertx.core.internal.VertxInternal;
import java.util.List;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.TimeUnit;

/**
 * Makes a blocked event loop a test failure: Vert.x instances made here report an event loop
 * caught inside blocking code (sleeping, parked, waiting, in file or socket I/O: see {@link
 * BlockingFrames}) once its task has run longer than {@link #MAX_EVENT_LOOP_MS}, and any task
 * that has run longer than {@link #MAX_STARVED_MS} whatever its stack; the first report has its
 * stack printed, and {@link #assertNone()} fails if there was one.
 *
 * <p>A loop that is merely runnable is not reported before {@link #MAX_STARVED_MS}: on a busy
 * machine (the suite runs beside {@code stress-ng --cpu 2} in scripts/stress-suite.sh) a runnable
 * thread can wait far longer than {@link #MAX_EVENT_LOOP_MS} for a core without doing anything
 * wrong, and the load average, which lags by a minute, cannot tell when.
 */
public final class BlockedEventLoops {
  /**
   * A task caught in blocking code after this long is blocking (Vert.x's default is 2 s): a real
   * block is caught whatever the load, since it is still there when the checker looks.
   */
  public static final long MAX_EVENT_LOOP_MS = 500;

  /**
   * The longest any event-loop task may run, whatever its stack: ten times the 500 ms a runnable
   * loop was seen starved for at a load of 10-18 on two cores. A spin this long is caught.
   */
  public static final long MAX_STARVED_MS = 5_000;

  private final List<String> blocked = new CopyOnWriteArrayList<>();

  public Vertx newVertx() {
    return newVertx(new VertxOptions().getEventLoopPoolSize());
  }

  /** As {@link #newVertx()}, with {@code eventLoops} event-loop threads (as a node's config says). */
  public Vertx newVertx(int eventLoops) {
    Vertx vertx = Vertx.vertx(new VertxOptions()
        .setEventLoopPoolSize(eventLoops)
        .setMaxEventLoopExecuteTime(MAX_EVENT_LOOP_MS)
        .setMaxEventLoopExecuteTimeUnit(TimeUnit.MILLISECONDS)
        .setBlockedThreadCheckInterval(20)
        .setBlockedThreadCheckIntervalUnit(TimeUnit.MILLISECONDS));
    ((VertxInternal) vertx).blockedThreadChecker().setThreadBlockedHandler(e -> {
      if (!e.thread().getName().contains("eventloop")) {
        return;
      }
      StackTraceElement[] stack = e.thread().getStackTrace();
      long ms = e.duration() / 1_000_000;
      if (ms < MAX_STARVED_MS && !BlockingFrames.blocking(stack)) {
        return; // runnable, or waiting where a starved JVM may wait (class loading, console)
      }
      if (blocked.isEmpty()) {
        Throwable where = new Throwable("blocked " + e.thread().getName());
        where.setStackTrace(stack);
        where.printStackTrace();
      }
      blocked.add(e.thread().getName() + " blocked for " + ms + " ms");
    });
    return vertx;
  }

  /** What was seen so far, one line per report. */
  public List<String> events() {
    return List.copyOf(blocked);
  }

  public void clear() {
    blocked.clear();
  }

  public void assertNone() {
    assertEquals(List.of(), events(), "event loops were blocked");
  }
}
