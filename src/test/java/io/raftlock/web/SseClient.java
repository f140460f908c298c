package io.raftlock.web;

import io.vertx.core.Vertx;
import io.vertx.core.http.HttpClient;
import io.vertx.core.http.HttpClientResponse;
import io.vertx.core.http.HttpMethod;
import io.vertx.core.json.JsonObject;
import io.vertx.core.parsetools.RecordParser;
import java.util.List;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.stream.Collectors;

/**
 * Reads the cluster page's event stream ({@code GET /ui/events}) like a browser's EventSource:
 * events end with a blank line, their {@code data:} lines joined are one JSON snapshot.
 */
public final class SseClient implements AutoCloseable {
  private final List<JsonObject> snapshots = new CopyOnWriteArrayList<>();
  private volatile HttpClientResponse response;
  private volatile String contentType;
  private volatile boolean ended;

  private SseClient() {}

  /** Opens the stream; returns once the response headers arrived. */
  public static SseClient open(HttpClient http, int port) {
    SseClient client = new SseClient();
    HttpClientResponse response = http.request(HttpMethod.GET, port, "127.0.0.1", "/ui/events")
        .compose(req -> req.send())
        .map(resp -> {
          client.contentType = resp.getHeader("content-type");
          RecordParser events = RecordParser.newDelimited("\n\n", record -> {
            String data = record.toString().lines().filter(l -> l.startsWith("data:"))
                .map(l -> l.substring(5).trim()).collect(Collectors.joining("\n"));
            if (!data.isEmpty()) {
              client.snapshots.add(new JsonObject(data));
            }
          });
          resp.handler(events);
          resp.endHandler(v -> client.ended = true);
          resp.exceptionHandler(err -> client.ended = true);
          return resp;
        })
        .await();
    client.response = response;
    return client;
  }

  /** Every snapshot received so far, oldest first. */
  public List<JsonObject> snapshots() {
    return List.copyOf(snapshots);
  }

  public JsonObject latest() {
    List<JsonObject> all = snapshots();
    return all.isEmpty() ? null : all.get(all.size() - 1);
  }

  /** The server ended the stream or the connection broke. */
  public boolean ended() {
    return ended;
  }

  public String contentType() {
    return contentType;
  }

  /** Closes the connection, as a browser tab going away does. */
  @Override
  public void close() {
    if (!ended) {
      response.request().connection().close().await();
    }
  }

  /** For tests that need a Vert.x instance of their own. */
  public static HttpClient http(Vertx vertx) {
    return vertx.createHttpClient();
  }
}
