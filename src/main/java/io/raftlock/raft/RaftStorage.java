package io.raftlock.raft;

import java.util.function.Consumer;

/**
 * Stable storage for one Raft node. Implemented by the Chronicle Queue store in production and by
 * the simulator's fake disk in tests, so the same persistence rules are exercised by both.
 *
 * <p>Contract:
 *
 * <ul>
 *   <li>{@link #persist} calls are completed in the order they were made (FIFO). A completion with
 *       {@code null} means the whole batch is durable (survives power loss); a non-null throwable
 *       means storage failed and the node must stop: nothing from that batch may be acknowledged.
 *   <li>Completions may run on a storage thread: the caller hops back to its own thread.
 *   <li>After a crash, {@link #recover} returns every batch whose completion was delivered with
 *       {@code null}, and possibly later ones (or prefixes of their entries), never less.
 * </ul>
 */
public interface RaftStorage extends AutoCloseable {

  /** Reads back and verifies everything durable. Called once, before any other method. */
  PersistentState recover() throws Exception;

  /** Queues a batch; {@code onDurable} receives {@code null} once it is durable, else the cause. */
  void persist(PersistBatch batch, Consumer<Throwable> onDurable);

  /**
   * Stores a snapshot this node's state machine produced, then lets storage drop log entries up
   * to {@code compactIndex} (≤ the snapshot index; entries after it are kept for lagging peers).
   */
  void saveSnapshot(Snapshot snapshot, long compactIndex, Consumer<Throwable> onDurable);

  @Override
  void close();
}
