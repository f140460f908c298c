package io.raftlock.lock;

/**
 * Result codes of the RaftLock API. The numeric codes are the project's API baseline (the seed
 * server's {@code pb.ErrorCode}); they travel on the wire and in snapshots: never renumber.
 *
 * <p>Codes 1xx are lock-level outcomes produced by the state machine, 2xx are cluster-level
 * outcomes produced by the node, 3xx are generic outcomes produced by the API edge (the state
 * machine itself only produces {@link #INVALID_ARGUMENT} and {@link #INTERNAL_ERROR} of them).
 */
public enum ErrorCode {
  OK(1),
  LOCK_HELD(101),
  LOCK_NOT_HELD(102),
  NOT_LOCK_OWNER(103),
  /** The caller holds the lock but presented a fencing token other than the current one. */
  VERSION_MISMATCH(104),
  LOCK_NOT_FOUND(105),
  INVALID_TTL(106),
  WAIT_QUEUE_FULL(107),
  NOT_WAITING(108),
  /** A session command named a session that does not exist (never opened, closed or expired). */
  SESSION_NOT_FOUND(109),
  NOT_LEADER(201),
  NO_LEADER(202),
  REPLICATION_FAILURE(203),
  TIMEOUT(301),
  RATE_LIMITED(302),
  UNAVAILABLE(303),
  INTERNAL_ERROR(304),
  INVALID_ARGUMENT(305),
  PERMISSION_DENIED(306);

  private final int code;

  ErrorCode(int code) {
    this.code = code;
  }

  public int code() {
    return code;
  }

  /** The constant with this numeric code, or {@code null} when no constant has it. */
  public static ErrorCode ofCode(int code) {
    for (ErrorCode c : values()) {
      if (c.code == code) {
        return c;
      }
    }
    return null;
  }
}
