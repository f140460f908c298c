package io.raftlock.api;

import static org.junit.jupiter.api.Assertions.assertNotNull;

import io.vertx.core.Vertx;
import io.vertx.core.buffer.Buffer;
import io.vertx.core.http.WebSocket;
import io.vertx.core.http.WebSocketClient;
import io.vertx.core.http.WebSocketClientOptions;
import io.vertx.core.http.WebSocketFrame;
import io.vertx.core.json.JsonObject;
import java.util.concurrent.BlockingQueue;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.TimeUnit;

/**
 * A Vert.x WebSocket client driven from the test thread: every text message lands in a queue,
 * the close status in a future. (Vert.x answers pings by itself, like any browser.)
 */
final class WsTestClient {
  /** Held on purpose: Vert.x closes a WebSocketClient that becomes unreachable. */
  private final WebSocketClient wsClient;
  private final WebSocket ws;
  private final BlockingQueue<String> texts = new LinkedBlockingQueue<>();
  final CompletableFuture<Short> closeStatus = new CompletableFuture<>();

  private WsTestClient(WebSocketClient wsClient, WebSocket ws) {
    this.wsClient = wsClient;
    this.ws = ws;
    ws.textMessageHandler(texts::add);
    ws.closeHandler(v -> closeStatus.complete(ws.closeStatusCode() == null
        ? (short) -1 : ws.closeStatusCode()));
  }

  static WsTestClient connect(Vertx vertx, int port) throws Exception {
    WebSocketClient wsClient = vertx.createWebSocketClient(new WebSocketClientOptions()
        .setMaxFrameSize(1 << 20).setMaxMessageSize(1 << 20));
    WebSocket ws = wsClient.connect(port, "localhost", "/v1/ws")
        .toCompletionStage().toCompletableFuture().get(10, TimeUnit.SECONDS);
    return new WsTestClient(wsClient, ws);
  }

  void send(String text) {
    ws.writeTextMessage(text);
  }

  void sendFrame(WebSocketFrame frame) {
    ws.writeFrame(frame);
  }

  void sendBinary(Buffer data) {
    ws.writeBinaryMessage(data);
  }

  /** The next text message as JSON; fails the test after 10 s. */
  JsonObject next() throws InterruptedException {
    String text = texts.poll(10, TimeUnit.SECONDS);
    assertNotNull(text, "no message from the server within 10 s");
    return new JsonObject(text);
  }

  /** Sends a request frame and returns the next message (the reply, when nothing is pushed). */
  JsonObject call(String id, String op, String requestJson) throws InterruptedException {
    send("{\"id\":\"" + id + "\",\"op\":\"" + op + "\",\"request\":" + requestJson + "}");
    return next();
  }

  boolean hasPending() {
    return !texts.isEmpty();
  }

  boolean isClosed() {
    return ws.isClosed();
  }

  short awaitClose() throws Exception {
    return closeStatus.get(20, TimeUnit.SECONDS);
  }

  void close() {
    ws.close();
  }
}
