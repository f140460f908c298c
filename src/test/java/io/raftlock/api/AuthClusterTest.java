package io.raftlock.api;

import static org.awaitility.Awaitility.await;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.grpc.Channel;
import io.grpc.ManagedChannel;
import io.grpc.ManagedChannelBuilder;
import io.grpc.Status;
import io.grpc.StatusRuntimeException;
import io.grpc.stub.ClientCalls;
import io.raftlock.client.LockHandle;
import io.raftlock.client.RaftLockClient;
import io.raftlock.client.RaftLockException;
import io.raftlock.proto.admin.ListMembersRequest;
import io.raftlock.proto.api.AcquireRequest;
import io.raftlock.proto.api.AcquireResponse;
import io.raftlock.proto.api.BackoffAdviceRequest;
import io.raftlock.proto.api.CancelWaitRequest;
import io.raftlock.proto.api.EnqueueWaiterRequest;
import io.raftlock.proto.api.LockEventMessage;
import io.raftlock.proto.api.ErrorCode;
import io.raftlock.proto.api.GetLockInfoRequest;
import io.raftlock.proto.api.GetLocksRequest;
import io.raftlock.proto.api.GetStatusRequest;
import io.raftlock.proto.api.HealthRequest;
import io.raftlock.proto.api.OpenSessionRequest;
import io.raftlock.proto.api.ReleaseRequest;
import io.raftlock.proto.api.RenewRequest;
import io.raftlock.proto.api.SessionRequest;
import io.raftlock.proto.api.WatchRequest;
import io.raftlock.proto.auth.AuthChangeRequest;
import io.raftlock.proto.auth.AuthStatusRequest;
import io.raftlock.proto.auth.CreateKeyRequest;
import io.raftlock.proto.auth.EnableAuthRequest;
import io.raftlock.proto.auth.Grant;
import io.raftlock.proto.auth.PrincipalRole;
import io.raftlock.proto.auth.RoleGrant;
import io.raftlock.testing.LocalCluster;
import io.raftlock.testing.StockAuth;
import io.raftlock.testing.StockRaftLock;
import io.raftlock.testing.StockSession;
import io.vertx.core.Vertx;
import io.vertx.core.http.UpgradeRejectedException;
import io.vertx.core.http.WebSocket;
import io.vertx.core.json.JsonObject;
import io.vertx.core.http.WebSocketClient;
import io.vertx.core.http.WebSocketConnectOptions;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Path;
import java.time.Duration;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

/**
 * A real 3-node cluster with auth enabled through the Auth service, called from stock grpc-java
 * clients that send keys as {@code authorization: Bearer} metadata: no key is refused on every
 * method and transport, a role on {@code jobs/} works there and nowhere else, one principal
 * cannot touch another's holding or WebSocket session, and a revoked key stops working on every
 * node once the revocation is applied there.
 */
@Timeout(180)
class AuthClusterTest {
  @TempDir static Path root;
  static LocalCluster cluster;
  static final Map<String, ManagedChannel> channels = new HashMap<>();
  static String adminKey;
  static String aliceKey;
  static String bobKey;
  static final HttpClient HTTP = HttpClient.newBuilder().connectTimeout(Duration.ofSeconds(5)).build();
  static final ObjectMapper JSON = new ObjectMapper();

  @BeforeAll
  static void startAndEnable() {
    cluster = new LocalCluster(3, root).start();
    for (String id : cluster.ids()) {
      channels.put(id, ManagedChannelBuilder.forAddress("127.0.0.1", cluster.clientPort(id)).usePlaintext().build());
    }
    // From the node's own host a plaintext connection may receive the key (docs/security.md).
    adminKey = call(channels.get("node-1"), StockAuth.ENABLE, EnableAuthRequest.newBuilder().setPrincipal("root").build())
        .getKey();
    Channel admin = StockAuth.withKey(channels.get("node-2"), adminKey);
    change(admin, AuthChangeRequest.newBuilder().setCreateRole("jobs"));
    for (String permission : List.of("lock", "read")) {
      change(admin, AuthChangeRequest.newBuilder().setGrant(RoleGrant.newBuilder().setRole("jobs")
          .setGrant(Grant.newBuilder().setPrefix("jobs/*").setPermission(permission))));
    }
    aliceKey = principalWithRole(admin, "alice", "jobs");
    bobKey = principalWithRole(admin, "bob", "jobs");
    for (String key : List.of(adminKey, aliceKey, bobKey)) {
      awaitKnownEverywhere(key);
    }
  }

  @AfterAll
  static void stop() throws InterruptedException {
    for (ManagedChannel c : channels.values()) {
      c.shutdownNow().awaitTermination(10, TimeUnit.SECONDS);
    }
    if (cluster != null) {
      cluster.close();
    }
  }

  static String principalWithRole(Channel admin, String name, String role) {
    change(admin, AuthChangeRequest.newBuilder().setCreatePrincipal(name));
    change(admin, AuthChangeRequest.newBuilder().setAssignRole(PrincipalRole.newBuilder().setPrincipal(name).setRole(role)));
    return call(admin, StockAuth.CREATE_KEY, CreateKeyRequest.newBuilder().setPrincipal(name).build()).getKey();
  }

  static void change(Channel admin, AuthChangeRequest.Builder r) {
    call(admin, StockAuth.CHANGE, r.build());
  }

  static <Q, R> R call(Channel channel, io.grpc.MethodDescriptor<Q, R> method, Q request) {
    return new StockRaftLock(channel, 20_000).call(method, request);
  }

  static StockRaftLock as(String node, String key) {
    return new StockRaftLock(key == null ? channels.get(node) : StockAuth.withKey(channels.get(node), key), 20_000);
  }

  /** Every node has applied the key's creation: its status answers to it. */
  static void awaitKnownEverywhere(String key) {
    for (String id : cluster.ids()) {
      await().atMost(Duration.ofSeconds(20)).ignoreExceptions()
          .until(() -> as(id, key).call(StockRaftLock.GET_STATUS, GetStatusRequest.getDefaultInstance()) != null);
    }
  }

  static Status.Code refusal(Runnable call) {
    return assertThrows(StatusRuntimeException.class, call::run).getStatus().getCode();
  }

  static AcquireRequest acquire(String lock, String client) {
    return AcquireRequest.newBuilder().setLockId(lock).setClientId(client)
        .setTtl(com.google.protobuf.Duration.newBuilder().setSeconds(60)).build();
  }

  @Test
  void withoutAKeyEveryMethodIsRefusedOnEveryNodeAndHealthStaysOpen() {
    for (String id : cluster.ids()) {
      StockRaftLock anon = as(id, null);
      Map<String, Runnable> calls = new java.util.LinkedHashMap<>();
      calls.put("Acquire", () -> anon.call(StockRaftLock.ACQUIRE, acquire("jobs/x", "c")));
      calls.put("Release", () -> anon.call(StockRaftLock.RELEASE,
          ReleaseRequest.newBuilder().setLockId("jobs/x").setClientId("c").setVersion(1).build()));
      calls.put("Renew", () -> anon.call(StockRaftLock.RENEW, RenewRequest.newBuilder().setLockId("jobs/x")
          .setClientId("c").setVersion(1).setNewTtl(com.google.protobuf.Duration.newBuilder().setSeconds(5)).build()));
      calls.put("GetLockInfo", () -> anon.call(StockRaftLock.GET_LOCK_INFO,
          GetLockInfoRequest.newBuilder().setLockId("jobs/x").build()));
      calls.put("GetLocks", () -> anon.call(StockRaftLock.GET_LOCKS, GetLocksRequest.getDefaultInstance()));
      calls.put("EnqueueWaiter", () -> anon.call(StockRaftLock.ENQUEUE_WAITER, EnqueueWaiterRequest.newBuilder()
          .setLockId("jobs/x").setClientId("c").setTimeout(com.google.protobuf.Duration.newBuilder().setSeconds(5))
          .build()));
      calls.put("CancelWait", () -> anon.call(StockRaftLock.CANCEL_WAIT,
          CancelWaitRequest.newBuilder().setLockId("jobs/x").setClientId("c").build()));
      calls.put("GetBackoffAdvice", () -> anon.call(StockRaftLock.GET_BACKOFF_ADVICE,
          BackoffAdviceRequest.newBuilder().setLockId("jobs/x").build()));
      calls.put("GetStatus", () -> anon.call(StockRaftLock.GET_STATUS, GetStatusRequest.getDefaultInstance()));
      calls.put("Watch", () -> ClientCalls.blockingServerStreamingCall(anon.channel(), StockRaftLock.WATCH,
          anon.options(), WatchRequest.newBuilder().setClientId("c").build()).hasNext());
      calls.put("Admin.ListMembers", () -> anon.call(StockAuth.LIST_MEMBERS, ListMembersRequest.getDefaultInstance()));
      calls.put("Auth.Status", () -> anon.call(StockAuth.STATUS, AuthStatusRequest.getDefaultInstance()));
      calls.put("Auth.Enable", () -> anon.call(StockAuth.ENABLE, EnableAuthRequest.getDefaultInstance()));
      calls.forEach((name, call) -> {
        Status.Code code = refusal(call);
        assertTrue(code == Status.Code.UNAUTHENTICATED
            || (name.equals("Auth.Enable") && code == Status.Code.FAILED_PRECONDITION), id + " " + name + ": " + code);
      });
      StockSession session = new StockSession(channels.get(id));
      session.send(SessionRequest.newBuilder().setCorrelationId(1)
          .setOpen(OpenSessionRequest.newBuilder().setName("s").setTtl(com.google.protobuf.Duration.newBuilder()
              .setSeconds(10))).build());
      assertEquals(Status.Code.UNAUTHENTICATED, session.ended.orTimeout(20, TimeUnit.SECONDS).join().getCode());
      assertEquals(io.raftlock.proto.api.HealthStatus.ServingStatus.SERVING,
          anon.call(StockRaftLock.HEALTH, HealthRequest.getDefaultInstance()).getStatus());
    }
  }

  @Test
  void httpPathsButHealthReadyAndStatusNeedAReaderAndTheWebSocketAKeyInItsHeaderOrFirstMessage() throws Exception {
    String base = "http://" + cluster.clientAddress("node-3");
    assertEquals(200, get(base + "/health", null).statusCode());
    assertEquals(200, get(base + "/status", null).statusCode());
    assertEquals(401, get(base + "/metrics", null).statusCode());
    assertEquals(401, get(base + "/ui/snapshot", null).statusCode());
    assertEquals(403, get(base + "/metrics", aliceKey).statusCode(), "alice reads jobs/ only");
    assertEquals(200, get(base + "/metrics", adminKey).statusCode());
    Vertx vertx = Vertx.vertx();
    try {
      WebSocketClient ws = vertx.createWebSocketClient();
      WebSocketConnectOptions o = new WebSocketConnectOptions().setHost("127.0.0.1")
          .setPort(cluster.clientPort("node-3")).setURI("/v1/ws");
      Throwable refused = assertThrows(Exception.class, () -> ws.connect(new WebSocketConnectOptions(o)
          .addHeader("Authorization", "Bearer rlk_0000000000000000_nope")).await(20, TimeUnit.SECONDS));
      assertTrue(refused instanceof UpgradeRejectedException u && u.getStatus() == 401, refused.toString());
      ws.connect(new WebSocketConnectOptions(o).addHeader("Authorization", "Bearer " + aliceKey))
          .await(20, TimeUnit.SECONDS).close().await(20, TimeUnit.SECONDS);

      // Without the header, the key comes as the first message, or the socket closes with 1008.
      WebSocket first = ws.connect(o).await(20, TimeUnit.SECONDS);
      List<String> got = new java.util.concurrent.CopyOnWriteArrayList<>();
      first.textMessageHandler(got::add);
      first.writeTextMessage(new JsonObject().put("authorization", "Bearer " + aliceKey).encode());
      await().atMost(Duration.ofSeconds(20)).until(() -> got.size() == 1);
      assertEquals("alice", new JsonObject(got.get(0)).getString("principal"));
      first.writeTextMessage("{\"id\": \"g1\", \"op\": \"getLockInfo\", \"request\": {\"lockId\": \"jobs/x\"}}");
      await().atMost(Duration.ofSeconds(20)).until(() -> got.size() == 2);
      assertEquals("g1", new JsonObject(got.get(1)).getString("id"), got.get(1));
      first.close().await(20, TimeUnit.SECONDS);

      WebSocket skipped = ws.connect(o).await(20, TimeUnit.SECONDS);
      java.util.concurrent.atomic.AtomicReference<Short> closedWith = new java.util.concurrent.atomic.AtomicReference<>();
      skipped.closeHandler(v -> closedWith.set(skipped.closeStatusCode()));
      skipped.writeTextMessage("{\"id\": \"g1\", \"op\": \"getLockInfo\", \"request\": {\"lockId\": \"jobs/x\"}}");
      await().atMost(Duration.ofSeconds(20)).until(() -> closedWith.get() != null);
      assertEquals((short) 1008, closedWith.get());
    } finally {
      vertx.close().await(20, TimeUnit.SECONDS);
    }
  }

  static HttpResponse<String> get(String url, String key) throws Exception {
    HttpRequest.Builder b = HttpRequest.newBuilder(URI.create(url)).timeout(Duration.ofSeconds(10));
    if (key != null) {
      b.header("Authorization", "Bearer " + key);
    }
    return HTTP.send(b.build(), HttpResponse.BodyHandlers.ofString());
  }

  @Test
  void aRoleOnJobsWorksThereAndIsRefusedElsewhereWithThePrefixNamed() {
    for (String id : List.of(cluster.awaitLeader(), cluster.follower())) {
      StockRaftLock alice = as(id, aliceKey);
      AcquireResponse granted = alice.acquire(acquire("jobs/a-" + id, "w1"));
      assertFalse(granted.hasError(), granted.toString());
      StatusRuntimeException e = assertThrows(StatusRuntimeException.class, () -> alice.acquire(acquire("other/b", "w1")));
      assertEquals(Status.Code.PERMISSION_DENIED, e.getStatus().getCode());
      assertTrue(e.getStatus().getDescription().contains("'lock'")
          && e.getStatus().getDescription().contains("other/b"), e.getStatus().getDescription());
    }
  }

  /** The Java client presents its key on the session stream and on unary calls. */
  @Test
  void theJavaClientSendsItsKeyOnItsSessionAndItsUnaryCalls() {
    String endpoint = "127.0.0.1:" + cluster.clientPort(cluster.awaitLeader());
    try (RaftLockClient alice = RaftLockClient.builder().endpoints(endpoint).clientId("alice-app")
        .apiKey(aliceKey).operationTimeout(java.time.Duration.ofSeconds(10)).build()) {
      LockHandle held = alice.tryLock("jobs/java-client", java.time.Duration.ofSeconds(30), java.time.Duration.ZERO)
          .orElseThrow(() -> new AssertionError("jobs/java-client not granted"));
      assertTrue(held.isHeld());
      assertEquals(held.token(), RaftLockClient.await(alice.getLockInfo(GetLockInfoRequest.newBuilder()
          .setLockId("jobs/java-client").build())).getLockInfo().getVersion(), "a unary read with the key");
      RaftLockException refused = assertThrows(RaftLockException.class,
          () -> alice.tryLock("other/java-client", java.time.Duration.ofSeconds(30), java.time.Duration.ZERO));
      assertEquals(ErrorCode.PERMISSION_DENIED, refused.code(), refused.toString());
      assertTrue(alice.unlock(held));
    }
    try (RaftLockClient anonymous = RaftLockClient.builder().endpoints(endpoint).clientId("anonymous-app")
        .operationTimeout(java.time.Duration.ofSeconds(5)).build()) {
      assertThrows(RaftLockException.class,
          () -> anonymous.tryLock("jobs/java-client", java.time.Duration.ofSeconds(30), java.time.Duration.ZERO));
    }
    assertThrows(IllegalArgumentException.class, () -> RaftLockClient.builder().apiKey("rlk with space"));
  }

  @Test
  void anotherPrincipalCannotReleaseOrRenewAHoldingWithItsClientIdAndToken() {
    String node = cluster.follower();
    AcquireResponse granted = as(node, aliceKey).acquire(acquire("jobs/held", "worker-1"));
    long token = granted.getLock().getVersion();
    StockRaftLock bob = as(node, bobKey);
    var release = bob.call(StockRaftLock.RELEASE, ReleaseRequest.newBuilder().setLockId("jobs/held")
        .setClientId("worker-1").setVersion(token).build());
    assertEquals(io.raftlock.proto.api.ErrorCode.PERMISSION_DENIED, release.getError().getCode(), release.toString());
    assertTrue(release.getError().getMessage().contains("release-any"), release.getError().getMessage());
    var renew = bob.call(StockRaftLock.RENEW, RenewRequest.newBuilder().setLockId("jobs/held").setClientId("worker-1")
        .setVersion(token).setNewTtl(com.google.protobuf.Duration.newBuilder().setSeconds(60)).build());
    assertEquals(io.raftlock.proto.api.ErrorCode.PERMISSION_DENIED, renew.getError().getCode(), renew.toString());
    var info = as(node, aliceKey).call(StockRaftLock.GET_LOCK_INFO,
        GetLockInfoRequest.newBuilder().setLockId("jobs/held").build());
    assertEquals("worker-1", info.getLockInfo().getOwnerId());
    assertEquals(token, info.getLockInfo().getVersion());
  }

  /**
   * A client id names an owner only together with its principal: bob watching alice's client id
   * sees none of her events, and the end of his watch leaves her wait alone (before, it cancelled
   * it); her own watch is told of her grant.
   */
  @Test
  void aWatchOfAnotherPrincipalsClientIdSeesNothingOfItAndCancelsNothingOfIt() {
    String node = cluster.follower();
    long token = as(node, adminKey).acquire(acquire("jobs/watched", "holder")).getLock().getVersion();
    StockRaftLock.WatchStream hers = as(node, aliceKey).watch("shared-worker");
    StockRaftLock.WatchStream his = as(node, bobKey).watch("shared-worker");
    await().atMost(Duration.ofSeconds(10)).until(() -> hers.has(LockEventMessage.Kind.WATCH_STARTED)
        && his.has(LockEventMessage.Kind.WATCH_STARTED));
    assertTrue(as(node, aliceKey).acquire(AcquireRequest.newBuilder(acquire("jobs/watched", "shared-worker"))
        .setWait(true).setWaitTimeout(com.google.protobuf.Duration.newBuilder().setSeconds(120)).build())
        .getQueued());
    await().atMost(Duration.ofSeconds(10)).until(() -> hers.has(LockEventMessage.Kind.QUEUED));

    his.cancel();
    as(node, adminKey).call(StockRaftLock.RELEASE, ReleaseRequest.newBuilder().setLockId("jobs/watched")
        .setClientId("holder").setVersion(token).build());

    await().atMost(Duration.ofSeconds(10)).until(() -> hers.has(LockEventMessage.Kind.GRANTED));
    assertTrue(hers.first(LockEventMessage.Kind.GRANTED).getVersion() > token, "alice's wait survived bob's watch");
    assertEquals(List.of(LockEventMessage.Kind.WATCH_STARTED),
        his.events.stream().map(LockEventMessage::getKind).toList(), "bob saw nothing of alice's");
    hers.cancel();
  }

  @Test
  void aRevokedKeyIsRefusedOnEveryNodeOnceItsRevocationIsApplied() throws Exception {
    Channel admin = StockAuth.withKey(channels.get(cluster.awaitLeader()), adminKey);
    var created = call(admin, StockAuth.CREATE_KEY, CreateKeyRequest.newBuilder().setPrincipal("alice").build());
    awaitKnownEverywhere(created.getKey());
    // Asked of the leader, the answer comes after the leader applied the revocation.
    long revokedAt = call(admin, StockAuth.CHANGE, AuthChangeRequest.newBuilder().setRevokeKey(created.getKeyId())
        .build()).getAppliedIndex();
    for (String id : cluster.ids()) {
      await().atMost(Duration.ofSeconds(20)).until(() -> appliedIndex(id) >= revokedAt);
      Status.Code code = refusal(() -> as(id, created.getKey()).acquire(acquire("jobs/r", "w")));
      assertEquals(Status.Code.UNAUTHENTICATED, code, id);
    }
  }

  @Test
  void aWebSocketSessionCarriesItsKeyAndIsRefusedToAnotherPrincipal() throws Exception {
    Vertx vertx = Vertx.vertx();
    try {
      WsSessionClient alice = wsAs(vertx, cluster.follower(), aliceKey, "alice");
      long sessionId = alice.open("alice-ws", "30s");
      JsonObject held = alice.call("acquire", "{\"lockId\":\"jobs/ws-held\"}");
      assertTrue(held.getJsonObject("response").getBoolean("acquired"), held.encode());
      assertEquals("PERMISSION_DENIED", errorCode(alice.call("acquire", "{\"lockId\":\"other/ws\"}")),
          "alice has no role on other/");

      // Refused by the receiving node, not at apply: 50 denied operations add no log entries
      // (without the fast check each would be one; the margin allows for unrelated expiries).
      long commitBefore = cluster.node(cluster.awaitLeader()).status().commitIndex();
      for (int i = 0; i < 50; i++) {
        JsonObject denied = alice.call("acquire", "{\"lockId\":\"other/ws-" + i + "\"}");
        assertEquals("PERMISSION_DENIED", errorCode(denied), denied.encode());
        assertTrue(denied.encode().contains("other/ws-" + i), "the refusal names the lock: " + denied.encode());
      }
      long entries = cluster.node(cluster.awaitLeader()).status().commitIndex() - commitBefore;
      assertTrue(entries < 10, entries + " entries committed for 50 refused session operations");

      WsSessionClient bob = wsAs(vertx, cluster.awaitLeader(), bobKey, "bob");
      JsonObject resumed = bob.call("resume", "{\"sessionId\":\"" + sessionId + "\"}");
      assertEquals("PERMISSION_DENIED", errorCode(resumed), "alice's session is refused to bob");
      assertEquals("alice-ws", as(cluster.follower(), aliceKey).call(StockRaftLock.GET_LOCK_INFO,
          GetLockInfoRequest.newBuilder().setLockId("jobs/ws-held").build()).getLockInfo().getOwnerId());
    } finally {
      vertx.close().await(20, TimeUnit.SECONDS);
    }
  }

  /** A WebSocket of {@code node} that sent {@code key} as its first message and was accepted as {@code principal}. */
  static WsSessionClient wsAs(Vertx vertx, String node, String key, String principal) throws Exception {
    WsSessionClient s = WsSessionClient.connect(vertx, cluster.clientPort(node));
    s.ws.send(new JsonObject().put("authorization", "Bearer " + key).encode());
    assertEquals(principal, s.ws.next().getString("principal"));
    return s;
  }

  /** The code of a refused answer: the frame's error, or the one inside its response. */
  static String errorCode(JsonObject answer) {
    JsonObject error = answer.containsKey("error") ? answer.getJsonObject("error")
        : answer.getJsonObject("response", new JsonObject()).getJsonObject("error");
    assertNotNull(error, "not refused: " + answer.encode());
    return error.getString("code");
  }

  static long appliedIndex(String id) throws Exception {
    JsonNode s = JSON.readTree(get("http://" + cluster.clientAddress(id) + "/status", adminKey).body());
    return s.get("appliedIndex").asLong();
  }
}
