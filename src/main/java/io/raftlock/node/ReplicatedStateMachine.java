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

  /** Replaces the whole state by a snapshot. */
  void restore(byte[] snapshot);

  /** Replaces the whole state by the snapshot taken at {@code index}. Default: {@link #restore(byte[])}. */
  default void restore(byte[] snapshot, long index) {
    restore(snapshot);
  }

  /**
   * Called by the leader on every command it proposes, local or forwarded, with its wall clock:
   * the state machine's only time is the one the leader stamps (ARCHITECTURE.md, data path 4).
   * Must not touch the state; bytes it cannot read are returned unchanged (apply rejects them).
   * Default: commands carry no time.
   */
  default byte[] stampOnLeader(byte[] command, long leaderTimeMs) {
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
