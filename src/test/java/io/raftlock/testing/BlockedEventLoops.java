package io.raftlock.testing;

import static org.junit.jupiter.api.Assertions.assertEquals;

import io.vertx.core.Vertx;
import io.vertx.core.VertxOptions;
import io.vertx.core.internal.VertxInternal;
import java.util.List;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.TimeUnit;

/**
 * Makes a blocked event loop a test failure: Vert.x instances made here report every event loop
 * busy longer than {@link #MAX_EVENT_LOOP_MS}, the first with its stack printed, and
 * {@link #assertNone()} fails if there was one.
 */
public final class BlockedEventLoops {
  /**
   * An event-loop task longer than this counts as blocking (Vert.x's default is 2 s). Not lower:
   * on a loaded 2-core machine the JVM's first linking of a lambda can take ~200 ms.
   */
  public static final long MAX_EVENT_LOOP_MS = 500;

  private final List<String> blocked = new CopyOnWriteArrayList<>();

  public Vertx newVertx() {
    Vertx vertx = Vertx.vertx(new VertxOptions()
        .setMaxEventLoopExecuteTime(MAX_EVENT_LOOP_MS)
        .setMaxEventLoopExecuteTimeUnit(TimeUnit.MILLISECONDS)
        .setBlockedThreadCheckInterval(20)
        .setBlockedThreadCheckIntervalUnit(TimeUnit.MILLISECONDS));
    ((VertxInternal) vertx).blockedThreadChecker().setThreadBlockedHandler(e -> {
      if (!e.thread().getName().contains("eventloop")) {
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
