package io.raftlock.testing;

import static org.awaitility.Awaitility.await;
import static org.junit.jupiter.api.Assertions.assertThrows;

import io.vertx.core.Vertx;
import java.time.Duration;
import java.util.concurrent.locks.LockSupport;
import org.junit.jupiter.api.Test;

/** The detector the other tests rely on does detect a blocked event loop. */
class BlockedEventLoopsTest {
  @Test
  void aBusyEventLoopFailsTheCheck() {
    BlockedEventLoops blocked = new BlockedEventLoops();
    Vertx vertx = blocked.newVertx();
    try {
      vertx.runOnContext(v -> {
        // Past the longest a runnable loop is tolerated, until the checker (a thread that may be
        // starved too) has reported it; bounded, so a checker that never reports fails the test.
        long until = System.nanoTime() + 4 * BlockedEventLoops.MAX_STARVED_MS * 1_000_000L;
        while (blocked.events().isEmpty() && System.nanoTime() < until) {
          Thread.onSpinWait(); // deliberately hog the loop
        }
      });
      await().atMost(Duration.ofSeconds(30)).untilAsserted(() -> assertThrows(AssertionError.class, blocked::assertNone));
    } finally {
      vertx.close().await();
    }
  }

  @Test
  void aSleepingEventLoopFailsTheCheckWhateverTheLoad() {
    BlockedEventLoops blocked = new BlockedEventLoops();
    Vertx vertx = blocked.newVertx();
    try {
      vertx.runOnContext(v -> {
        try {
          Thread.sleep(2 * BlockedEventLoops.MAX_EVENT_LOOP_MS); // deliberately block the loop
        } catch (InterruptedException e) {
          Thread.currentThread().interrupt();
        }
      });
      await().atMost(Duration.ofSeconds(5)).untilAsserted(() -> assertThrows(AssertionError.class, blocked::assertNone));
    } finally {
      vertx.close().await();
    }
  }

  @Test
  void aParkedEventLoopFailsTheCheckWhateverTheLoad() {
    BlockedEventLoops blocked = new BlockedEventLoops();
    Vertx vertx = blocked.newVertx();
    try {
      // Deliberately block the loop the way a future's await or a lock would.
      vertx.runOnContext(v -> LockSupport.parkNanos(2 * BlockedEventLoops.MAX_EVENT_LOOP_MS * 1_000_000));
      await().atMost(Duration.ofSeconds(5)).untilAsserted(() -> assertThrows(AssertionError.class, blocked::assertNone));
    } finally {
      vertx.close().await();
    }
  }
}
