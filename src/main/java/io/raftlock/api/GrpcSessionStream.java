package io.raftlock.api;

import io.raftlock.proto.api.SessionRequest;
import io.raftlock.proto.api.SessionResponse;
import io.vertx.grpc.common.GrpcStatus;
import io.vertx.grpc.server.GrpcServerRequest;
import io.vertx.grpc.server.GrpcServerResponse;
import java.util.logging.Level;
import java.util.logging.Logger;

/**
 * The gRPC {@code Session} call: a bidirectional stream adapted to a {@link SessionStream}. A
 * cancelled call or a closed connection only ends the stream (the session lives on until its
 * TTL); the client's half-close ends it once every answer is out.
 */
final class GrpcSessionStream {
  private static final Logger LOG = Logger.getLogger(GrpcSessionStream.class.getName());
  /** Messages buffered per stream before its event consumer counts as slow. */
  static final int WRITE_QUEUE = 1024;

  private GrpcSessionStream() {}

  static void serve(GrpcServerRequest<RequestMessages.Decoded<SessionRequest>, SessionResponse> req,
      LockApi api, ApiAuth auth, ConnectionTracker connections) {
    GrpcServerResponse<RequestMessages.Decoded<SessionRequest>, SessionResponse> response = req.response();
    if (!(api instanceof LockService service)) {
      response.status(GrpcStatus.UNIMPLEMENTED).statusMessage("sessions are not served here").end();
      return;
    }
    String authorization = req.headers().get(GrpcLockService.AUTHORIZATION);
    ApiAuth.Caller caller;
    try {
      caller = auth.authenticate(authorization);
    } catch (ApiException e) {
      GrpcLockService.fail(response, e);
      return;
    }
    response.setWriteQueueMaxSize(WRITE_QUEUE);
    Runnable[] unregister = {() -> { }};
    // Each operation is checked with the key as it is now: a key revoked mid-stream is refused.
    SessionStream.Access access = (permission, lockId) -> auth.require(authorization, permission, lockId);
    SessionStream stream = new SessionStream(service, caller.keyId(), access, new SessionStream.Sink() {
      @Override
      public boolean send(SessionResponse r) {
        try {
          response.write(r);
          return !response.writeQueueFull();
        } catch (RuntimeException e) {
          return true; // the stream is gone: its close handler ends the session stream
        }
      }

      @Override
      public void end(ApiException failure) {
        unregister[0].run();
        try {
          if (failure == null) {
            response.end();
          } else {
            GrpcLockService.fail(response, failure);
          }
        } catch (RuntimeException e) {
          LOG.log(Level.FINE, "ending a session stream", e);
        }
      }
    });
    Runnable broken = () -> {
      unregister[0].run();
      stream.onBroken();
    };
    // A message that does not decode ends the call with INVALID_ARGUMENT (not a stream reset), as
    // does a stream that ends before its first message: a session stream starts with open or resume.
    boolean[] received = {false};
    req.invalidMessageHandler(e -> stream.refuse("a request message on this stream cannot be read"
        + (e instanceof io.vertx.grpc.common.MessageSizeOverflowException ? ": over the size limit" : "")));
    req.handler(decoded -> {
      received[0] = true;
      if (decoded.error() != null) {
        stream.refuse(decoded.error());
      } else {
        stream.onRequest(decoded.message());
      }
    });
    req.endHandler(v -> {
      if (received[0]) {
        stream.onClientDone();
      } else {
        stream.refuse("the stream ended without a request (the first message opens or resumes a session)");
      }
    });
    req.errorHandler(err -> broken.run());
    req.exceptionHandler(t -> {
      if (t instanceof GrpcBodyGuard.UnreadableBody) {
        stream.refuse(t.getMessage()); // a body gRPC cannot deframe: answered, not dropped
      } else {
        broken.run();
      }
    });
    response.exceptionHandler(t -> broken.run());
    unregister[0] = connections.onClose(req.connection(), stream::onBroken);
  }
}
