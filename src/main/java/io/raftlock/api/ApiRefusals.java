package io.raftlock.api;

import io.raftlock.lock.ErrorCode;
import io.raftlock.node.ProposalException;
import io.raftlock.proto.api.ErrorDetail;
import io.vertx.grpc.common.GrpcStatus;
import java.util.Optional;

/**
 * The refusals of the client API and the translation of Raft-side failures into them. Every
 * retryable outcome says whether the command may have been applied, so the client knows to
 * retry with the same request id; a read changes nothing whatever happened.
 */
final class ApiRefusals {
  private final long retryAfterNanos;
  private final ApiStats stats;

  ApiRefusals(long retryAfterMs, ApiStats stats) {
    this.retryAfterNanos = retryAfterMs * 1_000_000L;
    this.stats = stats;
  }

  /** Throws the validation error, if any, as an INVALID_ARGUMENT-style refusal. */
  void refuseIfInvalid(Optional<ValidationError> invalid) {
    if (invalid.isPresent()) {
      stats.invalid++;
      throw invalid(invalid.get());
    }
  }

  static ApiException invalid(ValidationError e) {
    return new ApiException(ApiMapper.error(e), ApiMapper.grpcStatus(e.code()));
  }

  ApiException unavailable(String message) {
    return new ApiException(ApiMapper.retryable(ErrorCode.UNAVAILABLE, message, retryAfterNanos),
        GrpcStatus.UNAVAILABLE);
  }

  ApiException noLeader() {
    return new ApiException(ApiMapper.retryable(ErrorCode.NO_LEADER,
        "no leader is known (an election is under way); nothing was proposed", retryAfterNanos),
        GrpcStatus.UNAVAILABLE);
  }

  /** A failure from the Raft side as the client sees it ({@code read}: nothing could change). */
  ApiException translate(Throwable t, boolean read) {
    if (t instanceof ApiException e) {
      return e;
    }
    if (!(t instanceof ProposalException p)) {
      return new ApiException(ApiMapper.error(ErrorCode.INTERNAL_ERROR, "internal error: " + t.getClass().getSimpleName()),
          GrpcStatus.INTERNAL);
    }
    stats.retryableFailures++;
    ErrorDetail detail = switch (p.reason()) {
      case NO_LEADER -> noLeader().detail();
      case NOT_LEADER, LEADERSHIP_TRANSFER -> ApiMapper.retryable(ErrorCode.NO_LEADER,
          "leadership is changing; nothing was proposed", retryAfterNanos);
      case LEADERSHIP_LOST, SUPERSEDED, UNKNOWN_OUTCOME, FORWARD_FAILED -> ApiMapper.retryable(
          ErrorCode.REPLICATION_FAILURE, read
              ? "the read could not be confirmed by the leader (" + p.reason() + "); nothing changed, read again"
              : "the outcome is unknown (" + p.reason() + "); retry with the same request_id", retryAfterNanos);
      case TIMEOUT -> {
        stats.timeouts++;
        yield ApiMapper.retryable(ErrorCode.TIMEOUT, read
            ? "no answer in time; a read changes nothing, read again"
            : "no answer in time; the outcome is unknown, retry with the same request_id", retryAfterNanos);
      }
      case STORAGE_FULL -> ApiMapper.retryable(ErrorCode.UNAVAILABLE,
          "the leader's disk is full; nothing was proposed", retryAfterNanos * 10);
      case STOPPED, STORAGE_FAILED -> ApiMapper.retryable(ErrorCode.UNAVAILABLE,
          "this node is not serving (" + p.reason() + "); use another node", retryAfterNanos);
    };
    return new ApiException(detail, ApiMapper.grpcStatus(ErrorCode.ofCode(detail.getCode().getNumber())));
  }
}
