package io.raftlock.tls;

import static org.awaitility.Awaitility.await;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.raftlock.client.ClientTls;
import io.raftlock.client.LockHandle;
import io.raftlock.client.RaftLockClient;
import io.raftlock.config.TlsSettings;
import io.raftlock.testing.LocalCluster;
import io.raftlock.testing.TestCertificates;
import java.nio.file.Path;
import java.time.Duration;
import java.util.Map;
import io.vertx.core.Vertx;
import io.vertx.core.buffer.Buffer;
import io.vertx.core.http.HttpClient;
import io.vertx.core.http.HttpClientOptions;
import io.vertx.core.http.HttpMethod;
import io.vertx.core.http.WebSocket;
import io.vertx.core.http.WebSocketClient;
import io.vertx.core.http.WebSocketClientOptions;
import io.vertx.core.http.WebSocketConnectOptions;
import io.vertx.core.json.JsonObject;
import io.vertx.core.net.PemTrustOptions;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicReference;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * A 3-node cluster with mutual TLS between members and TLS on the client ports, driven through
 * the real Java client: members prove their names, strangers and impostors are kept out, and
 * rotated certificates take effect without a restart.
 */
class TlsClusterTest {
  private static final long RELOAD_CHECK_MS = 200;

  @TempDir Path root;
  private final TestCertificates ca = TestCertificates.authority("raftlock-test-ca");
  private LocalCluster cluster;

  @AfterEach
  void stop() {
    if (cluster != null) {
      cluster.close();
    }
  }

  /** Peer and client-port files of each member, issued by {@code ca} unless overridden. */
  private LocalCluster tlsCluster(Map<String, TestCertificates.Issued> peerOverrides) {
    return new LocalCluster(3, root.resolve("data"), c -> {
      Path dir = root.resolve("tls").resolve(c.nodeId());
      TestCertificates.Issued peer = peerOverrides.containsKey(c.nodeId())
          ? peerOverrides.get(c.nodeId()) : ca.issue(dir, "peer", c.nodeId(), c.nodeId());
      TestCertificates.Issued client = ca.issue(dir, "client", c.nodeId() + "-client", c.nodeId(), "localhost");
      return c.withTls(new TlsSettings(new TlsSettings.Files(client.certFile(), client.keyFile(), null),
          new TlsSettings.Files(peer.certFile(), peer.keyFile(), peer.caFile()), RELOAD_CHECK_MS));
    });
  }

  private RaftLockClient client(String... ids) {
    String endpoints = String.join(",", java.util.Arrays.stream(ids).map(cluster::clientAddress).toList());
    return RaftLockClient.builder().endpoints(endpoints).operationTimeout(Duration.ofSeconds(20))
        .tls(ClientTls.trusting(root.resolve("tls/node-1/ca.pem"))).build();
  }

  @Test
  void aClusterOverTlsElectsAndServesTlsClientsOnEveryMember() {
    cluster = tlsCluster(Map.of()).start();
    String leader = cluster.awaitLeader();
    String follower = cluster.follower();
    try (RaftLockClient viaFollower = client(follower); RaftLockClient viaLeader = client(leader)) {
      LockHandle held = viaFollower.lock("tls/a", Duration.ofSeconds(30)); // forwarded over mTLS
      assertTrue(viaLeader.tryLock("tls/a", Duration.ofSeconds(30), Duration.ZERO).isEmpty());
      assertTrue(viaFollower.unlock(held));
      assertTrue(viaLeader.tryLock("tls/a", Duration.ofSeconds(30), Duration.ZERO).isPresent());
    }
    await().atMost(Duration.ofSeconds(20)).until(() -> cluster.ids().stream()
        .allMatch(id -> cluster.node(id).status().appliedIndex() == cluster.node(leader).status().commitIndex()));
  }

  @Test
  void theWebSocketAndHttpEndpointsServeOverTlsWithTheSameCertificate() throws Exception {
    cluster = tlsCluster(Map.of()).start();
    int port = cluster.clientPort(cluster.awaitLeader());
    Vertx vertx = Vertx.vertx();
    try {
      PemTrustOptions trust = new PemTrustOptions().addCertValue(Buffer.buffer(ca.caPem()));
      HttpClient https = vertx.createHttpClient(new HttpClientOptions().setSsl(true).setTrustOptions(trust));
      String ready = https.request(HttpMethod.GET, port, "localhost", "/ready")
          .compose(req -> req.send().compose(resp -> resp.body()))
          .toCompletionStage().toCompletableFuture().get(10, TimeUnit.SECONDS).toString();
      assertEquals("ready\n", ready);

      WebSocketClient wss = vertx.createWebSocketClient(new WebSocketClientOptions().setSsl(true).setTrustOptions(trust));
      LinkedBlockingQueue<JsonObject> replies = new LinkedBlockingQueue<>();
      WebSocket ws = wss.connect(new WebSocketConnectOptions().setHost("localhost").setPort(port).setURI("/v1/ws").setSsl(true))
          .toCompletionStage().toCompletableFuture().get(10, TimeUnit.SECONDS);
      ws.textMessageHandler(text -> replies.add(new JsonObject(text)));
      // Retryable refusals (an election on a loaded machine) are retried with the same request id.
      await().atMost(Duration.ofSeconds(30)).until(() -> {
        ws.writeTextMessage("{\"id\":\"1\",\"op\":\"acquire\",\"request\":"
            + "{\"lockId\":\"tls/ws\",\"clientId\":\"ws\",\"requestId\":\"ws-1\"}}");
        JsonObject answer = replies.poll(10, TimeUnit.SECONDS);
        return answer != null && answer.containsKey("response") && answer.getJsonObject("response").getBoolean("acquired");
      });
      ws.close();
    } finally {
      vertx.close().toCompletionStage().toCompletableFuture().get(10, TimeUnit.SECONDS);
    }
  }

  @Test
  void aPlaintextClientGetsNoAnswerFromATlsPort() {
    cluster = tlsCluster(Map.of()).start();
    try (RaftLockClient plain = RaftLockClient.builder().endpoints(cluster.clientAddress(cluster.awaitLeader()))
        .operationTimeout(Duration.ofSeconds(2)).attemptTimeout(Duration.ofMillis(500)).build()) {
      assertThrows(RuntimeException.class, () -> plain.tryLock("tls/plain", Duration.ofSeconds(30), Duration.ZERO));
    }
  }

  @Test
  void aMemberPresentingAnotherMembersNameIsKeptOut() {
    TestCertificates.Issued impostor = ca.issue(root.resolve("tls/node-3"), "peer", "node-3", "node-2");
    assertMemberKeptOut(impostor);
  }

  @Test
  void aMemberWithACertificateFromAnotherCaIsKeptOut() {
    TestCertificates other = TestCertificates.authority("another-ca");
    TestCertificates.Issued stranger = other.issue(root.resolve("tls/node-3"), "peer", "node-3", "node-3");
    assertMemberKeptOut(stranger);
  }

  /** node-1 and node-2 form the cluster and commit; node-3, with {@code peerFiles}, gets nothing. */
  private void assertMemberKeptOut(TestCertificates.Issued peerFiles) {
    cluster = tlsCluster(Map.of("node-3", peerFiles));
    cluster.start("node-1");
    cluster.start("node-2");
    cluster.start("node-3");
    await().atMost(Duration.ofSeconds(20)).until(() -> cluster.leader().filter(id -> !id.equals("node-3")).isPresent());
    try (RaftLockClient c = client("node-1", "node-2")) {
      for (int i = 0; i < 5; i++) {
        assertTrue(c.unlock(c.lock("tls/kept-out-" + i, Duration.ofSeconds(30))));
      }
    }
    // Ten lock commands committed (status is published once per tick: wait for it to show them).
    await().atMost(Duration.ofSeconds(10)).until(() -> Math.max(cluster.node("node-1").status().commitIndex(),
        cluster.node("node-2").status().commitIndex()) >= 10);
    await().during(Duration.ofMillis(1_500)).atMost(Duration.ofSeconds(5))
        .until(() -> cluster.node("node-3").status().commitIndex() == 0
            && cluster.leader().filter(id -> !id.equals("node-3")).isPresent());
  }

  @Test
  void rotatedCertificatesTakeEffectWithoutARestartWhileClientsWork() throws Exception {
    cluster = tlsCluster(Map.of()).start();
    String leader = cluster.awaitLeader();
    AtomicBoolean running = new AtomicBoolean(true);
    AtomicInteger pairs = new AtomicInteger();
    AtomicReference<Throwable> failure = new AtomicReference<>();
    Thread load = new Thread(() -> {
      try (RaftLockClient c = client(cluster.ids().toArray(new String[0]))) {
        for (int i = 0; running.get() && i < 100_000; i++) {
          assertTrue(c.unlock(c.lock("tls/rotate", Duration.ofSeconds(30))));
          pairs.incrementAndGet();
        }
      } catch (Throwable t) {
        failure.set(t);
      }
    }, "rotation-load");
    load.start();
    await().atMost(Duration.ofSeconds(20)).until(() -> pairs.get() > 5 || failure.get() != null);

    // Every member's client-port and peer files are replaced, the way a secret manager rotates.
    for (String id : cluster.ids()) {
      Path dir = root.resolve("tls").resolve(id);
      ca.issue(dir, "client", id + "-client-rotated", id, "localhost");
      ca.issue(dir, "peer", id + "-rotated", id);
    }
    for (String id : cluster.ids()) {
      int clientPort = cluster.clientPort(id);
      await().atMost(Duration.ofSeconds(10)).until(() -> servedName(clientPort, null).equals("CN=" + id + "-client-rotated"));
      int peerPort = cluster.config(id).members().get(id).peerAddress().port();
      ReloadableTls member = new ReloadableTls(PemMaterial.read("peer", cluster.config(leader).tls().peer()));
      await().atMost(Duration.ofSeconds(10)).until(() -> servedName(peerPort, member).equals("CN=" + id + "-rotated"));
    }
    int before = pairs.get();
    await().atMost(Duration.ofSeconds(20)).until(() -> pairs.get() > before + 5 || failure.get() != null);
    running.set(false);
    load.join(30_000);
    assertEquals(null, failure.get());
  }

  /** The subject of the certificate a fresh TLS connection to {@code port} is served (see {@link TlsProbe}). */
  private String servedName(int port, ReloadableTls identity) {
    return TlsProbe.served(port, ca.caPem(), identity).getSubjectX500Principal().getName();
  }
}
