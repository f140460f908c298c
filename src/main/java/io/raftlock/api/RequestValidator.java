package io.raftlock.api;

import static io.raftlock.api.FieldChecks.duration;
import static io.raftlock.api.FieldChecks.firstOf;
import static io.raftlock.api.FieldChecks.id;
import static io.raftlock.api.FieldChecks.metadata;
import static io.raftlock.api.FieldChecks.range;
import static io.raftlock.api.FieldChecks.text;
import static io.raftlock.api.FieldChecks.timestamp;

import com.google.protobuf.Message;
import io.raftlock.lock.ErrorCode;
import io.raftlock.lock.LockLimits;
import io.raftlock.proto.api.AcquireRequest;
import io.raftlock.proto.api.BackoffAdviceRequest;
import io.raftlock.proto.api.CancelWaitRequest;
import io.raftlock.proto.api.EnqueueWaiterRequest;
import io.raftlock.proto.api.GetLockInfoRequest;
import io.raftlock.proto.api.GetLocksRequest;
import io.raftlock.proto.api.GetStatusRequest;
import io.raftlock.proto.api.HealthRequest;
import io.raftlock.proto.api.LockFilter;
import io.raftlock.proto.api.ReleaseRequest;
import io.raftlock.proto.api.RenewRequest;
import io.raftlock.proto.api.WatchRequest;
import java.util.Optional;

/**
 * Validates client requests against the seed limits ({@link LockLimits}) before anything is
 * rate-limited, routed or proposed. Fields are checked in proto field order and the first
 * offending field is reported.
 *
 * <p>Invariant: a request accepted here and converted by {@link ApiMapper} is never refused by
 * the state machine's own re-check ({@code INVALID_ARGUMENT} or {@code INVALID_TTL}); the checks
 * here are the same or stricter (ids must also be valid UTF-8 without control characters, which
 * the state machine does not look at, and a {@code wait_timeout} is checked whenever present,
 * even without {@code wait}). Stateless, so it may run on any event loop.
 */
public final class RequestValidator {
  /** Wait timeout used when an {@code Acquire} with {@code wait} carries none. */
  public static final long DEFAULT_WAIT_TIMEOUT_MS = 30_000;
  /** Longest glob in a {@code LockFilter} (matching costs O(glob x id)). */
  public static final int MAX_PATTERN_LENGTH = 256;
  /** Longest {@code HealthRequest.service_name}. */
  public static final int MAX_SERVICE_NAME_LENGTH = 256;

  private RequestValidator() {}

  public static Optional<ValidationError> validate(AcquireRequest r) {
    return Optional.ofNullable(firstOf(
        lockAndClient(r.getLockId(), r.getClientId()),
        r.hasTtl() ? ttl("ttl", r.getTtl()) : null,
        r.hasWaitTimeout() ? waitTimeout("wait_timeout", r.getWaitTimeout()) : null,
        priority(r.getPriority()),
        metadata("metadata", r.getMetadataMap(), LockLimits.MAX_METADATA_ENTRIES,
            LockLimits.MAX_METADATA_KEY_LENGTH, LockLimits.MAX_METADATA_VALUE_LENGTH),
        requestId(r.getRequestId())));
  }

  public static Optional<ValidationError> validate(ReleaseRequest r) {
    return Optional.ofNullable(firstOf(
        lockAndClient(r.getLockId(), r.getClientId()),
        token(r.getVersion()),
        requestId(r.getRequestId())));
  }

  public static Optional<ValidationError> validate(RenewRequest r) {
    return Optional.ofNullable(firstOf(
        lockAndClient(r.getLockId(), r.getClientId()),
        token(r.getVersion()),
        r.hasNewTtl() ? ttl("new_ttl", r.getNewTtl()) : missing("new_ttl"),
        requestId(r.getRequestId())));
  }

  public static Optional<ValidationError> validate(GetLockInfoRequest r) {
    return Optional.ofNullable(lockId(r.getLockId()));
  }

  public static Optional<ValidationError> validate(GetLocksRequest r) {
    return Optional.ofNullable(firstOf(
        r.hasFilter() ? filter(r.getFilter()) : null,
        range("limit", r.getLimit(), 0, LockLimits.MAX_PAGE_LIMIT),
        range("offset", r.getOffset(), 0, Integer.MAX_VALUE)));
  }

  public static Optional<ValidationError> validate(EnqueueWaiterRequest r) {
    return Optional.ofNullable(firstOf(
        lockAndClient(r.getLockId(), r.getClientId()),
        r.hasTimeout() ? waitTimeout("timeout", r.getTimeout()) : missing("timeout"),
        priority(r.getPriority()),
        range("version", r.getVersion(), 0, Long.MAX_VALUE),
        requestId(r.getRequestId())));
  }

  public static Optional<ValidationError> validate(CancelWaitRequest r) {
    return Optional.ofNullable(firstOf(
        lockAndClient(r.getLockId(), r.getClientId()),
        range("version", r.getVersion(), 0, Long.MAX_VALUE),
        requestId(r.getRequestId())));
  }

  public static Optional<ValidationError> validate(BackoffAdviceRequest r) {
    return Optional.ofNullable(lockId(r.getLockId()));
  }

  /** Every {@code GetStatusRequest} is valid (its only field is a flag). */
  public static Optional<ValidationError> validate(GetStatusRequest r) {
    return Optional.empty();
  }

  public static Optional<ValidationError> validate(HealthRequest r) {
    return Optional.ofNullable(
        text("service_name", r.getServiceName(), MAX_SERVICE_NAME_LENGTH, false));
  }

  public static Optional<ValidationError> validate(WatchRequest r) {
    return Optional.ofNullable(clientId(r.getClientId()));
  }

  /** Dispatches on the request type; a message that is no request of the service is refused. */
  public static Optional<ValidationError> validate(Message request) {
    if (request instanceof AcquireRequest r) {
      return validate(r);
    } else if (request instanceof ReleaseRequest r) {
      return validate(r);
    } else if (request instanceof RenewRequest r) {
      return validate(r);
    } else if (request instanceof GetLockInfoRequest r) {
      return validate(r);
    } else if (request instanceof GetLocksRequest r) {
      return validate(r);
    } else if (request instanceof EnqueueWaiterRequest r) {
      return validate(r);
    } else if (request instanceof CancelWaitRequest r) {
      return validate(r);
    } else if (request instanceof BackoffAdviceRequest r) {
      return validate(r);
    } else if (request instanceof GetStatusRequest r) {
      return validate(r);
    } else if (request instanceof HealthRequest r) {
      return validate(r);
    } else if (request instanceof WatchRequest r) {
      return validate(r);
    }
    String type = request == null ? "null" : request.getDescriptorForType().getFullName();
    return Optional.of(ValidationError.invalid("request", "of type " + type + " is not supported"));
  }

  // ---------------------------------------------------------------- shared field rules

  private static ValidationError lockAndClient(String lockId, String clientId) {
    return firstOf(lockId(lockId), clientId(clientId));
  }

  private static ValidationError lockId(String v) {
    return id("lock_id", v, LockLimits.MAX_LOCK_ID_LENGTH);
  }

  private static ValidationError clientId(String v) {
    return id("client_id", v, LockLimits.MAX_CLIENT_ID_LENGTH);
  }

  private static ValidationError requestId(String v) {
    return text("request_id", v, LockLimits.MAX_REQUEST_ID_LENGTH, false);
  }

  private static ValidationError token(long version) {
    return version < 1
        ? ValidationError.invalid("version", "must be a positive fencing token, got " + version)
        : null;
  }

  private static ValidationError priority(int p) {
    return range("priority", p, LockLimits.MIN_PRIORITY, LockLimits.MAX_PRIORITY);
  }

  private static ValidationError ttl(String field, com.google.protobuf.Duration d) {
    return duration(field, d, LockLimits.MIN_TTL_MS, LockLimits.MAX_TTL_MS, ErrorCode.INVALID_TTL);
  }

  private static ValidationError waitTimeout(String field, com.google.protobuf.Duration d) {
    return duration(field, d, LockLimits.MIN_WAIT_TIMEOUT_MS, LockLimits.MAX_WAIT_TIMEOUT_MS,
        ErrorCode.INVALID_ARGUMENT);
  }

  private static ValidationError missing(String field) {
    return ValidationError.invalid(field, "is required");
  }

  private static ValidationError filter(LockFilter f) {
    return firstOf(
        text("filter.lock_id_pattern", f.getLockIdPattern(), MAX_PATTERN_LENGTH, false),
        text("filter.owner_id_pattern", f.getOwnerIdPattern(), MAX_PATTERN_LENGTH, false),
        f.hasExpiresBefore() ? timestamp("filter.expires_before", f.getExpiresBefore()) : null,
        f.hasExpiresAfter() ? timestamp("filter.expires_after", f.getExpiresAfter()) : null,
        metadata("filter.metadata_filter", f.getMetadataFilterMap(),
            LockLimits.MAX_METADATA_ENTRIES, LockLimits.MAX_METADATA_KEY_LENGTH,
            LockLimits.MAX_METADATA_VALUE_LENGTH));
  }
}
