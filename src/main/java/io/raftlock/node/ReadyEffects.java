package io.raftlock.node;

import io.raftlock.raft.DriverLoop;
import io.raftlock.raft.Entry;
import io.raftlock.raft.EntryType;
import io.raftlock.raft.Message;
import io.raftlock.raft.PersistBatch;
import io.raftlock.raft.RaftNode;
import io.raftlock.raft.RaftStorage;
import io.raftlock.raft.ReadState;
import io.raftlock.raft.Role;
import io.raftlock.raft.Snapshot;
import io.raftlock.raft.SoftState;
import io.vertx.core.Context;
import java.util.List;
import java.util.function.Consumer;
import java.util.function.Supplier;
import java.util.logging.Logger;

/**
 * What one node does with each part of a {@link io.raftlock.raft.Ready}, in the order the
 * {@link DriverLoop} hands them over: messages to the transport, batches to storage (completions
 * come back on the Raft context), an installed snapshot and the committed entries into the state
 * machine, and the futures waiting for them completed; role changes fail what a lost leadership
 * cannot finish and are told to the listeners. Confined to the Raft context.
 *
 * <p>Invariants: {@link #appliedIndex()} is the index of the last entry applied to the state
 * machine or of the snapshot it was restored from; a proposal, membership change or read barrier
 * completes only once the state machine reached its index, on the context, before any later
 * compaction. Log lines keep the verticle's logger name, as before.
 */
final class ReadyEffects implements DriverLoop.Effects {
  private static final Logger LOG = Logger.getLogger(RaftVerticle.class.getName());

  private final String nodeId;
  private final RaftNode raft;
  private final Context context;
  private final PeerTransport transport;
  private final RaftStorage storage;
  private final ReplicatedStateMachine stateMachine;
  private final PendingProposals proposals;
  private final PendingProposals configChanges;
  private final ReadBarriers reads;
  private final Snapshots snapshots;
  private final Supplier<RaftVerticle.Observer> observer;
  private final List<Consumer<SoftState>> leadershipListeners;
  private final Consumer<Throwable> storageFailed;
  private long appliedIndex;

  /** The futures of one node that wait for the state machine: proposals, membership changes, reads. */
  record Waiting(PendingProposals proposals, PendingProposals configChanges, ReadBarriers reads) {
    /** Fails every one of them (the node stops). */
    void failAll(ProposalException.Reason reason) {
      proposals.failAll(reason, null);
      configChanges.failAll(reason, null);
      reads.failAll(reason);
    }
  }

  ReadyEffects(RaftNode raft, Context context, PeerTransport transport, RaftStorage storage,
      ReplicatedStateMachine stateMachine, Snapshots snapshots, Waiting waiting,
      List<Consumer<SoftState>> leadershipListeners, Supplier<RaftVerticle.Observer> observer,
      Consumer<Throwable> storageFailed, long appliedIndex) {
    this.nodeId = raft.id();
    this.raft = raft;
    this.context = context;
    this.transport = transport;
    this.storage = storage;
    this.stateMachine = stateMachine;
    this.snapshots = snapshots;
    this.proposals = waiting.proposals();
    this.configChanges = waiting.configChanges();
    this.reads = waiting.reads();
    this.leadershipListeners = leadershipListeners;
    this.observer = observer;
    this.storageFailed = storageFailed;
    this.appliedIndex = appliedIndex;
  }

  /** The index the state machine has reached (see the class comment). */
  long appliedIndex() {
    return appliedIndex;
  }

  @Override
  public void send(Message message) {
    transport.send(message);
  }

  @Override
  public void persist(PersistBatch batch, Consumer<Throwable> done) {
    storage.persist(batch, err -> context.runOnContext(v -> done.accept(err)));
  }

  @Override
  public void installSnapshot(Snapshot snapshot) {
    configChanges.skippedTo(snapshot.index());
    long start = System.nanoTime();
    stateMachine.restore(snapshot.data(), snapshot.index());
    long nanos = System.nanoTime() - start;
    observer.get().snapshotInstalled(snapshot.index(), snapshot.data().length, nanos);
    appliedIndex = snapshot.index();
    snapshots.restoredAt(appliedIndex);
    proposals.skippedTo(snapshot.index());
    reads.applied(appliedIndex);
    LOG.info(() -> nodeId + " installed snapshot from the leader: index " + snapshot.index()
        + ", term " + snapshot.term() + ", " + snapshot.data().length + " bytes in " + nanos / 1_000_000 + " ms");
  }

  @Override
  public void apply(Entry entry) {
    Object result = entry.type() == EntryType.NORMAL ? stateMachine.apply(entry.index(), entry.data()) : null;
    if (entry.type() == EntryType.CONFIG) {
      LOG.info(() -> nodeId + " applied a membership change: index " + entry.index()
          + ", term " + entry.term() + ", configuration " + raft.clusterConfig());
    }
    appliedIndex = entry.index();
    proposals.applied(entry.index(), entry.term(), result);
    configChanges.applied(entry.index(), entry.term(), result);
    reads.applied(appliedIndex);
  }

  @Override
  public void readStates(List<ReadState> states) {
    states.forEach(rs -> reads.confirmed(rs, appliedIndex, raft.leaderId()));
  }

  @Override
  public void softStateChanged(SoftState state) {
    if (state.role() != Role.LEADER) {
      proposals.failAll(ProposalException.Reason.LEADERSHIP_LOST, state.leaderId());
      // A leader that removed itself steps down in the Ready that commits its removal, before
      // that Ready's entries are applied: fail the changes still pending after this drain, so
      // the committed removal completes its future instead of reporting a lost leadership.
      context.runOnContext(v -> {
        if (raft.role() != Role.LEADER) {
          configChanges.failAll(ProposalException.Reason.LEADERSHIP_LOST, raft.leaderId());
        }
      });
    }
    LOG.info(() -> nodeId + " " + roleEvent(state) + ": term " + state.term()
        + ", last index " + raft.lastIndex() + ", commit index " + raft.commitIndex()
        + (state.leaderId() == null ? ", no leader known" : ", leader " + state.leaderId()));
    leadershipListeners.forEach(l -> l.accept(state));
  }

  @Override
  public void storageFailed(Throwable cause) {
    storageFailed.accept(cause);
  }

  /** The event a role change is, in words, for the log line. */
  private static String roleEvent(SoftState state) {
    return switch (state.role()) {
      case PRE_CANDIDATE -> "started a pre-vote";
      case CANDIDATE -> "started an election";
      case LEADER -> "won the election, leads";
      default -> "is " + state.role();
    };
  }
}
