package io.raftlock.api;

import static org.awaitility.Awaitility.await;

import io.vertx.core.Vertx;
import io.vertx.core.json.JsonObject;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.function.Predicate;

/**
 * A client of the WebSocket session protocol over a {@link WsTestClient}, driven from the test
 * thread: requests get ids {@code c1, c2, ...}; answers are matched by id whatever order they
 * come in; pushed events are collected in {@link #events}, in arrival order.
 */
final class WsSessionClient {
  final WsTestClient ws;
  final List<JsonObject> events = new ArrayList<>();
  private final Map<String, JsonObject> answers = new HashMap<>();
  private int nextId;

  private WsSessionClient(WsTestClient ws) {
    this.ws = ws;
  }

  static WsSessionClient connect(Vertx vertx, int port) throws Exception {
    return new WsSessionClient(WsTestClient.connect(vertx, port));
  }

  /** Sends a request frame; returns its id. */
  String send(String op, String requestJson) {
    String id = "c" + (++nextId);
    ws.send("{\"id\":\"" + id + "\",\"op\":\"" + op + "\",\"request\":" + requestJson + "}");
    return id;
  }

  /** The answer to request {@code id}; messages read meanwhile are kept for later. */
  JsonObject answer(String id) throws InterruptedException {
    while (!answers.containsKey(id)) {
      file(ws.next());
    }
    return answers.remove(id);
  }

  JsonObject call(String op, String requestJson) throws InterruptedException {
    return answer(send(op, requestJson));
  }

  /** Opens a session; returns its id. */
  long open(String name, String ttl) throws InterruptedException {
    JsonObject r = call("open", "{\"name\":\"" + name + "\",\"ttl\":\"" + ttl + "\"}");
    JsonObject opened = r.getJsonObject("response");
    if (opened == null) {
      throw new AssertionError("not opened: " + r);
    }
    return Long.parseLong(opened.getString("sessionId"));
  }

  /** Waits up to {@code atMost} until an event matching {@code p} has arrived; returns it. */
  JsonObject awaitEvent(Duration atMost, Predicate<JsonObject> p) {
    await().atMost(atMost).until(() -> {
      drain();
      return events.stream().anyMatch(p);
    });
    return events.stream().filter(p).findFirst().orElseThrow();
  }

  /** Whether an event of {@code kind} about {@code lockId} ("" for session events) has arrived. */
  static Predicate<JsonObject> event(String kind, String lockId) {
    return e -> kind.equals(e.getString("kind")) && lockId.equals(e.getString("lockId", ""));
  }

  /** Reads what has arrived so far without waiting. */
  void drain() throws InterruptedException {
    while (ws.hasPending()) {
      file(ws.next());
    }
  }

  private void file(JsonObject m) {
    if (m.containsKey("event")) {
      events.add(m.getJsonObject("event"));
    } else if (m.containsKey("id")) {
      answers.put(m.getString("id"), m);
    } else {
      throw new AssertionError("a message that answers nothing: " + m);
    }
  }

  void close() {
    ws.close();
  }
}
