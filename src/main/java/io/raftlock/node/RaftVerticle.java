package io.raftlock.node;

import io.raftlock.raft.ClusterConfig;
import io.raftlock.raft.DriverLoop;
import io.raftlock.raft.Entry;
import io.raftlock.raft.PersistentState;
import io.raftlock.raft.RaftConfig;
import io.raftlock.raft.RaftNode;
import io.raftlock.raft.RaftStatus;
import io.raftlock.raft.RaftStorage;
import io.raftlock.raft.Snapshot;
import io.raftlock.raft.SoftState;
import io.vertx.core.Future;
import io.vertx.core.Promise;
import io.vertx.core.VerticleBase;
import java.util.ArrayList;
import java.util.List;
import java.util.SplittableRandom;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.function.BooleanSupplier;
import java.util.function.Consumer;
import java.util.function.Function;
import java.util.logging.Level;
import java.util.logging.Logger;

/**
 * Runs one {@link RaftNode} on one event loop: a periodic timer ticks it, the transport steps
 * peer messages into it, storage completions come back through {@code runOnContext}, and the
 * shared {@link DriverLoop} turns its Ready into effects. The decisions live in the core; this
 * class only owns the thread (like KRaft's {@code KafkaRaftClientDriver}). Its other jobs have
 * classes of their own, which it wires together: {@link Ticker}, {@link PeerInbox},
 * {@link ReadyEffects}, {@link ClientCommands}, {@link MembershipChanges}, {@link ReadBarriers},
 * {@link Snapshots}, {@link PeerAlignment} and {@link StorageReserve}.
 *
 * <p>Threading: every field below marked "context" is touched only on this verticle's event-loop
 * context. Public methods may be called from any thread; they hop onto the context.
 *
 * @param <S> the replicated state machine: queries see its own type, so callers need no casts
 */
public final class RaftVerticle<S extends ReplicatedStateMachine> extends VerticleBase {
  private static final Logger LOG = Logger.getLogger(RaftVerticle.class.getName());

  /**
   * Settings of one node.
   *
   * @param tickMs length of one Raft tick
   * @param snapshotEveryEntries applied entries between state-machine snapshots (0: never)
   * @param snapshotKeepEntries entries kept in the log behind a snapshot for lagging followers
   */
  public record Options(RaftConfig raft, ClusterConfig cluster, long tickMs,
      int snapshotEveryEntries, int snapshotKeepEntries, long randomSeed) {
    public Options {
      if (tickMs < 1 || snapshotEveryEntries < 0 || snapshotKeepEntries < 0) {
        throw new IllegalArgumentException("tickMs ≥ 1, snapshot settings ≥ 0");
      }
    }
  }

  /**
   * What the verticle reports to the metrics layer, on the Raft context: implementations must be
   * cheap and must not throw. Values are plain numbers; the core never sees the observer.
   */
  public interface Observer {
    Observer NONE = new Observer() {};

    /** Once per tick, after the status was published: a point to publish other snapshots. */
    default void ticked() {}

    /** A local snapshot at {@code index} of {@code bytes} took {@code nanos} to produce. */
    default void snapshotTaken(long index, long bytes, long nanos) {}

    /** A snapshot from the leader at {@code index} of {@code bytes} took {@code nanos} to restore. */
    default void snapshotInstalled(long index, long bytes, long nanos) {}
  }

  private final Options options;
  private final RaftStorage storage;
  private final PeerTransport transport;
  private final S stateMachine;
  private final List<Consumer<SoftState>> leadershipListeners = new CopyOnWriteArrayList<>();
  private final Consumer<Throwable> onFatal;
  private volatile Observer observer = Observer.NONE;

  private RaftNode raft; // context
  private DriverLoop loop; // context
  private ReadyEffects effects; // context
  private final PendingProposals proposals = new PendingProposals(); // context
  /** Membership changes waiting for their CONFIG entry to commit, by index. */
  private final PendingProposals configChanges = new PendingProposals(); // context
  private final PeerAlignment peers; // context, except registration before start
  private final ReadBarriers reads = new ReadBarriers(); // context
  private final ReadyEffects.Waiting waiting = new ReadyEffects.Waiting(proposals, configChanges, reads);
  private final Snapshots snapshots; // context
  private final StorageReserve reserve; // context, except the guard and listener registration
  private final ClientCommands commands; // context
  private final MembershipChanges membership; // context
  private final Ticker ticker; // context
  private boolean drainScheduled; // context
  private boolean stopped; // context
  private volatile RaftStatus status; // written on context once per tick, read anywhere

  public RaftVerticle(Options options, RaftStorage storage, PeerTransport transport,
      S stateMachine, Consumer<Throwable> onFatal) {
    this.options = options;
    this.storage = storage;
    this.transport = transport;
    this.stateMachine = stateMachine;
    this.onFatal = onFatal;
    String nodeId = options == null ? "" : options.raft().nodeId(); // null: a verticle never deployed
    this.reserve = new StorageReserve(nodeId);
    this.peers = new PeerAlignment(nodeId, transport, () -> stopped);
    this.snapshots = options == null ? null : new Snapshots(nodeId, options.snapshotEveryEntries(),
        options.snapshotKeepEntries(), stateMachine, storage, () -> observer, () -> stopped,
        err -> context.runOnContext(v -> fail(err)));
    this.ticker = options == null ? null : new Ticker(options.tickMs(), this::tick);
    this.commands = new ClientCommands(nodeId, stateMachine, transport, proposals, reserve, () -> raft,
        () -> stopped, this::scheduleDrain);
    this.membership = new MembershipChanges(configChanges, peers, () -> raft, () -> stopped, this::scheduleDrain);
  }

  /**
   * While {@code below} answers true (the storage's free-space guard) new proposals are refused
   * with {@code STORAGE_FULL}, entries already accepted still complete, and the core is told
   * ({@link RaftNode#storageBelowReserve}): a leader hands leadership over, and the node neither
   * campaigns nor takes entries until space returns. Read at every tick and peer message.
   */
  public void refuseProposalsWhen(BooleanSupplier below) {
    reserve.guardWith(below);
  }

  /** True while the storage is below its free-space reserve; readable from any thread. */
  public boolean belowStorageReserve() {
    return reserve.isBelow();
  }

  /**
   * The storage crossed its free-space reserve (true: now below), delivered on the Raft context.
   * Below it this node's state machine stops advancing, so what watches it must move elsewhere.
   */
  public void onStorageReserveChange(Consumer<Boolean> listener) {
    reserve.onChange(listener);
  }

  /** Ticks and snapshots are reported to {@code observer} (metrics); set before start. */
  public void observeWith(Observer observer) {
    this.observer = java.util.Objects.requireNonNull(observer, "observer");
  }

  /**
   * Makes the peer transport follow the configuration in force: members that join get a
   * connection (their addresses from {@code directory}), members that leave lose theirs after a
   * grace period. Addresses learned at runtime are saved to {@code dataDir} (null: not saved)
   * on a worker thread. Call before start.
   */
  public void followMembership(MemberDirectory directory, java.nio.file.Path dataDir) {
    peers.follow(directory, dataDir);
  }

  /** The address book, or null if the membership is not followed. */
  public MemberDirectory directory() {
    return peers.directory();
  }

  /** The configuration in force changed; delivered on the Raft context. */
  public void onConfigChange(Consumer<ClusterConfig> listener) {
    peers.onConfigChange(listener);
  }

  /** Leadership changes, delivered on the Raft context (role, leader id, term). */
  public void onLeadershipChange(Consumer<SoftState> listener) {
    leadershipListeners.add(listener);
  }

  @Override
  public Future<?> start() {
    peers.start(vertx);
    // Recovery reads and verifies the whole log: blocking I/O, so off the event loop.
    return vertx.executeBlocking(storage::recover)
        .compose(this::startCore)
        .compose(v -> transport.start(new PeerInbox(() -> raft, () -> stopped, reserve, commands, peers, this::drain)))
        .onSuccess(v -> {
          ticker.start(vertx);
          publishStatus();
        });
  }

  private Future<Void> startCore(PersistentState state) {
    raft = new RaftNode(options.raft(), options.cluster(), state, new SplittableRandom(options.randomSeed()));
    long appliedIndex = 0;
    if (state.snapshot() != null) {
      stateMachine.restore(state.snapshot().data(), state.snapshot().index());
      appliedIndex = state.snapshot().index();
      snapshots.restoredAt(appliedIndex);
    }
    effects = new ReadyEffects(raft, context, transport, storage, stateMachine, snapshots, waiting,
        leadershipListeners, () -> observer, this::fail, appliedIndex);
    loop = new DriverLoop(raft, effects);
    LOG.info(() -> options.raft().nodeId() + " recovered: term " + state.hardState().currentTerm()
        + ", last index " + state.lastIndex() + (raft.needsRepair() ? ", NEEDS REPAIR (log lost durable entries)" : ""));
    return Future.succeededFuture();
  }

  @Override
  public Future<?> stop() {
    Promise<Void> done = Promise.promise();
    context.runOnContext(v -> {
      stopped = true;
      ticker.stop();
      waiting.failAll(ProposalException.Reason.STOPPED);
      transport.close().onComplete(ar -> vertx.executeBlocking(() -> {
        storage.close();
        return null;
      }).onComplete(x -> done.complete()));
    });
    return done.future();
  }

  /**
   * Proposes a command on this node, which must be the leader; the future completes, on the Raft
   * context, when the entry is applied (with the state machine's reply) or fails with a
   * {@link ProposalException} ({@code NOT_LEADER} with the leader's name on a follower).
   */
  public Future<Applied> propose(byte[] command) {
    Promise<Applied> promise = Promise.promise();
    context.runOnContext(v -> commands.propose(command, promise));
    return promise.future();
  }

  /**
   * Proposes a command from any node (ARCHITECTURE.md, data path step 3): the leader proposes it
   * as {@link #propose} does; a follower that knows the leader forwards it there <em>once</em>
   * and completes with the leader's answer, its result decoded by the state machine
   * ({@link ReplicatedStateMachine#decodeResult}); with no leader known it fails at once with
   * {@code NO_LEADER}. Every failure is a {@link ProposalException}; all but
   * {@code STORAGE_FAILED} (this node fail-stopped) are retryable with the same request id. It
   * never hangs: a forward is bounded by the transport's forward deadline.
   */
  public Future<Applied> submit(byte[] command) {
    Promise<Applied> promise = Promise.promise();
    context.runOnContext(v -> commands.submit(command, promise));
    return promise.future();
  }

  /**
   * Forwards a command once to {@code target}, whatever this node believes about leadership:
   * the second half of {@link #submit}; tests aim it at a deposed leader.
   */
  Future<Applied> forwardTo(String target, byte[] command) {
    Promise<Applied> promise = Promise.promise();
    context.runOnContext(v -> commands.forward(target, command).onComplete(promise));
    return promise.future();
  }

  /**
   * A linearizable read point (ReadIndex, thesis §6.4): completes with an index once this node's
   * state machine has applied it and the leader confirmed, after this call, that it still led
   * with that commit index. A read run on the Raft context afterwards (see {@link #query}) sees
   * every write acknowledged before this call. Fails with a retryable {@link ProposalException}:
   * NO_LEADER at once, LEADERSHIP_LOST when the leader stepped down, TIMEOUT after
   * {@code timeoutMs} (the request or its answer was lost).
   */
  public Future<Long> readBarrier(long timeoutMs) {
    Promise<Long> promise = Promise.promise();
    context.runOnContext(v -> {
      if (stopped || raft == null) {
        promise.fail(new ProposalException(ProposalException.Reason.STOPPED, null));
        return;
      }
      long id = reads.nextId();
      if (raft.readIndex(id) == RaftNode.ReadRequestStatus.NO_LEADER) {
        promise.fail(new ProposalException(ProposalException.Reason.NO_LEADER, null));
        return;
      }
      reads.await(id, promise);
      vertx.setTimer(timeoutMs, t -> {
        if (reads.expire(id)) {
          promise.tryFail(new ProposalException(ProposalException.Reason.TIMEOUT, raft.leaderId()));
        }
      });
      scheduleDrain();
    });
    return promise.future();
  }

  /** Runs {@code query} on the state machine, on the Raft context (it owns the state). */
  public <T> Future<T> query(Function<? super S, T> query) {
    Promise<T> promise = Promise.promise();
    context.runOnContext(v -> {
      try {
        promise.complete(query.apply(stateMachine));
      } catch (RuntimeException e) {
        promise.fail(e);
      }
    });
    return promise.future();
  }

  /**
   * Like {@link #query}, with the node's current term as the core knows it now (the published
   * {@link #status()} may be a tick behind): for decisions that must match the term of the
   * entries this node stamps (the lease clock re-anchors in every term).
   */
  public <T> Future<T> queryInTerm(java.util.function.BiFunction<? super S, Long, T> query) {
    return query(sm -> query.apply(sm, raft.term()));
  }

  /** Hands leadership to {@code target} (null: the most caught-up voter). */
  public Future<RaftNode.TransferStatus> transferLeadership(String target) {
    Promise<RaftNode.TransferStatus> promise = Promise.promise();
    context.runOnContext(v -> {
      promise.complete(raft.transferLeadership(target));
      loop.drain();
    });
    return promise.future();
  }

  // ---------------------------------------------------------------- membership

  /**
   * Adds {@code id} as a learner reachable at {@code peerAddress} (clients at
   * {@code clientAddress}, may be null). The future completes with the new configuration when
   * the CONFIG entry is applied here (committed), or fails: at once with a
   * {@link MembershipException} (the refusal; nothing changed), later with a retryable
   * {@link ProposalException} (leadership lost: the change may or may not commit).
   */
  public Future<ClusterConfig> addLearner(String id, String peerAddress, String clientAddress) {
    return change(r -> r.addLearner(id), id, peerAddress, clientAddress);
  }

  /** Adds {@code id} directly as a voter (no catch-up phase); as {@link #addLearner}. */
  public Future<ClusterConfig> addVoter(String id, String peerAddress, String clientAddress) {
    return change(r -> r.addVoter(id), id, peerAddress, clientAddress);
  }

  /** Makes learner {@code id} a voter once its match index reaches {@code minMatchIndex}. */
  public Future<ClusterConfig> promoteLearner(String id, long minMatchIndex, boolean force) {
    return change(r -> r.promoteLearner(id, minMatchIndex, force), id, null, null);
  }

  /** Removes a voter or learner, possibly this leader (it steps down once the change commits). */
  public Future<ClusterConfig> removeServer(String id) {
    return change(r -> r.removeServer(id), id, null, null);
  }

  /** The latest configuration in this node's log and the address book, read on the Raft context. */
  public Future<ClusterConfig> clusterConfig() {
    Promise<ClusterConfig> promise = Promise.promise();
    context.runOnContext(v -> promise.complete(raft.clusterConfig()));
    return promise.future();
  }

  /** Runs one change on the core, on the context (see {@link MembershipChanges}). */
  private Future<ClusterConfig> change(Function<RaftNode, io.raftlock.raft.ConfigChangeResult> call,
      String id, String peerAddress, String clientAddress) {
    Promise<Applied> promise = Promise.promise();
    context.runOnContext(v -> membership.propose(call, id, peerAddress, clientAddress, promise));
    return promise.future().map(membership::configAfter);
  }

  /**
   * The term of the entry at {@code index} (-1 when compacted away or absent) and whether it is
   * committed, read on the Raft context.
   */
  public Future<long[]> termAt(long index) {
    Promise<long[]> promise = Promise.promise();
    context.runOnContext(v -> promise.complete(new long[] {raft.termAt(index), index <= raft.commitIndex() ? 1 : 0}));
    return promise.future();
  }

  /**
   * One page of the committed log with the header it belongs to, all read in one turn of the
   * Raft context: {@code state} is {@code stateQuery}'s answer at {@code appliedIndex}.
   */
  public record CommittedPage<T>(String nodeId, long firstIndex, long commitIndex, long appliedIndex, T state,
      List<Entry> entries) {}

  /**
   * Committed entries from {@code max(from, firstIndex)} to {@code min(to, commitIndex)}, at most
   * {@code maxEntries} and about {@code maxBytes} (at least one entry when any is left). The
   * entries are in memory and immutable, so the context only copies references; the caller's
   * page limits bound that turn.
   */
  public <T> Future<CommittedPage<T>> committedPage(long from, long to, int maxEntries, long maxBytes,
      Function<? super S, T> stateQuery) {
    Promise<CommittedPage<T>> promise = Promise.promise();
    context.runOnContext(v -> {
      if (raft == null) {
        promise.fail(new ProposalException(ProposalException.Reason.STOPPED, null));
        return;
      }
      try {
        long commit = raft.commitIndex();
        long first = raft.firstIndex();
        long last = Math.min(to, commit);
        List<Entry> page = new ArrayList<>();
        long bytes = 0;
        for (long i = Math.max(from, first); i <= last && page.size() < maxEntries; i++) {
          Entry e = raft.entryAt(i);
          bytes += e.sizeBytes();
          if (bytes > maxBytes && !page.isEmpty()) {
            break;
          }
          page.add(e);
        }
        promise.complete(new CommittedPage<>(options.raft().nodeId(), first, commit, effects.appliedIndex(),
            stateQuery.apply(stateMachine), page));
      } catch (RuntimeException e) {
        promise.fail(e);
      }
    });
    return promise.future();
  }

  /**
   * A snapshot of the state machine at this node's applied index when the build starts, with that
   * entry's term and the configuration in force there (for a backup: call {@link #readBarrier}
   * first to make it hold every acknowledged write). Nothing is stored or compacted. Built like
   * the periodic snapshots ({@link Snapshots}): off the event loop when the state machine replays.
   */
  public Future<Snapshot> currentSnapshot() {
    Promise<Snapshot> promise = Promise.promise();
    context.runOnContext(v -> {
      if (stopped || raft == null) {
        promise.fail(new ProposalException(ProposalException.Reason.STOPPED, null));
        return;
      }
      snapshots.current(raft, () -> effects.appliedIndex(), vertx, context).onComplete(promise);
    });
    return promise.future();
  }

  /** The status the Raft context published at its latest tick; null before start. */
  public RaftStatus status() {
    return status;
  }

  // ---------------------------------------------------------------- context-confined work

  /** The Netty event loop this verticle runs on, once deployed (the node keeps client I/O off it). */
  public io.netty.channel.EventLoop eventLoop() {
    return ((io.vertx.core.internal.ContextInternal) context).nettyEventLoop();
  }

  /** One tick of the core's logical clock (the {@link Ticker} skips overdue ones). */
  private void tick() {
    if (!stopped) {
      reserve.sync(raft);
      raft.tick();
      drain();
      publishStatus(); // once per tick, not per drain: observers need no fresher view
      observer.ticked();
    }
  }

  /** Proposals made in one event-loop turn go out in one Ready (and one AppendEntries). */
  private void scheduleDrain() {
    if (!drainScheduled) {
      drainScheduled = true;
      context.runOnContext(v -> {
        drainScheduled = false;
        drain();
      });
    }
  }

  private void drain() {
    if (stopped) {
      return;
    }
    loop.drain();
    snapshots.maybeTake(raft, () -> effects.appliedIndex(), vertx, context);
    peers.align(raft);
  }

  private void publishStatus() {
    RaftStatus previous = status;
    status = raft.status();
    if (status.removed() != (previous != null && previous.removed())) {
      RaftStatus s = status;
      LOG.info(() -> s.removed()
          ? options.raft().nodeId() + " is not a member of the configuration in force (removed, or not yet added):"
              + " it neither votes nor campaigns; term " + s.term() + ", commit index " + s.commitIndex()
          : options.raft().nodeId() + " is a member of the configuration in force: term " + s.term()
              + ", commit index " + s.commitIndex());
    }
  }

  private void fail(Throwable cause) {
    if (stopped) {
      return;
    }
    stopped = true;
    ticker.stop();
    waiting.failAll(ProposalException.Reason.STORAGE_FAILED);
    LOG.log(Level.SEVERE, options.raft().nodeId() + " stops: stable storage failed; nothing more is acknowledged", cause);
    onFatal.accept(cause);
  }
}
