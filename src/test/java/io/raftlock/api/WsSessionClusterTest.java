package io.raftlock.api;

import static io.raftlock.api.WsSessionClient.event;
import static io.raftlock.testing.StockRaftLock.seconds;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.grpc.ManagedChannel;
import io.grpc.ManagedChannelBuilder;
import io.raftlock.proto.api.AcquireRequest;
import io.raftlock.proto.api.AcquireResponse;
import io.raftlock.proto.api.ErrorCode;
import io.raftlock.proto.api.GetLockInfoRequest;
import io.raftlock.proto.api.GetLockInfoResponse;
import io.raftlock.proto.api.ReleaseRequest;
import io.raftlock.testing.LocalCluster;
import io.raftlock.testing.StockRaftLock;
import io.vertx.core.Vertx;
import io.vertx.core.json.JsonObject;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

/**
 * Sessions over the WebSocket protocol through a real WebSocket client against a real 3-node
 * cluster: the connection carries one session, answers are matched by id, grants and losses are
 * pushed, the session outlives its connection and resumes on another node, and it is warned
 * before it expires.
 */
@Timeout(180)
class WsSessionClusterTest {
  @TempDir static Path root;
  static LocalCluster cluster;
  static Vertx vertx;
  /** gRPC to the leader: unary observers and holders. */
  static ManagedChannel observerChannel;
  static StockRaftLock observer;
  final List<WsSessionClient> clients = new ArrayList<>();

  @BeforeAll
  static void startCluster() {
    cluster = new LocalCluster(3, root).start();
    vertx = Vertx.vertx();
    observerChannel = ManagedChannelBuilder.forAddress("127.0.0.1", cluster.clientPort(cluster.awaitLeader()))
        .usePlaintext().build();
    observer = new StockRaftLock(observerChannel);
  }

  @AfterAll
  static void stopCluster() throws InterruptedException {
    if (observerChannel != null) {
      observerChannel.shutdownNow().awaitTermination(10, TimeUnit.SECONDS);
    }
    if (vertx != null) {
      vertx.close().await();
    }
    if (cluster != null) {
      cluster.close();
    }
  }

  @AfterEach
  void closeClients() {
    clients.forEach(WsSessionClient::close);
  }

  WsSessionClient connect(String node) throws Exception {
    WsSessionClient c = WsSessionClient.connect(vertx, cluster.clientPort(node));
    clients.add(c);
    return c;
  }

  static GetLockInfoResponse info(String lock) {
    return observer.getLockInfo(GetLockInfoRequest.newBuilder().setLockId(lock).build());
  }

  static boolean free(String lock) {
    return info(lock).getError().getCode() == ErrorCode.LOCK_NOT_FOUND;
  }

  static JsonObject response(JsonObject answer) {
    JsonObject r = answer.getJsonObject("response");
    assertNotNull(r, "not a response: " + answer);
    return r;
  }

  /** Acquires {@code lock} without waiting; returns the fencing token. */
  static long held(WsSessionClient s, String lock) throws InterruptedException {
    JsonObject r = response(s.call("acquire", "{\"lockId\":\"" + lock + "\"}"));
    assertTrue(r.getBoolean("acquired", false), r.encode());
    return Long.parseLong(r.getJsonObject("lock").getString("version"));
  }

  static JsonObject queued(WsSessionClient s, String lock) throws InterruptedException {
    JsonObject r = response(s.call("acquire", "{\"lockId\":\"" + lock + "\",\"wait\":true,\"waitTimeout\":\"120s\"}"));
    assertTrue(r.getBoolean("queued", false), r.encode());
    return r;
  }

  @Test
  void manyRequestsInFlightAreAnsweredByIdAndCloseEndsTheSessionAndTheConnection() throws Exception {
    WsSessionClient s = connect(cluster.follower());
    JsonObject opened = response(s.call("open",
        "{\"name\":\"ws-worker\",\"ttl\":\"30s\",\"metadata\":{\"team\":\"billing\"}}"));
    assertEquals("30s", opened.getString("ttl"));
    assertNotNull(opened.getString("expiresAt"));

    List<String> ids = new ArrayList<>();
    for (int i = 0; i < 40; i++) {
      ids.add(s.send("acquire", "{\"lockId\":\"ws-many-" + i + "\"}")); // all in flight at once
    }
    for (int i = 0; i < ids.size(); i++) {
      JsonObject answer = s.answer(ids.get(i));
      assertEquals("acquire", answer.getString("op"));
      JsonObject r = response(answer);
      assertTrue(r.getBoolean("acquired", false), r.encode());
      assertEquals("ws-many-" + i, r.getJsonObject("lock").getString("lockId"), "the answer of its own request");
    }
    assertEquals("ws-worker", info("ws-many-7").getLockInfo().getOwnerId(), "labelled with the session's name");

    JsonObject closed = response(s.call("close", "{}"));
    assertTrue(closed.getBoolean("closed"), closed.encode());
    assertEquals(40, closed.getInteger("locksReleased"));
    assertEquals(WsConnection.CLOSE_NORMAL, s.ws.awaitClose(), "the connection carried one session");
    assertTrue(free("ws-many-0"));
  }

  @Test
  void aWaitingSessionIsPushedItsGrantWhenTheHolderReleases() throws Exception {
    WsSessionClient holder = connect(cluster.awaitLeader());
    WsSessionClient waiter = connect(cluster.follower());
    holder.open("ws-holder", "30s");
    long waiterId = waiter.open("ws-waiter", "30s");
    long token = held(holder, "ws-push");
    queued(waiter, "ws-push");

    JsonObject released = response(holder.call("release", "{\"lockId\":\"ws-push\",\"version\":\"" + token + "\"}"));
    assertTrue(released.getBoolean("released"), released.encode());

    JsonObject granted = waiter.awaitEvent(Duration.ofSeconds(10), event("GRANTED", "ws-push"));
    assertEquals(String.valueOf(waiterId), granted.getString("sessionId"));
    assertEquals(granted.getString("version"), String.valueOf(info("ws-push").getLockInfo().getVersion()));
  }

  @Test
  void aSessionResumedOnAnotherNodeAfterItsNodeStopsKeepsItsHoldAndItsPlaceInTheQueue() throws Exception {
    String first = cluster.follower();
    String other = cluster.ids().stream().filter(id -> !id.equals(first) && !id.equals(cluster.awaitLeader()))
        .findFirst().orElseThrow();
    AcquireResponse unary = observer.acquire(AcquireRequest.newBuilder().setLockId("ws-queue")
        .setClientId("ws-unary").setTtl(seconds(60)).build());
    assertTrue(unary.getAcquired());
    WsSessionClient ahead = connect(cluster.awaitLeader());
    ahead.open("ws-ahead", "60s");
    queued(ahead, "ws-queue"); // first in line

    WsSessionClient before = connect(first);
    long id = before.open("ws-mover", "30s");
    long token = held(before, "ws-kept");
    assertEquals(1, queued(before, "ws-queue").getInteger("queuePosition"), "second in line");
    try {
      cluster.stop(first); // the connection drops with its node; the session does not
      before.ws.awaitClose(); // whatever its status: the session is not the connection's to end

      WsSessionClient after = connect(other);
      JsonObject resumed = response(after.call("resume", "{\"sessionId\":\"" + id + "\"}"));
      assertEquals(String.valueOf(id), resumed.getString("sessionId"));
      assertEquals(token, info("ws-kept").getLockInfo().getVersion(), "the hold survived");
      assertEquals(List.of("ws-ahead", "ws-mover"), observer.getLockInfo(GetLockInfoRequest.newBuilder()
          .setLockId("ws-queue").setIncludeWaiters(true).build()).getLockInfo().getWaitersInfoList().stream()
          .map(w -> w.getClientId()).toList(), "the place in the queue survived");

      observer.release(ReleaseRequest.newBuilder().setLockId("ws-queue").setClientId("ws-unary")
          .setVersion(unary.getLock().getVersion()).build());
      JsonObject aheadGrant = ahead.awaitEvent(Duration.ofSeconds(10), event("GRANTED", "ws-queue"));
      assertTrue(response(ahead.call("release", "{\"lockId\":\"ws-queue\",\"version\":\""
          + aheadGrant.getString("version") + "\"}")).getBoolean("released"));
      after.awaitEvent(Duration.ofSeconds(10), event("GRANTED", "ws-queue")); // pushed on the new connection
      JsonObject released = response(after.call("release", "{\"lockId\":\"ws-kept\",\"version\":\"" + token + "\"}"));
      assertTrue(released.getBoolean("released"), "the resumed connection owns the hold: " + released.encode());
    } finally {
      cluster.start(first);
      cluster.awaitLeader();
    }
  }

  @Test
  void aSessionWithoutKeepAlivesIsWarnedThenExpiresAndLosesItsLocks() throws Exception {
    WsSessionClient s = connect(cluster.follower());
    WsSessionClient heir = connect(cluster.awaitLeader());
    long id = s.open("ws-forgetful", "6s");
    heir.open("ws-heir", "60s");
    long token = held(s, "ws-lost");
    queued(heir, "ws-lost");

    // TTL 6 s: warned after about 4 s, expired after 6 s plus the expiry check and its commit.
    JsonObject expired = s.awaitEvent(Duration.ofSeconds(6 + 10), event("SESSION_EXPIRED", ""));
    assertEquals(String.valueOf(id), expired.getString("sessionId"));
    List<String> kinds = s.events.stream().map(e -> e.getString("kind") + " " + e.getString("lockId", "")).toList();
    int warned = kinds.indexOf("SESSION_EXPIRING ");
    assertTrue(warned >= 0 && warned < kinds.indexOf("EXPIRED ws-lost"), "warned before the loss: " + kinds);
    JsonObject warning = s.events.get(warned);
    assertEquals(String.valueOf(id), warning.getString("sessionId"));
    assertNotNull(warning.getString("expiresAt"), warning.encode());
    assertEquals(String.valueOf(token), s.events.get(kinds.indexOf("EXPIRED ws-lost")).getString("version"),
        "the lost event names the holding");

    heir.awaitEvent(Duration.ofSeconds(10), event("GRANTED", "ws-lost"));
    assertEquals("ws-heir", info("ws-lost").getLockInfo().getOwnerId());
    JsonObject late = response(s.call("keepAlive", "{}"));
    assertEquals("SESSION_NOT_FOUND", late.getJsonObject("error").getString("code"), late.encode());
  }

  @Test
  void badSessionMessagesGetTypedErrorsAndChangeNothing() throws Exception {
    WsSessionClient s = connect(cluster.follower());
    assertRefused(s.call("keepAlive", "{}"), "INVALID_ARGUMENT", "op");
    assertRefused(s.call("acquire", "{\"lockId\":\"ws-bad\"}"), "INVALID_ARGUMENT", "op"); // before open
    assertRefused(s.call("open", "{\"name\":\"ws-bad\",\"ttl\":30}"), "INVALID_ARGUMENT", "ttl");
    assertRefused(s.call("open", "{\"name\":5,\"ttl\":\"30s\"}"), "INVALID_ARGUMENT", "name");
    assertRefused(s.call("open", "{\"name\":\"ws-bad\",\"ttl\":\"30s\",\"clientId\":\"x\"}"), "INVALID_ARGUMENT", "request");
    assertRefused(s.call("open", "{\"name\":\"ws-bad\",\"ttl\":\"0.5s\"}"), "INVALID_TTL", "ttl");
    assertRefused(s.call("open", "{\"ttl\":\"30s\"}"), "INVALID_ARGUMENT", "name");
    assertRefused(s.call("resume", "{\"sessionId\":true}"), "INVALID_ARGUMENT", "session_id");
    assertRefused(s.call("resume", "{\"sessionId\":\"987654321\"}"), "SESSION_NOT_FOUND", "session_id");
    assertTrue(free("ws-bad"));

    s.open("ws-bad", "30s"); // the connection is still usable
    assertRefused(s.call("open", "{\"name\":\"ws-bad\",\"ttl\":\"30s\"}"), "INVALID_ARGUMENT", "op");
    assertRefused(s.call("resume", "{\"sessionId\":\"1\"}"), "INVALID_ARGUMENT", "op");
    assertRefused(s.call("acquire", "{\"lockId\":5}"), "INVALID_ARGUMENT", "lock_id");
    assertRefused(s.call("acquire", "{\"lockId\":\"\"}"), "INVALID_ARGUMENT", "lock_id");
    assertRefused(s.call("release", "{\"lockId\":\"ws-bad\",\"version\":\"0\"}"), "INVALID_ARGUMENT", "version");
    assertTrue(free("ws-bad"), "nothing was acquired");
    held(s, "ws-bad");
  }

  @Test
  void aConnectionWithoutSessionOpsKeepsTheSessionLessProtocol() throws Exception {
    WsSessionClient legacy = connect(cluster.follower());
    JsonObject acquired = response(legacy.call("acquire",
        "{\"lockId\":\"ws-legacy\",\"clientId\":\"ws-old-client\",\"ttl\":\"30s\"}"));
    assertTrue(acquired.getBoolean("acquired"), acquired.encode());
    assertEquals("ws-old-client", info("ws-legacy").getLockInfo().getOwnerId());
    assertRefused(legacy.call("acquire", "{\"lockId\":\"ws-legacy-2\",\"ttl\":\"30s\"}"), "INVALID_ARGUMENT", "client_id");
    JsonObject released = response(legacy.call("release", "{\"lockId\":\"ws-legacy\",\"clientId\":\"ws-old-client\",\"version\":\""
        + acquired.getJsonObject("lock").getString("version") + "\"}"));
    assertTrue(released.getBoolean("released"), released.encode());
    assertFalse(legacy.ws.isClosed());
  }

  static void assertRefused(JsonObject answer, String code, String field) {
    JsonObject error = answer.getJsonObject("error");
    assertNotNull(error, "not refused: " + answer.encode());
    assertEquals(code, error.getString("code"), answer.encode());
    assertEquals(field, error.getJsonObject("details", new JsonObject()).getString("field"), answer.encode());
  }
}
