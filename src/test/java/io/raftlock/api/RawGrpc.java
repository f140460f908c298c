package io.raftlock.api;

import io.vertx.core.Future;
import io.vertx.core.MultiMap;
import io.vertx.core.Vertx;
import io.vertx.core.buffer.Buffer;
import io.vertx.core.http.HttpClient;
import io.vertx.core.http.HttpClientOptions;
import io.vertx.core.http.HttpMethod;
import io.vertx.core.http.HttpVersion;
import io.vertx.core.http.RequestOptions;
import io.vertx.core.http.StreamResetException;
import java.util.concurrent.TimeUnit;

/**
 * gRPC at the byte level: one HTTP/2 (prior knowledge) POST per call whose body is sent exactly as
 * given, length-prefixed frames included, so a test can send what no gRPC library would (a bad
 * prefix, a compressed flag without an encoding, two messages to a unary method). The answer is
 * read as the wire carries it: the {@code grpc-status} of the trailers (or of a trailers-only
 * response), or the fact that there was none (stream reset, no status, no answer).
 */
final class RawGrpc implements AutoCloseable {
  /** What came back for one call. {@code status} is the gRPC code, or -1 when none was sent. */
  record Answer(int status, Kind kind, String detail) {
    enum Kind { STATUS, RESET, NO_STATUS, NO_ANSWER, FAILED }

    static Answer status(int code, String message) {
      return new Answer(code, Kind.STATUS, message);
    }

    /** The name of the answer for counts: a gRPC code name, or how the call ended without one. */
    String label() {
      return switch (kind) {
        case STATUS -> io.grpc.Status.fromCodeValue(status).getCode().name();
        case RESET -> "stream reset (no status)";
        case NO_STATUS -> "ended without grpc-status";
        case NO_ANSWER -> "no answer before the deadline";
        case FAILED -> "connection error (no status)";
      };
    }
  }

  private final HttpClient http;

  RawGrpc(Vertx vertx) {
    this.http = vertx.createHttpClient(new HttpClientOptions().setProtocolVersion(HttpVersion.HTTP_2)
        .setHttp2ClearTextUpgrade(false).setTcpNoDelay(true).setHttp2MultiplexingLimit(1000));
  }

  /** A whole body: {@code message} behind the standard 5-byte prefix (uncompressed). */
  static byte[] framed(byte[] message) {
    byte[] body = new byte[5 + message.length];
    body[1] = (byte) (message.length >>> 24);
    body[2] = (byte) (message.length >>> 16);
    body[3] = (byte) (message.length >>> 8);
    body[4] = (byte) message.length;
    System.arraycopy(message, 0, body, 5, message.length);
    return body;
  }

  /**
   * Posts {@code body} to {@code path} ({@code /package.Service/Method}) on 127.0.0.1, and gives
   * up (resetting the stream) after {@code timeoutMs}. Never fails.
   */
  Future<Answer> call(int port, String path, byte[] body, long timeoutMs) {
    RequestOptions options = new RequestOptions().setMethod(HttpMethod.POST).setHost("127.0.0.1").setPort(port)
        .setURI(path).setTimeout(timeoutMs)
        .putHeader("content-type", "application/grpc").putHeader("te", "trailers");
    return http.request(options)
        .compose(req -> req.send(Buffer.buffer(body)))
        .compose(resp -> resp.body().map(ignored -> answer(resp.headers(), resp.trailers())))
        .otherwise(RawGrpc::failure)
        .timeout(timeoutMs + 5_000, TimeUnit.MILLISECONDS)
        .otherwise(RawGrpc::failure);
  }

  /** The status of the trailers, else of a trailers-only response's headers. */
  private static Answer answer(MultiMap headers, MultiMap trailers) {
    String code = trailers.get("grpc-status");
    String message = trailers.get("grpc-message");
    if (code == null) {
      code = headers.get("grpc-status");
      message = headers.get("grpc-message");
    }
    if (code == null) {
      return new Answer(-1, Answer.Kind.NO_STATUS, "headers " + headers.names());
    }
    try {
      return Answer.status(Integer.parseInt(code.trim()), message);
    } catch (NumberFormatException e) {
      return new Answer(-1, Answer.Kind.NO_STATUS, "grpc-status " + code);
    }
  }

  private static Answer failure(Throwable t) {
    if (t instanceof StreamResetException reset) {
      return new Answer(-1, Answer.Kind.RESET, "RST_STREAM error code " + reset.getCode());
    }
    if (t instanceof java.util.concurrent.TimeoutException) {
      return new Answer(-1, Answer.Kind.NO_ANSWER, String.valueOf(t.getMessage()));
    }
    return new Answer(-1, Answer.Kind.FAILED, String.valueOf(t));
  }

  @Override
  public void close() {
    http.close().await();
  }
}
