package io.raftlock.client;

import io.raftlock.proto.api.ErrorCode;

/**
 * A refusal or failure reported to the caller: the server's {@link ErrorCode} (or
 * {@code ERROR_CODE_UNSPECIFIED} when the server was not reached), its message, the offending
 * field for validation errors, and whether retrying later could succeed (the client already
 * retried retryable failures until its deadline).
 */
public class RaftLockException extends RuntimeException {
  private static final long serialVersionUID = 1L;
  private final ErrorCode code;
  private final String field;
  private final boolean retryable;

  public RaftLockException(ErrorCode code, String message, String field, boolean retryable, Throwable cause) {
    super(message, cause);
    this.code = code;
    this.field = field;
    this.retryable = retryable;
  }

  public RaftLockException(ErrorCode code, String message) {
    this(code, message, null, false, null);
  }

  public ErrorCode code() {
    return code;
  }

  /** The request field the server named, for INVALID_ARGUMENT and INVALID_TTL; else null. */
  public String field() {
    return field;
  }

  /** True when the cluster was unavailable (no leader, unreachable, timed out) rather than refusing. */
  public boolean retryable() {
    return retryable;
  }
}
