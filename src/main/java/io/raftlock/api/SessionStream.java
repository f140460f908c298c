package io.raftlock.api;

import io.raftlock.api.ApiObserver.Method;
import io.raftlock.lock.ErrorCode;
import io.raftlock.lock.LockCommand;
import io.raftlock.lock.LockReply;
import io.raftlock.lock.Permission;
import io.raftlock.proto.api.AcquireRequest;
import io.raftlock.proto.api.CancelWaitRequest;
import io.raftlock.proto.api.CloseSessionResponse;
import io.raftlock.proto.api.KeepAliveResponse;
import io.raftlock.proto.api.LockEventMessage;
import io.raftlock.proto.api.OpenSessionRequest;
import io.raftlock.proto.api.ReleaseRequest;
import io.raftlock.proto.api.RenewRequest;
import io.raftlock.proto.api.ResumeSessionRequest;
import io.raftlock.proto.api.SessionOpened;
import io.raftlock.proto.api.SessionRequest;
import io.raftlock.proto.api.SessionResponse;
import io.vertx.core.AsyncResult;
import io.vertx.core.Future;
import io.vertx.grpc.common.GrpcStatus;
import java.util.Optional;
import java.util.function.Function;
import java.util.function.LongFunction;

/**
 * One session stream, independent of the transport (the gRPC {@code Session} call adapts it in
 * {@link GrpcSessionStream}). The first request opens a session or resumes one by id; from then on
 * the session owns every request of the stream, and the session's events are pushed on it.
 *
 * <p><b>Requests.</b> Every write goes through {@link LockService#sessionWrite}: the same
 * validation, rate limit (one bucket per session), in-flight cap, routing and deadline as the
 * unary calls. Many may be in flight (at most {@link #MAX_IN_FLIGHT} per stream); each answer
 * carries its request's correlation id. A refusal before the cluster (protocol, validation, rate
 * limit, no leader, unknown outcome) answers {@code error}; a lock-level outcome travels in the
 * operation's response, as in the unary calls.
 *
 * <p><b>Lifetime.</b> A broken stream ends only the stream: the session lives until it is closed
 * or its TTL runs out (committed expiry, like a lease), and may be resumed meanwhile on any node.
 * A resume listens for the session's events <em>before</em> its keep-alive commits, so every
 * event applied after that keep-alive reaches the new stream. While a stream has its session, the
 * node warns it (SESSION_EXPIRING, {@link SessionExpiryWarning}) when no keep-alive has been
 * committed for two thirds of the TTL.
 *
 * <p><b>Transports.</b> Requests and answers are the proto messages of the gRPC call; the
 * WebSocket adapter ({@link WsSession}) converts its JSON frames to and from them, so both
 * transports run this class.
 *
 * <p><b>Threading.</b> The API context only (the adapter's handlers and the service's futures run
 * there).
 */
final class SessionStream {
  /** Requests of one stream awaiting their answer; beyond it: RATE_LIMITED. */
  static final int MAX_IN_FLIGHT = 256;
  /**
   * Slots of {@link #MAX_IN_FLIGHT} only keep-alives, releases, renews, cancels and closes may
   * use: a stream full of acquires must not starve its session's keep-alive into an expiry.
   */
  static final int RESERVED_FOR_MAINTENANCE = 32;

  /** Where the stream's answers and events go. */
  interface Sink {
    /** Sends one message; false when the transport's write queue is full. */
    boolean send(SessionResponse response);

    /** Ends the stream: normally ({@code failure} null) or with a refusal. */
    void end(ApiException failure);
  }

  private enum State { NEW, OPENING, OPEN, ENDED }

  private final LockService service;
  private final Sink sink;
  private final SessionExpiryWarning warning;
  private State state = State.NEW;
  private long sessionId;
  private WatchRegistry.SessionEvents events;
  private int inFlight;
  /** The client half-closed, or the session was closed: the stream ends once all is answered. */
  private boolean clientDone;

  /** The API key the stream was opened with (null: none): every entry of the stream carries it. */
  private final String keyId;
  private final Access access;

  /**
   * The receiving node's fast permission check of one lock operation of the stream (the state
   * machine checks again at apply): throws the refusal ({@link ApiException}).
   */
  @FunctionalInterface
  interface Access {
    /** Auth off, or a caller allowed everything. */
    Access OPEN = (permission, lockId) -> { };

    void require(Permission permission, String lockId);
  }

  SessionStream(LockService service, Sink sink) {
    this(service, null, Access.OPEN, sink);
  }

  SessionStream(LockService service, String keyId, Access access, Sink sink) {
    this.service = service;
    this.sink = sink;
    this.warning = service.expiryWarning(this::warn);
    this.keyId = keyId;
    this.access = access;
  }

  void onRequest(SessionRequest r) {
    if (state == State.ENDED) {
      return;
    }
    long corr = r.getCorrelationId();
    if (clientDone) {
      // Only after a close (after a half-close no request can arrive): answered, not dropped.
      refuse(corr, ValidationError.invalid("op", "is refused: this stream's session was closed; "
          + "open a new session on a new stream"));
      return;
    }
    switch (r.getOpCase()) {
      case OPEN -> open(corr, r.getOpen());
      case RESUME -> resume(corr, r.getResume());
      case KEEP_ALIVE -> inSession(corr, Method.SESSION, null, Optional.empty(), RateLimiter.Kind.MAINTAIN,
          t -> new LockCommand.KeepAlive(sessionId, t), this::keptAlive);
      case ACQUIRE -> acquire(corr, r);
      case RELEASE -> release(corr, r);
      case RENEW -> renew(corr, r);
      case CANCEL_WAIT -> cancelWait(corr, r);
      case CLOSE -> inSession(corr, Method.SESSION, null, Optional.empty(), RateLimiter.Kind.MAINTAIN,
          t -> new LockCommand.CloseSession(sessionId, t), this::closed);
      default -> refuse(corr, ValidationError.invalid("op", "must be one of open, resume, keep_alive, "
          + "acquire, release, renew, cancel_wait, close"));
    }
  }

  /** The client sent its last request: the stream ends once every answer is out. */
  void onClientDone() {
    clientDone = true;
    endIfDone();
  }

  /**
   * The transport could not deliver a request (a message that does not decode, a stream that
   * ended before its first message): the stream ends with {@code INVALID_ARGUMENT}. The session,
   * if one was opened, lives on until its TTL and can be resumed.
   */
  void refuse(String why) {
    if (state != State.ENDED) {
      end(new ApiException(ApiMapper.error(ErrorCode.INVALID_ARGUMENT, why), GrpcStatus.INVALID_ARGUMENT));
    }
  }

  /** The transport broke (cancel, connection loss). The session lives on until its TTL. */
  void onBroken() {
    state = State.ENDED;
    detach();
  }

  // ---------------------------------------------------------------- opening

  private void open(long corr, OpenSessionRequest r) {
    if (state != State.NEW) {
      refuse(corr, ValidationError.invalid("open", "is refused: this stream already has a session"));
      return;
    }
    if (!takeSlot(corr, RateLimiter.Kind.NEW_WORK)) {
      return;
    }
    state = State.OPENING;
    service.sessionWrite(Method.SESSION, SessionRequests.validate(r), r.getName(), keyId, RateLimiter.Kind.NEW_WORK,
        t -> SessionRequests.toCommand(r, t)).onComplete(ar -> {
          if (ar.succeeded() && ar.result() instanceof LockReply.SessionOpened o) {
            attach(o.sessionId());
            opened();
            warnIfOpen(o.expiresAtMs(), o.ttlMs());
            answer(corr, SessionResponse.newBuilder().setOpened(SessionOpened.newBuilder()
                .setSessionId(o.sessionId())
                .setTtl(ApiMapper.durationOfMillis(o.ttlMs()))
                .setExpiresAt(ApiMapper.timestampOfMillis(o.expiresAtMs()))));
          } else {
            notOpened(corr, ar, "open");
          }
        });
  }

  /**
   * Resumes by id with a committed keep-alive: it proves the session exists (SESSION_NOT_FOUND
   * otherwise) on whichever node this is, and restarts its TTL.
   */
  private void resume(long corr, ResumeSessionRequest r) {
    if (state != State.NEW) {
      refuse(corr, ValidationError.invalid("resume", "is refused: this stream already has a session"));
      return;
    }
    if (!takeSlot(corr, RateLimiter.Kind.MAINTAIN)) {
      return;
    }
    Optional<ValidationError> invalid = SessionRequests.validate(r);
    long id = r.getSessionId();
    state = State.OPENING;
    if (invalid.isEmpty()) {
      attach(id); // before the keep-alive commits: no event after it is missed
    }
    service.sessionWrite(Method.SESSION, invalid, rateKey(id), keyId, RateLimiter.Kind.MAINTAIN,
        t -> new LockCommand.KeepAlive(id, t)).onComplete(ar -> {
          if (ar.succeeded() && ar.result() instanceof LockReply.KeptAlive k) {
            opened();
            warnIfOpen(k.expiresAtMs(), 0);
            answer(corr, SessionResponse.newBuilder().setOpened(SessionOpened.newBuilder()
                .setSessionId(id).setExpiresAt(ApiMapper.timestampOfMillis(k.expiresAtMs()))));
          } else {
            notOpened(corr, ar, "resume.session_id");
          }
        });
  }

  private void opened() {
    if (state == State.OPENING) {
      state = State.OPEN;
    }
  }

  /** (Re)arms the expiry warning on a deadline just answered, while the stream has its session. */
  private void warnIfOpen(long expiresAtMs, long ttlMs) {
    if (state == State.OPEN && events != null) {
      warning.anchor(sessionId, expiresAtMs, ttlMs);
    }
  }

  /** The node's SESSION_EXPIRING, through the session's registration (slow-consumer rule included). */
  private void warn(LockEventMessage m) {
    if (events != null) {
      events.deliver(m);
    }
  }

  /** Listens for the session's events (unless the stream broke meanwhile). */
  private void attach(long id) {
    sessionId = id;
    if (state == State.ENDED) {
      return; // the session will expire unused, or be resumed elsewhere
    }
    events = service.watches().openSession(id, new LockApi.WatchSink() {
      @Override
      public boolean push(LockEventMessage event) {
        boolean ok = sink.send(SessionResponse.newBuilder().setEvent(event).build());
        if (!ok) {
          service.observer().overflowed(ApiObserver.Queue.SESSION_WRITE_QUEUE);
        }
        return ok;
      }

      @Override
      public void closed(String reason) {
        end(new ApiException(ApiMapper.error(ErrorCode.RATE_LIMITED, reason + "; resume the session "
            + sessionId + " on a new stream"), GrpcStatus.RESOURCE_EXHAUSTED));
      }
    });
  }

  /** The open or resume failed: the stream has no session and may try again. */
  private void notOpened(long corr, AsyncResult<LockReply> ar, String field) {
    if (state != State.ENDED) {
      detach();
      state = State.NEW;
    }
    if (ar.succeeded() && !ar.result().ok()) {
      answer(corr, SessionResponse.newBuilder().setError(ResponseMapper.error(ar.result()).toBuilder()
          .putDetails("field", field)));
    } else {
      answer(corr, failure(ar));
    }
  }

  // ---------------------------------------------------------------- lock requests

  private void acquire(long corr, SessionRequest whole) {
    AcquireRequest r = whole.getAcquire();
    AcquireRequest q = SessionRequests.labelled(r);
    lockRequest(corr, whole, Method.ACQUIRE, r.getLockId(), r.getClientId(), SessionRequests.under("acquire",
        RequestValidator.validate(q)), RateLimiter.Kind.NEW_WORK, t -> ApiMapper.toCommand(q, t),
        reply -> SessionResponse.newBuilder().setAcquire(ResponseMapper.acquire(r, reply)));
  }

  private void release(long corr, SessionRequest whole) {
    ReleaseRequest r = whole.getRelease();
    ReleaseRequest q = SessionRequests.labelled(r);
    lockRequest(corr, whole, Method.RELEASE, r.getLockId(), r.getClientId(), SessionRequests.under("release",
        RequestValidator.validate(q)), RateLimiter.Kind.MAINTAIN, t -> ApiMapper.toCommand(q, t),
        reply -> SessionResponse.newBuilder().setRelease(ResponseMapper.release(reply)));
  }

  private void renew(long corr, SessionRequest whole) {
    RenewRequest r = whole.getRenew();
    RenewRequest q = SessionRequests.labelled(r);
    lockRequest(corr, whole, Method.RENEW, r.getLockId(), r.getClientId(), SessionRequests.under("renew",
        RequestValidator.validate(q)), RateLimiter.Kind.MAINTAIN, t -> ApiMapper.toCommand(q, t),
        reply -> SessionResponse.newBuilder().setRenew(ResponseMapper.renew(r, reply)));
  }

  private void cancelWait(long corr, SessionRequest whole) {
    CancelWaitRequest r = whole.getCancelWait();
    CancelWaitRequest q = SessionRequests.labelled(r);
    lockRequest(corr, whole, Method.CANCEL_WAIT, r.getLockId(), r.getClientId(), SessionRequests.under("cancel_wait",
        RequestValidator.validate(q)), RateLimiter.Kind.MAINTAIN, t -> ApiMapper.toCommand(q, t),
        reply -> SessionResponse.newBuilder().setCancelWait(ResponseMapper.cancelWait(reply)));
  }

  /**
   * A lock request of the session, converted by {@code command} from its labelled form: the
   * request's numbering is checked before its fields ({@code invalid}); the command is owned by
   * the session, labelled {@code clientId} (possibly empty), and numbered as the request says.
   */
  private void lockRequest(long corr, SessionRequest whole, Method method, String lockId, String clientId,
      Optional<ValidationError> invalid, RateLimiter.Kind kind, LongFunction<LockCommand.SessionOwned> command,
      Function<LockReply, SessionResponse.Builder> toAnswer) {
    inSession(corr, method, lockId, SessionRequests.numbering(whole).or(() -> invalid), kind,
        t -> SessionRequests.numbered(whole, SessionRequests.owned(command.apply(t), sessionId, clientId)), toAnswer);
  }

  /**
   * A write owned by the stream's session; refused while the stream has none, or when the caller
   * may not {@code lock} on {@code lockId} (null: a session op, which needs only a valid key).
   */
  private void inSession(long corr, Method method, String lockId, Optional<ValidationError> invalid,
      RateLimiter.Kind kind, LongFunction<LockCommand> command, Function<LockReply, SessionResponse.Builder> toAnswer) {
    if (state != State.OPEN) {
      refuse(corr, ValidationError.invalid("op", "needs a session: send open or resume first and wait "
          + "for opened"));
      return;
    }
    if (lockId != null && invalid.isEmpty()) {
      try {
        // Refused here, a denied operation costs no log entry (the same check as a unary call).
        access.require(Permission.LOCK, lockId);
      } catch (ApiException e) {
        answer(corr, failure(Future.failedFuture(e)));
        return;
      }
    }
    if (!takeSlot(corr, kind)) {
      return;
    }
    service.sessionWrite(method, invalid, rateKey(sessionId), keyId, kind, command).onComplete(ar ->
        answer(corr, ar.succeeded() ? toAnswer.apply(ar.result()) : failure(ar)));
  }

  private SessionResponse.Builder keptAlive(LockReply reply) {
    KeepAliveResponse.Builder b = KeepAliveResponse.newBuilder();
    if (reply instanceof LockReply.KeptAlive k) {
      warnIfOpen(k.expiresAtMs(), 0);
      b.setExpiresAt(ApiMapper.timestampOfMillis(k.expiresAtMs()));
    } else {
      b.setError(ResponseMapper.error(reply));
    }
    return SessionResponse.newBuilder().setKeepAlive(b);
  }

  /** After a successful close the stream ends once the remaining answers are out. */
  private SessionResponse.Builder closed(LockReply reply) {
    CloseSessionResponse.Builder b = CloseSessionResponse.newBuilder();
    if (reply instanceof LockReply.SessionClosed c) {
      b.setClosed(true).setLocksReleased(c.locksReleased()).setWaitsCancelled(c.waitsCancelled());
      detach();
      clientDone = true;
    } else {
      b.setError(ResponseMapper.error(reply));
    }
    return SessionResponse.newBuilder().setClose(b);
  }

  // ---------------------------------------------------------------- plumbing

  /**
   * The rate-limit key of a session's requests: one bucket per session (an open is charged to
   * its name). The prefix cannot collide with a session name: a name has no control characters.
   */
  private static String rateKey(long id) {
    return "\u0000session:" + id;
  }

  private boolean takeSlot(long corr, RateLimiter.Kind kind) {
    int cap = kind == RateLimiter.Kind.MAINTAIN ? MAX_IN_FLIGHT : MAX_IN_FLIGHT - RESERVED_FOR_MAINTENANCE;
    if (inFlight >= cap) {
      service.observer().overflowed(ApiObserver.Queue.SESSION_IN_FLIGHT);
      answer0(corr, SessionResponse.newBuilder().setError(ApiMapper.retryable(ErrorCode.RATE_LIMITED,
          "more than " + cap + " requests in flight on this stream",
          service.retryAfterMs() * 1_000_000L)));
      return false;
    }
    inFlight++;
    return true;
  }

  /** Answers a request that held an in-flight slot. */
  private void answer(long corr, SessionResponse.Builder b) {
    inFlight--;
    answer0(corr, b);
    endIfDone();
  }

  private void answer0(long corr, SessionResponse.Builder b) {
    if (state != State.ENDED) {
      sink.send(b.setCorrelationId(corr).build());
    }
  }

  private void refuse(long corr, ValidationError e) {
    answer0(corr, SessionResponse.newBuilder().setError(ApiMapper.error(e)));
  }

  private static SessionResponse.Builder failure(AsyncResult<?> ar) {
    ApiException e = ar.cause() instanceof ApiException a ? a : new ApiException(
        ApiMapper.error(ErrorCode.INTERNAL_ERROR, "internal error"), GrpcStatus.INTERNAL);
    return SessionResponse.newBuilder().setError(e.detail());
  }

  private void endIfDone() {
    if (clientDone && inFlight == 0 && state != State.ENDED) {
      end(null);
    }
  }

  private void end(ApiException failure) {
    state = State.ENDED;
    detach();
    sink.end(failure);
  }

  private void detach() {
    warning.stop();
    if (events != null) {
      events.close();
      events = null;
    }
  }
}
