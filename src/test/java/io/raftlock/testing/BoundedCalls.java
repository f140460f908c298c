package io.raftlock.testing;

import io.vertx.core.Future;
import io.vertx.core.Promise;
import io.vertx.core.Vertx;
import java.util.function.Supplier;

/** Many asynchronous calls, a bounded number at a time, for tests that send thousands. */
public final class BoundedCalls {
  private BoundedCalls() {}

  /**
   * Runs {@code next} (null when there is no more work) with at most {@code inFlight} calls
   * outstanding, on one context of {@code vertx} (so {@code next} needs no locking), and waits
   * (on the calling thread, never an event loop) until all of them completed.
   */
  public static void run(Vertx vertx, int inFlight, Supplier<Future<?>> next) {
    Promise<Void> done = Promise.promise();
    int[] active = {0};
    Runnable[] pump = new Runnable[1];
    pump[0] = () -> {
      while (active[0] < inFlight) {
        Future<?> f;
        try {
          f = next.get();
        } catch (RuntimeException e) {
          done.tryFail(e);
          return;
        }
        if (f == null) {
          if (active[0] == 0) {
            done.tryComplete();
          }
          return;
        }
        active[0]++;
        f.onComplete(ar -> {
          active[0]--;
          pump[0].run();
        });
      }
    };
    vertx.runOnContext(v -> pump[0].run());
    done.future().await();
  }
}
