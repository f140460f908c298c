package io.raftlock.client;

import io.raftlock.proto.api.ErrorCode;
import io.raftlock.proto.api.ErrorDetail;
import io.raftlock.wire.ErrorTrailers;
import io.vertx.core.Future;
import io.vertx.core.MultiMap;
import io.vertx.core.Promise;
import io.vertx.core.Vertx;
import io.vertx.core.net.SocketAddress;
import io.vertx.grpc.client.GrpcClient;
import io.vertx.grpc.common.GrpcStatus;
import io.vertx.grpc.common.ServiceMethod;
import java.util.EnumSet;
import java.util.Random;
import java.util.Set;
import java.util.concurrent.TimeUnit;
import java.util.function.Function;

/**
 * Unary calls with leader tracking, failover and retries. Runs on the client's one event-loop
 * context: every method is called there and every future completes there, so the mutable state
 * (the preferred endpoint) needs no lock.
 *
 * <p>Retry rules (docs/api.md, "Error codes"): a transport failure (refused, reset, timed out) or
 * a node that is stopping moves on to the next endpoint; {@code NOT_LEADER} follows the
 * {@code raftlock-leader-address} trailer at once; {@code NO_LEADER}, {@code REPLICATION_FAILURE},
 * {@code TIMEOUT}, {@code RATE_LIMITED} and {@code UNAVAILABLE} wait at least the server's
 * {@code raftlock-retry-after-ms}. Every retry resends the <em>same</em> request, so a write keeps
 * its request id and the server's dedupe answers a retry of an applied write with the first
 * result. Anything else is final and surfaces as a {@link RaftLockException}.
 */
final class Rpc {
  static final Set<ErrorCode> RETRYABLE = EnumSet.of(ErrorCode.NOT_LEADER, ErrorCode.NO_LEADER,
      ErrorCode.REPLICATION_FAILURE, ErrorCode.TIMEOUT, ErrorCode.RATE_LIMITED, ErrorCode.UNAVAILABLE);

  private final Vertx vertx;
  private final GrpcClient grpc;
  /** Where the next call goes (shared with the session stream): a spread start, then leader hints. */
  private final Endpoints endpoints;
  private final RetryPolicy policy;
  private final Random random;
  private final long attemptTimeoutMs;
  private final CallHeaders headers;

  Rpc(Vertx vertx, GrpcClient grpc, Endpoints endpoints, RetryPolicy policy, Random random, long attemptTimeoutMs,
      CallHeaders headers) {
    this.headers = headers;
    this.vertx = vertx;
    this.grpc = grpc;
    this.endpoints = endpoints;
    this.policy = policy;
    this.random = random;
    this.attemptTimeoutMs = attemptTimeoutMs;
  }

  /** One failed attempt, as the retry loop sees it. */
  record Failure(ErrorCode code, String message, String field, long retryAfterMs, String leaderAddress,
      boolean moveOn, boolean retryable, Throwable cause) {
    RaftLockException toException() {
      return new RaftLockException(code, message, field, retryable, cause);
    }
  }

  /** A call failure with the gRPC status and the trailers our server sets. */
  static final class StatusFailure extends RuntimeException {
    private static final long serialVersionUID = 1L;
    final transient GrpcStatus status;
    final transient MultiMap trailers;

    StatusFailure(GrpcStatus status, String message, MultiMap trailers) {
      super(status + (message == null ? "" : ": " + message));
      this.status = status;
      this.trailers = trailers;
    }
  }

  /**
   * Calls {@code method} with retries until it succeeds, fails for good or {@code deadlineNanos}
   * (System.nanoTime) passes. {@code inBand} extracts an in-band error from a response, for reads
   * that may answer a retryable code in the message rather than in the status.
   */
  <Q, R> Future<R> call(ServiceMethod<R, Q> method, Q request, long deadlineNanos, Function<R, ErrorDetail> inBand) {
    return call(method, request, deadlineNanos, inBand, attemptTimeoutMs);
  }

  /** As above, with each attempt bounded by {@code perAttemptMs} (renewals must not hang on one node). */
  <Q, R> Future<R> call(ServiceMethod<R, Q> method, Q request, long deadlineNanos, Function<R, ErrorDetail> inBand,
      long perAttemptMs) {
    Promise<R> result = Promise.promise();
    attempt(method, request, deadlineNanos, inBand, 0, result, perAttemptMs);
    return result.future();
  }

  private <Q, R> void attempt(ServiceMethod<R, Q> method, Q request, long deadlineNanos,
      Function<R, ErrorDetail> inBand, int n, Promise<R> result, long perAttemptMs) {
    SocketAddress target = endpoints.preferred();
    once(target, method, request, perAttemptMs).onComplete(ar -> {
      Failure f;
      if (ar.succeeded()) {
        ErrorDetail d = inBand == null ? null : inBand.apply(ar.result());
        if (d == null || !RETRYABLE.contains(d.getCode())) {
          result.complete(ar.result());
          return;
        }
        f = fromDetail(d);
      } else {
        f = classify(ar.cause());
      }
      if (!f.retryable()) {
        result.fail(f.toException());
        return;
      }
      long delayMs;
      if (n < 3 * endpoints.size() && endpoints.followLeader(f.leaderAddress())) {
        delayMs = 0; // a redirect costs no wait: the leader is known
      } else {
        if (f.moveOn()) {
          endpoints.moveOnFrom(target);
        }
        delayMs = policy.delayMs(n, f.retryAfterMs(), random);
      }
      if (System.nanoTime() + TimeUnit.MILLISECONDS.toNanos(delayMs) >= deadlineNanos) {
        result.fail(f.toException());
        return;
      }
      if (delayMs == 0) {
        attempt(method, request, deadlineNanos, inBand, n + 1, result, perAttemptMs);
      } else {
        vertx.setTimer(delayMs, id -> attempt(method, request, deadlineNanos, inBand, n + 1, result, perAttemptMs));
      }
    });
  }

  /** One call to one node, bounded by the attempt timeout; non-OK statuses fail with their trailers. */
  <Q, R> Future<R> once(SocketAddress target, ServiceMethod<R, Q> method, Q request) {
    return once(target, method, request, attemptTimeoutMs);
  }

  <Q, R> Future<R> once(SocketAddress target, ServiceMethod<R, Q> method, Q request, long attemptTimeoutMs) {
    Promise<R> p = Promise.promise();
    long timer = vertx.setTimer(attemptTimeoutMs,
        id -> p.tryFail(new StatusFailure(GrpcStatus.DEADLINE_EXCEEDED, "no answer from " + target + " in "
            + attemptTimeoutMs + " ms", MultiMap.caseInsensitiveMultiMap())));
    grpc.request(target, method).compose(req -> {
      headers.applyTo(req);
      req.timeout(attemptTimeoutMs, TimeUnit.MILLISECONDS);
      return req.send(request);
    }).compose(resp -> resp.last().recover(err -> Future.failedFuture(resp.status() == null || resp.status() == GrpcStatus.OK
        ? err : new StatusFailure(resp.status(), resp.statusMessage(), metadata(resp)))))
        .onComplete(ar -> {
          vertx.cancelTimer(timer);
          if (ar.succeeded()) {
            p.tryComplete(ar.result());
          } else {
            p.tryFail(ar.cause());
          }
        });
    return p.future();
  }

  /**
   * The server's error metadata: in the trailers, or in the headers when the call was refused
   * before any message ("trailers-only" response, where gRPC sends status and metadata at once).
   */
  private static MultiMap metadata(io.vertx.grpc.client.GrpcClientResponse<?, ?> resp) {
    MultiMap m = MultiMap.caseInsensitiveMultiMap();
    if (resp.headers() != null) {
      m.addAll(resp.headers());
    }
    if (resp.trailers() != null) {
      m.addAll(resp.trailers());
    }
    return m;
  }

  static Failure classify(Throwable t) {
    if (!(t instanceof StatusFailure sf)) {
      // Connection refused or reset, stream closed, protocol error: the node may be down.
      String why = t.getMessage() != null ? t.getMessage() : t.getClass().getSimpleName();
      return new Failure(ErrorCode.UNAVAILABLE, "cannot reach the node: " + why, null, 0, null, true, true, t);
    }
    MultiMap tr = sf.trailers == null ? MultiMap.caseInsensitiveMultiMap() : sf.trailers;
    ErrorCode code = null;
    String codeText = tr.get(ErrorTrailers.ERROR_CODE_TRAILER);
    if (codeText != null) {
      try {
        code = ErrorCode.forNumber(Integer.parseInt(codeText.trim()));
      } catch (NumberFormatException e) {
        code = null;
      }
    }
    long retryAfterMs = parseLong(tr.get(ErrorTrailers.RETRY_AFTER_TRAILER));
    String message = sf.getMessage();
    String field = tr.get(ErrorTrailers.ERROR_FIELD_TRAILER);
    String leader = tr.get(ErrorTrailers.LEADER_ADDRESS_TRAILER);
    if (code == null) {
      // Not refused by our API layer: judge by the status alone.
      boolean transientStatus = sf.status == GrpcStatus.UNAVAILABLE || sf.status == GrpcStatus.DEADLINE_EXCEEDED
          || sf.status == GrpcStatus.CANCELLED || sf.status == GrpcStatus.UNKNOWN;
      ErrorCode c = switch (sf.status) {
        case UNAVAILABLE, CANCELLED, UNKNOWN -> ErrorCode.UNAVAILABLE;
        case DEADLINE_EXCEEDED -> ErrorCode.TIMEOUT;
        case INVALID_ARGUMENT -> ErrorCode.INVALID_ARGUMENT;
        case PERMISSION_DENIED, UNAUTHENTICATED -> ErrorCode.PERMISSION_DENIED;
        default -> ErrorCode.INTERNAL_ERROR;
      };
      return new Failure(c, message, field, retryAfterMs, null, transientStatus, transientStatus, t);
    }
    boolean retryable = RETRYABLE.contains(code);
    // A stopping node (UNAVAILABLE) or one that cannot find a leader may be cut off: try another.
    boolean moveOn = code == ErrorCode.UNAVAILABLE || code == ErrorCode.NO_LEADER || code == ErrorCode.NOT_LEADER;
    return new Failure(code, message, field, retryAfterMs, leader, moveOn, retryable, t);
  }

  static Failure fromDetail(ErrorDetail d) {
    long ms = d.hasRetryAfter() ? d.getRetryAfter().getSeconds() * 1000 + d.getRetryAfter().getNanos() / 1_000_000 : 0;
    boolean moveOn = d.getCode() == ErrorCode.UNAVAILABLE || d.getCode() == ErrorCode.NO_LEADER
        || d.getCode() == ErrorCode.NOT_LEADER;
    return new Failure(d.getCode(), d.getMessage(), d.getDetailsMap().get("field"), ms, d.getLeaderAddress(), moveOn,
        RETRYABLE.contains(d.getCode()), null);
  }

  /** The operation-level error of an answer (acquire.error, keep_alive.error, ...), or null. */
  static ErrorDetail innerError(io.raftlock.proto.api.SessionResponse m) {
    return switch (m.getResultCase()) {
      case ACQUIRE -> m.getAcquire().hasError() ? m.getAcquire().getError() : null;
      case RELEASE -> m.getRelease().hasError() ? m.getRelease().getError() : null;
      case RENEW -> m.getRenew().hasError() ? m.getRenew().getError() : null;
      case CANCEL_WAIT -> m.getCancelWait().hasError() ? m.getCancelWait().getError() : null;
      case KEEP_ALIVE -> m.getKeepAlive().hasError() ? m.getKeepAlive().getError() : null;
      case CLOSE -> m.getClose().hasError() ? m.getClose().getError() : null;
      default -> null;
    };
  }

  /** The field a refusal names, without the stream's operation prefix ("acquire.lock_id" → "lock_id"). */
  static String fieldOf(ErrorDetail d) {
    String field = d.getDetailsMap().get("field");
    if (field == null) {
      return null;
    }
    int dot = field.indexOf('.');
    return dot > 0 ? field.substring(dot + 1) : field;
  }

  private static long parseLong(String s) {
    if (s == null) {
      return 0;
    }
    try {
      return Math.max(0, Long.parseLong(s.trim()));
    } catch (NumberFormatException e) {
      return 0;
    }
  }

  /** {@code host:port} → address; the last colon separates the port (IPv6 hosts in brackets). */
  static SocketAddress parse(String hostPort) {
    return Endpoints.parse(hostPort);
  }
}
