package io.raftlock.wire;

/**
 * Names of the gRPC trailers that carry a refusal's detail, so a client can read the error code,
 * the offending field, the retry hint and the leader without decoding an ErrorDetail message.
 * Shared by the server (which writes them) and the Java client (which reads them); the client
 * artifact carries this package and nothing else of the server.
 */
public final class ErrorTrailers {
  /** The ErrorCode number. */
  public static final String ERROR_CODE_TRAILER = "raftlock-error-code";
  /** The request field a validation error names. */
  public static final String ERROR_FIELD_TRAILER = "raftlock-error-field";
  /** Whole milliseconds a client should wait before retrying. */
  public static final String RETRY_AFTER_TRAILER = "raftlock-retry-after-ms";
  public static final String LEADER_ID_TRAILER = "raftlock-leader-id";
  public static final String LEADER_ADDRESS_TRAILER = "raftlock-leader-address";

  private ErrorTrailers() {}
}
