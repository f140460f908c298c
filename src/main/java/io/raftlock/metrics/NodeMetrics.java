package io.raftlock.metrics;

import io.micrometer.core.instrument.Counter;
import io.micrometer.core.instrument.FunctionCounter;
import io.micrometer.core.instrument.Gauge;
import io.micrometer.core.instrument.binder.jvm.JvmGcMetrics;
import io.micrometer.core.instrument.binder.jvm.JvmMemoryMetrics;
import io.micrometer.core.instrument.binder.jvm.JvmThreadMetrics;
import io.micrometer.core.instrument.binder.system.ProcessorMetrics;
import io.micrometer.prometheusmetrics.PrometheusConfig;
import io.micrometer.prometheusmetrics.PrometheusMeterRegistry;
import io.raftlock.raft.RaftStatus;
import io.raftlock.raft.Role;
import io.raftlock.raft.SoftState;
import java.util.Collection;
import java.util.function.LongSupplier;
import java.util.function.Supplier;
import java.util.function.ToDoubleFunction;

/**
 * The node's meters, scraped in Prometheus format at {@code /metrics}. Gauges read the
 * {@link RaftStatus} the Raft verticle publishes each tick, never Raft state itself, so a scrape
 * from any thread is safe. Labels are bounded: the node id and, per peer, the member ids.
 */
public final class NodeMetrics {
  private final PrometheusMeterRegistry registry = new PrometheusMeterRegistry(PrometheusConfig.DEFAULT);
  private final Supplier<RaftStatus> status;
  /** Held strongly: Micrometer keeps a function counter's state object only weakly. */
  private final LongSupplier storageSyncs;
  private final Counter leaderChanges;
  private final Counter electionsStarted;
  private final Counter electionsWon;

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
