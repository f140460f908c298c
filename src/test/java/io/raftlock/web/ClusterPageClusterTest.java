package io.raftlock.web;

import static org.awaitility.Awaitility.await;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.google.protobuf.Duration;
import io.raftlock.proto.api.AcquireRequest;
import io.raftlock.proto.api.AcquireResponse;
import io.raftlock.proto.api.RaftLockGrpcClient;
import io.raftlock.testing.LocalCluster;
import io.vertx.core.Vertx;
import io.vertx.core.http.HttpClient;
import io.vertx.core.http.HttpMethod;
import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import io.vertx.core.net.SocketAddress;
import io.vertx.grpc.client.GrpcClient;
import java.nio.file.Path;
import java.util.Optional;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

/**
 * The cluster page of a real 3-node cluster in this JVM, read from a follower over plain HTTP
 * and its event stream: all three members, the leader, and a lock acquired through gRPC with its
 * holder and fencing token; then a member going away is shown down, and the serving node
 * stopping ends the stream.
 */
@Timeout(90)
class ClusterPageClusterTest {
  @TempDir Path root;
  LocalCluster cluster;
  Vertx vertx;
  HttpClient http;
  GrpcClient grpc;

  @BeforeEach
  void start() {
    cluster = new LocalCluster(3, root).start();
    vertx = Vertx.vertx();
    http = vertx.createHttpClient();
    grpc = GrpcClient.client(vertx);
  }

  @AfterEach
  void stop() {
    if (vertx != null) {
      vertx.close().await();
    }
    cluster.close();
  }

  static Optional<JsonObject> lock(JsonObject snapshot, String lockId) {
    JsonObject locks = snapshot.getJsonObject("locks");
    if (locks == null || !locks.getBoolean("available", false)) {
      return Optional.empty();
    }
    return locks.getJsonArray("shown").stream().map(JsonObject.class::cast)
        .filter(l -> lockId.equals(l.getString("lockId"))).findFirst();
  }

  static JsonObject member(JsonObject snapshot, String id) {
    return snapshot.getJsonArray("members").stream().map(JsonObject.class::cast)
        .filter(m -> id.equals(m.getString("id"))).findFirst().orElseThrow();
  }

  @Test
  void aFollowersPageShowsEveryMemberTheLeaderAndANewLock() throws Exception {
    String leader = cluster.awaitLeader();
    String follower = cluster.follower();
    int port = cluster.clientPort(follower);

    String html = http.request(HttpMethod.GET, port, "127.0.0.1", "/ui/").compose(r -> r.send())
        .compose(r -> r.body()).await(10, TimeUnit.SECONDS).toString();
    assertTrue(html.contains("id=\"members\""), html);

    try (SseClient events = SseClient.open(http, port)) {
      await().atMost(java.time.Duration.ofSeconds(15)).until(() -> {
        JsonObject s = events.latest();
        return s != null && leader.equals(s.getString("leader"))
            && s.getJsonArray("members").stream().map(JsonObject.class::cast).filter(m -> m.getBoolean("up")).count() == 3;
      });
      JsonObject first = events.latest();
      assertEquals(follower, first.getString("node"));
      JsonArray members = first.getJsonArray("members");
      assertEquals(3, members.size());
      assertTrue(member(first, follower).getBoolean("self"));
      assertEquals("LEADER", member(first, leader).getString("role"));
      assertTrue(member(first, leader).getBoolean("isLeader"));

      RaftLockGrpcClient client = RaftLockGrpcClient.create(grpc,
          SocketAddress.inetSocketAddress(cluster.clientPort(leader), "127.0.0.1"));
      AcquireResponse acquired = client.acquire(AcquireRequest.newBuilder().setLockId("page-lock")
          .setClientId("page-client").setTtl(Duration.newBuilder().setSeconds(30)).setRequestId("page-1").build())
          .await(10, TimeUnit.SECONDS);
      assertTrue(acquired.getAcquired(), acquired.toString());

      await().atMost(java.time.Duration.ofSeconds(10)).until(() -> lock(events.latest(), "page-lock").isPresent());
      JsonObject shown = lock(events.latest(), "page-lock").orElseThrow();
      assertEquals("page-client", shown.getString("holder"));
      assertEquals(acquired.getLock().getVersion(), shown.getLong("token"));
      long expiresInMs = shown.getLong("expiresInMs");
      assertTrue(expiresInMs > 0 && expiresInMs <= 30_000, shown.encode());

      // The third member goes away: the follower's page shows it down, the others still up.
      String third = cluster.ids().stream().filter(id -> !id.equals(leader) && !id.equals(follower))
          .findFirst().orElseThrow();
      cluster.stop(third);
      await().atMost(java.time.Duration.ofSeconds(15)).until(() -> !member(events.latest(), third).getBoolean("up"));
      JsonObject after = events.latest();
      assertFalse(member(after, third).getString("error", "").isEmpty());
      assertTrue(member(after, leader).getBoolean("up"));

      // A node stopping with a page open ends the stream rather than waiting on it.
      cluster.stop(follower);
      await().atMost(java.time.Duration.ofSeconds(10)).until(events::ended);
    }
  }
}
