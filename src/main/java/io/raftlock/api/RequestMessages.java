package io.raftlock.api;

import io.raftlock.lock.ErrorCode;
import io.vertx.grpc.common.CodecException;
import io.vertx.grpc.common.GrpcMessage;
import io.vertx.grpc.common.GrpcMessageDecoder;
import io.vertx.grpc.common.GrpcStatus;
import io.vertx.grpc.common.MessageSizeOverflowException;
import io.vertx.grpc.common.ServiceMethod;
import io.vertx.grpc.common.WireFormat;
import io.vertx.grpc.server.GrpcServer;
import io.vertx.grpc.server.GrpcServerRequest;
import java.util.function.BiConsumer;
import java.util.logging.Level;
import java.util.logging.Logger;

/**
 * Hands the one request message of a call (every method here takes exactly one) to a handler, and
 * answers a body that is not exactly one decodable message with {@code INVALID_ARGUMENT} and the
 * reason, never with a stream reset or silence.
 *
 * <p>Why this is needed: vertx-grpc cancels the stream ({@code RST_STREAM CANCELLED}, no status) when
 * the decoder throws, drops a message over the size limit without a word, and never tells the
 * handler about a body that ends inside a message or carries none, so such a call would wait for
 * its deadline. Here the decoder never throws: it returns {@link Decoded} with the failure, and the
 * end of the request stream answers a call that delivered nothing. A body vertx-grpc cannot
 * deframe at all arrives as {@link GrpcBodyGuard.UnreadableBody} on the exception handler.
 */
final class RequestMessages {
  private static final Logger LOG = Logger.getLogger(RequestMessages.class.getName());

  private RequestMessages() {}

  /** A decoded request, or why it could not be decoded (exactly one of the two is non-null). */
  record Decoded<Q>(Q message, String error) {}

  /** Serves {@code method}: {@code handler} gets the request and the decoded message, once per call. */
  static <Q, R> void serve(GrpcServer server, ServiceMethod<Q, R> method,
      BiConsumer<GrpcServerRequest<?, R>, Q> handler) {
    server.callHandler(lenient(method), req -> {
      boolean[] answered = {false};
      // The end, exception and invalid-message handlers go first: setting the message handler
      // resumes the stream, which may deliver the end of a body without a message at once.
      req.invalidMessageHandler(e -> {
        if (!answered[0]) {
          answered[0] = true;
          refuse(req, e instanceof MessageSizeOverflowException o
              ? "request message of " + o.messageSize() + " bytes is over the limit"
              : "request message cannot be read");
        }
      });
      req.exceptionHandler(e -> {
        if (e instanceof GrpcBodyGuard.UnreadableBody && !answered[0]) {
          answered[0] = true;
          refuse(req, e.getMessage());
        }
      });
      req.endHandler(v -> {
        if (!answered[0]) {
          answered[0] = true;
          refuse(req, "request body holds no complete message (empty, or cut inside a length-prefixed message)");
        }
      });
      req.handler(decoded -> {
        if (answered[0]) {
          return; // a second message in a single-request call: the first one is being answered
        }
        answered[0] = true;
        if (decoded.error() != null) {
          refuse(req, decoded.error());
        } else {
          handler.accept(req, decoded.message());
        }
      });
    });
  }

  /** {@code method} with a decoder that reports a failure in {@link Decoded} instead of throwing. */
  static <Q, R> ServiceMethod<Decoded<Q>, R> lenient(ServiceMethod<Q, R> method) {
    GrpcMessageDecoder<Q> strict = method.decoder();
    GrpcMessageDecoder<Decoded<Q>> decoder = new GrpcMessageDecoder<>() {
      @Override
      public Decoded<Q> decode(GrpcMessage msg) {
        try {
          return new Decoded<>(strict.decode(msg), null);
        } catch (CodecException e) {
          return new Decoded<>(null, "request body is not a valid " + method.methodName()
              + " request message: " + reason(e));
        }
      }

      @Override
      public boolean accepts(WireFormat format) {
        return strict.accepts(format);
      }
    };
    return ServiceMethod.server(method.serviceName(), method.methodName(), method.encoder(), decoder);
  }

  private static String reason(CodecException e) {
    Throwable root = e.getCause() != null ? e.getCause() : e;
    String message = root.getMessage();
    return message == null ? root.getClass().getSimpleName() : message;
  }

  private static void refuse(GrpcServerRequest<?, ?> req, String why) {
    try {
      GrpcLockService.fail(req.response(), new ApiException(ApiMapper.error(ErrorCode.INVALID_ARGUMENT, why),
          GrpcStatus.INVALID_ARGUMENT));
    } catch (RuntimeException e) {
      LOG.log(Level.FINE, "refusing an undecodable request on a closed stream", e);
    }
  }
}
