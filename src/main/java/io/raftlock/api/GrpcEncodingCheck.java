package io.raftlock.api;

import io.raftlock.proto.api.ErrorCode;
import io.raftlock.wire.ErrorTrailers;
import io.vertx.core.http.HttpServerRequest;
import io.vertx.grpc.common.GrpcStatus;
import java.net.URLEncoder;
import java.nio.charset.StandardCharsets;
import java.util.Set;

/**
 * Answers a gRPC call whose messages are compressed with an algorithm this server cannot read,
 * before vertx-grpc sees it.
 *
 * <p>The gRPC protocol says such a call ends in {@code UNIMPLEMENTED} and the answer names the
 * encodings the server accepts in {@code grpc-accept-encoding}. vertx-grpc 5.0.7 instead throws
 * from its message handler for any encoding but {@code identity} and {@code gzip}: the throw is
 * logged as an unhandled exception and the call is answered as if it had carried no message.
 */
final class GrpcEncodingCheck {
  /** What vertx-grpc decodes; {@code identity} is implied and not listed in the answer. */
  static final Set<String> READABLE = Set.of("identity", "gzip");
  static final String ACCEPTED = "gzip";

  private GrpcEncodingCheck() {}

  /** True when {@code req} was answered here; false when vertx-grpc can read it. */
  static boolean refuseUnreadable(HttpServerRequest req) {
    String encoding = req.getHeader("grpc-encoding");
    if (encoding == null || READABLE.contains(encoding)) {
      return false;
    }
    String message = "messages compressed with '" + encoding + "' cannot be read; this server accepts "
        + ACCEPTED + " or uncompressed messages";
    // A trailers-only answer: the status travels in the headers of the only HEADERS frame.
    req.response().setStatusCode(200)
        .putHeader("content-type", "application/grpc")
        .putHeader("grpc-accept-encoding", ACCEPTED)
        .putHeader("grpc-status", Integer.toString(GrpcStatus.UNIMPLEMENTED.code))
        .putHeader("grpc-message", URLEncoder.encode(message, StandardCharsets.UTF_8).replace("+", "%20"))
        .putHeader(ErrorTrailers.ERROR_CODE_TRAILER, Integer.toString(ErrorCode.INVALID_ARGUMENT.getNumber()))
        .end();
    return true;
  }
}
