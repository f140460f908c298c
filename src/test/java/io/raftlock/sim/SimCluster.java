package io.raftlock.sim;

import io.raftlock.raft.ClusterConfig;
import io.raftlock.raft.ConfigChangeResult;
import io.raftlock.raft.Entry;
import io.raftlock.raft.Message;
import io.raftlock.raft.ProposeResult;
import io.raftlock.raft.RaftConfig;
import io.raftlock.raft.RaftNode;
import io.raftlock.raft.Role;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.SplittableRandom;
import java.util.TreeSet;

/**
 * N simulated nodes in one thread, driven by one seed. The root generator is split per
 * component (network, each disk, each node, workload, faults) so that adding a draw in one place
 * does not change the others. Scenario tests use the same class as a small scripting API.
 */
final class SimCluster {
  static final int TICK_MS = 10;

  final Scheduler scheduler = new Scheduler();
  final SimNetwork network;
  final InvariantChecker checker = new InvariantChecker();
  final List<SimNode> nodes = new ArrayList<>();
  final Map<String, SimNode> byId = new LinkedHashMap<>();
  /** Every simulated server: the bootstrap voters first, then the spares. */
  final List<String> ids = new ArrayList<>();
  /** The configuration at index 0: the first {@code size} servers as voters; spares are outside. */
  final ClusterConfig bootstrap;
  private final SplittableRandom workloadRandom;
  /** Runs after every tick of a live node (the lock workload's expiry driver). */
  java.util.function.Consumer<SimNode> afterTick = n -> {};
  /** Runs after every simulated event, after the invariant checks (scenario probes). */
  Runnable afterEachEvent = () -> {};

  /** A client proposal: where and as what it was accepted, and how it ended. */
  static final class Proposal {
    final String payload;
    final byte[] data;
    final String node;
    final int incarnation;
    final long term;
    final long index;
    String outcome = "pending"; // pending | ok | superseded | unknown

    Proposal(String payload, byte[] data, String node, int incarnation, long term, long index) {
      this.payload = payload;
      this.data = data;
      this.node = node;
      this.incarnation = incarnation;
      this.term = term;
      this.index = index;
    }
  }

  final List<Proposal> proposals = new ArrayList<>();
  /** Pending proposals by node id, then index. */
  private final Map<String, Map<Long, Proposal>> pendingByNode = new HashMap<>();
  private long proposalSeq;

  SimCluster(int size, long seed, SimNode.Factory factory, RaftConfig template,
      int snapshotEveryEntries, int snapshotKeepEntries) {
    this(size, seed, factory, template, snapshotEveryEntries, snapshotKeepEntries, null);
  }

  /** With {@code smKind} null the replicated state machine is the hash register. */
  SimCluster(int size, long seed, SimNode.Factory factory, RaftConfig template,
      int snapshotEveryEntries, int snapshotKeepEntries, SimStateMachine.Kind smKind) {
    this(size, 0, seed, factory, template, snapshotEveryEntries, snapshotKeepEntries, smKind);
  }

  /**
   * {@code size} bootstrap voters plus {@code spares} servers that start outside the
   * configuration (empty disk, bootstrap configuration known, not a member) and can be added.
   */
  SimCluster(int size, int spares, long seed, SimNode.Factory factory, RaftConfig template,
      int snapshotEveryEntries, int snapshotKeepEntries, SimStateMachine.Kind smKind) {
    SplittableRandom root = new SplittableRandom(seed);
    this.network = new SimNetwork(scheduler, root.split(), this::deliver);
    this.workloadRandom = root.split();
    for (int i = 1; i <= size + spares; i++) {
      ids.add("n" + i);
    }
    ClusterConfig cluster = ClusterConfig.ofVoters(new TreeSet<>(ids.subList(0, size)));
    this.bootstrap = cluster;
    checker.bootstrap = cluster;
    for (String id : ids) {
      RaftConfig cfg = new RaftConfig(id, template.electionTicks(), template.heartbeatTicks(),
          template.maxInflight(), template.maxEntriesPerAppend(), template.maxBytesPerAppend(),
          template.maxEntriesPerReady(), template.preVote(), template.checkQuorum());
      SimDisk disk = new SimDisk(scheduler, root.split());
      SimNode node = new SimNode(id, cfg, cluster, factory, disk, root.split(), network::send,
          new Listener(), snapshotEveryEntries, snapshotKeepEntries,
          smKind == null ? RegisterStateMachine.KIND : smKind);
      nodes.add(node);
      byId.put(id, node);
    }
    for (SimNode n : nodes) {
      n.start();
      scheduleTicks(n, n.incarnation, root.nextInt(TICK_MS));
    }
  }

  static SimCluster of(int size, long seed) {
    return new SimCluster(size, seed, RaftNode::new, RaftConfig.defaults("template"), 0, 0);
  }

  private void scheduleTicks(SimNode n, int incarnation, long firstDelayMs) {
    scheduler.after(firstDelayMs, new Runnable() {
      @Override
      public void run() {
        if (!n.up || n.incarnation != incarnation) {
          return;
        }
        n.tick();
        afterTick.accept(n);
        scheduler.after(TICK_MS, this);
      }
    });
  }

  private void deliver(Message m) {
    SimNode n = byId.get(m.to());
    if (n != null && n.up) {
      n.receive(m);
    }
  }

  // ---------------------------------------------------------------- running

  void runFor(long ms) {
    scheduler.runUntil(scheduler.nowMs() + ms, this::afterEvent);
  }

  private void afterEvent() {
    checker.afterEvent(nodes, scheduler.nowMs());
    afterEachEvent.run();
  }

  /** Runs until some node leads; fails the caller's expectations by returning null otherwise. */
  SimNode awaitLeader(long maxMs) {
    runUntil(() -> leader() != null, maxMs);
    return leader();
  }

  /** Runs until {@code condition} holds or {@code maxMs} pass; returns whether it held. */
  boolean runUntil(java.util.function.BooleanSupplier condition, long maxMs) {
    long deadline = scheduler.nowMs() + maxMs;
    while (scheduler.nowMs() < deadline) {
      if (condition.getAsBoolean()) {
        return true;
      }
      runFor(TICK_MS);
    }
    return condition.getAsBoolean();
  }

  // ---------------------------------------------------------------- faults

  void crash(String id, boolean torn) {
    SimNode n = byId.get(id);
    if (!n.up) {
      return;
    }
    n.crash(torn);
    Map<Long, Proposal> pending = pendingByNode.remove(id);
    if (pending != null) {
      pending.values().forEach(p -> p.outcome = "unknown");
    }
  }

  void restart(String id) {
    SimNode n = byId.get(id);
    if (n.up) {
      return;
    }
    n.start();
    scheduleTicks(n, n.incarnation, TICK_MS);
  }

  void isolate(String id) {
    network.isolate(id, ids);
  }

  void healNetwork() {
    network.healAll();
  }

  // ---------------------------------------------------------------- workload

  /** Proposes on the node that believes it leads, if any is up; returns the proposal or null. */
  Proposal propose() {
    SimNode target = null;
    for (SimNode n : nodes) {
      if (n.up && n.raft.role() == Role.LEADER) {
        // With partitions more than one node may believe it leads (in different terms).
        if (target == null || workloadRandom.nextBoolean()) {
          target = n;
        }
      }
    }
    return target == null ? null : proposeOn(target.id);
  }

  Proposal proposeOn(String id) {
    String payload = "p" + (proposalSeq + 1);
    return proposeOn(id, payload.getBytes(StandardCharsets.UTF_8));
  }

  /** Proposes {@code data} on node {@code id}; null when it is down or refuses. */
  Proposal proposeOn(String id, byte[] data) {
    SimNode n = byId.get(id);
    if (!n.up) {
      return null;
    }
    String payload = "p" + (++proposalSeq);
    ProposeResult r = n.raft.propose(data);
    n.drain();
    if (!r.accepted()) {
      return null;
    }
    Proposal p = new Proposal(payload, data, id, n.incarnation, r.term(), r.index());
    proposals.add(p);
    Proposal replaced = pendingByNode.computeIfAbsent(id, k -> new HashMap<>()).put(r.index(), p);
    if (replaced != null) {
      replaced.outcome = "superseded"; // our own log now holds another entry at that index
    }
    return p;
  }

  long maxPendingIndex() {
    return proposals.stream().filter(p -> p.outcome.equals("pending")).mapToLong(p -> p.index).max().orElse(0);
  }

  long pendingProposals() {
    long n = 0;
    for (Map<Long, Proposal> m : pendingByNode.values()) {
      n += m.size();
    }
    return n;
  }

  /** Node roles, terms, indexes and the oldest pending proposals, for failure reports. */
  String describeState() {
    StringBuilder b = new StringBuilder();
    for (SimNode n : nodes) {
      if (!n.up) {
        b.append(n.id).append(" down; ");
        continue;
      }
      b.append(n.raft.status()).append(" applied=").append(n.sm.lastIndex())
          .append(" inFlight=").append(n.inFlightCount()).append(" diskPending=").append(n.disk.pendingCount()).append("; ");
    }
    proposals.stream().filter(p -> p.outcome.equals("pending")).limit(3).forEach(p ->
        b.append("pending ").append(p.payload).append(" on ").append(p.node).append(" inc ")
            .append(p.incarnation).append(" at ").append(p.term).append('/').append(p.index).append("; "));
    return b.toString();
  }

  /** The live leader of the highest term, or null. */
  SimNode leader() {
    SimNode best = null;
    for (SimNode n : nodes) {
      if (n.up && n.raft.role() == Role.LEADER && (best == null || n.raft.term() > best.raft.term())) {
        best = n;
      }
    }
    return best;
  }

  /**
   * One leader; every member of its configuration is up, shares its term and has applied its
   * commit index. Servers outside the configuration (spares, removed) are not waited for.
   */
  boolean converged() {
    SimNode l = leader();
    if (l == null) {
      return false;
    }
    long commit = l.raft.commitIndex();
    ClusterConfig members = l.raft.clusterConfig();
    for (SimNode n : nodes) {
      if (!members.isMember(n.id)) {
        continue;
      }
      if (!n.up || n.raft.term() != l.raft.term() || n.sm.lastIndex() < commit
          || !l.id.equals(n.raft.leaderId())) {
        return false;
      }
    }
    return true;
  }

  /**
   * Proposals pending on a server outside the current leader's configuration (a removed leader
   * that stepped down) may never be applied there: its client would time out. Marks them
   * unknown, which is always safe (unknown outcomes are never checked).
   */
  void abandonPendingOffMembers() {
    SimNode l = leader();
    if (l == null) {
      return;
    }
    ClusterConfig members = l.raft.clusterConfig();
    pendingByNode.entrySet().removeIf(e -> {
      if (members.isMember(e.getKey())) {
        return false;
      }
      e.getValue().values().forEach(p -> p.outcome = "unknown");
      return true;
    });
  }

  // ---------------------------------------------------------------- membership

  /** Runs a membership change on the current leader and drains it; null when no leader. */
  ConfigChangeResult change(java.util.function.Function<RaftNode, ConfigChangeResult> op) {
    SimNode l = leader();
    if (l == null) {
      return null;
    }
    ConfigChangeResult r = op.apply(l.raft);
    l.drain();
    return r;
  }

  /** Acknowledged proposals must be in the committed history at their index. */
  List<String> lostAcknowledged() {
    List<String> lost = new ArrayList<>();
    for (Proposal p : proposals) {
      if (p.outcome.equals("ok")) {
        Entry e = checker.committed().get(p.index);
        if (e == null || !java.util.Arrays.equals(e.data(), p.data)) {
          lost.add(p.payload + "@" + p.index);
        }
      }
    }
    return lost;
  }

  private final class Listener implements SimNode.ApplyListener {
    @Override
    public void applied(SimNode node, Entry entry, long smHash) {
      checker.applied(node, entry, smHash);
      Map<Long, Proposal> pending = pendingByNode.get(node.id);
      if (pending == null) {
        return;
      }
      Proposal p = pending.remove(entry.index());
      if (p != null && p.incarnation == node.incarnation) {
        // As in the production driver: the proposer acknowledges when its own node applies the
        // index and the entry there still has the term it was proposed in.
        p.outcome = entry.term() == p.term ? "ok" : "superseded";
      }
    }

    @Override
    public void restored(SimNode node, long index, long smHash) {
      checker.restored(node, index, smHash);
      Map<Long, Proposal> pending = pendingByNode.get(node.id);
      if (pending != null) {
        // A snapshot jumped over these indexes: the proposer cannot tell what became of them.
        pending.entrySet().removeIf(e -> {
          if (e.getKey() <= index) {
            e.getValue().outcome = "unknown";
            return true;
          }
          return false;
        });
      }
    }
  }
}
