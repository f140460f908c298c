package io.raftlock.api;

import io.raftlock.wire.ErrorTrailers;
import io.vertx.core.Future;
import io.vertx.core.MultiMap;
import io.vertx.core.Promise;
import io.vertx.core.Vertx;
import io.vertx.core.net.SocketAddress;
import io.vertx.grpc.client.GrpcClient;
import io.vertx.grpc.common.GrpcStatus;
import io.vertx.grpc.common.ServiceMethod;
import java.util.concurrent.TimeUnit;

/**
 * A small client of the {@code raftlock.v1.Admin} service ({@code AdminGrpcClient}'s methods),
 * for the command line, {@code --join} and tests: one call with a deadline, or a call that goes
 * to the leader (following NOT_LEADER's leader address) and retries retryable refusals until a
 * deadline. Failures are {@link Failure}s carrying the typed detail from the trailers.
 */
public final class AdminCalls {
  private final Vertx vertx;
  private final GrpcClient grpc;
  private final long attemptTimeoutMs;
  /** Sent as {@code authorization: Bearer <key>} on every call; null: none. */
  private final String apiKey;

  public AdminCalls(Vertx vertx, GrpcClient grpc, long attemptTimeoutMs) {
    this(vertx, grpc, attemptTimeoutMs, null);
  }

  private AdminCalls(Vertx vertx, GrpcClient grpc, long attemptTimeoutMs, String apiKey) {
    this.vertx = vertx;
    this.grpc = grpc;
    this.attemptTimeoutMs = attemptTimeoutMs;
    this.apiKey = apiKey;
  }

  /** The same calls made with the API key {@code apiKey} (null: none). */
  public AdminCalls withApiKey(String apiKey) {
    return new AdminCalls(vertx, grpc, attemptTimeoutMs, apiKey);
  }

  /** A refused or failed admin call. */
  public static final class Failure extends RuntimeException {
    private static final long serialVersionUID = 1L;
    public final transient GrpcStatus status;
    /** The raftlock.v1 ErrorCode number, 0 when the node sent none (unreachable, ...). */
    public final int code;
    /** The invalid field on INVALID_ARGUMENT, else null. */
    public final String field;
    /** The Raft core's refusal (ConfigChangeResult.Status name), else null. */
    public final String refusal;
    /** On NOT_LEADER: the leader's client address, else null. */
    public final String leaderAddress;
    public final long retryAfterMs;

    Failure(GrpcStatus status, String message, MultiMap trailers) {
      super(message, null, false, false);
      this.status = status;
      this.code = parseInt(trailers.get(ErrorTrailers.ERROR_CODE_TRAILER));
      this.field = trailers.get(ErrorTrailers.ERROR_FIELD_TRAILER);
      this.refusal = trailers.get(AdminApi.REFUSAL_TRAILER);
      String leader = trailers.get(ErrorTrailers.LEADER_ADDRESS_TRAILER);
      this.leaderAddress = leader == null || leader.isEmpty() ? null : leader;
      this.retryAfterMs = parseInt(trailers.get(ErrorTrailers.RETRY_AFTER_TRAILER));
    }

    /** A failure found by the caller itself (no status from a node): retryable, no detail. */
    public static Failure unavailable(String message) {
      return new Failure(GrpcStatus.UNAVAILABLE, message, MultiMap.caseInsensitiveMultiMap());
    }

    /** Worth retrying (elsewhere or later): the node was unreachable, not the leader, or busy. */
    public boolean retryable() {
      return status == GrpcStatus.UNAVAILABLE || status == GrpcStatus.DEADLINE_EXCEEDED
          || status == GrpcStatus.CANCELLED || status == GrpcStatus.UNKNOWN;
    }

    private static int parseInt(String s) {
      try {
        return s == null ? 0 : Integer.parseInt(s);
      } catch (NumberFormatException e) {
        return 0;
      }
    }
  }

  /** One call to {@code hostPort}, bounded by the attempt timeout. */
  public <Q, R> Future<R> call(String hostPort, ServiceMethod<R, Q> method, Q request) {
    SocketAddress target;
    try {
      target = address(hostPort);
    } catch (IllegalArgumentException e) {
      return Future.failedFuture(e);
    }
    Promise<R> p = Promise.promise();
    long timer = vertx.setTimer(attemptTimeoutMs, id -> p.tryFail(new Failure(GrpcStatus.DEADLINE_EXCEEDED,
        "no answer from " + hostPort + " in " + attemptTimeoutMs + " ms", MultiMap.caseInsensitiveMultiMap())));
    grpc.request(target, method).compose(req -> {
      req.timeout(attemptTimeoutMs, TimeUnit.MILLISECONDS);
      if (apiKey != null) {
        req.headers().set(GrpcLockService.AUTHORIZATION, "Bearer " + apiKey);
      }
      return req.send(request);
    }).compose(resp -> resp.last().recover(err -> failed(resp, err)))
        .onComplete(ar -> settle(p, timer, hostPort, ar));
    return p.future();
  }

  /**
   * A server-streaming call to {@code hostPort}: {@code onMessage} gets every message in order (on
   * the client's event loop), and the future completes when the stream ends with OK, or fails as
   * {@link #call} does. The first message must come within the attempt timeout (a node that does
   * not answer is given up as soon as in a unary call); {@code timeoutMs} bounds the whole
   * stream. Either deadline cancels the call.
   */
  public <Q, R> Future<Void> stream(String hostPort, ServiceMethod<R, Q> method, Q request,
      java.util.function.Consumer<R> onMessage, long timeoutMs) {
    SocketAddress target;
    try {
      target = address(hostPort);
    } catch (IllegalArgumentException e) {
      return Future.failedFuture(e);
    }
    Promise<Void> p = Promise.promise();
    java.util.concurrent.atomic.AtomicReference<io.vertx.grpc.client.GrpcClientRequest<Q, R>> call =
        new java.util.concurrent.atomic.AtomicReference<>();
    java.util.function.Consumer<String> giveUp = why -> {
      if (p.tryFail(new Failure(GrpcStatus.DEADLINE_EXCEEDED, why, MultiMap.caseInsensitiveMultiMap()))
          && call.get() != null) {
        call.get().cancel();
      }
    };
    long timer = vertx.setTimer(timeoutMs, id -> giveUp.accept(
        "the stream from " + hostPort + " did not end in " + timeoutMs + " ms"));
    long firstTimer = vertx.setTimer(attemptTimeoutMs, id -> giveUp.accept(
        "no answer from " + hostPort + " in " + attemptTimeoutMs + " ms"));
    grpc.request(target, method).compose(req -> {
      call.set(req);
      req.timeout(timeoutMs, TimeUnit.MILLISECONDS);
      if (apiKey != null) {
        req.headers().set(GrpcLockService.AUTHORIZATION, "Bearer " + apiKey);
      }
      return req.send(request);
    }).compose(resp -> {
      resp.handler(m -> {
        vertx.cancelTimer(firstTimer);
        if (!p.future().isComplete()) {
          onMessage.accept(m);
        }
      });
      return resp.end().recover(err -> failed(resp, err));
    }).onComplete(ar -> {
      vertx.cancelTimer(firstTimer);
      settle(p, timer, hostPort, ar);
    });
    return p.future();
  }

  /** A call that ended with a non-OK status as a {@link Failure} with the typed detail. */
  private static <T> Future<T> failed(io.vertx.grpc.client.GrpcClientResponse<?, ?> resp, Throwable err) {
    if (resp.status() == null || resp.status() == GrpcStatus.OK) {
      return Future.failedFuture(err);
    }
    MultiMap m = MultiMap.caseInsensitiveMultiMap();
    if (resp.headers() != null) {
      m.addAll(resp.headers()); // a trailers-only answer carries its metadata here
    }
    if (resp.trailers() != null) {
      m.addAll(resp.trailers());
    }
    return Future.failedFuture(new Failure(resp.status(), resp.statusMessage(), m));
  }

  private <T> void settle(Promise<T> p, long timer, String hostPort, io.vertx.core.AsyncResult<T> ar) {
    vertx.cancelTimer(timer);
    if (ar.succeeded()) {
      p.tryComplete(ar.result());
    } else if (ar.cause() instanceof Failure) {
      p.tryFail(ar.cause());
    } else {
      p.tryFail(new Failure(GrpcStatus.UNAVAILABLE, "cannot reach " + hostPort + ": " + ar.cause(),
          MultiMap.caseInsensitiveMultiMap()));
    }
  }

  /**
   * Calls {@code hostPort}; on NOT_LEADER goes to the leader's address, on other retryable
   * failures waits (the retry hint, else 100 ms) and tries again, until {@code deadlineMs}
   * passes. Changes are safe to retry this way: a change that did commit is refused the second
   * time (ALREADY_MEMBER, NOT_A_MEMBER, NOT_A_LEARNER), which the caller can recognise.
   */
  public <Q, R> Future<R> onLeader(String hostPort, ServiceMethod<R, Q> method, Q request, long deadlineMs) {
    Promise<R> result = Promise.promise();
    attempt(hostPort, method, request, System.nanoTime() + deadlineMs * 1_000_000L, 0, result);
    return result.future();
  }

  /** Redirects to a named leader followed in a row even past the deadline (they cost no wait). */
  private static final int MAX_REDIRECTS = 3;

  private <Q, R> void attempt(String target, ServiceMethod<R, Q> method, Q request, long deadlineNanos,
      int redirects, Promise<R> result) {
    call(target, method, request).onComplete(ar -> {
      if (ar.succeeded()) {
        result.complete(ar.result());
        return;
      }
      if (!(ar.cause() instanceof Failure f) || !f.retryable()) {
        result.fail(ar.cause());
        return;
      }
      boolean redirect = f.leaderAddress != null && !f.leaderAddress.equals(target);
      if (redirect && redirects < MAX_REDIRECTS) {
        attempt(f.leaderAddress, method, request, deadlineNanos, redirects + 1, result);
      } else if (System.nanoTime() > deadlineNanos) {
        result.fail(f);
      } else {
        long delayMs = Math.max(20, f.retryAfterMs > 0 ? f.retryAfterMs : 100);
        String next = redirect ? f.leaderAddress : target;
        vertx.setTimer(delayMs, id -> attempt(next, method, request, deadlineNanos, 0, result));
      }
    });
  }

  static SocketAddress address(String hostPort) {
    ValidationError e = AdminApi.address("address", hostPort == null ? "" : hostPort);
    if (e != null) {
      throw new IllegalArgumentException(e.message());
    }
    int colon = hostPort.lastIndexOf(':');
    return SocketAddress.inetSocketAddress(Integer.parseInt(hostPort.substring(colon + 1)),
        hostPort.substring(0, colon));
  }
}
