package io.raftlock.testing;

import static org.awaitility.Awaitility.await;
import static org.junit.jupiter.api.Assertions.assertThrows;

import io.vertx.core.Vertx;
import java.time.Duration;
import org.junit.jupiter.api.Test;

/** The detector the other tests rely on does detect a blocked event loop. */
class BlockedEventLoopsTest {
  @Test
  void aBusyEventLoopFailsTheCheck() {
    BlockedEventLoops blocked = new BlockedEventLoops();
    Vertx vertx = blocked.newVertx();
    try {
      vertx.runOnContext(v -> {
        long until = System.nanoTime() + 3 * BlockedEventLoops.MAX_EVENT_LOOP_MS * 1_000_000;
        while (System.nanoTime() < until) {
          Thread.onSpinWait(); // deliberately hog the loop
        }
      });
      await().atMost(Duration.ofSeconds(5)).untilAsserted(() -> assertThrows(AssertionError.class, blocked::assertNone));
    } finally {
      vertx.close().await();
    }
  }
}
