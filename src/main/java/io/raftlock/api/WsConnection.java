package io.raftlock.api;

import com.google.protobuf.InvalidProtocolBufferException;
import com.google.protobuf.Message;
import io.netty.handler.codec.http.websocketx.CorruptedWebSocketFrameException;
import io.raftlock.proto.api.ErrorCode;
import io.raftlock.proto.api.ErrorDetail;
import io.vertx.core.Context;
import io.vertx.core.Future;
import io.vertx.core.Vertx;
import io.vertx.core.buffer.Buffer;
import io.vertx.core.http.ServerWebSocket;
import io.vertx.core.http.WebSocketFrame;
import java.nio.ByteBuffer;
import java.util.logging.Level;
import java.util.logging.Logger;

/**
 * One client connection of the WebSocket API: reassembles text messages, dispatches requests to
 * the {@link LockApi} (or, for a session connection, to its {@link WsSession}; watches to its
 * {@link WsWatches}), and enforces its limits (message size, in-flight requests, write queue,
 * liveness).
 *
 * <p>Every field is owned by the connection's event loop ({@code loopThread}); Vert.x calls the
 * socket handlers and timers there, and {@link LockApi} completes futures and calls sinks on the
 * caller's context, i.e. there too. A future completed elsewhere is hopped back with
 * {@link Context#runOnContext}.
 *
 * <p>Lifecycle: open until {@link #close} (a limit was hit) or the socket's close handler; either
 * way {@link #shutdown} runs once: timers cancelled, every watch ended (which, for the node,
 * cancels the client's waits), the session stream broken (the session lives on until its TTL),
 * later writes dropped. When the session stream ends (after {@code close}), the connection closes
 * with 1000 once its other requests are answered.
 */
final class WsConnection implements WsWatches.Host {
  private static final Logger LOG = Logger.getLogger(WsConnection.class.getName());

  static final short CLOSE_NORMAL = 1000;
  static final short CLOSE_GOING_AWAY = 1001;
  static final short CLOSE_UNSUPPORTED_DATA = 1003;
  static final short CLOSE_INVALID_PAYLOAD = 1007;
  static final short CLOSE_POLICY_VIOLATION = 1008;
  static final short CLOSE_MESSAGE_TOO_BIG = 1009;
  static final short CLOSE_INTERNAL_ERROR = 1011;

  private final Vertx vertx;
  private final Context ctx;
  private final LockApi api;
  private final WebSocketApi.Options options;
  private final ServerWebSocket ws;
  private final Thread loopThread;
  private final WsWatches watches;
  /** The text message being reassembled from fragments; null between messages. */
  private Buffer fragments;
  private boolean closed;
  /** Requests (and watch registrations) whose future has not completed; <= maxInFlight. */
  private int inFlight;
  /**
   * Reading is paused: the connection reached its in-flight budget. Its next frames stay in the
   * socket (TCP pushes back on the client) instead of being decoded and refused on the loop;
   * reading resumes once half the budget has drained.
   */
  private boolean readPaused;
  /** Protocol violations since the last well-formed request. */
  private int protocolErrors;
  private long lastSeenNanos;
  private long pingTimer = -1;
  private long idleTimer = -1;
  /** Set when the session stream ended normally: close with 1000 once nothing is in flight. */
  private boolean closeWhenIdle;
  private final WsSession session;

  private final ApiObserver observer;

  WsConnection(Vertx vertx, LockApi api, WebSocketApi.Options options, ServerWebSocket ws,
      ApiObserver observer) {
    this.observer = observer;
    this.vertx = vertx;
    this.ctx = vertx.getOrCreateContext();
    this.api = api;
    this.options = options;
    this.ws = ws;
    this.loopThread = Thread.currentThread();
    this.session = new WsSession(api, this::send, this::onSessionEnded);
    this.watches = new WsWatches(api, options.maxWatches(), ctx, this);
  }

  void start() {
    ws.setWriteQueueMaxSize(options.maxWriteQueueBytes());
    observer.webSocketsOpen(1); // shutdown() reports the close, exactly once
    ws.frameHandler(frame -> guard(() -> onFrame(frame)));
    ws.pongHandler(data -> touch());
    ws.closeHandler(v -> guard(() -> shutdown()));
    ws.exceptionHandler(t -> guard(() -> onSocketError(t)));
    touch();
    pingTimer = vertx.setPeriodic(options.pingIntervalMs(), id -> guard(this::ping));
    idleTimer = vertx.setTimer(options.idleTimeoutMs(), id -> guard(this::checkIdle));
    if (ws.isClosed()) {
      shutdown();
    }
  }

  // ------------------------------------------------------------------ inbound frames

  private void onFrame(WebSocketFrame frame) {
    if (closed) {
      return;
    }
    touch();
    switch (frame.type()) {
      case TEXT -> {
        fragments = Buffer.buffer();
        append(frame);
      }
      case CONTINUATION -> {
        if (fragments != null) {
          append(frame);
        }
      }
      case BINARY -> close(CLOSE_UNSUPPORTED_DATA, "binary frames are not supported");
      default -> {
        // PING (Vert.x answers it), PONG, CLOSE (Vert.x completes the close handshake).
      }
    }
  }

  /**
   * Netty's frame decoder refused a frame: a header claiming more than the server's frame limit
   * (1009), or a protocol violation (1002). Vert.x closes the TCP connection as soon as this
   * handler returns, without a close frame, so the close frame with the decoder's status is
   * written here, where it still goes out ahead of the TCP close.
   */
  private void onSocketError(Throwable t) {
    if (t instanceof CorruptedWebSocketFrameException e) {
      // Netty's reason names the limit: "Max frame length of 65536 has been exceeded."
      String reason = e.getMessage() == null ? e.closeStatus().reasonText() : e.getMessage();
      close((short) e.closeStatus().code(), closeReason(reason));
    } else {
      LOG.log(Level.FINE, "websocket error", t);
    }
  }

  /** A close reason fits in 123 bytes of UTF-8 (RFC 6455, 5.5); Netty's reasons are ASCII. */
  private static String closeReason(String text) {
    return text.length() <= 120 ? text : text.substring(0, 120);
  }

  private void append(WebSocketFrame frame) {
    Buffer data = frame.binaryData();
    if ((long) fragments.length() + data.length() > options.maxFrameBytes()) {
      fragments = null;
      close(CLOSE_MESSAGE_TOO_BIG, "message larger than " + options.maxFrameBytes() + " bytes");
      return;
    }
    fragments.appendBuffer(data);
    if (frame.isFinal()) {
      Buffer message = fragments;
      fragments = null;
      onMessage(message);
    }
  }

  private void onMessage(Buffer bytes) {
    String text = WsCodec.decodeUtf8(ByteBuffer.wrap(bytes.getBytes()));
    if (text == null) {
      close(CLOSE_INVALID_PAYLOAD, "text message is not valid UTF-8");
      return;
    }
    WsCodec.Inbound in = WsCodec.parse(text);
    if (!in.ok()) {
      send(WsCodec.error(in.id(), in.op(), in.error()));
      if (++protocolErrors >= options.maxProtocolErrors()) {
        close(CLOSE_POLICY_VIOLATION, "too many protocol errors");
      }
      return;
    }
    protocolErrors = 0;
    if (session.takes(in.op())) {
      session.onRequest(in); // the stream has its own in-flight cap
      return;
    }
    switch (in.op()) {
      case WATCH -> watches.watch(in);
      case UNWATCH -> watches.unwatch(in);
      default -> call(in);
    }
  }

  /**
   * The session stream ended: after {@code close}, the connection closes normally once its other
   * requests are answered; ended by the node, it closes now (1001), telling the client why first.
   */
  private void onSessionEnded(ApiException failure) {
    if (failure == null) {
      closeWhenIdle = true;
      closeIfIdle();
      return;
    }
    send(WsCodec.error(null, null, failure.detail()));
    close(CLOSE_GOING_AWAY, closeReason("session stream ended: " + failure.detail().getMessage()));
  }

  @Override
  public void closeIfIdle() {
    if (closeWhenIdle && inFlight == 0) {
      close(CLOSE_NORMAL, "session closed");
    }
  }

  // ------------------------------------------------------------------ requests

  private void call(WsCodec.Inbound in) {
    if (!admit(in)) {
      return;
    }
    Future<? extends Message> future;
    try {
      future = in.op().call(api, in.request());
    } catch (RuntimeException e) {
      future = Future.failedFuture(e);
    }
    if (future == null) {
      future = Future.failedFuture(new IllegalStateException(in.op() + " returned no future"));
    }
    future.onComplete(ar -> onLoop(() -> {
      completed();
      if (ar.failed()) {
        send(WsCodec.error(in.id(), in.op(), detailOf(ar.cause())));
      } else {
        reply(in, ar.result());
      }
      closeIfIdle();
    }));
  }

  /**
   * Takes an in-flight slot, or answers RATE_LIMITED and returns false. The slot that fills the
   * budget pauses reading, so a refusal here is rare: only a frame already read when the budget
   * filled (a fragment's continuation, a frame the socket had buffered).
   */
  @Override
  public boolean admit(WsCodec.Inbound in) {
    if (inFlight >= options.maxInFlight()) {
      observer.overflowed(ApiObserver.Queue.WS_IN_FLIGHT);
      send(WsCodec.error(in.id(), in.op(), WsCodec.rateLimited(
          "more than " + options.maxInFlight() + " requests in flight on this connection",
          options.retryAfterMs())));
      return false;
    }
    inFlight++;
    if (inFlight >= options.maxInFlight() && !readPaused) {
      readPaused = true;
      ws.pause();
    }
    return true;
  }

  /** A request's slot is free; reading resumes once half the budget is free. */
  @Override
  public void completed() {
    inFlight--;
    if (readPaused && !closed && inFlight <= options.maxInFlight() / 2) {
      readPaused = false;
      touch(); // the pause was the node's: it does not count towards the idle timeout
      ws.resume();
    }
  }

  private void reply(WsCodec.Inbound in, Message response) {
    if (response == null) {
      send(WsCodec.error(in.id(), in.op(), detailOf(new IllegalStateException("null response"))));
      return;
    }
    try {
      send(WsCodec.reply(in.id(), in.op(), response));
    } catch (InvalidProtocolBufferException | RuntimeException e) {
      send(WsCodec.error(in.id(), in.op(), detailOf(e)));
    }
  }

  /** The error a failed request is answered with: its own, or INTERNAL_ERROR (logged: a bug). */
  static ErrorDetail detailOf(Throwable t) {
    if (t instanceof ApiException e && e.detail() != null) {
      return e.detail();
    }
    LOG.log(Level.WARNING, "client API request failed", t);
    return WsCodec.errorDetail(ErrorCode.INTERNAL_ERROR, "internal error", null);
  }

  // ------------------------------------------------------------------ outbound, liveness, close

  /**
   * Writes one text message. A full write queue means the client does not read fast enough:
   * the connection is closed (1008) rather than buffered without bound, and false is returned.
   */
  @Override
  public boolean send(String text) {
    if (closed) {
      return false;
    }
    if (ws.writeQueueFull()) {
      observer.overflowed(ApiObserver.Queue.WS_WRITE_QUEUE);
      close(CLOSE_POLICY_VIOLATION, "slow consumer: write queue full");
      return false;
    }
    ws.writeTextMessage(WsCodec.escapeLoneSurrogates(text));
    return true;
  }

  private void touch() {
    lastSeenNanos = System.nanoTime();
  }

  private void ping() {
    // A client that stopped reading gets no pings: it cannot answer them, so it idles out.
    if (!closed && !ws.writeQueueFull()) {
      ws.writePing(Buffer.buffer("ping"));
    }
  }

  private void checkIdle() {
    if (closed) {
      return;
    }
    long idleMs = (System.nanoTime() - lastSeenNanos) / 1_000_000;
    if (idleMs >= options.idleTimeoutMs()) {
      close(CLOSE_GOING_AWAY, "idle timeout");
    } else {
      idleTimer = vertx.setTimer(options.idleTimeoutMs() - idleMs, id -> guard(this::checkIdle));
    }
  }

  private void close(short code, String reason) {
    if (closed) {
      return;
    }
    shutdown();
    ws.close(code, reason);
  }

  private void shutdown() {
    if (closed) {
      return;
    }
    closed = true;
    observer.webSocketsOpen(-1);
    fragments = null;
    vertx.cancelTimer(pingTimer);
    vertx.cancelTimer(idleTimer);
    watches.endAll();
    session.onBroken();
  }

  @Override
  public boolean isClosed() {
    return closed;
  }

  @Override
  public void onLoop(Runnable action) {
    if (Thread.currentThread() == loopThread) {
      guard(action);
    } else {
      ctx.runOnContext(v -> guard(action));
    }
  }

  /** Runs a handler body: an exception is a bug, logged, and ends the connection (1011). */
  private void guard(Runnable action) {
    try {
      action.run();
    } catch (RuntimeException e) {
      LOG.log(Level.SEVERE, "websocket handler failed", e);
      try {
        close(CLOSE_INTERNAL_ERROR, "internal error");
      } catch (RuntimeException again) {
        LOG.log(Level.SEVERE, "closing the websocket failed", again);
      }
    }
  }
}
