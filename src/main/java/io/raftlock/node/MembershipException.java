package io.raftlock.node;

import io.raftlock.raft.ConfigChangeResult;

/**
 * A membership change the leader refused at once (nothing was appended). {@link #retryable()}
 * refusals may succeed later or elsewhere: another node leads, a transfer or an earlier change is
 * still under way. The others are about the request itself and will be refused again.
 */
public final class MembershipException extends RuntimeException {
  private static final long serialVersionUID = 1L;

  private final ConfigChangeResult.Status status;
  private final String leaderHint;

  public MembershipException(ConfigChangeResult.Status status, String leaderHint) {
    super(status + (leaderHint == null ? "" : " (leader " + leaderHint + ")"), null, false, false);
    if (status == ConfigChangeResult.Status.ACCEPTED) {
      throw new IllegalArgumentException("ACCEPTED is not a refusal");
    }
    this.status = status;
    this.leaderHint = leaderHint;
  }

  public ConfigChangeResult.Status status() {
    return status;
  }

  public String leaderHint() {
    return leaderHint;
  }

  public boolean retryable() {
    return switch (status) {
      case NOT_LEADER, LEADERSHIP_TRANSFER, LEADER_NOT_READY, CHANGE_IN_PROGRESS -> true;
      default -> false;
    };
  }
}
