package io.raftlock.api;

import com.google.protobuf.Duration;
import com.google.protobuf.Timestamp;
import io.raftlock.lock.ErrorCode;
import io.raftlock.lock.LockCommand;
import io.raftlock.lock.LockFilter;
import io.raftlock.lock.LockLimits;
import io.raftlock.proto.api.AcquireRequest;
import io.raftlock.proto.api.CancelWaitRequest;
import io.raftlock.proto.api.EnqueueWaiterRequest;
import io.raftlock.proto.api.ErrorDetail;
import io.raftlock.proto.api.GetLocksRequest;
import io.raftlock.proto.api.ReleaseRequest;
import io.raftlock.proto.api.RenewRequest;
import io.vertx.grpc.common.GrpcStatus;
import java.util.Optional;
import java.util.TreeMap;

/**
 * Client requests to state-machine commands, error codes both ways, and the error details the API
 * edge produces itself (validation, rate limiting, routing). Pure functions.
 *
 * <p>Every {@code toCommand} requires a request that {@link RequestValidator} accepts and throws
 * {@link IllegalArgumentException} otherwise: an unvalidated request must never reach the log.
 * {@code timeMs} is the leader's wall-clock time stamped into the entry.
 */
public final class ApiMapper {
  private ApiMapper() {}

  // ---------------------------------------------------------------- requests -> commands

  public static LockCommand.Acquire toCommand(AcquireRequest r, long timeMs) {
    requireValid(RequestValidator.validate(r));
    long ttlMs = r.hasTtl() ? FieldChecks.millis(r.getTtl()) : LockLimits.DEFAULT_TTL_MS;
    long waitMs = r.hasWaitTimeout() ? FieldChecks.millis(r.getWaitTimeout())
        : r.getWait() ? RequestValidator.DEFAULT_WAIT_TIMEOUT_MS : 0;
    return new LockCommand.Acquire(r.getLockId(), r.getClientId(), ttlMs, r.getWait(), waitMs,
        r.getPriority(), new TreeMap<>(r.getMetadataMap()), r.getRequestId(), timeMs);
  }

  public static LockCommand.Release toCommand(ReleaseRequest r, long timeMs) {
    requireValid(RequestValidator.validate(r));
    return new LockCommand.Release(
        r.getLockId(), r.getClientId(), r.getVersion(), r.getRequestId(), timeMs);
  }

  public static LockCommand.Renew toCommand(RenewRequest r, long timeMs) {
    requireValid(RequestValidator.validate(r));
    return new LockCommand.Renew(r.getLockId(), r.getClientId(), r.getVersion(),
        FieldChecks.millis(r.getNewTtl()), r.getRequestId(), timeMs);
  }

  public static LockCommand.EnqueueWaiter toCommand(EnqueueWaiterRequest r, long timeMs) {
    requireValid(RequestValidator.validate(r));
    return new LockCommand.EnqueueWaiter(r.getLockId(), r.getClientId(),
        FieldChecks.millis(r.getTimeout()), r.getPriority(), r.getRequestId(), timeMs);
  }

  public static LockCommand.CancelWait toCommand(CancelWaitRequest r, long timeMs) {
    requireValid(RequestValidator.validate(r));
    return new LockCommand.CancelWait(r.getLockId(), r.getClientId(), r.getRequestId(), timeMs);
  }

  /** What a node proposes when {@code clientId}'s Watch stream or connection drops. */
  public static LockCommand.CancelClientWaits cancelClientWaits(String clientId, long timeMs) {
    return cancelClientWaits(clientId, "", timeMs);
  }

  /** The same for the watches of one principal ({@code ""}: auth off, every principal's waits). */
  public static LockCommand.CancelClientWaits cancelClientWaits(String clientId, String principal, long timeMs) {
    requireValid(Optional.ofNullable(
        FieldChecks.id("client_id", clientId, LockLimits.MAX_CLIENT_ID_LENGTH)));
    return new LockCommand.CancelClientWaits(clientId, principal, timeMs);
  }

  /** The query filter of a validated {@code GetLocksRequest} (an absent filter matches all). */
  public static LockFilter toFilter(GetLocksRequest r) {
    requireValid(RequestValidator.validate(r));
    if (!r.hasFilter()) {
      return LockFilter.ALL;
    }
    io.raftlock.proto.api.LockFilter f = r.getFilter();
    return new LockFilter(
        f.getLockIdPattern(),
        f.getOwnerIdPattern(),
        f.getOnlyHeld(),
        f.getOnlyContested(),
        f.hasExpiresBefore() ? FieldChecks.millis(f.getExpiresBefore()) : null,
        f.hasExpiresAfter() ? FieldChecks.millis(f.getExpiresAfter()) : null,
        new TreeMap<>(f.getMetadataFilterMap()));
  }

  /** The page size a {@code GetLocksRequest} asks for: 0 means the default (100). */
  public static int pageLimit(GetLocksRequest r) {
    return LockLimits.pageLimit(r.getLimit());
  }

  private static void requireValid(Optional<ValidationError> error) {
    if (error.isPresent()) {
      throw new IllegalArgumentException("unvalidated request: " + error.get().message());
    }
  }

  // ---------------------------------------------------------------- error codes

  /** The wire code of a core code (the numbers are equal by construction). */
  public static io.raftlock.proto.api.ErrorCode toProto(ErrorCode code) {
    io.raftlock.proto.api.ErrorCode p = io.raftlock.proto.api.ErrorCode.forNumber(code.code());
    if (p == null) {
      throw new IllegalStateException("ErrorCode " + code + " has no wire constant");
    }
    return p;
  }

  /** The core code of a wire code; empty for UNSPECIFIED and for numbers this build does not know. */
  public static Optional<ErrorCode> fromProto(io.raftlock.proto.api.ErrorCode code) {
    if (code == io.raftlock.proto.api.ErrorCode.UNRECOGNIZED) {
      return Optional.empty();
    }
    return Optional.ofNullable(ErrorCode.ofCode(code.getNumber()));
  }

  /**
   * The gRPC status for a request refused with {@code code} when the refusal is not carried
   * in-band: validation → INVALID_ARGUMENT, rate limit → RESOURCE_EXHAUSTED, no leader →
   * UNAVAILABLE, lock-level preconditions → FAILED_PRECONDITION, an unknown lock or session →
   * NOT_FOUND.
   */
  public static GrpcStatus grpcStatus(ErrorCode code) {
    return switch (code) {
      case OK -> GrpcStatus.OK;
      case INVALID_ARGUMENT, INVALID_TTL -> GrpcStatus.INVALID_ARGUMENT;
      case RATE_LIMITED, WAIT_QUEUE_FULL -> GrpcStatus.RESOURCE_EXHAUSTED;
      // NOT_LEADER is UNAVAILABLE: the standard "try again elsewhere" status, which stock gRPC
      // retry policies already treat as retryable.
      case NO_LEADER, NOT_LEADER, UNAVAILABLE, REPLICATION_FAILURE -> GrpcStatus.UNAVAILABLE;
      case TIMEOUT -> GrpcStatus.DEADLINE_EXCEEDED;
      case LOCK_NOT_FOUND, SESSION_NOT_FOUND -> GrpcStatus.NOT_FOUND;
      case LOCK_HELD -> GrpcStatus.ALREADY_EXISTS;
      case PERMISSION_DENIED -> GrpcStatus.PERMISSION_DENIED;
      case INTERNAL_ERROR -> GrpcStatus.INTERNAL;
      case LOCK_NOT_HELD, NOT_LOCK_OWNER, VERSION_MISMATCH, NOT_WAITING ->
          GrpcStatus.FAILED_PRECONDITION;
    };
  }

  // ---------------------------------------------------------------- errors made at the edge

  public static ErrorDetail error(ErrorCode code, String message) {
    return ErrorDetail.newBuilder().setCode(toProto(code)).setMessage(message).build();
  }

  /** A validation failure; {@code details["field"]} names the field. */
  public static ErrorDetail error(ValidationError e) {
    return ErrorDetail.newBuilder()
        .setCode(toProto(e.code()))
        .setMessage(e.message())
        .putDetails("field", e.field())
        .build();
  }

  /**
   * A retryable refusal (RATE_LIMITED, UNAVAILABLE, NO_LEADER, TIMEOUT) with its retry hint,
   * rounded up to whole milliseconds and at least 1 ms: a token bucket refills in microseconds at
   * high rates, and a hint of "0.000215513s" reads as "retry at once" to most clients.
   */
  public static ErrorDetail retryable(ErrorCode code, String message, long retryAfterNanos) {
    return ErrorDetail.newBuilder()
        .setCode(toProto(code))
        .setMessage(message)
        .setRetryAfter(durationOfNanos(retryAfterMillisCeil(retryAfterNanos) * 1_000_000L))
        .build();
  }

  /** {@code nanos} rounded up to whole milliseconds, at least 1. */
  static long retryAfterMillisCeil(long nanos) {
    return Math.max(1, -Math.floorDiv(-nanos, 1_000_000L));
  }

  /** NOT_LEADER in redirect mode; empty strings when the leader or its address is unknown. */
  public static ErrorDetail notLeader(String leaderId, String leaderAddress) {
    return ErrorDetail.newBuilder()
        .setCode(io.raftlock.proto.api.ErrorCode.NOT_LEADER)
        .setMessage("this node is not the leader"
            + (leaderAddress.isEmpty() ? "" : "; the leader is at " + leaderAddress))
        .setLeaderId(leaderId)
        .setLeaderAddress(leaderAddress)
        .build();
  }

  // ---------------------------------------------------------------- time

  static Timestamp timestampOfMillis(long ms) {
    return Timestamp.newBuilder()
        .setSeconds(Math.floorDiv(ms, 1000))
        .setNanos((int) Math.floorMod(ms, 1000) * 1_000_000)
        .build();
  }

  static Duration durationOfMillis(long ms) {
    return Duration.newBuilder().setSeconds(ms / 1000).setNanos((int) (ms % 1000) * 1_000_000).build();
  }

  static Duration durationOfNanos(long nanos) {
    return Duration.newBuilder()
        .setSeconds(nanos / 1_000_000_000L)
        .setNanos((int) (nanos % 1_000_000_000L))
        .build();
  }
}
