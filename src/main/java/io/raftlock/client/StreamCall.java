package io.raftlock.client;

import io.raftlock.proto.api.RaftLockGrpcClient;
import io.raftlock.proto.api.SessionRequest;
import io.raftlock.proto.api.SessionResponse;
import io.vertx.core.Future;
import io.vertx.core.Handler;
import io.vertx.core.net.SocketAddress;
import io.vertx.grpc.client.GrpcClient;
import io.vertx.grpc.client.GrpcClientRequest;
import java.util.logging.Level;
import java.util.logging.Logger;

/**
 * One {@code Session} call to one node: the transport under a {@link SessionChannel}. Messages
 * go out in order; every message that comes back goes to {@code onMessage}, and the end of the
 * call (the node ended it, the connection dropped, it was cancelled) is reported once to
 * {@code onDown}, after which nothing more is delivered. Runs on the client's context.
 */
final class StreamCall {
  private static final Logger LOG = Logger.getLogger(StreamCall.class.getName());

  final SocketAddress target;
  private final Handler<SessionResponse> onMessage;
  private final Handler<Throwable> onDown;
  private GrpcClientRequest<SessionRequest, SessionResponse> request;
  private boolean down;

  private StreamCall(SocketAddress target, Handler<SessionResponse> onMessage, Handler<Throwable> onDown) {
    this.target = target;
    this.onMessage = onMessage;
    this.onDown = onDown;
  }

  /**
   * Starts a call to {@code target} and sends {@code first} on it. The future fails when the
   * call cannot be started; later failures go to {@code onDown}.
   */
  static Future<StreamCall> start(GrpcClient grpc, CallHeaders headers, SocketAddress target, SessionRequest first,
      Handler<SessionResponse> onMessage, Handler<Throwable> onDown) {
    StreamCall call = new StreamCall(target, onMessage, onDown);
    return grpc.request(target, RaftLockGrpcClient.Session).map(req -> {
      headers.applyTo(req);
      call.request = req;
      req.exceptionHandler(call::fail);
      req.write(first);
      req.response().onComplete(ar -> {
        if (ar.failed()) {
          call.fail(ar.cause());
          return;
        }
        var resp = ar.result();
        resp.handler(m -> {
          if (!call.down) {
            call.onMessage.handle(m);
          }
        });
        resp.exceptionHandler(call::fail);
        resp.endHandler(v -> call.fail(new IllegalStateException("session stream ended by " + target + ": "
            + resp.status() + (resp.statusMessage() == null ? "" : " " + resp.statusMessage()))));
      });
      return call;
    });
  }

  /** Sends one request; false when the call is down (the caller re-sends it on the next call). */
  boolean send(SessionRequest r) {
    if (down) {
      return false;
    }
    request.write(r).onFailure(this::fail);
    return true;
  }

  boolean isDown() {
    return down;
  }

  /** Ends the call from this side without reporting it to {@code onDown}. */
  void cancel() {
    if (down) {
      return;
    }
    down = true;
    try {
      request.cancel();
    } catch (RuntimeException e) {
      LOG.log(Level.FINE, "cancelling the session stream to " + target, e);
    }
  }

  private void fail(Throwable why) {
    if (down) {
      return;
    }
    down = true;
    try {
      request.cancel();
    } catch (RuntimeException e) {
      LOG.log(Level.FINEST, "cancelling a broken session stream", e);
    }
    onDown.handle(why);
  }
}
