package io.raftlock.metrics;

import io.micrometer.core.instrument.FunctionCounter;
import io.micrometer.core.instrument.Gauge;
import io.micrometer.core.instrument.MeterRegistry;
import io.micrometer.core.instrument.Timer;
import io.raftlock.api.WatchRegistry;
import io.raftlock.lock.LockEvent;
import io.raftlock.lock.LockStats;
import java.util.HashMap;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import java.util.function.BooleanSupplier;
import java.util.function.LongSupplier;
import java.util.function.Supplier;
import java.util.function.ToDoubleFunction;

/**
 * Lock-state meters. Gauges and counters read the {@link LockStats} the Raft driver publishes
 * (a volatile snapshot, never the state machine itself); grant latency is measured here from the
 * applied events; push deliveries and slow consumers come from the node's watch registry.
 *
 * <p><b>Grant latency</b> (enqueued → granted) is timed on the leader only, with its monotonic
 * clock, from the apply of a waiter's Queued event to the apply of its Granted event. A follower
 * applies in bursts and a recovering node replays history, so their timings would say little;
 * when this node stops leading it forgets the waits it was timing. Fresh grants (no wait) are not
 * recorded.
 */
final class LockMetrics {
  /** Waits: from milliseconds to the longest wait timeouts (minutes). */
  static final java.time.Duration[] WAIT_BUCKETS = ApiMetrics.durations(
      1, 5, 10, 25, 50, 100, 250, 500, 1_000, 2_500, 5_000, 10_000, 30_000, 60_000, 300_000);
  /** Bound on waits being timed; past it the table is cleared (a guard, not a normal path). */
  static final int MAX_TIMED_WAITS = 100_000;

  private final MeterRegistry registry;
  private final Supplier<LockStats> stats;
  private final BooleanSupplier leading;
  private final LongSupplier nanoTime;
  private final Timer grantWait;
  /** Enqueue time of each waiter being timed: Raft context only. */
  private final Map<WaitKey, Long> waitingSince = new HashMap<>();
  /** Held strongly: Micrometer keeps a function counter's state object only weakly. */
  private WatchRegistry watches;

  private record WaitKey(String lockId, String clientId) {}

  LockMetrics(MeterRegistry registry, Supplier<LockStats> stats, BooleanSupplier leading, LongSupplier nanoTime) {
    this.registry = registry;
    this.stats = stats;
    this.leading = leading;
    this.nanoTime = nanoTime;
    gauge("raftlock.locks.held", "locks held now", LockStats::activeLocks);
    gauge("raftlock.locks.waiters", "clients waiting, over all locks", LockStats::waiters);
    gauge("raftlock.locks.contested", "held locks with at least one waiter", LockStats::contestedLocks);
    gauge("raftlock.locks.dedupe.entries",
        "request ids remembered with their replies for deduplication (client-owned and sessions')", LockStats::dedupeEntries);
    Gauge.builder("raftlock.locks.hold.average", () -> {
      LockStats s = stats.get();
      return s == null ? Double.NaN : s.averageHoldMs() / 1000.0;
    }).baseUnit("seconds").description("mean duration of ended holdings").register(registry);
    counter("raftlock.lock.grants", "holdings started: fresh grants and promotions of waiters", LockStats::acquires);
    counter("raftlock.lock.releases", "holdings ended by release", LockStats::releases);
    counter("raftlock.lock.expirations", "holdings ended because the lease expired", LockStats::expirations);
    counter("raftlock.lock.wait.timeouts", "waits ended by their timeout", LockStats::waitTimeouts);
    counter("raftlock.lock.wait.cancels", "waits cancelled by the client or its disconnect", LockStats::waitCancels);
    grantWait = Timer.builder("raftlock.lock.grant.wait")
        .description("time a waiter waited from enqueue to grant (timed on the leader)")
        .serviceLevelObjectives(WAIT_BUCKETS).register(registry);
  }

  private void gauge(String name, String description, ToDoubleFunction<LockStats> value) {
    Gauge.builder(name, () -> {
      LockStats s = stats.get();
      return s == null ? Double.NaN : value.applyAsDouble(s);
    }).description(description).register(registry);
  }

  /** The counters are replicated state: every replica reports the same totals at the same index. */
  private void counter(String name, String description, ToDoubleFunction<LockStats> value) {
    FunctionCounter.builder(name, this, m -> {
      LockStats s = m.stats.get();
      return s == null ? 0 : value.applyAsDouble(s);
    }).description(description).register(registry);
  }

  /** Push deliveries, slow consumers and open watches of the node's watch registry. */
  void bindWatches(WatchRegistry registryOfWatches) {
    this.watches = registryOfWatches;
    FunctionCounter.builder("raftlock.watch.pushes", this, m -> m.watches.pushed())
        .description("lock events delivered to watch streams").register(registry);
    FunctionCounter.builder("raftlock.watch.slow.consumers", this, m -> m.watches.slowConsumers())
        .description("watches closed because the consumer could not keep up").register(registry);
    Gauge.builder("raftlock.watches.open", this, m -> m.watches.openWatches())
        .description("watches open on this node").register(registry);
  }

  /** An applied event (Raft context, log order). */
  void onEvent(LockEvent e) {
    if (!leading.getAsBoolean()) {
      if (!waitingSince.isEmpty()) {
        waitingSince.clear();
      }
      return;
    }
    if (e instanceof LockEvent.Queued q) {
      if (waitingSince.size() >= MAX_TIMED_WAITS) {
        waitingSince.clear();
      }
      waitingSince.put(new WaitKey(q.lockId(), q.clientId()), nanoTime.getAsLong());
    } else if (e instanceof LockEvent.Granted g) {
      Long since = waitingSince.isEmpty() ? null : waitingSince.remove(new WaitKey(g.lockId(), g.clientId()));
      if (since != null) {
        grantWait.record(nanoTime.getAsLong() - since, TimeUnit.NANOSECONDS);
      }
    } else if (e instanceof LockEvent.WaitTimedOut || e instanceof LockEvent.WaitCancelled) {
      if (!waitingSince.isEmpty()) {
        waitingSince.remove(new WaitKey(e.lockId(), e.clientId()));
      }
    }
  }
}
