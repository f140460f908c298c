package io.raftlock.api;

import io.raftlock.proto.api.ErrorDetail;
import io.vertx.grpc.common.GrpcStatus;

/**
 * A request the node refused before (or instead of) completing it: validation, rate limiting, no
 * leader, redirects, timeouts. Carries the wire {@link ErrorDetail} and the gRPC status it maps
 * to; the WebSocket adapter sends the detail as the error of the reply.
 */
public final class ApiException extends RuntimeException {
  private final transient ErrorDetail detail;
  private final transient GrpcStatus status;

  public ApiException(ErrorDetail detail, GrpcStatus status) {
    super(detail.getCode() + ": " + detail.getMessage(), null, false, false);
    this.detail = detail;
    this.status = status;
  }

  public ErrorDetail detail() {
    return detail;
  }

  public GrpcStatus status() {
    return status;
  }
}
