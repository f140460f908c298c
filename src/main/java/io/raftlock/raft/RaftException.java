package io.raftlock.raft;

/**
 * A broken Raft invariant. The node that throws it must stop: continuing could violate safety.
 * Expected outcomes (not leader, log mismatch) are values, never exceptions.
 */
public final class RaftException extends IllegalStateException {
  private static final long serialVersionUID = 1L;

  public RaftException(String message) {
    super(message);
  }
}
