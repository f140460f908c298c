package io.raftlock.cli;

import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.WebSocket;
import java.security.KeyManagementException;
import java.security.SecureRandom;
import java.time.Duration;
import java.util.List;
import java.util.Optional;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionStage;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.ThreadLocalRandom;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import javax.net.ssl.KeyManager;
import javax.net.ssl.SSLContext;
import javax.net.ssl.SSLContextSpi;
import javax.net.ssl.SSLEngine;
import javax.net.ssl.SSLParameters;
import javax.net.ssl.SSLServerSocketFactory;
import javax.net.ssl.SSLSessionContext;
import javax.net.ssl.SSLSocketFactory;
import javax.net.ssl.TrustManager;

/**
 * The lean path of a one-shot read: one request over the node's WebSocket API ({@code /v1/ws},
 * docs/websocket-protocol.md) with the JDK's own HTTP client and Jackson, instead of Vert.x, Netty's
 * HTTP/2, gRPC and the protobuf runtime. Those classes are what a short command spends most of its
 * start on; the JDK's are few, and class-data sharing archives them.
 *
 * <p>It serves a read only when it can answer exactly as the full path would; otherwise it returns
 * empty and the command takes the full path (the gRPC client's retries, failover and error
 * reports), so output and exit codes never depend on which path answered:
 * <ul>
 *   <li>TLS options (the JDK client would need its own key and trust handling) or an API key that
 *   cannot travel in a header: not tried;
 *   <li>a node that cannot be reached or refuses the upgrade (401 for a bad key): the next endpoint,
 *   starting, as the full client does, at a random one; none left: the full path;
 *   <li>a refusal ({@code {"error": ...}}: validation, no leader, rate limit, permission), a closed
 *   connection (a cluster with auth on and no key) or no reply within the timeout: the full path.
 * </ul>
 * What the caller does with an in-band error of the response is its own choice.
 *
 * <p>{@code RAFTLOCK_LEAN=off} turns it off (every command takes the full path).
 */
final class WsRead {
  /** How long one endpoint may take to accept the connection before the next is tried. */
  private static final Duration CONNECT_TIMEOUT = Duration.ofSeconds(2);

  private WsRead() {}

  /** Whether the lean path may serve this run at all. */
  static boolean applies(CliContext c) {
    return c.lean && c.tls == null && (c.apiKey == null || headerSafe(c.apiKey));
  }

  /**
   * Sends {@code {"id":"1","op":op,"request":{request}}} and returns the reply's {@code response}
   * object as JSON text, or empty when the full path must answer (see the class comment).
   */
  static Optional<String> call(CliContext c, String op, LeanJson.Fields request) {
    if (!applies(c)) {
      return Optional.empty();
    }
    String frame = frame(op, request);
    HttpClient http = HttpClient.newBuilder()
        .connectTimeout(c.timeout.compareTo(CONNECT_TIMEOUT) < 0 ? c.timeout : CONNECT_TIMEOUT)
        .sslContext(NoTls.CONTEXT).sslParameters(new SSLParameters())
        .build();
    long deadlineNanos = System.nanoTime() + c.timeout.toNanos();
    List<String> endpoints = c.endpoints;
    int start = ThreadLocalRandom.current().nextInt(endpoints.size());
    for (int i = 0; i < endpoints.size(); i++) {
      long leftNanos = deadlineNanos - System.nanoTime();
      if (leftNanos <= 0) {
        return Optional.empty();
      }
      try {
        String reply = once(http, c, endpoints.get((start + i) % endpoints.size()), frame, deadlineNanos);
        return Optional.ofNullable(LeanJson.member(reply, "response")); // absent: a refusal, {"error": ...}
      } catch (Unreachable e) {
        // the next endpoint
      } catch (Exception e) {
        return Optional.empty(); // connected, but no usable reply: the full path reports it
      }
    }
    return Optional.empty();
  }

  /** The reply from one node; {@link Unreachable} when the node did not accept the connection. */
  private static String once(HttpClient http, CliContext c, String endpoint, String frame, long deadlineNanos)
      throws Exception {
    Reply reply = new Reply();
    WebSocket.Builder b = http.newWebSocketBuilder();
    if (c.apiKey != null) {
      b.header("Authorization", "Bearer " + c.apiKey);
    }
    WebSocket ws;
    try {
      ws = b.buildAsync(URI.create("ws://" + endpoint + "/v1/ws"), reply)
          .get(deadlineNanos - System.nanoTime(), TimeUnit.NANOSECONDS);
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      throw e;
    } catch (ExecutionException | TimeoutException | IllegalArgumentException e) {
      throw new Unreachable(); // refused, reset, 401/403, no upgrade in time, a host no URI can hold
    }
    try {
      ws.sendText(frame, true);
      return reply.text.get(deadlineNanos - System.nanoTime(), TimeUnit.NANOSECONDS);
    } finally {
      ws.sendClose(WebSocket.NORMAL_CLOSURE, "").exceptionally(t -> null);
    }
  }

  /** A node that did not accept the WebSocket: the next endpoint is tried. */
  private static final class Unreachable extends Exception {
    private static final long serialVersionUID = 1L;

    Unreachable() {
      super(null, null, false, false);
    }
  }

  private static String frame(String op, LeanJson.Fields request) {
    return LeanJson.object(g -> {
      g.writeStringField("id", "1");
      g.writeStringField("op", op);
      g.writeObjectFieldStart("request");
      request.write(g);
      g.writeEndObject();
    });
  }

  /** The header rule of the full client (CallHeaders): printable ASCII, no spaces, not empty. */
  private static boolean headerSafe(String key) {
    return !key.isEmpty() && key.chars().allMatch(ch -> ch > 0x20 && ch < 0x7f);
  }

  /** Collects the first text message, however many frames it comes in. */
  private static final class Reply implements WebSocket.Listener {
    final CompletableFuture<String> text = new CompletableFuture<>();
    private final StringBuilder parts = new StringBuilder();

    @Override
    public CompletionStage<?> onText(WebSocket ws, CharSequence data, boolean last) {
      parts.append(data);
      if (last) {
        text.complete(parts.toString());
      } else {
        ws.request(1);
      }
      return null;
    }

    @Override
    public CompletionStage<?> onClose(WebSocket ws, int statusCode, String reason) {
      text.completeExceptionally(new IllegalStateException("closed " + statusCode + " " + reason));
      return null;
    }

    @Override
    public void onError(WebSocket ws, Throwable error) {
      text.completeExceptionally(error);
    }
  }

  /**
   * The lean path speaks plaintext only (TLS runs take the full path), but the JDK's HTTP client
   * wants an SSL context when it is built and would otherwise initialise the default one: the
   * JSSE provider, its cipher suites and the system's trust store, a tenth of a second of CPU that
   * a ws:// request never uses. This context refuses to be used.
   */
  private static final class NoTls extends SSLContextSpi {
    static final SSLContext CONTEXT = new SSLContext(new NoTls(), null, "none") {};

    private static UnsupportedOperationException plaintextOnly() {
      return new UnsupportedOperationException("the lean read path is plaintext only");
    }

    @Override
    protected void engineInit(KeyManager[] km, TrustManager[] tm, SecureRandom sr) throws KeyManagementException {
      throw new KeyManagementException("the lean read path is plaintext only");
    }

    @Override
    protected SSLSocketFactory engineGetSocketFactory() {
      throw plaintextOnly();
    }

    @Override
    protected SSLServerSocketFactory engineGetServerSocketFactory() {
      throw plaintextOnly();
    }

    @Override
    protected SSLEngine engineCreateSSLEngine() {
      throw plaintextOnly();
    }

    @Override
    protected SSLEngine engineCreateSSLEngine(String host, int port) {
      throw plaintextOnly();
    }

    @Override
    protected SSLSessionContext engineGetServerSessionContext() {
      throw plaintextOnly();
    }

    @Override
    protected SSLSessionContext engineGetClientSessionContext() {
      throw plaintextOnly();
    }
  }
}
