package io.raftlock.metrics;

import static org.awaitility.Awaitility.await;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.grpc.ManagedChannel;
import io.grpc.ManagedChannelBuilder;
import io.grpc.StatusRuntimeException;
import io.raftlock.config.NodeConfig;
import io.raftlock.proto.api.AcquireRequest;
import io.raftlock.proto.api.AcquireResponse;
import io.raftlock.proto.api.GetLockInfoRequest;
import io.raftlock.proto.api.GetStatusRequest;
import io.raftlock.proto.api.HealthRequest;
import io.raftlock.proto.api.LockEventMessage;
import io.raftlock.proto.api.ReleaseRequest;
import io.raftlock.testing.LocalCluster;
import io.raftlock.testing.StockRaftLock;
import io.vertx.core.Vertx;
import io.vertx.core.http.WebSocket;
import io.vertx.core.json.JsonObject;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.function.Executable;
import org.junit.jupiter.api.io.TempDir;

/**
 * Scrapes {@code /metrics} from real members of a 3-node cluster in this JVM after a workload
 * driven through the real gRPC API (grpc-java stubs), and checks that the key series exist and
 * move by exactly what the workload did: requests by method and outcome, validation errors by
 * field, client errors by code, proposals, grants (on the leader and on a follower, the counters
 * being replicated state), held locks, grant latency, watch pushes, connections, storage syncs
 * and snapshots; and that no series carries a lock id or a client id.
 */
class MetricsScrapeClusterTest {
  /** Ids unlikely to occur in a scrape by chance, so their absence means something. */
  static final String HOLDER = "holder-7f3a9c";
  static final String WAITER = "waiter-b2d4e1";
  static final String OTHER = "other-c81f05";
  static final String LOCK = "lk-5e2e9a-";
  static final int LOCKS = 5;

  @TempDir static Path root;
  static LocalCluster cluster;
  /**
   * HTTP/1.1, as Prometheus scrapes. Not the JDK client's default h2c upgrade: Vert.x's upgrade
   * path corrupts some large responses (about 1 in 7 /metrics bodies here; docs/observability.md).
   */
  static final HttpClient http = HttpClient.newBuilder().version(HttpClient.Version.HTTP_1_1).build();

  @BeforeAll
  static void start() {
    // Snapshots every 8 entries so the workload takes some.
    cluster = new LocalCluster(3, root, c -> new NodeConfig(c.nodeId(), c.dataDir(), c.members(), c.tickMs(),
        c.electionTicks(), c.heartbeatTicks(), c.maxInflight(), c.maxEntriesPerAppend(), c.maxBytesPerAppend(),
        8, 4, c.syncDurableMarkBeforeAck(), c.eventLoops(), c.api())).start();
  }

  @AfterAll
  static void stop() {
    cluster.close();
  }

  @Test
  void keySeriesExistAndMoveByWhatTheWorkloadDid() throws Exception {
    String leader = cluster.awaitLeader();
    String follower = cluster.follower();
    double[] connectedBefore = {0};
    ManagedChannel channel = channel(leader);
    ManagedChannel followerChannel = channel(follower);
    try {
      StockRaftLock api = new StockRaftLock(channel);
      Scrape before = settledScrape(leader, api);
      Scrape followerBefore = settledScrape(follower, new StockRaftLock(followerChannel));
      api.health(HealthRequest.getDefaultInstance());
      StockRaftLock.WatchStream watch = api.watch(WAITER);
      await().until(() -> watch.has(LockEventMessage.Kind.WATCH_STARTED));

      // 5 grants, one refusal in-band, one waiter queued then promoted, two invalid requests.
      List<Long> tokens = new ArrayList<>();
      for (int i = 0; i < LOCKS; i++) {
        AcquireResponse r = api.acquire(acquire(LOCK + i, HOLDER).build());
        assertTrue(r.getAcquired(), r.toString());
        tokens.add(r.getLock().getVersion());
      }
      AcquireResponse held = api.acquire(acquire(LOCK + 1, OTHER).build());
      assertFalse(held.getAcquired());
      AcquireResponse queued = api.acquire(acquire(LOCK + 0, WAITER).setWait(true)
          .setWaitTimeout(StockRaftLock.seconds(60)).build());
      assertTrue(queued.getQueued(), queued.toString());
      for (int i = 0; i < 2; i++) {
        StatusRuntimeException e = org.junit.jupiter.api.Assertions.assertThrows(StatusRuntimeException.class,
            () -> api.acquire(acquire("", HOLDER).build()));
        assertEquals("lock_id", StockRaftLock.trailer(e, io.grpc.Metadata.Key.of("raftlock-error-field",
            io.grpc.Metadata.ASCII_STRING_MARSHALLER)));
      }
      assertTrue(api.release(ReleaseRequest.newBuilder().setLockId(LOCK + 0).setClientId(HOLDER)
          .setVersion(tokens.get(0)).build()).getReleased());
      await().until(() -> watch.has(LockEventMessage.Kind.GRANTED));
      api.getLockInfo(GetLockInfoRequest.newBuilder().setLockId(LOCK + 2).build());

      // Counters are recorded before the answer is written; the lock gauges are published by
      // the Raft context every 250 ms, hence the wait.
      await().atMost(Duration.ofSeconds(10)).untilAsserted(() -> {
        Scrape after = scrape(leader);
        Delta d = new Delta(before, after);
        assertAll(
            () -> assertEquals(LOCKS + 1, d.of("raftlock_requests_total", "method", "Acquire", "outcome", "ok"),
                "acquires granted or queued"),
            () -> assertEquals(1, d.of("raftlock_requests_total", "method", "Acquire", "outcome", "lock_error")),
            () -> assertEquals(2, d.of("raftlock_requests_total", "method", "Acquire", "outcome", "client_error")),
            () -> assertEquals(1, d.of("raftlock_requests_total", "method", "Release", "outcome", "ok")),
            () -> assertEquals(1, d.of("raftlock_requests_total", "method", "GetLockInfo", "outcome", "ok")),
            () -> assertEquals(1, d.of("raftlock_requests_total", "method", "Health", "outcome", "ok")),
            () -> assertEquals(1, d.of("raftlock_requests_total", "method", "Watch", "outcome", "ok")),
            () -> assertEquals(2, d.of("raftlock_validation_errors_total", "method", "Acquire", "field", "lock_id")),
            () -> assertEquals(2, d.of("raftlock_client_errors_total", "method", "Acquire", "code", "INVALID_ARGUMENT")),
            () -> assertEquals(1, d.of("raftlock_client_errors_total", "method", "Acquire", "code", "LOCK_HELD")),
            () -> assertEquals(0, d.of("raftlock_server_errors_total")),
            () -> assertEquals(LOCKS + 2, d.of("raftlock_raft_proposals_total", "operation", "Acquire", "outcome", "ok"),
                "every valid acquire was proposed, the refused one too"),
            () -> assertEquals(1, d.of("raftlock_raft_proposals_total", "operation", "Release", "outcome", "ok")),
            () -> assertEquals(LOCKS + 1, d.of("raftlock_lock_grants_total"), "5 fresh grants and 1 promotion"),
            () -> assertEquals(1, d.of("raftlock_lock_releases_total")),
            () -> assertEquals(LOCKS, d.of("raftlock_locks_held"), "held locks"),
            () -> assertEquals(0, d.of("raftlock_locks_waiters"), "the waiter was promoted"),
            () -> assertEquals(1, d.of("raftlock_lock_grant_wait_seconds_count"), "the promoted waiter's wait"),
            () -> assertEquals(LOCKS + 4, d.of("raftlock_request_duration_seconds_count", "method", "Acquire"),
                "latency recorded for every acquire"),
            () -> assertTrue(after.has("raftlock_request_duration_seconds_bucket", "method", "Acquire", "le", "0.005"),
                "latency histogram buckets"),
            () -> assertTrue(d.of("raftlock_watch_pushes_total") >= 2, "WATCH_STARTED and the grant pushed"),
            () -> assertEquals(1, after.value("raftlock_watches_open")),
            () -> assertTrue(after.value("raftlock_connections_active") >= 1, "the client is connected"),
            () -> assertTrue(d.of("raftlock_storage_syncs_total") > 0),
            () -> assertTrue(d.of("raftlock_storage_sync_entries_count") > 0),
            () -> assertTrue(d.of("raftlock_storage_sync_entries_sum") >= LOCKS + 3, "entries made durable"),
            () -> assertTrue(d.of("raftlock_storage_sync_duration_seconds_count") > 0),
            () -> assertTrue(after.value("raftlock_storage_hardstate_write_duration_seconds_count") > 0,
                "the term and vote of the election, at least, were written"),
            () -> assertTrue(d.of("raftlock_storage_append_batch_entries_sum") >= LOCKS + 3),
            () -> assertTrue(after.value("raftlock_raft_snapshots_taken_total") > 0, "snapshots every 8 entries"),
            () -> assertTrue(after.value("raftlock_storage_snapshot_size_bytes_count", "origin", "local") > 0),
            () -> assertEquals(1, after.value("raftlock_raft_leader")),
            () -> assertEquals(1, after.value("raftlock_healthy")),
            () -> assertTrue(after.value("raftlock_raft_term") >= 1),
            () -> assertTrue(after.value("raftlock_raft_commit_index") >= LOCKS + 3),
            () -> assertEquals(0, after.value("raftlock_requests_in_flight")),
            () -> assertTrue(d.of("raftlock_peer_messages_sent_total") > 0, "replication to the followers"),
            () -> assertEquals(0, after.value("raftlock_peer_rejected_total")));
      });

      // The follower applied the same entries: replicated counters agree, its API saw nothing.
      await().atMost(Duration.ofSeconds(10)).untilAsserted(() -> {
        Scrape after = scrape(follower);
        Delta d = new Delta(followerBefore, after);
        assertEquals(LOCKS + 1, d.of("raftlock_lock_grants_total"));
        assertEquals(LOCKS, d.of("raftlock_locks_held"));
        assertEquals(0, d.of("raftlock_requests_total", "method", "Acquire"));
        assertEquals(0, after.value("raftlock_raft_leader"));
      });

      String text = scrape(leader).text() + scrape(follower).text();
      for (String id : List.of(HOLDER, WAITER, OTHER, LOCK)) {
        assertFalse(text.contains(id), "a scrape mentions " + id);
      }
      connectedBefore[0] = scrape(leader).value("raftlock_connections_active");
      watch.cancel();
    } finally {
      channel.shutdownNow().awaitTermination(5, TimeUnit.SECONDS);
      followerChannel.shutdownNow().awaitTermination(5, TimeUnit.SECONDS);
    }
    await().atMost(Duration.ofSeconds(10)).untilAsserted(() -> {
      Scrape after = scrape(leader);
      assertEquals(0, after.value("raftlock_watches_open"), "the watch closed with its stream");
      assertTrue(after.value("raftlock_connections_active") < connectedBefore[0], "the gRPC connection closed");
    });
  }

  @Test
  void aWebSocketWriteOnAFollowerIsForwardedAndCountedThere() throws Exception {
    String follower = cluster.follower();
    ManagedChannel channel = channel(follower);
    Vertx vertx = Vertx.vertx();
    try {
      Scrape before = settledScrape(follower, new StockRaftLock(channel));
      WebSocket ws = vertx.createWebSocketClient()
          .connect(cluster.clientPort(follower), "127.0.0.1", "/v1/ws").await();
      CompletableFuture<JsonObject> reply = new CompletableFuture<>();
      ws.textMessageHandler(text -> reply.complete(new JsonObject(text)));
      ws.writeTextMessage("{\"id\":\"1\",\"op\":\"acquire\",\"request\":{\"lockId\":\"" + LOCK + "ws\","
          + "\"clientId\":\"" + OTHER + "\",\"ttl\":\"30s\"}}");
      JsonObject r = reply.get(10, TimeUnit.SECONDS);
      assertTrue(r.getJsonObject("response").getBoolean("acquired"), r.encode());
      await().atMost(Duration.ofSeconds(10)).untilAsserted(() -> {
        Scrape after = scrape(follower);
        Delta d = new Delta(before, after);
        assertAll(
            () -> assertEquals(1, d.of("raftlock_requests_total", "method", "Acquire", "outcome", "ok")),
            () -> assertEquals(1, d.of("raftlock_leader_forwards_total", "method", "Acquire")),
            () -> assertEquals(1, d.of("raftlock_raft_proposals_total", "operation", "Acquire", "outcome", "ok")),
            () -> assertEquals(1, after.value("raftlock_websocket_connections")),
            () -> assertEquals(1, d.of("raftlock_lock_grants_total"), "applied here too"));
        assertFalse(after.text().contains(OTHER) || after.text().contains(LOCK), "no id in the scrape");
      });
      ws.close().await();
      await().atMost(Duration.ofSeconds(10)).untilAsserted(() ->
          assertEquals(0, scrape(follower).value("raftlock_websocket_connections")));
    } finally {
      vertx.close().await();
      channel.shutdownNow().awaitTermination(5, TimeUnit.SECONDS);
    }
  }

  static AcquireRequest.Builder acquire(String lockId, String clientId) {
    return AcquireRequest.newBuilder().setLockId(lockId).setClientId(clientId).setTtl(StockRaftLock.seconds(60));
  }

  static void assertAll(Executable... checks) {
    org.junit.jupiter.api.Assertions.assertAll(checks);
  }

  static ManagedChannel channel(String node) {
    return ManagedChannelBuilder.forAddress("127.0.0.1", cluster.clientPort(node)).usePlaintext().build();
  }

  /**
   * A scrape whose lock gauges and counters are current: the statistics are published every
   * 250 ms, so a baseline is taken once they agree with the state machine's own (GetStatus reads
   * them on the Raft context). Nothing else writes meanwhile.
   */
  static Scrape settledScrape(String node, StockRaftLock api) {
    Scrape[] settled = {null};
    await().atMost(Duration.ofSeconds(10)).until(() -> {
      var stats = api.getStatus(GetStatusRequest.getDefaultInstance()).getLockStats();
      Scrape s = scrape(node);
      settled[0] = s;
      return s.has("raftlock_locks_held")
          && s.value("raftlock_locks_held") == stats.getActiveLocksCount()
          && s.value("raftlock_locks_waiters") == stats.getTotalWaitersCount()
          && s.value("raftlock_lock_grants_total") == stats.getTotalAcquires()
          && s.value("raftlock_lock_releases_total") == stats.getTotalReleases();
    });
    return settled[0];
  }

  static Scrape scrape(String node) throws Exception {
    HttpResponse<String> r = http.send(HttpRequest.newBuilder(
        URI.create("http://127.0.0.1:" + cluster.clientPort(node) + "/metrics")).build(),
        HttpResponse.BodyHandlers.ofString());
    assertEquals(200, r.statusCode());
    return new Scrape(r.body());
  }

  /** Differences between two scrapes of one node (a series absent from a scrape counts as 0). */
  record Delta(Scrape before, Scrape after) {
    double of(String name, String... labels) {
      return after.valueOrZero(name, labels) - before.valueOrZero(name, labels);
    }
  }
}
