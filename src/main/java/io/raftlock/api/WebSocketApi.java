package io.raftlock.api;

import io.vertx.core.Handler;
import io.vertx.core.Vertx;
import io.vertx.core.http.ServerWebSocket;
import java.util.Objects;

/**
 * The WebSocket face of the client API ({@code /v1/ws}): JSON request/reply frames and pushed
 * watch events over one connection, adapted onto a {@link LockApi}. The protocol is specified in
 * {@code docs/websocket-protocol.md}.
 *
 * <p>Mount it wherever the node accepts upgrades, e.g.
 * {@code router.route("/v1/ws").handler(rc -> rc.request().toWebSocket().onSuccess(api::handle))}.
 * {@link #handle} must be called on the socket's event loop; each connection then lives on that
 * loop and only uses futures. The server's own WebSocket frame and message limits should be at
 * least {@link Options#maxFrameBytes}; this class enforces that limit itself.
 */
public final class WebSocketApi implements Handler<ServerWebSocket> {
  private final Vertx vertx;
  private final LockApi api;
  private final Options options;

  public WebSocketApi(Vertx vertx, LockApi api, Options options) {
    this.vertx = Objects.requireNonNull(vertx, "vertx");
    this.api = Objects.requireNonNull(api, "api");
    this.options = Objects.requireNonNull(options, "options");
  }

  /** Serves one accepted (or about to be accepted) WebSocket until it closes. */
  @Override
  public void handle(ServerWebSocket ws) {
    // Metrics hooks come from the node's LockService (none for another LockApi, e.g. a test fake).
    ApiObserver observer = api instanceof LockService s ? s.observer() : ApiObserver.NONE;
    new WsConnection(vertx, api, options, ws, observer).start();
  }

  /** Serves one WebSocket with {@code as} in place of this API (a caller's view of it). */
  public void handle(ServerWebSocket ws, LockApi as) {
    ApiObserver observer = api instanceof LockService s ? s.observer() : ApiObserver.NONE;
    new WsConnection(vertx, as, options, ws, observer).start();
  }

  public Options options() {
    return options;
  }

  /**
   * Per-connection limits.
   *
   * @param maxFrameBytes largest text message, in bytes after reassembling fragments; larger
   *     closes the connection with 1009
   * @param maxWriteQueueBytes bytes the connection may buffer for a client that does not read;
   *     beyond it the connection is closed with 1008 (slow consumer)
   * @param pingIntervalMs how often the server pings
   * @param idleTimeoutMs no frame (pong or other) for this long closes the connection with 1001
   * @param maxInFlight requests (and watch registrations) awaiting their reply; beyond it a
   *     request is answered RATE_LIMITED with {@code retryAfterMs}
   * @param maxWatches client ids one connection may watch at once
   * @param maxProtocolErrors consecutive malformed frames after which the connection is closed
   *     with 1008
   * @param retryAfterMs the retry hint of the in-flight refusal
   */
  public record Options(int maxFrameBytes, int maxWriteQueueBytes, long pingIntervalMs,
      long idleTimeoutMs, int maxInFlight, int maxWatches, int maxProtocolErrors,
      long retryAfterMs) {
    public Options {
      positive("maxFrameBytes", maxFrameBytes);
      positive("maxWriteQueueBytes", maxWriteQueueBytes);
      positive("pingIntervalMs", pingIntervalMs);
      positive("idleTimeoutMs", idleTimeoutMs);
      positive("maxInFlight", maxInFlight);
      positive("maxWatches", maxWatches);
      positive("maxProtocolErrors", maxProtocolErrors);
      positive("retryAfterMs", retryAfterMs);
    }

    /** 64 KiB messages, 1 MiB write queue, ping every 15 s, idle after 45 s, 256 in flight. */
    public static Options defaults() {
      return new Options(64 * 1024, 1024 * 1024, 15_000, 45_000, 256, 64, 16, 50);
    }

    public Options withMaxFrameBytes(int v) {
      return new Options(v, maxWriteQueueBytes, pingIntervalMs, idleTimeoutMs, maxInFlight,
          maxWatches, maxProtocolErrors, retryAfterMs);
    }

    public Options withMaxWriteQueueBytes(int v) {
      return new Options(maxFrameBytes, v, pingIntervalMs, idleTimeoutMs, maxInFlight,
          maxWatches, maxProtocolErrors, retryAfterMs);
    }

    public Options withLiveness(long pingMs, long idleMs) {
      return new Options(maxFrameBytes, maxWriteQueueBytes, pingMs, idleMs, maxInFlight,
          maxWatches, maxProtocolErrors, retryAfterMs);
    }

    public Options withMaxInFlight(int v) {
      return new Options(maxFrameBytes, maxWriteQueueBytes, pingIntervalMs, idleTimeoutMs, v,
          maxWatches, maxProtocolErrors, retryAfterMs);
    }

    public Options withMaxWatches(int v) {
      return new Options(maxFrameBytes, maxWriteQueueBytes, pingIntervalMs, idleTimeoutMs,
          maxInFlight, v, maxProtocolErrors, retryAfterMs);
    }

    public Options withMaxProtocolErrors(int v) {
      return new Options(maxFrameBytes, maxWriteQueueBytes, pingIntervalMs, idleTimeoutMs,
          maxInFlight, maxWatches, v, retryAfterMs);
    }

    private static void positive(String name, long value) {
      if (value <= 0) {
        throw new IllegalArgumentException(name + " must be > 0, was " + value);
      }
    }
  }
}
