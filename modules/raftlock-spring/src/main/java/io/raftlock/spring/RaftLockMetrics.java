package io.raftlock.spring;

import io.micrometer.core.instrument.FunctionCounter;
import io.micrometer.core.instrument.FunctionTimer;
import io.micrometer.core.instrument.Gauge;
import io.micrometer.core.instrument.MeterRegistry;
import io.micrometer.core.instrument.binder.MeterBinder;
import io.raftlock.client.LostReason;
import java.util.concurrent.TimeUnit;

/**
 * Micrometer meters of a {@link RaftLockRegistry} and of its client's lost locks. The client has no
 * metrics hook of its own, so these are what its public API shows: locks held and kept, the
 * registry's acquisitions (count and time spent waiting for the grant) and failures, and lost
 * locks by reason. No lock names as tags (unbounded).
 */
public final class RaftLockMetrics implements MeterBinder {
  private final RaftLockRegistry registry;
  private final LostLocks lostLocks;

  public RaftLockMetrics(RaftLockRegistry registry, LostLocks lostLocks) {
    this.registry = registry;
    this.lostLocks = lostLocks;
  }

  @Override
  public void bindTo(MeterRegistry meters) {
    Gauge.builder("raftlock.locks.held", registry, RaftLockRegistry::heldCount)
        .description("RaftLock locks held by a thread of this process").register(meters);
    Gauge.builder("raftlock.locks.obtained", registry, RaftLockRegistry::size)
        .description("Lock objects kept by the lock registry, held or not").register(meters);
    FunctionTimer.builder("raftlock.lock.acquire", registry, r -> r.acquired.get(), r -> r.acquireNanos.get(),
            TimeUnit.NANOSECONDS)
        .description("Locks taken through the lock registry, and the time spent waiting for them").register(meters);
    FunctionCounter.builder("raftlock.lock.acquire.failures", registry, r -> r.acquireFailures.get())
        .description("Lock attempts that failed with an error (not: not granted in time)").register(meters);
    for (LostReason reason : LostReason.values()) {
      FunctionCounter.builder("raftlock.locks.lost", lostLocks, l -> l.count(reason))
          .tag("reason", reason.name())
          .description("Held locks this client lost (expired, keep-alive failed, revoked, released elsewhere)")
          .register(meters);
    }
  }
}
