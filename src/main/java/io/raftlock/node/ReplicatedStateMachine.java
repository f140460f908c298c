package io.raftlock.node;

/**
 * What Raft replicates. Called only on the Raft verticle's event loop, in log order; must be
 * deterministic (ARCHITECTURE.md, data path step 7).
 */
public interface ReplicatedStateMachine {
  /** Applies one committed command; the return value completes the proposer's future. */
  Object apply(long index, byte[] command);

  /** The whole state, for a snapshot at the last applied index. */
  byte[] snapshot();

  /**
   * True when {@link #replica} is implemented: the node then builds snapshots on a worker thread
   * and the event loop only hands over the entries since the last one. Default false: the
   * snapshot is taken on the event loop.
   */
  default boolean replaysSnapshots() {
    return false;
  }

  /**
   * A second, independent copy of the state, started from {@code base} (a snapshot this state
   * machine made; {@code null}: the initial state), that a worker thread advances with the same
   * committed commands and snapshots. It must share nothing mutable with this instance, and its
   * {@link Replica#snapshot} must equal, byte for byte, what {@link #snapshot()} returns here at
   * the same index (replicas compare state hashes).
   */
  default Replica replica(byte[] base) {
    throw new UnsupportedOperationException(getClass().getName() + " does not replay snapshots");
  }

  /** See {@link #replica}: used by one thread at a time, never the event loop. */
  interface Replica {
    /** Applies a committed command, as {@link ReplicatedStateMachine#apply} did (no side effects). */
    void apply(long index, byte[] command);

    /** The whole state, as {@link ReplicatedStateMachine#snapshot()}. */
    byte[] snapshot();
  }

  /** Replaces the whole state by a snapshot. */
  void restore(byte[] snapshot);

  /** Replaces the whole state by the snapshot taken at {@code index}. Default: {@link #restore(byte[])}. */
  default void restore(byte[] snapshot, long index) {
    restore(snapshot);
  }

  /**
   * Called by the leader on every command it proposes, local or forwarded: the state machine's
   * only time is the one the leader stamps (ARCHITECTURE.md, data path 4). The implementation
   * turns the clocks into its lease time (for the lock service, {@link io.raftlock.lock.LeaseClock}:
   * the wall clock counts only when a term's first reading anchors it, the monotonic clock after).
   * Must not touch the replicated state; bytes it cannot read are returned unchanged (apply rejects
   * them). Default: commands carry no time.
   *
   * @param term the leader's current term
   * @param wallMs the leader's wall clock, milliseconds since the epoch
   * @param monoNanos the leader's monotonic clock ({@code System.nanoTime()})
   */
  default byte[] stampOnLeader(byte[] command, long term, long wallMs, long monoNanos) {
    return command;
  }

  /**
   * The result of {@link #apply} as bytes, for a command a follower forwarded: the leader sends
   * them back and the follower {@link #decodeResult decodes} them for its caller, so
   * {@code decodeResult(encodeResult(r))} must be what the caller expects from {@code apply}.
   * Runs on the leader's event loop; must not touch the state.
   *
   * <p>Default: a {@code byte[]} result travels as is, {@code null} as no bytes; any other type
   * needs an override (it throws, and the forwarding caller sees a retryable failure).
   */
  default byte[] encodeResult(Object result) {
    if (result == null) {
      return new byte[0];
    }
    if (result instanceof byte[] bytes) {
      return bytes;
    }
    throw new UnsupportedOperationException(getClass().getName()
        + " must override encodeResult to forward a " + result.getClass().getName());
  }

  /**
   * Reads bytes made by {@link #encodeResult}, on the forwarding node's event loop; must not touch
   * the state. Default: the bytes themselves (so a {@code null} result arrives as no bytes).
   */
  default Object decodeResult(byte[] encoded) {
    return encoded;
  }
}
