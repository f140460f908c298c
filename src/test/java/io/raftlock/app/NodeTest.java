package io.raftlock.app;

import io.raftlock.testing.FreePorts;
import static org.awaitility.Awaitility.await;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.raftlock.config.NodeConfig;
import io.raftlock.wire.NettyTransport;
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

  private NodeConfig singleNode(Path dir, int clientPort) {
    return NodeConfig.fromJson("node-1", dir.toString(),
        Map.of("node-1", new NodeConfig.Member("127.0.0.1:1", "127.0.0.1:" + clientPort)),
        null, null, null, null, null, null, null, null, null, null);
  }

  /**
   * A second node on a directory in use is refused before it opens the live log, naming the
   * directory; the first keeps serving, and once it stopped the directory can be used again.
   */
  @Test
  void aSecondNodeOnTheSameDataDirectoryIsRefusedNamingTheDirectory() throws Exception {
    System.setProperty("chronicle.analytics.disable", "true");
    int port = FreePorts.next();
    Node first = Node.start(singleNode(data, port), (vertx, c) -> {
      throw new AssertionError("single node");
    }).await();
    try {
      RuntimeException refused = org.junit.jupiter.api.Assertions.assertThrows(RuntimeException.class,
          () -> Node.start(singleNode(data, FreePorts.next()), (vertx, c) -> {
            throw new AssertionError("single node");
          }).await());
      io.raftlock.storage.DataDirLock.InUseException inUse = Main.inUse(refused);
      assertTrue(inUse != null, "refused for the directory: " + refused);
      assertTrue(inUse.getMessage().contains(data.toAbsolutePath().normalize().toString()), inUse.getMessage());
      await().atMost(Duration.ofSeconds(10)).until(() -> first.status() != null && first.status().leaderReady());
      assertEquals(200, get(port, "/health").statusCode(), "the first node still serves");
    } finally {
      first.stop(Duration.ofSeconds(5)).await();
    }
    Node again = Node.start(singleNode(data, FreePorts.next()), (vertx, c) -> {
      throw new AssertionError("single node");
    }).await();
    again.stop(Duration.ofSeconds(5)).await();
  }

  /** A graceful stop says that it starts and how it ended (Main's SIGTERM hook calls the same stop). */
  @Test
  void aGracefulStopLogsItsStartAndItsOutcome() throws Exception {
    System.setProperty("chronicle.analytics.disable", "true");
    java.util.List<String> lines = new java.util.concurrent.CopyOnWriteArrayList<>();
    java.util.logging.Handler capture = new java.util.logging.Handler() {
      @Override
      public void publish(java.util.logging.LogRecord r) {
        lines.add(r.getLevel() + " " + r.getMessage());
      }

      @Override
      public void flush() { }

      @Override
      public void close() { }
    };
    java.util.logging.Logger log = java.util.logging.Logger.getLogger(Node.class.getName());
    log.addHandler(capture);
    try {
      Node node = Node.start(singleNode(data, FreePorts.next()), (vertx, c) -> {
        throw new AssertionError("single node");
      }).await();
      await().atMost(Duration.ofSeconds(10)).until(() -> node.status() != null && node.status().leaderReady());
      node.stop(Duration.ofSeconds(5)).await();
      await().atMost(Duration.ofSeconds(5)).until(() -> lines.stream().anyMatch(l -> l.contains("stopped in")));
      assertTrue(lines.stream().anyMatch(l -> l.equals("INFO node-1 stopping (LEADER of term 1)")), lines.toString());
      assertTrue(lines.stream().anyMatch(l -> l.matches("INFO node-1 stopped in \\d+ ms")), lines.toString());
    } finally {
      log.removeHandler(capture);
    }
  }

  /** The same through a real second process started from the command line: exit status 1 and the directory named. */
  @Test
  void aSecondProcessOnALockedDataDirectoryExitsNonZeroNamingIt() throws Exception {
    System.setProperty("chronicle.analytics.disable", "true");
    Node first = Node.start(singleNode(data, FreePorts.next()), (vertx, c) -> {
      throw new AssertionError("single node");
    }).await();
    try {
      Path config = data.resolveSibling(data.getFileName() + "-second.json");
      java.nio.file.Files.writeString(config, "{\"nodeId\":\"node-1\",\"dataDir\":\"" + data.toAbsolutePath()
          + "\",\"members\":{\"node-1\":{\"peerAddress\":\"127.0.0.1:1\",\"clientAddress\":\"127.0.0.1:" + FreePorts.next() + "\"}}}");
      java.util.List<String> cmd = new java.util.ArrayList<>(java.util.List.of(
          Path.of(System.getProperty("java.home"), "bin", "java").toString()));
      java.lang.management.ManagementFactory.getRuntimeMXBean().getInputArguments().stream()
          .filter(a -> a.startsWith("--add-opens") || a.startsWith("--add-exports")).forEach(cmd::add);
      cmd.addAll(java.util.List.of("-XX:TieredStopAtLevel=1", "-Xmx256m", "-cp", System.getProperty("java.class.path"),
          Main.class.getName(), "--config", config.toString()));
      Process second = new ProcessBuilder(cmd).redirectErrorStream(true).start();
      String output = new String(second.getInputStream().readAllBytes(), java.nio.charset.StandardCharsets.UTF_8);
      assertTrue(second.waitFor(60, java.util.concurrent.TimeUnit.SECONDS), "the second process ended");
      assertEquals(1, second.exitValue(), output);
      assertTrue(output.contains("data directory " + data.toAbsolutePath().normalize() + " is in use"), output);
      assertTrue(first.status() != null, "the first node is unaffected");
    } finally {
      first.stop(Duration.ofSeconds(5)).await();
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
          null, null, null, null, null, null, null, null, null, loops, null, null, null);
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
        if (NettyTransport.nativeShipped()) {
          assertTrue(vertx.isNativeTransportEnabled(), "a node runs on epoll on Linux x86-64");
        }
      } finally {
        vertx.close().await();
      }
    }
  }
}
