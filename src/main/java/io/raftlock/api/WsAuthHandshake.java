package io.raftlock.api;

import io.vertx.core.Vertx;
import io.vertx.core.http.ServerWebSocket;
import io.vertx.core.http.WebSocketFrame;
import io.vertx.core.json.DecodeException;
import io.vertx.core.json.JsonObject;
import java.util.function.Consumer;

/**
 * The API key of a WebSocket sent as its first message, for clients that cannot set the
 * {@code Authorization} header of the upgrade (browsers): {@code {"authorization": "Bearer
 * <key>"}} in one text frame, answered {@code {"authorization": "ok", "principal": "<name>"}};
 * then the connection speaks the protocol of {@code docs/websocket-protocol.md}. Anything else
 * first, a key that is not valid, or nothing within {@link #TIMEOUT_MS}, closes the socket with
 * 1008 (policy violation) before a single request is served.
 */
final class WsAuthHandshake {
  static final long TIMEOUT_MS = 10_000;
  static final short CLOSE_POLICY_VIOLATION = 1008;

  private WsAuthHandshake() {}

  /** Waits for the first message; {@code authenticated} gets its {@code Authorization} value. */
  static void await(Vertx vertx, ServerWebSocket ws, ApiAuth auth, Consumer<String> authenticated) {
    long timer = vertx.setTimer(TIMEOUT_MS, id -> close(ws, "no authorization message in " + TIMEOUT_MS + " ms"));
    ws.closeHandler(v -> vertx.cancelTimer(timer));
    ws.frameHandler(frame -> {
      vertx.cancelTimer(timer);
      ws.frameHandler(null);
      ws.closeHandler(null);
      String authorization = authorizationOf(frame);
      if (authorization == null) {
        close(ws, "the first message must be {\"authorization\": \"Bearer <key>\"} in one text frame");
        return;
      }
      try {
        ApiAuth.Caller caller = auth.authenticate(authorization);
        ws.writeTextMessage(new JsonObject().put("authorization", "ok").put("principal", caller.principal()).encode());
      } catch (ApiException e) {
        close(ws, e.detail().getMessage());
        return;
      }
      authenticated.accept(authorization);
    });
  }

  private static String authorizationOf(WebSocketFrame frame) {
    if (!frame.isText() || !frame.isFinal()) {
      return null;
    }
    try {
      JsonObject o = new JsonObject(frame.textData());
      return o.size() == 1 && o.getValue("authorization") instanceof String s ? s : null;
    } catch (DecodeException e) {
      return null;
    }
  }

  private static void close(ServerWebSocket ws, String reason) {
    // A close reason fits in 123 bytes (RFC 6455, 5.5).
    String r = reason.length() <= 120 ? reason : reason.substring(0, 120);
    ws.close(CLOSE_POLICY_VIOLATION, r);
  }
}
