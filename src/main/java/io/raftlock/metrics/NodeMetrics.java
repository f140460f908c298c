package io.raftlock.metrics;

import io.micrometer.core.instrument.Counter;
import io.micrometer.core.instrument.FunctionCounter;
import io.micrometer.core.instrument.Gauge;
import io.micrometer.core.instrument.Timer;
import io.micrometer.core.instrument.binder.jvm.JvmGcMetrics;
import io.micrometer.core.instrument.binder.jvm.JvmMemoryMetrics;
import io.micrometer.core.instrument.binder.jvm.JvmThreadMetrics;
import io.micrometer.core.instrument.binder.system.ProcessorMetrics;
import io.micrometer.prometheusmetrics.PrometheusConfig;
import io.micrometer.prometheusmetrics.PrometheusMeterRegistry;
import io.raftlock.api.ConnectionTracker;
import io.raftlock.api.ApiObserver;
import io.raftlock.api.LockService;
import io.raftlock.api.WatchRegistry;
import io.raftlock.lock.LockEvent;
import io.raftlock.lock.LockStats;
import io.raftlock.node.RaftVerticle;
import io.raftlock.raft.RaftStatus;
import io.raftlock.raft.Role;
import io.raftlock.raft.SoftState;
import io.raftlock.storage.ChronicleRaftStorage;
import io.raftlock.transport.PeerTransportStats;
import java.util.Collection;
import java.util.concurrent.TimeUnit;
import java.util.function.LongSupplier;
import java.util.function.Supplier;
import java.util.function.ToDoubleFunction;

/**
 * The node's meters, scraped in Prometheus format at {@code /metrics} (every name starts with
 * {@code raftlock_}; docs/observability.md lists them). Gauges read what the drivers publish — the
 * {@link RaftStatus} of each tick, the {@link LockStats} the Raft verticle publishes every
 * {@link #LOCK_STATS_PERIOD_MS}, volatile counters of the API parts — never Raft or lock state
 * itself, so a scrape from any thread is safe. Event meters are fed by observers the parts call
 * ({@link #api()}, {@link #storage()}, {@link #raftObserver}). Labels are bounded: the node id,
 * member ids, and fixed sets (method, outcome, code, field, queue); never a lock or client id.
 */
public final class NodeMetrics {
  private final PrometheusMeterRegistry registry = new PrometheusMeterRegistry(PrometheusConfig.DEFAULT);
  private final Supplier<RaftStatus> status;
  /** Held strongly: Micrometer keeps a function counter's state object only weakly. */
  private final LongSupplier storageSyncs;
  private final Counter leaderChanges;
  private final Counter electionsStarted;
  private final Counter electionsWon;
  private final ApiMetrics api;
  private final StorageMetrics storage;
  private volatile LockMetrics locks;
  /** Held strongly (see above). */
  private ConnectionTracker connections;
  private final Counter snapshotsTaken;
  private final Counter snapshotsInstalled;
  private final Timer snapshotTake;
  private final Timer snapshotInstall;
  /** The peer transport's counters, copied on the Raft context (the transport's) with the lock stats. */
  private volatile PeerTransportStats transport;

  /** How often the lock statistics are published for the gauges (one pass over the held locks). */
  public static final long LOCK_STATS_PERIOD_MS = 250;

  public NodeMetrics(String nodeId, Collection<String> peers, Supplier<RaftStatus> status, LongSupplier storageSyncs) {
    this.status = status;
    this.storageSyncs = storageSyncs;
    registry.config().commonTags("node", nodeId);
    raftGauge("raftlock.raft.term", "current Raft term", RaftStatus::term);
    raftGauge("raftlock.raft.commit.index", "highest index known committed", RaftStatus::commitIndex);
    raftGauge("raftlock.raft.applied.index", "highest index applied to the state machine", RaftStatus::appliedIndex);
    raftGauge("raftlock.raft.last.index", "last index in the log", RaftStatus::lastIndex);
    raftGauge("raftlock.raft.apply.lag", "committed entries not yet applied", s -> s.commitIndex() - s.appliedIndex());
    raftGauge("raftlock.raft.snapshot.index", "index of the newest snapshot", RaftStatus::snapshotIndex);
    raftGauge("raftlock.raft.leader", "1 when this node leads", s -> s.role() == Role.LEADER ? 1 : 0);
    raftGauge("raftlock.raft.needs.repair", "1 while the log is below its durable mark", s -> s.needsRepair() ? 1 : 0);
    raftGauge("raftlock.healthy", "1 while a leader is known and this node's log is intact",
        s -> s.leaderId() != null && !s.needsRepair() ? 1 : 0);
    for (String peer : peers) {
      peerGauge(peer, "raftlock.raft.peer.match.lag", "leader's last index minus the peer's match index",
          (s, p) -> s.lastIndex() - p.matchIndex());
      peerGauge(peer, "raftlock.raft.peer.inflight", "unanswered AppendEntries to the peer", (s, p) -> p.inflight());
    }
    FunctionCounter.builder("raftlock.storage.syncs", this.storageSyncs, LongSupplier::getAsLong)
        .description("group-commit syncs of the Raft log").register(registry);
    leaderChanges = Counter.builder("raftlock.raft.leader.changes").description("leader changes seen").register(registry);
    electionsStarted = Counter.builder("raftlock.raft.elections.started").description("pre-votes and elections this node started").register(registry);
    electionsWon = Counter.builder("raftlock.raft.elections.won").description("elections this node won").register(registry);
    snapshotsTaken = Counter.builder("raftlock.raft.snapshots.taken")
        .description("state-machine snapshots taken here (the log is compacted behind them)").register(registry);
    snapshotsInstalled = Counter.builder("raftlock.raft.snapshots.installed")
        .description("snapshots received from the leader and restored here").register(registry);
    snapshotTake = Timer.builder("raftlock.raft.snapshot.take.duration")
        .description("time to serialize the state machine into a snapshot (Raft context)")
        .serviceLevelObjectives(StorageMetrics.SNAPSHOT_BUCKETS).register(registry);
    snapshotInstall = Timer.builder("raftlock.raft.snapshot.install.duration")
        .description("time to restore the state machine from the leader's snapshot (Raft context)")
        .serviceLevelObjectives(StorageMetrics.SNAPSHOT_BUCKETS).register(registry);
    api = new ApiMetrics(registry);
    storage = new StorageMetrics(registry);
    new JvmMemoryMetrics().bindTo(registry);
    new JvmGcMetrics().bindTo(registry);
    new JvmThreadMetrics().bindTo(registry);
    new ProcessorMetrics().bindTo(registry);
  }

  private void raftGauge(String name, String description, ToDoubleFunction<RaftStatus> value) {
    Gauge.builder(name, () -> {
      RaftStatus s = status.get();
      return s == null ? Double.NaN : value.applyAsDouble(s);
    }).description(description).register(registry);
  }

  private interface PeerValue {
    double of(RaftStatus s, RaftStatus.PeerStatus p);
  }

  private void peerGauge(String peer, String name, String description, PeerValue value) {
    Gauge.builder(name, () -> {
      RaftStatus s = status.get();
      RaftStatus.PeerStatus p = s == null ? null : s.peers().get(peer);
      return p == null ? Double.NaN : value.of(s, p);
    }).tag("peer", peer).description(description).register(registry);
  }

  /**
   * Counters of the peer transport, read from the copy {@link #publishTransport} receives on the
   * Raft context (which is also the transport's) at the lock-statistics rate.
   */
  public void bindTransport() {
    transportCounter("raftlock.peer.messages.sent", "Raft messages written to peers", PeerTransportStats::sent);
    transportCounter("raftlock.peer.messages.received", "Raft messages received from peers", PeerTransportStats::received);
    transportCounter("raftlock.peer.messages.dropped",
        "Raft messages dropped: circuit open, queue full, call broken", PeerTransportStats::dropped);
    transportCounter("raftlock.peer.rejected",
        "inbound peer calls or messages refused: unknown sender, wrong receiver, malformed", PeerTransportStats::rejected);
    transportCounter("raftlock.peer.unreachable.reports", "peers reported unreachable to Raft",
        PeerTransportStats::unreachableReports);
    transportCounter("raftlock.peer.snapshots.sent", "snapshots a follower confirmed", PeerTransportStats::snapshotsSent);
    transportCounter("raftlock.peer.snapshots.failed", "snapshot transfers abandoned", PeerTransportStats::snapshotsFailed);
    transportCounter("raftlock.peer.snapshots.received", "snapshots received from the leader",
        PeerTransportStats::snapshotsReceived);
    transportCounter("raftlock.peer.forwards.failed", "forwards to the leader that failed here",
        PeerTransportStats::forwardsFailed);
    transportCounter("raftlock.peer.forwards.received", "commands followers forwarded to this node",
        PeerTransportStats::forwardsReceived);
  }

  /** Publishes a copy of the transport's counters (Raft context). */
  public void publishTransport(PeerTransportStats copy) {
    transport = copy;
  }

  private void transportCounter(String name, String description, ToDoubleFunction<PeerTransportStats> value) {
    FunctionCounter.builder(name, this, m -> {
      PeerTransportStats t = m.transport;
      return t == null ? 0 : value.applyAsDouble(t);
    }).description(description).register(registry);
  }

  /** The client API's observer ({@link LockService#observeWith}). */
  public ApiObserver api() {
    return api;
  }

  /** The log storage's observer ({@link ChronicleRaftStorage#observeWith}). */
  public ChronicleRaftStorage.Observer storage() {
    return storage;
  }

  /**
   * The Raft verticle's observer: counts and times snapshots, and runs {@code publish} (on the
   * Raft context: publish the lock statistics and the transport counters there) about every
   * {@link #LOCK_STATS_PERIOD_MS}, starting at the first tick.
   */
  public RaftVerticle.Observer raftObserver(long tickMs, Runnable publish) {
    long everyTicks = Math.max(1, LOCK_STATS_PERIOD_MS / Math.max(1, tickMs));
    return new RaftVerticle.Observer() {
      private long ticks; // Raft context

      @Override
      public void ticked() {
        if (ticks++ % everyTicks == 0) {
          publish.run();
        }
      }

      @Override
      public void snapshotTaken(long index, long bytes, long nanos) {
        snapshotsTaken.increment();
        snapshotTake.record(nanos, TimeUnit.NANOSECONDS);
      }

      @Override
      public void snapshotInstalled(long index, long bytes, long nanos) {
        snapshotsInstalled.increment();
        snapshotInstall.record(nanos, TimeUnit.NANOSECONDS);
      }
    };
  }

  /**
   * Lock-state meters over the statistics {@code published} returns (any thread), with grant
   * latency fed by {@link #onLockEvent}; {@code nanoTime} times the waits.
   */
  public void bindLocks(Supplier<LockStats> published, LongSupplier nanoTime) {
    locks = new LockMetrics(registry, published, () -> {
      RaftStatus s = status.get();
      return s != null && s.role() == Role.LEADER;
    }, nanoTime);
  }

  /** An applied lock event, on the Raft context, in log order (grant latency). */
  public void onLockEvent(LockEvent e) {
    LockMetrics l = locks;
    if (l != null) {
      l.onEvent(e);
    }
  }

  /** Push deliveries, slow consumers and open watches; once the client API exists. */
  public void bindWatches(WatchRegistry watches) {
    if (locks != null) {
      locks.bindWatches(watches);
    }
  }

  /** Client connections open on the node's HTTP port (gRPC, WebSocket, plain HTTP). */
  public void bindConnections(ConnectionTracker tracker) {
    this.connections = tracker;
    Gauge.builder("raftlock.connections.active", this, m -> m.connections.active())
        .description("client connections open on this node's client port").register(registry);
    FunctionCounter.builder("raftlock.connections.accepted", this, m -> m.connections.accepted())
        .description("client connections accepted").register(registry);
  }

  /** Role and leader changes, as the Raft verticle reports them (any thread). */
  public void onSoftState(SoftState previous, SoftState next) {
    if (previous == null || !java.util.Objects.equals(previous.leaderId(), next.leaderId())) {
      if (next.leaderId() != null) {
        leaderChanges.increment();
      }
    }
    if (next.role() == Role.PRE_CANDIDATE || next.role() == Role.CANDIDATE) {
      electionsStarted.increment();
    }
    if (next.role() == Role.LEADER && (previous == null || previous.role() != Role.LEADER)) {
      electionsWon.increment();
    }
  }

  public String scrape() {
    return registry.scrape();
  }
}
