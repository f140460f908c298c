package io.raftlock.raft;

import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.List;
import java.util.function.Consumer;

/**
 * The one loop that turns a {@link RaftNode}'s {@link Ready} into effects, in the order the core
 * requires. Shared by the production verticle and the simulator, so the code the simulator
 * proves is the code that runs.
 *
 * <p>Order per Ready: send {@code messages}; hand the batch to storage; install the snapshot;
 * apply committed entries; {@code advance}. {@code messagesAfterPersist} leave when that batch —
 * and so every earlier one, storage being FIFO — is durable; a Ready with nothing to persist
 * queues its after-persist messages behind the newest batch still in flight.
 *
 * <p>Threading: confined to the driver's thread, like the node. {@link Effects#persist}'s
 * completion must be delivered back on that thread.
 */
public final class DriverLoop {

  /** What the driver does with a Ready. */
  public interface Effects {
    void send(Message message);

    /**
     * Makes {@code batch} durable. {@code done} must run on the driver's thread, in FIFO order,
     * with null on success or the failure (after which the node must stop).
     */
    void persist(PersistBatch batch, Consumer<Throwable> done);

    /** The state machine is replaced by this snapshot (received from the leader). */
    void installSnapshot(Snapshot snapshot);

    /** One committed entry, in log order. */
    void apply(Entry entry);

    void readStates(List<ReadState> states);

    void softStateChanged(SoftState state);

    /** Storage failed: nothing may be acknowledged any more. */
    void storageFailed(Throwable cause);
  }

  private record InFlight(PersistBatch batch, List<Message> after) {}

  private final RaftNode raft;
  private final Effects effects;
  /** Batches handed to storage and not yet durable, oldest first. */
  private final ArrayDeque<InFlight> inFlight = new ArrayDeque<>();
  private boolean failed;

  public DriverLoop(RaftNode raft, Effects effects) {
    this.raft = raft;
    this.effects = effects;
  }

  public RaftNode raft() {
    return raft;
  }

  public int batchesInFlight() {
    return inFlight.size();
  }

  /** Processes Ready until the node has nothing more to say. Call after every input. */
  public void drain() {
    while (!failed && raft.hasReady()) {
      Ready rd = raft.ready();
      rd.messages().forEach(effects::send);
      PersistBatch batch = rd.persistBatch();
      if (!batch.isEmpty()) {
        InFlight f = new InFlight(batch, new ArrayList<>(rd.messagesAfterPersist()));
        inFlight.addLast(f);
        effects.persist(batch, err -> onDurable(f, err));
      } else if (!inFlight.isEmpty()) {
        inFlight.peekLast().after.addAll(rd.messagesAfterPersist());
      } else {
        rd.messagesAfterPersist().forEach(effects::send);
      }
      if (rd.softState() != null) {
        effects.softStateChanged(rd.softState());
      }
      if (rd.snapshot() != null) {
        effects.installSnapshot(rd.snapshot());
      }
      rd.committedEntries().forEach(effects::apply);
      if (!rd.readStates().isEmpty()) {
        effects.readStates(rd.readStates());
      }
      raft.advance(rd);
    }
  }

  private void onDurable(InFlight f, Throwable err) {
    if (failed) {
      return;
    }
    if (err != null) {
      failed = true;
      inFlight.clear();
      effects.storageFailed(err);
      return;
    }
    if (inFlight.peekFirst() != f) {
      throw new RaftException("storage completed batches out of order");
    }
    inFlight.removeFirst();
    if (f.batch.lastIndex() > 0) {
      raft.persisted(f.batch.lastIndex(), f.batch.lastTerm());
    }
    f.after.forEach(effects::send);
    drain();
  }
}
