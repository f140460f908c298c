package io.raftlock.app;

import io.raftlock.testing.FreePorts;
import static org.awaitility.Awaitility.await;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.raftlock.config.NodeConfig;
import java.io.IOException;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Path;
import java.time.Duration;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** A real single-node RaftLock node (Chronicle storage, HTTP) started through the composition root. */
class NodeTest {
  @TempDir Path data;
  /** HTTP/1.1, as scrapers use: see MetricsScrapeClusterTest on the h2c upgrade. */
  private final HttpClient http = HttpClient.newBuilder().version(HttpClient.Version.HTTP_1_1).build();

  private HttpResponse<String> get(int port, String path) throws IOException, InterruptedException {
    return http.send(HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + port + path)).build(),
        HttpResponse.BodyHandlers.ofString());
  }

  @Test
  void singleNodeElectsItselfAndAnswersHealthStatusAndMetrics() throws Exception {
    System.setProperty("chronicle.analytics.disable", "true");
    int port = FreePorts.next();
    NodeConfig cfg = NodeConfig.fromJson("node-1", data.toString(),
        Map.of("node-1", new NodeConfig.Member("127.0.0.1:1", "127.0.0.1:" + port)),
        null, null, null, null, null, null, null, null, null, null);
    Node node = Node.start(cfg, (vertx, c) -> {
      throw new AssertionError("a single node needs no peer transport");
    }).await();
    try {
      int p = port;
      await().atMost(Duration.ofSeconds(10)).until(() -> node.status() != null && node.status().leaderReady());
      assertEquals(200, get(p, "/health").statusCode());
      await().until(() -> get(p, "/ready").statusCode() == 200);
      assertTrue(get(p, "/status").body().contains("\"isLeader\" : true"));
      await().untilAsserted(() -> {
        String metrics = get(p, "/metrics").body();
        assertTrue(metrics.contains("raftlock_raft_term{node=\"node-1\"} 1.0"), metrics);
        assertTrue(metrics.contains("raftlock_raft_leader{node=\"node-1\"} 1.0"));
        assertTrue(metrics.contains("raftlock_raft_elections_won_total{node=\"node-1\"} 1.0"));
        assertTrue(metrics.matches("(?s).*raftlock_storage_syncs_total\\{node=\"node-1\"\\} [1-9].*"), metrics.lines().filter(l -> l.contains("storage")).toList().toString());
        assertTrue(metrics.contains("jvm_memory_used_bytes"));
      });
      assertEquals(400, get(p, "/admin/term?index=zero").statusCode());
      assertEquals(400, get(p, "/admin/term?index=0").statusCode());
      assertTrue(get(p, "/admin/term?index=1").body().contains("\"term\":1"));
    } finally {
      node.stop(Duration.ofSeconds(5)).await();
    }
  }

  /**
   * A node's verticles (Raft, HTTP/API) are deployed one after another on its Vert.x instance:
   * with {@code eventLoops} 1 they all land on one thread, with more they are spread.
   */
  @Test
  void eventLoopsSetsTheThreadsVerticlesRunOn() throws Exception {
    for (int loops : new int[] {1, 2}) {
      NodeConfig cfg = NodeConfig.fromJson("node-1", data.toString(),
          Map.of("node-1", new NodeConfig.Member("127.0.0.1:1", "127.0.0.1:2")),
          null, null, null, null, null, null, null, null, null, loops, null, null);
      io.vertx.core.Vertx vertx = Node.vertxFor(cfg);
      try {
        java.util.Set<String> threads = java.util.concurrent.ConcurrentHashMap.newKeySet();
        for (int i = 0; i < 3; i++) {
          vertx.deployVerticle(new io.vertx.core.VerticleBase() {
            @Override
            public io.vertx.core.Future<?> start() {
              threads.add(Thread.currentThread().getName());
              return io.vertx.core.Future.succeededFuture();
            }
          }).await();
        }
        assertEquals(loops, threads.size(), threads::toString);
      } finally {
        vertx.close().await();
      }
    }
  }
}
