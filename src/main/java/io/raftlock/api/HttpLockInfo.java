package io.raftlock.api;

import com.google.protobuf.InvalidProtocolBufferException;
import io.raftlock.proto.api.ErrorCode;
import io.raftlock.proto.api.ErrorDetail;
import io.raftlock.proto.api.GetLockInfoRequest;
import io.vertx.core.http.HttpHeaders;
import io.vertx.ext.web.RoutingContext;
import io.vertx.grpc.common.GrpcStatus;
import java.util.logging.Level;
import java.util.logging.Logger;

/**
 * {@code GET /v1/lock-info?lockId=NAME[&includeWaiters=true][&staleRead=true]}: the
 * {@code GetLockInfo} call of the API as one plain HTTP request, for clients that start cold and
 * ask once (the command line's {@code info}): no HTTP/2, no WebSocket handshake. The parameters
 * are the request's fields in the proto3 JSON mapping; the body of a 200 is the
 * {@code GetLockInfoResponse} exactly as a WebSocket reply's {@code response} carries it
 * (an unheld lock is a 200 with its in-band {@code LOCK_NOT_FOUND}).
 *
 * <p>It goes through the same {@link AuthorizedLockApi} as a gRPC call or a WebSocket request:
 * validation, rate limits, the in-flight cap and, with auth on, the key of the
 * {@code Authorization: Bearer} header checked for {@code read} on that lock name. A refusal is
 * its HTTP status (400, 401, 403, 429, 503, 504, 500) with {@code {"error":{ErrorDetail}}}.
 */
final class HttpLockInfo {
  private static final Logger LOG = Logger.getLogger(HttpLockInfo.class.getName());
  static final String PATH = "/v1/lock-info";

  private final LockService service;
  private final ApiAuth auth;

  HttpLockInfo(LockService service, ApiAuth auth) {
    this.service = service;
    this.auth = auth;
  }

  void handle(RoutingContext rc) {
    GetLockInfoRequest request;
    try {
      String lockId = rc.queryParams().get("lockId");
      request = GetLockInfoRequest.newBuilder()
          .setLockId(lockId == null ? "" : lockId)
          .setIncludeWaiters(flag(rc, "includeWaiters"))
          .setStaleRead(flag(rc, "staleRead"))
          .build();
    } catch (IllegalArgumentException e) {
      end(rc, 400, WsCodec.errorBody(WsCodec.errorDetail(ErrorCode.INVALID_ARGUMENT, e.getMessage(), null)));
      return;
    }
    String authorization = rc.request().getHeader(HttpHeaders.AUTHORIZATION);
    new AuthorizedLockApi(service, auth, authorization).getLockInfo(request).onComplete(ar -> {
      if (ar.succeeded()) {
        try {
          end(rc, 200, WsCodec.json(ar.result()));
        } catch (InvalidProtocolBufferException e) {
          refused(rc, e);
        }
      } else {
        refused(rc, ar.cause());
      }
    });
  }

  /** Absent or {@code false}: false; {@code true}: true; anything else is a bad request. */
  private static boolean flag(RoutingContext rc, String name) {
    String v = rc.queryParams().get(name);
    if (v == null || v.equals("false")) {
      return false;
    }
    if (v.equals("true")) {
      return true;
    }
    throw new IllegalArgumentException(name + " must be true or false");
  }

  private static void refused(RoutingContext rc, Throwable t) {
    if (t instanceof ApiException e && e.detail() != null) {
      end(rc, httpStatus(e.status()), WsCodec.errorBody(e.detail()));
      return;
    }
    LOG.log(Level.WARNING, "lock info over HTTP failed", t);
    end(rc, 500, WsCodec.errorBody(WsCodec.errorDetail(ErrorCode.INTERNAL_ERROR, "internal error", null)));
  }

  /** The HTTP status of a refusal with this gRPC status (also the node's other HTTP paths' auth refusals). */
  static int httpStatus(GrpcStatus status) {
    return switch (status) {
      case INVALID_ARGUMENT, OUT_OF_RANGE, FAILED_PRECONDITION -> 400;
      case UNAUTHENTICATED -> 401;
      case PERMISSION_DENIED -> 403;
      case NOT_FOUND -> 404;
      case RESOURCE_EXHAUSTED -> 429;
      case UNAVAILABLE, ABORTED -> 503;
      case DEADLINE_EXCEEDED -> 504;
      default -> 500;
    };
  }

  private static void end(RoutingContext rc, int status, String body) {
    if (rc.response().ended() || rc.response().closed()) {
      return;
    }
    rc.response().setStatusCode(status).putHeader(HttpHeaders.CONTENT_TYPE, "application/json")
        .end(WsCodec.escapeLoneSurrogates(body));
  }
}
