package io.raftlock.node;

/**
 * A proposal that did not (or may not) take effect. {@link #retryable()} outcomes are safe to
 * retry with the same request id: the state machine deduplicates. Only {@code STORAGE_FAILED} is
 * not: it means this node has fail-stopped, so the caller should go to another node.
 */
public final class ProposalException extends RuntimeException {
  private static final long serialVersionUID = 1L;

  public enum Reason {
    /** Not the leader; {@link #leaderHint()} names it when known. */
    NOT_LEADER(true),
    /** The leader is handing leadership over. */
    LEADERSHIP_TRANSFER(true),
    /** Leadership was lost while the entry was pending: it may or may not commit. */
    LEADERSHIP_LOST(true),
    /** Another leader's entry took the index: it did not commit. */
    SUPERSEDED(true),
    /** A snapshot replaced the log over the entry: the outcome is unknown here. */
    UNKNOWN_OUTCOME(true),
    /** The node is stopping or stopped. */
    STOPPED(true),
    /** Stable storage failed; this node accepts nothing more. */
    STORAGE_FAILED(false),
    /**
     * The leader's disk is below its free-space reserve: it refuses new entries rather than fail
     * mid-write. Retryable once space is freed or another node leads.
     */
    STORAGE_FULL(true),
    /** No answer in time (e.g. a read index the leader never confirmed): outcome unknown. */
    TIMEOUT(true),
    /** No leader is known (an election is under way): nothing was proposed. */
    NO_LEADER(true),
    /**
     * The forward to the leader failed (connection lost, refused, deadline passed, unreadable
     * reply): the leader may or may not have applied the command.
     */
    FORWARD_FAILED(true);

    private final boolean retryable;

    Reason(boolean retryable) {
      this.retryable = retryable;
    }
  }

  private final Reason reason;
  private final String leaderHint;

  public ProposalException(Reason reason, String leaderHint) {
    super(reason + (leaderHint == null ? "" : " (leader " + leaderHint + ")"), null, false, false);
    this.reason = reason;
    this.leaderHint = leaderHint;
  }

  public Reason reason() {
    return reason;
  }

  public String leaderHint() {
    return leaderHint;
  }

  public boolean retryable() {
    return reason.retryable;
  }
}
