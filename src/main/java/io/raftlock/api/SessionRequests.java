package io.raftlock.api;

import io.raftlock.lock.ErrorCode;
import io.raftlock.lock.LockCommand;
import io.raftlock.lock.LockLimits;
import io.raftlock.proto.api.AcquireRequest;
import io.raftlock.proto.api.CancelWaitRequest;
import io.raftlock.proto.api.OpenSessionRequest;
import io.raftlock.proto.api.ReleaseRequest;
import io.raftlock.proto.api.RenewRequest;
import io.raftlock.proto.api.ResumeSessionRequest;
import io.raftlock.proto.api.SessionRequest;
import java.util.Optional;
import java.util.TreeMap;

/**
 * Validation and conversion of the requests of a session stream. Fields are named as the client
 * sees them, under the request's {@code op} field ({@code open.ttl}, {@code acquire.lock_id}).
 *
 * <p>Inside a stream the session owns every request: {@code client_id} is optional (only the
 * label shown for the hold or wait; empty: the session's name), and a renew needs no
 * {@code new_ttl} (the session's lease covers its locks). Lock requests are otherwise checked by
 * {@link RequestValidator} and converted by {@link ApiMapper}, exactly as the unary calls, so the
 * two paths cannot drift apart. Pure functions.
 */
final class SessionRequests {
  /**
   * Stands in for an absent client id during validation and conversion; the command then carries
   * the empty label again ({@link #owned}).
   */
  private static final String NO_LABEL = "-";

  private SessionRequests() {}

  static Optional<ValidationError> validate(OpenSessionRequest r) {
    return Optional.ofNullable(FieldChecks.firstOf(
        r.hasTtl() ? FieldChecks.duration("open.ttl", r.getTtl(), LockLimits.MIN_SESSION_TTL_MS,
            LockLimits.MAX_SESSION_TTL_MS, ErrorCode.INVALID_TTL)
            : ValidationError.invalid("open.ttl", "is required"),
        FieldChecks.id("open.name", r.getName(), LockLimits.MAX_CLIENT_ID_LENGTH),
        FieldChecks.metadata("open.metadata", r.getMetadataMap(), LockLimits.MAX_METADATA_ENTRIES,
            LockLimits.MAX_METADATA_KEY_LENGTH, LockLimits.MAX_METADATA_VALUE_LENGTH)));
  }

  static Optional<ValidationError> validate(ResumeSessionRequest r) {
    // uint64 ids above Long.MAX_VALUE read as negative: no session has such an id.
    return r.getSessionId() < 1
        ? Optional.of(ValidationError.invalid("resume.session_id", "must be a session id (> 0)"))
        : Optional.empty();
  }

  static LockCommand.OpenSession toCommand(OpenSessionRequest r, long timeMs) {
    validate(r).ifPresent(e -> {
      throw new IllegalArgumentException("unvalidated request: " + e.message());
    });
    return new LockCommand.OpenSession(r.getName(), FieldChecks.millis(r.getTtl()),
        new TreeMap<>(r.getMetadataMap()), timeMs);
  }

  // ---------------------------------------------------------------- lock requests

  static AcquireRequest labelled(AcquireRequest r) {
    return r.getClientId().isEmpty() ? r.toBuilder().setClientId(NO_LABEL).build() : r;
  }

  static ReleaseRequest labelled(ReleaseRequest r) {
    return r.getClientId().isEmpty() ? r.toBuilder().setClientId(NO_LABEL).build() : r;
  }

  static CancelWaitRequest labelled(CancelWaitRequest r) {
    return r.getClientId().isEmpty() ? r.toBuilder().setClientId(NO_LABEL).build() : r;
  }

  /** Also supplies the ignored {@code new_ttl} when absent (any value in range would do). */
  static RenewRequest labelled(RenewRequest r) {
    RenewRequest.Builder b = r.toBuilder();
    if (r.getClientId().isEmpty()) {
      b.setClientId(NO_LABEL);
    }
    if (!r.hasNewTtl()) {
      b.setNewTtl(ApiMapper.durationOfMillis(LockLimits.MIN_TTL_MS));
    }
    return b.build();
  }

  /**
   * The numbering of a lock request ({@code seq}, {@code answered_below}): both optional, but
   * answered_below only with a seq and at most it. uint64 values above Long.MAX_VALUE read as
   * negative: no client numbers that far.
   */
  static Optional<ValidationError> numbering(SessionRequest r) {
    if (r.getSeq() < 0) {
      return Optional.of(ValidationError.invalid("seq", "must be at most " + Long.MAX_VALUE));
    }
    if (r.getAnsweredBelow() < 0 || r.getAnsweredBelow() > r.getSeq()) {
      return Optional.of(ValidationError.invalid("answered_below", "must be in 0..seq (seq "
          + r.getSeq() + ")" + (r.getSeq() == 0 ? ": send it with a numbered request" : "")));
    }
    return Optional.empty();
  }

  /** {@code cmd}, numbered as {@code r} says ({@link LockCommand.Sequenced}), unless r has no seq. */
  static LockCommand numbered(SessionRequest r, LockCommand.SessionOwned cmd) {
    return r.getSeq() == 0 ? cmd : new LockCommand.Sequenced(r.getSeq(), r.getAnsweredBelow(), cmd);
  }

  /** A validation error of a lock request, its field named under {@code op}. */
  static Optional<ValidationError> under(String op, Optional<ValidationError> e) {
    return e.map(v -> new ValidationError(op + "." + v.field(), v.code(), op + "." + v.message()));
  }

  /**
   * {@code cmd} (converted from a {@link #labelled} request) owned by session {@code sessionId},
   * with the client's own label {@code clientId} (possibly empty).
   */
  static LockCommand.SessionOwned owned(LockCommand.SessionOwned cmd, long sessionId, String clientId) {
    if (cmd instanceof LockCommand.Acquire c) {
      return new LockCommand.Acquire(c.lockId(), clientId, c.ttlMs(), c.waitForLock(),
          c.waitTimeoutMs(), c.priority(), c.metadata(), c.requestId(), c.timeMs(), sessionId);
    } else if (cmd instanceof LockCommand.Release c) {
      return new LockCommand.Release(c.lockId(), clientId, c.token(), c.requestId(), c.timeMs(), sessionId);
    } else if (cmd instanceof LockCommand.Renew c) {
      return new LockCommand.Renew(c.lockId(), clientId, c.token(), c.ttlMs(), c.requestId(), c.timeMs(),
          sessionId);
    } else if (cmd instanceof LockCommand.CancelWait c) {
      return new LockCommand.CancelWait(c.lockId(), clientId, c.requestId(), c.timeMs(), sessionId);
    }
    throw new IllegalArgumentException("not a session stream command: " + cmd);
  }
}
