package io.raftlock.metrics;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.micrometer.core.instrument.Timer;
import io.micrometer.core.instrument.simple.SimpleMeterRegistry;
import io.raftlock.lock.LockEvent;
import io.raftlock.lock.LockStats;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicReference;
import org.junit.jupiter.api.Test;

/** Lock meters over published statistics, and grant latency timed from events on the leader. */
class LockMetricsTest {
  final SimpleMeterRegistry registry = new SimpleMeterRegistry();
  final AtomicReference<LockStats> stats = new AtomicReference<>();
  boolean leading = true;
  long nowNanos;
  final LockMetrics metrics = new LockMetrics(registry, stats::get, () -> leading, () -> nowNanos);

  Timer grantWait() {
    return registry.find("raftlock.lock.grant.wait").timer();
  }

  @Test
  void gaugesAndCountersReadThePublishedStatistics() {
    assertTrue(Double.isNaN(registry.find("raftlock.locks.held").gauge().value()), "nothing published yet");
    assertEquals(0, registry.find("raftlock.lock.grants").functionCounter().count());
    stats.set(new LockStats(3, 2, 1, 1500, 7, 4, 1, 0, 2, 9, 0));
    assertEquals(3, registry.find("raftlock.locks.held").gauge().value());
    assertEquals(2, registry.find("raftlock.locks.waiters").gauge().value());
    assertEquals(1, registry.find("raftlock.locks.contested").gauge().value());
    assertEquals(1.5, registry.find("raftlock.locks.hold.average").gauge().value());
    assertEquals(7, registry.find("raftlock.lock.grants").functionCounter().count());
    assertEquals(1, registry.find("raftlock.lock.expirations").functionCounter().count());
    assertEquals(2, registry.find("raftlock.lock.wait.cancels").functionCounter().count());
  }

  @Test
  void theWaitFromQueuedToGrantedIsTimedOnTheLeader() {
    nowNanos = 1_000_000_000L;
    metrics.onEvent(new LockEvent.Queued("a", "w1", 0, 5, 0));
    metrics.onEvent(new LockEvent.Queued("a", "w2", 0, 6, 1));
    nowNanos += 40_000_000L;
    metrics.onEvent(new LockEvent.Granted("a", "w1", 9, 9));
    assertEquals(1, grantWait().count());
    assertEquals(40, grantWait().totalTime(TimeUnit.MILLISECONDS), 0.001);
    metrics.onEvent(new LockEvent.Granted("b", "fresh", 10, 10));
    assertEquals(1, grantWait().count(), "a fresh grant has no wait");
    metrics.onEvent(new LockEvent.WaitCancelled("a", "w2", 0, 11));
    metrics.onEvent(new LockEvent.Granted("a", "w2", 12, 12));
    assertEquals(1, grantWait().count(), "a cancelled wait is forgotten");
  }

  @Test
  void aNodeThatStopsLeadingForgetsTheWaitsItTimed() {
    metrics.onEvent(new LockEvent.Queued("a", "w1", 0, 5, 0));
    leading = false;
    metrics.onEvent(new LockEvent.Released("a", "h", 4, 6));
    leading = true;
    metrics.onEvent(new LockEvent.Granted("a", "w1", 7, 7));
    assertEquals(0, grantWait().count());
  }
}
