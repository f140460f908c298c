package io.raftlock.it;

import static org.awaitility.Awaitility.await;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import io.raftlock.proto.api.AcquireRequest;
import io.raftlock.proto.api.AcquireResponse;
import io.raftlock.proto.api.RaftLockGrpcClient;
import io.raftlock.web.Chromium;
import io.vertx.core.Vertx;
import io.vertx.core.json.JsonObject;
import io.vertx.core.net.SocketAddress;
import io.vertx.grpc.client.GrpcClient;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.Optional;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicReference;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The live cluster page in a real headless Chromium, loaded from a follower of a 3-node fat-jar
 * cluster: it shows three members and the leader, then a lock acquired through gRPC appears with
 * its holder, without a reload. Screenshots go to {@code target/cluster-page/}.
 *
 * <p>The browser is installed by {@code scripts/install-browser.sh}; where that is impossible
 * (not root, no apt) the test is skipped, saying so.
 */
class ClusterPageIT {
  private static final Path JAR = Path.of("target", "raftlock.jar");
  private static final Path SCREENSHOTS = Path.of("target", "cluster-page");

  /** What the page shows, read from its DOM (not from the snapshot JSON it was built from). */
  private static final String READ_DOM = """
      JSON.stringify({
        leader: document.getElementById('leader').textContent,
        live: document.getElementById('conn').textContent,
        members: [...document.querySelectorAll('#members tbody tr')].map(r => ({
          id: r.dataset.id, role: r.dataset.role, leader: r.classList.contains('leader'),
          down: r.classList.contains('down')})),
        locks: [...document.querySelectorAll('#locks tbody tr')].map(r => ({
          id: r.dataset.lock, holder: r.querySelector('.holder').textContent,
          token: r.cells[2].textContent}))
      })""";

  @TempDir Path root;

  @BeforeAll
  static void browser() throws Exception {
    Optional<String> unavailable = Chromium.install(Path.of("").toAbsolutePath(), Duration.ofMinutes(10));
    assumeTrue(unavailable.isEmpty(), () -> "cluster page browser test skipped: no chromium ("
        + unavailable.orElse("") + ")");
  }

  @Test
  void aFollowersPageShowsTheClusterAndANewLockLive() throws Exception {
    assertTrue(Files.exists(JAR), "the fat jar is built before integration tests");
    Files.createDirectories(SCREENSHOTS);
    Vertx vertx = Vertx.vertx();
    try (ProcessCluster cluster = new ProcessCluster(3, root, JAR)) {
      cluster.startAll();
      String leader = cluster.awaitReadyLeader(null, Duration.ofSeconds(60));
      String follower = cluster.ids().stream().filter(id -> !id.equals(leader)).findFirst().orElseThrow();

      try (Chromium chromium = Chromium.launch(vertx, 1200, 800)) {
        chromium.navigate("http://127.0.0.1:" + cluster.clientPort(follower) + "/ui/");
        AtomicReference<JsonObject> dom = new AtomicReference<>();
        await().atMost(Duration.ofSeconds(20)).pollInterval(Duration.ofMillis(200)).until(() -> {
          JsonObject d = new JsonObject((String) chromium.evaluate(READ_DOM));
          dom.set(d);
          return d.getJsonArray("members").size() == 3 && leader.equals(d.getString("leader"))
              && d.getJsonArray("members").stream().map(JsonObject.class::cast).noneMatch(m -> m.getBoolean("down"));
        });
        JsonObject before = dom.get();
        assertEquals("live", before.getString("live"));
        long leaders = before.getJsonArray("members").stream().map(JsonObject.class::cast)
            .filter(m -> m.getBoolean("leader")).peek(m -> assertEquals(leader, m.getString("id"))).count();
        assertEquals(1, leaders, before.encode());
        Files.write(SCREENSHOTS.resolve("members.png"), chromium.screenshot());

        GrpcClient grpc = GrpcClient.client(vertx);
        AcquireResponse acquired = RaftLockGrpcClient.create(grpc,
                SocketAddress.inetSocketAddress(cluster.clientPort(leader), "127.0.0.1"))
            .acquire(AcquireRequest.newBuilder().setLockId("browser-lock").setClientId("browser-client")
                .setTtl(com.google.protobuf.Duration.newBuilder().setSeconds(60)).setRequestId("browser-1").build())
            .await(10, TimeUnit.SECONDS);
        assertTrue(acquired.getAcquired(), acquired.toString());

        await().atMost(Duration.ofSeconds(15)).pollInterval(Duration.ofMillis(200)).until(() -> {
          JsonObject d = new JsonObject((String) chromium.evaluate(READ_DOM));
          dom.set(d);
          return d.getJsonArray("locks").stream().map(JsonObject.class::cast)
              .anyMatch(l -> "browser-lock".equals(l.getString("id")));
        });
        JsonObject row = dom.get().getJsonArray("locks").stream().map(JsonObject.class::cast)
            .filter(l -> "browser-lock".equals(l.getString("id"))).findFirst().orElseThrow();
        assertEquals("browser-client", row.getString("holder"));
        assertEquals(String.valueOf(acquired.getLock().getVersion()), row.getString("token"));
        byte[] png = chromium.screenshot();
        Files.write(SCREENSHOTS.resolve("lock-acquired.png"), png);
        assertTrue(png.length > 1_000 && png[1] == 'P' && png[2] == 'N' && png[3] == 'G', "a PNG");
      }
    } finally {
      vertx.close().await();
    }
  }
}
