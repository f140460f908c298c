package io.raftlock.testing;

import static org.junit.jupiter.api.Assertions.assertEquals;

import io.vertx.core.Vertx;
import io.vertx.core.VertxOptions;
import io.vertx.core.internal.VertxInternal;
import java.lang.management.ManagementFactory;
import java.lang.management.OperatingSystemMXBean;
import java.util.List;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.TimeUnit;

/**
 * Makes a blocked event loop a test failure: Vert.x instances made here report every event loop
 * busy longer than {@link #MAX_EVENT_LOOP_MS} (parked, sleeping or waiting for a monitor; a
 * runnable loop on an overloaded machine gets longer, see {@link #runnableToleranceMs()}), the
 * first with its stack printed, and {@link #assertNone()} fails if there was one.
 */
public final class BlockedEventLoops {
  /**
   * An event-loop task longer than this counts as blocking (Vert.x's default is 2 s). Not lower:
   * on a loaded 2-core machine the JVM's first linking of a lambda can take ~200 ms.
   */
  public static final long MAX_EVENT_LOOP_MS = 500;

  /** Above this many runnable threads per core (1-minute load average) a core is hard to get. */
  static final double OVERLOADED_PER_CORE = 2.0;

  /** The longest a runnable loop is tolerated, whatever the load: a spin longer than this is caught. */
  public static final long MAX_RUNNABLE_TOLERANCE_MS = 2_000;

  private final List<String> blocked = new CopyOnWriteArrayList<>();

  /**
   * How long a runnable (not parked) event loop may run before it counts as blocked: {@link
   * #MAX_EVENT_LOOP_MS}, or Vert.x's own default of 2 s while the machine is overloaded, when a
   * runnable thread can wait that long for a core without doing anything wrong.
   */
  static long runnableToleranceMs() {
    OperatingSystemMXBean os = ManagementFactory.getOperatingSystemMXBean();
    double perCore = os.getSystemLoadAverage() / os.getAvailableProcessors();
    return perCore >= OVERLOADED_PER_CORE ? MAX_RUNNABLE_TOLERANCE_MS : MAX_EVENT_LOOP_MS;
  }

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
      Thread.State state = e.thread().getState();
      boolean waiting = state == Thread.State.WAITING || state == Thread.State.TIMED_WAITING
          || state == Thread.State.BLOCKED;
      if (!waiting && e.duration() / 1_000_000 < runnableToleranceMs()) {
        // A runnable loop on an overloaded machine may just be waiting for a core; a loop that
        // parks, sleeps or waits for a monitor is blocking whatever the load.
        return;
      }
      if (blocked.isEmpty()) {
        Throwable where = new Throwable("blocked " + e.thread().getName());
        where.setStackTrace(e.thread().getStackTrace());
        where.printStackTrace();
      }
      blocked.add(e.thread().getName() + " blocked for " + e.duration() / 1_000_000 + " ms");
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
