package io.raftlock.api;

import io.raftlock.proto.api.ErrorDetail;
import io.raftlock.proto.api.LockEventMessage;
import io.raftlock.proto.api.RaftLockGrpcService;
import io.raftlock.proto.api.WatchRequest;
import io.raftlock.proto.health.HealthCheckRequest;
import io.raftlock.proto.health.HealthCheckResponse;
import io.raftlock.proto.health.HealthGrpcService;
import io.raftlock.wire.ErrorTrailers;
import io.vertx.core.AsyncResult;
import io.vertx.core.Future;
import io.vertx.core.Vertx;
import io.vertx.grpc.common.GrpcStatus;
import io.vertx.grpc.common.ServiceMethod;
import io.vertx.grpc.server.GrpcServer;
import io.vertx.grpc.server.GrpcServerRequest;
import io.vertx.grpc.server.GrpcServerResponse;
import java.util.function.BooleanSupplier;
import io.vertx.core.MultiMap;
import java.util.function.BiConsumer;
import java.util.function.BiFunction;
import java.util.function.Function;
import java.util.logging.Level;
import java.util.logging.Logger;

/**
 * The gRPC face of {@link LockApi}: the {@code raftlock.v1.RaftLock} service and the standard
 * {@code grpc.health.v1.Health} service, bound on a Vert.x {@link GrpcServer}.
 *
 * <p>A refusal ({@link ApiException}) ends the call with its gRPC status, the ErrorDetail's message
 * as status message, and the detail in trailers a client can read without our stubs:
 * {@code raftlock-error-code} (the ErrorCode number), {@code raftlock-error-field} (validation),
 * {@code raftlock-retry-after-ms},
 * {@code raftlock-leader-id} and {@code raftlock-leader-address}.
 */
public final class GrpcLockService {
  private static final Logger LOG = Logger.getLogger(GrpcLockService.class.getName());
  /** Watch events buffered per stream before the consumer counts as slow. */
  static final int WATCH_WRITE_QUEUE = 1024;
  private static final String LOCK_SERVICE = "raftlock.v1.RaftLock";

  private GrpcLockService() {}

  /**
   * Binds both services. {@code serving} answers the health service; {@code connections} lets
   * a Watch learn that its connection closed.
   */
  public static GrpcServer bind(Vertx vertx, GrpcServer server, LockApi api, BooleanSupplier serving,
      ConnectionTracker connections) {
    return bind(vertx, server, api, ApiAuth.OPEN, serving, connections);
  }

  /**
   * Binds both services, each call of the lock service made as the caller its
   * {@code authorization} metadata names ({@link AuthorizedLockApi}, when {@code api} is the
   * node's {@link LockService}).
   */
  public static GrpcServer bind(Vertx vertx, GrpcServer server, LockApi api, ApiAuth auth,
      BooleanSupplier serving, ConnectionTracker connections) {
    Function<MultiMap, LockApi> as = headers -> api instanceof LockService s
        ? new AuthorizedLockApi(s, auth, headers.get(AUTHORIZATION)) : api;
    unary(server, RaftLockGrpcService.Acquire, (h, m) -> as.apply(h).acquire(m));
    unary(server, RaftLockGrpcService.Release, (h, m) -> as.apply(h).release(m));
    unary(server, RaftLockGrpcService.Renew, (h, m) -> as.apply(h).renew(m));
    unary(server, RaftLockGrpcService.GetLockInfo, (h, m) -> as.apply(h).getLockInfo(m));
    unary(server, RaftLockGrpcService.GetLocks, (h, m) -> as.apply(h).getLocks(m));
    unary(server, RaftLockGrpcService.EnqueueWaiter, (h, m) -> as.apply(h).enqueueWaiter(m));
    unary(server, RaftLockGrpcService.CancelWait, (h, m) -> as.apply(h).cancelWait(m));
    unary(server, RaftLockGrpcService.GetBackoffAdvice, (h, m) -> as.apply(h).getBackoffAdvice(m));
    unary(server, RaftLockGrpcService.GetStatus, (h, m) -> as.apply(h).getStatus(m));
    unary(server, RaftLockGrpcService.Health, (h, m) -> api.health(m));
    RequestMessages.serve(server, RaftLockGrpcService.Watch,
        (req, msg) -> watch(req, msg, as.apply(req.headers()), connections));
    server.callHandler(RequestMessages.lenient(RaftLockGrpcService.Session),
        req -> GrpcSessionStream.serve(req, api, auth, connections));
    RequestMessages.serve(server, HealthGrpcService.Check, (req, msg) -> {
      HealthCheckResponse.ServingStatus status = healthOf(msg, serving);
      if (status == null) {
        req.response().status(GrpcStatus.NOT_FOUND).statusMessage("unknown service " + msg.getService()).end();
      } else {
        req.response().end(HealthCheckResponse.newBuilder().setStatus(status).build());
      }
    });
    RequestMessages.serve(server, HealthGrpcService.Watch,
        (req, msg) -> healthWatch(vertx, req, msg, serving, connections));
    return server;
  }

  /** The metadata key of the caller's API key: {@code authorization: Bearer <key>}. */
  public static final String AUTHORIZATION = "authorization";

  private static <Q, R> void unary(GrpcServer server, ServiceMethod<Q, R> method,
      BiFunction<MultiMap, Q, Future<R>> handler) {
    unary(server, method, handler, NO_MORE_TRAILERS);
  }

  private static final BiConsumer<GrpcServerResponse<?, ?>, ApiException> NO_MORE_TRAILERS = (response, e) -> { };

  /**
   * Serves {@code method} with {@code handler} (given the request's metadata and message); a
   * refusal ({@link ApiException}) is answered with its status and the error trailers, after
   * {@code moreTrailers} has added its own (the Admin service adds the membership refusal).
   */
  static <Q, R> void unary(GrpcServer server, ServiceMethod<Q, R> method,
      BiFunction<MultiMap, Q, Future<R>> handler,
      BiConsumer<GrpcServerResponse<?, ?>, ApiException> moreTrailers) {
    RequestMessages.serve(server, method, (req, msg) -> {
      Future<R> f;
      try {
        f = handler.apply(req.headers(), msg);
      } catch (RuntimeException e) {
        f = Future.failedFuture(e);
      }
      f.onComplete(ar -> respond(req.response(), ar, moreTrailers));
    });
  }

  private static <R> void respond(GrpcServerResponse<?, R> response, AsyncResult<R> ar,
      BiConsumer<GrpcServerResponse<?, ?>, ApiException> moreTrailers) {
    try {
      if (ar.succeeded()) {
        response.end(ar.result());
      } else {
        if (ar.cause() instanceof ApiException e) {
          moreTrailers.accept(response, e);
        }
        fail(response, ar.cause());
      }
    } catch (RuntimeException e) {
      // The client cancelled or the connection closed meanwhile: nobody is listening.
      LOG.log(Level.FINE, "answering a cancelled call", e);
    }
  }

  static void fail(GrpcServerResponse<?, ?> response, Throwable cause) {
    if (cause instanceof ApiException e) {
      ErrorDetail d = e.detail();
      response.trailers().set(ErrorTrailers.ERROR_CODE_TRAILER, Integer.toString(d.getCode().getNumber()));
      String field = d.getDetailsMap().get("field");
      if (field != null) {
        response.trailers().set(ErrorTrailers.ERROR_FIELD_TRAILER, field);
      }
      if (d.hasRetryAfter()) {
        long ms = d.getRetryAfter().getSeconds() * 1000 + d.getRetryAfter().getNanos() / 1_000_000;
        response.trailers().set(ErrorTrailers.RETRY_AFTER_TRAILER, Long.toString(Math.max(1, ms)));
      }
      if (!d.getLeaderId().isEmpty()) {
        response.trailers().set(ErrorTrailers.LEADER_ID_TRAILER, d.getLeaderId());
      }
      if (!d.getLeaderAddress().isEmpty()) {
        response.trailers().set(ErrorTrailers.LEADER_ADDRESS_TRAILER, d.getLeaderAddress());
      }
      response.status(e.status()).statusMessage(d.getMessage()).end();
    } else {
      LOG.log(Level.WARNING, "internal error answering a call", cause);
      response.status(GrpcStatus.INTERNAL).statusMessage("internal error").end();
    }
  }

  private static void watch(GrpcServerRequest<?, LockEventMessage> req, WatchRequest msg, LockApi api,
      ConnectionTracker connections) {
    GrpcServerResponse<?, LockEventMessage> response = req.response();
    response.setWriteQueueMaxSize(WATCH_WRITE_QUEUE);
    ApiObserver observer = api instanceof LockService s ? s.observer()
        : api instanceof AuthorizedLockApi a ? a.observer() : ApiObserver.NONE;
    LockApi.WatchSink sink = new LockApi.WatchSink() {
      @Override
      public boolean push(LockEventMessage event) {
        try {
          response.write(event);
          if (response.writeQueueFull()) {
            observer.overflowed(ApiObserver.Queue.WATCH_WRITE_QUEUE);
            return false;
          }
          return true;
        } catch (RuntimeException e) {
          return false; // the stream is gone
        }
      }

      @Override
      public void closed(String reason) {
        try {
          response.status(GrpcStatus.RESOURCE_EXHAUSTED).statusMessage(reason).end();
        } catch (RuntimeException e) {
          LOG.log(Level.FINE, "ending a watch", e);
        }
      }
    };
    api.watch(msg, sink).onComplete(ar -> {
      if (ar.failed()) {
        respond(response, Future.failedFuture(ar.cause()), NO_MORE_TRAILERS);
        return;
      }
      LockApi.Watch w = ar.result();
      Runnable[] unregister = {() -> {}};
      Runnable close = () -> {
        unregister[0].run();
        w.close();
      };
      req.errorHandler(err -> close.run());
      req.exceptionHandler(t -> close.run());
      response.exceptionHandler(t -> close.run());
      unregister[0] = connections.onClose(req.connection(), w::close);
    });
  }

  /** Null for a service this node does not serve (the protocol's NOT_FOUND). */
  private static HealthCheckResponse.ServingStatus healthOf(HealthCheckRequest req, BooleanSupplier serving) {
    String s = req.getService();
    if (!s.isEmpty() && !s.equals(LOCK_SERVICE)) {
      return null;
    }
    return serving.getAsBoolean() ? HealthCheckResponse.ServingStatus.SERVING
        : HealthCheckResponse.ServingStatus.NOT_SERVING;
  }

  /** Sends the status now and on every change, checked every 200 ms, until the client leaves. */
  private static void healthWatch(Vertx vertx, GrpcServerRequest<?, HealthCheckResponse> req,
      HealthCheckRequest msg, BooleanSupplier serving, ConnectionTracker connections) {
    GrpcServerResponse<?, HealthCheckResponse> response = req.response();
    HealthCheckResponse.ServingStatus[] last = {null};
    Runnable check = () -> {
      HealthCheckResponse.ServingStatus now = healthOf(msg, serving);
      if (now == null) {
        now = HealthCheckResponse.ServingStatus.SERVICE_UNKNOWN;
      }
      if (now != last[0]) {
        last[0] = now;
        response.write(HealthCheckResponse.newBuilder().setStatus(now).build());
      }
    };
    check.run();
    long timer = vertx.setPeriodic(200, id -> {
      try {
        check.run();
      } catch (RuntimeException e) {
        vertx.cancelTimer(id);
      }
    });
    req.errorHandler(err -> vertx.cancelTimer(timer));
    response.exceptionHandler(t -> vertx.cancelTimer(timer));
    connections.onClose(req.connection(), () -> vertx.cancelTimer(timer));
  }
}
