package io.raftlock.sim;

import io.raftlock.raft.ClusterConfig;
import io.raftlock.raft.DriverLoop;
import io.raftlock.raft.Entry;
import io.raftlock.raft.Message;
import io.raftlock.raft.PersistBatch;
import io.raftlock.raft.PersistentState;
import io.raftlock.raft.RaftConfig;
import io.raftlock.raft.RaftNode;
import io.raftlock.raft.ReadState;
import io.raftlock.raft.SoftState;
import io.raftlock.raft.Snapshot;
import io.raftlock.raft.SnapshotMeta;
import java.util.ArrayList;
import java.util.List;
import java.util.function.Consumer;
import java.util.random.RandomGenerator;

/**
 * One simulated process: the real {@link RaftNode} driven exactly as the production driver drives
 * it (Ready → send / persist / apply → advance), over a {@link SimDisk} and the simulated network.
 * A crash throws the process away; a restart rebuilds it from what the disk kept.
 */
final class SimNode {
  /** Builds the core; the broken-variant test substitutes a subclass. */
  interface Factory {
    RaftNode create(RaftConfig config, ClusterConfig cluster, PersistentState state, RandomGenerator random);
  }

  /** Receives every applied entry (index, entry) and the state machine's hash after it. */
  interface ApplyListener {
    void applied(SimNode node, Entry entry, long smHash);

    void restored(SimNode node, long index, long smHash);
  }

  final String id;
  final SimDisk disk;
  private final RaftConfig config;
  private final ClusterConfig cluster;
  private final Factory factory;
  private final RandomGenerator random;
  private final Consumer<Message> network;
  private final ApplyListener listener;
  private final int snapshotEveryEntries;
  private final int snapshotKeepEntries;

  RaftNode raft;
  SimStateMachine sm;
  private final SimStateMachine.Kind smKind;
  /** Read confirmations this process received (requestId → readIndex, -1 when refused). */
  final java.util.Map<Long, Long> readStates = new java.util.HashMap<>();
  /** Every SoftState change the driver reported, across incarnations (leadership callbacks). */
  final List<SoftState> softStates = new ArrayList<>();
  boolean up;
  int incarnation;
  private long lastSnapshotIndex;

  private DriverLoop loop;

  SimNode(String id, RaftConfig config, ClusterConfig cluster, Factory factory, SimDisk disk,
      RandomGenerator random, Consumer<Message> network, ApplyListener listener,
      int snapshotEveryEntries, int snapshotKeepEntries, SimStateMachine.Kind smKind) {
    this.id = id;
    this.smKind = smKind;
    this.config = config;
    this.cluster = cluster;
    this.factory = factory;
    this.disk = disk;
    this.random = random;
    this.network = network;
    this.listener = listener;
    this.snapshotEveryEntries = snapshotEveryEntries;
    this.snapshotKeepEntries = snapshotKeepEntries;
  }

  void start() {
    PersistentState state = disk.recover();
    raft = factory.create(config, cluster, state, random);
    sm = state.snapshot() == null ? smKind.fresh(id) : smKind.restore(id, state.snapshot().data());
    lastSnapshotIndex = state.snapshot() == null ? 0 : state.snapshot().index();
    if (state.snapshot() != null) {
      listener.restored(this, state.snapshot().index(), sm.digest());
    }
    up = true;
    incarnation++;
    loop = new DriverLoop(raft, new Effects());
  }

  int inFlightCount() {
    return loop == null ? 0 : loop.batchesInFlight();
  }

  void crash(boolean torn) {
    up = false;
    raft = null;
    sm = null;
    loop = null;
    disk.crash(torn);
  }

  void tick() {
    raft.tick();
    drain();
  }

  void receive(Message m) {
    raft.step(m);
    drain();
  }

  /** Runs the shared driver loop, then snapshots when due. */
  void drain() {
    if (up) {
      loop.drain();
      maybeSnapshot();
    }
  }

  /** The simulated process's side of {@link DriverLoop}: network, fake disk, register. */
  private final class Effects implements DriverLoop.Effects {
    private final int inc = incarnation;

    @Override
    public void send(Message m) {
      network.accept(m);
    }

    @Override
    public void persist(PersistBatch batch, Consumer<Throwable> done) {
      disk.persist(batch, err -> {
        if (up && inc == incarnation) {
          done.accept(err);
          maybeSnapshot();
        }
      });
    }

    @Override
    public void installSnapshot(Snapshot snap) {
      sm = smKind.restore(id, snap.data());
      lastSnapshotIndex = snap.index();
      listener.restored(SimNode.this, snap.index(), sm.digest());
    }

    @Override
    public void apply(Entry e) {
      listener.applied(SimNode.this, e, sm.apply(e));
    }

    @Override
    public void readStates(List<ReadState> states) {
      states.forEach(rs -> readStates.put(rs.requestId(), rs.readIndex()));
    }

    @Override
    public void softStateChanged(SoftState state) {
      softStates.add(state);
    }

    @Override
    public void storageFailed(Throwable cause) {
      throw new IllegalStateException("simulated disk never fails", cause);
    }
  }

  private void maybeSnapshot() {
    long applied = sm.lastIndex();
    if (snapshotEveryEntries <= 0 || applied - lastSnapshotIndex < snapshotEveryEntries) {
      return;
    }
    long term = raft.termAt(applied);
    Snapshot snap = new Snapshot(new SnapshotMeta(applied, term, raft.configAt(applied)), sm.snapshot());
    long compactIndex = Math.max(0, applied - snapshotKeepEntries);
    raft.compact(snap, compactIndex);
    lastSnapshotIndex = applied;
    disk.saveSnapshot(snap, compactIndex, err -> {});
  }
}
