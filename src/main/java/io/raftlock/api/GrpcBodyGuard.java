package io.raftlock.api;

import io.vertx.core.Handler;
import io.vertx.core.buffer.Buffer;
import io.vertx.core.http.HttpServerRequest;
import io.vertx.core.internal.http.HttpServerRequestInternal;
import io.vertx.core.internal.http.HttpServerRequestWrapper;

/**
 * The HTTP request of a gRPC call as vertx-grpc reads it, with a body vertx-grpc cannot deframe
 * reported through the request's exception handler as {@link UnreadableBody}, which
 * {@link RequestMessages} answers.
 *
 * <p>Why this is needed: vertx-grpc 5.0.7's deframer throws ({@code UnsupportedOperationException
 * "Handle me"}) from the body's data handler when a message has the compressed flag set and the
 * call names no {@code grpc-encoding}. The throw escapes to the event loop, the same bytes throw
 * again at the end of the body, and the call never ends: the client waits for its deadline. Here
 * the first such throw is reported once, and later data and the end are not passed on (vertx-grpc
 * would only throw again), so the call ends exactly once, with the answer to the report.
 *
 * <p>Uses Vert.x's internal-but-exported wrapper type: vertx-grpc needs an
 * {@link HttpServerRequestInternal}.
 */
final class GrpcBodyGuard extends HttpServerRequestWrapper {
  /** A request body that cannot be split into gRPC messages. */
  static final class UnreadableBody extends RuntimeException {
    UnreadableBody(String message, Throwable cause) {
      super(message, cause);
    }
  }

  private Handler<Throwable> exceptionHandler;
  private boolean unreadable;

  private GrpcBodyGuard(HttpServerRequestInternal request) {
    super(request);
  }

  /** {@code request} guarded; a request of another implementation is returned as it is. */
  static HttpServerRequest guard(HttpServerRequest request) {
    return request instanceof HttpServerRequestInternal internal ? new GrpcBodyGuard(internal) : request;
  }

  @Override
  public HttpServerRequest exceptionHandler(Handler<Throwable> handler) {
    exceptionHandler = handler;
    delegate.exceptionHandler(handler);
    return this;
  }

  @Override
  public HttpServerRequest handler(Handler<Buffer> handler) {
    delegate.handler(handler == null ? null : chunk -> {
      if (!unreadable) {
        deframe(() -> handler.handle(chunk));
      }
    });
    return this;
  }

  @Override
  public HttpServerRequest endHandler(Handler<Void> handler) {
    delegate.endHandler(handler == null ? null : v -> {
      if (!unreadable) {
        deframe(() -> handler.handle(v));
      }
    });
    return this;
  }

  /** Runs a step of vertx-grpc's deframing; a throw from it means the body cannot be read. */
  private void deframe(Runnable step) {
    try {
      step.run();
    } catch (RuntimeException e) {
      unreadable = true;
      Handler<Throwable> handler = exceptionHandler;
      if (handler != null) {
        handler.handle(new UnreadableBody(describe(), e));
      }
    }
  }

  /**
   * Names the one fault known to end here: vertx-grpc 5.0.7 throws only for a compressed message
   * in a call without {@code grpc-encoding}. Any other throw is reported without a cause.
   */
  private String describe() {
    return delegate.getHeader("grpc-encoding") == null
        ? "request body is not a valid gRPC frame: a message is marked compressed (flag 1) but the call"
            + " names no grpc-encoding"
        : "request body is not a valid gRPC frame";
  }
}
