package io.raftlock.api;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.raftlock.config.NodeConfig;
import io.raftlock.testing.LocalCluster;
import io.vertx.core.Vertx;
import io.vertx.core.http.UpgradeRejectedException;
import io.vertx.core.http.WebSocket;
import io.vertx.core.http.WebSocketClient;
import io.vertx.core.http.WebSocketConnectOptions;
import io.vertx.core.json.JsonObject;
import java.nio.file.Path;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

/**
 * The WebSocket API's Origin check on a real node, with a real WebSocket client setting the
 * Origin header as a browser would: requests without Origin, from the node's own origin and from
 * a configured one are upgraded; any other page gets HTTP 403 and no socket.
 */
@Timeout(120)
class WebSocketOriginTest {
  static final String OPS = "https://ops.example.com";

  @TempDir static Path root;
  static LocalCluster cluster;
  static Vertx vertx;
  static WebSocketClient client;
  static int port;

  @BeforeAll
  static void start() {
    NodeConfig.ClientApi d = NodeConfig.ClientApi.DEFAULTS;
    NodeConfig.ClientApi api = new NodeConfig.ClientApi(d.routing(), d.rateLimitPerSecond(), d.rateLimitBurst(),
        d.maxInFlightRequests(), d.requestTimeoutMs(), d.shutdownTimeoutMs(), List.of(OPS));
    cluster = new LocalCluster(1, root, c -> RateLimitClusterTest.withApi(c, api)).start();
    port = cluster.clientPort(cluster.awaitLeader());
    vertx = Vertx.vertx();
    client = vertx.createWebSocketClient();
  }

  @AfterAll
  static void stop() {
    if (vertx != null) {
      vertx.close().await();
    }
    if (cluster != null) {
      cluster.close();
    }
  }

  /** The node's answer to a health request over a socket opened with {@code origin} (null: none sent). */
  static String healthOver(String origin) throws Exception {
    // Vert.x adds an Origin of its own unless told not to, and then drops one set by hand too.
    WebSocketConnectOptions options = new WebSocketConnectOptions().setHost("127.0.0.1").setPort(port)
        .setURI("/v1/ws");
    if (origin == null) {
      options.setAllowOriginHeader(false);
    } else {
      options.addHeader("Origin", origin);
    }
    WebSocket ws = client.connect(options).await(10, TimeUnit.SECONDS);
    try {
      CompletableFuture<String> reply = new CompletableFuture<>();
      ws.textMessageHandler(reply::complete);
      ws.writeTextMessage("{\"id\":\"1\",\"op\":\"health\"}");
      return new JsonObject(reply.get(10, TimeUnit.SECONDS)).getJsonObject("response").getString("status");
    } finally {
      ws.close();
    }
  }

  static int refusal(String origin) {
    WebSocketConnectOptions options = new WebSocketConnectOptions().setHost("127.0.0.1").setPort(port)
        .setURI("/v1/ws").addHeader("Origin", origin);
    try {
      client.connect(options).await(10, TimeUnit.SECONDS).close();
      return 101;
    } catch (UpgradeRejectedException e) {
      return e.getStatus();
    } catch (Exception e) {
      throw new AssertionError("neither upgraded nor refused: " + e, e);
    }
  }

  @Test
  void clientsWithoutOriginTheNodesOwnOriginAndConfiguredOriginsAreUpgraded() throws Exception {
    assertEquals("SERVING", healthOver(null));
    assertEquals("SERVING", healthOver("http://127.0.0.1:" + port));
    assertEquals("SERVING", healthOver(OPS));
    assertEquals("SERVING", healthOver("HTTPS://OPS.example.com:443"), "compared as origins: case, default port");
  }

  @Test
  void otherOriginsAreRefusedWith403BeforeTheUpgrade() {
    for (String origin : new String[] {"http://evil.example", "https://ops.example.com:8443", "http://ops.example.com",
        "http://127.0.0.1:" + (port + 1), "https://127.0.0.1:" + port, "null", "file://", "not an origin"}) {
      assertEquals(403, refusal(origin), origin);
    }
    assertTrue(cluster.node(cluster.awaitLeader()).status().leaderReady(), "the node is unaffected");
  }
}
