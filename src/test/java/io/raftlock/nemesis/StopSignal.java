package io.raftlock.nemesis;

import java.time.Duration;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;

/**
 * Paces the fault schedule: {@link #holdFor} keeps a fault (or a healthy gap) in place for its
 * planned time, and returns early once the run is being stopped (shutdown hook, failure).
 */
final class StopSignal {
  private final CountDownLatch stopped = new CountDownLatch(1);

  /** Holds for {@code d}; false when the run was stopped meanwhile. */
  boolean holdFor(Duration d) {
    try {
      return !stopped.await(d.toNanos(), TimeUnit.NANOSECONDS);
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      return false;
    }
  }

  void stop() {
    stopped.countDown();
  }

  boolean stopped() {
    return stopped.getCount() == 0;
  }
}
