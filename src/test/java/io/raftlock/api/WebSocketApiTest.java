package io.raftlock.api;

import static org.awaitility.Awaitility.await;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.google.protobuf.Duration;
import com.google.protobuf.Message;
import com.google.protobuf.Timestamp;
import com.google.protobuf.util.JsonFormat;
import io.raftlock.proto.api.AcquireRequest;
import io.raftlock.proto.api.BackoffAdviceRequest;
import io.raftlock.proto.api.CancelWaitRequest;
import io.raftlock.proto.api.EnqueueWaiterRequest;
import io.raftlock.proto.api.GetLockInfoRequest;
import io.raftlock.proto.api.GetLocksRequest;
import io.raftlock.proto.api.GetStatusRequest;
import io.raftlock.proto.api.HealthRequest;
import io.raftlock.proto.api.LockEventMessage;
import io.raftlock.proto.api.LockFilter;
import io.raftlock.proto.api.ReleaseRequest;
import io.raftlock.proto.api.RenewRequest;
import io.raftlock.proto.api.WatchRequest;
import io.vertx.core.Vertx;
import io.vertx.core.buffer.Buffer;
import io.vertx.core.http.HttpServer;
import io.vertx.core.http.HttpServerOptions;
import io.vertx.core.http.WebSocketFrame;
import io.vertx.core.json.JsonObject;
import io.vertx.ext.web.Router;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Set;
import java.util.concurrent.TimeUnit;
import java.util.stream.IntStream;
import java.util.stream.Stream;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.MethodSource;

/**
 * The WebSocket API end to end over a real socket: a Vert.x HTTP server mounting
 * {@link WebSocketApi} on {@code /v1/ws} like the node does, a {@link WsFakeLockApi} behind it,
 * and a Vert.x client (or {@link WsRawClient} for misbehaving clients) in front.
 */
class WebSocketApiTest {
  private static final String LONG_ID = "x".repeat(200);

  private Vertx vertx;
  private WsFakeLockApi fake;
  private int port;

  @BeforeEach
  void setUp() {
    vertx = Vertx.vertx();
    fake = new WsFakeLockApi();
  }

  @AfterEach
  void tearDown() throws Exception {
    vertx.close().toCompletionStage().toCompletableFuture().get(10, TimeUnit.SECONDS);
  }

  /** Starts the server; its own frame limits are looser than the adapter's, on purpose. */
  private WsTestClient start(WebSocketApi.Options options) throws Exception {
    WebSocketApi api = new WebSocketApi(vertx, fake, options);
    Router router = Router.router(vertx);
    router.route("/v1/ws").handler(rc -> rc.request().toWebSocket().onSuccess(api::handle));
    HttpServer server = vertx.createHttpServer(new HttpServerOptions()
            .setMaxWebSocketFrameSize(1 << 20).setMaxWebSocketMessageSize(1 << 20)
            .setWebSocketClosingTimeout(2))
        .requestHandler(router);
    port = server.listen(0, "localhost").toCompletionStage().toCompletableFuture()
        .get(10, TimeUnit.SECONDS).actualPort();
    return WsTestClient.connect(vertx, port);
  }

  private WsTestClient start() throws Exception {
    return start(WebSocketApi.Options.defaults());
  }

  // ------------------------------------------------------------------ request / reply

  static Stream<Arguments> ops() {
    return Stream.of(
        Arguments.of("acquire",
            "{\"lockId\":\"L1\",\"clientId\":\"c1\",\"ttl\":\"30s\",\"wait\":true,"
                + "\"waitTimeout\":\"5.250s\",\"priority\":7,\"metadata\":{\"k\":\"v\"},"
                + "\"requestId\":\"r1\"}",
            AcquireRequest.newBuilder().setLockId("L1").setClientId("c1")
                .setTtl(Duration.newBuilder().setSeconds(30)).setWait(true)
                .setWaitTimeout(Duration.newBuilder().setSeconds(5).setNanos(250_000_000))
                .setPriority(7).putMetadata("k", "v").setRequestId("r1").build(),
            WsFakeLockApi.ACQUIRE),
        Arguments.of("release",
            "{\"lockId\":\"L1\",\"clientId\":\"c1\",\"version\":\"42\",\"requestId\":\"r2\"}",
            ReleaseRequest.newBuilder().setLockId("L1").setClientId("c1").setVersion(42)
                .setRequestId("r2").build(),
            WsFakeLockApi.RELEASE),
        Arguments.of("renew",
            "{\"lockId\":\"L1\",\"clientId\":\"c1\",\"version\":42,\"newTtl\":\"1.500s\"}",
            RenewRequest.newBuilder().setLockId("L1").setClientId("c1").setVersion(42)
                .setNewTtl(Duration.newBuilder().setSeconds(1).setNanos(500_000_000)).build(),
            WsFakeLockApi.RENEW),
        Arguments.of("getLockInfo",
            "{\"lockId\":\"L1\",\"includeWaiters\":true,\"staleRead\":true}",
            GetLockInfoRequest.newBuilder().setLockId("L1").setIncludeWaiters(true)
                .setStaleRead(true).build(),
            WsFakeLockApi.LOCK_INFO),
        Arguments.of("getLocks",
            "{\"filter\":{\"lockIdPattern\":\"a*\",\"onlyHeld\":true,"
                + "\"expiresBefore\":\"2030-01-01T00:00:00Z\",\"metadataFilter\":{\"team\":\"x\"}},"
                + "\"limit\":10,\"offset\":5}",
            GetLocksRequest.newBuilder().setFilter(LockFilter.newBuilder().setLockIdPattern("a*")
                    .setOnlyHeld(true).setExpiresBefore(Timestamp.newBuilder().setSeconds(1893456000))
                    .putMetadataFilter("team", "x"))
                .setLimit(10).setOffset(5).build(),
            WsFakeLockApi.LOCKS),
        Arguments.of("enqueueWaiter",
            "{\"lockId\":\"L1\",\"clientId\":\"c2\",\"timeout\":\"60s\",\"priority\":-3}",
            EnqueueWaiterRequest.newBuilder().setLockId("L1").setClientId("c2")
                .setTimeout(Duration.newBuilder().setSeconds(60)).setPriority(-3).build(),
            WsFakeLockApi.ENQUEUE),
        Arguments.of("cancelWait", "{\"lockId\":\"L1\",\"clientId\":\"c2\"}",
            CancelWaitRequest.newBuilder().setLockId("L1").setClientId("c2").build(),
            WsFakeLockApi.CANCEL),
        Arguments.of("getBackoffAdvice", "{\"lockId\":\"L1\"}",
            BackoffAdviceRequest.newBuilder().setLockId("L1").build(), WsFakeLockApi.BACKOFF),
        Arguments.of("getStatus", "{\"includeReplicationDetails\":true}",
            GetStatusRequest.newBuilder().setIncludeReplicationDetails(true).build(),
            WsFakeLockApi.STATUS),
        Arguments.of("health", "{\"serviceName\":\"locks\"}",
            HealthRequest.newBuilder().setServiceName("locks").build(), WsFakeLockApi.HEALTH));
  }

  @ParameterizedTest(name = "{0}")
  @MethodSource("ops")
  void eachOpRoundTrips(String op, String requestJson, Message expectedRequest,
      Message cannedResponse) throws Exception {
    WsTestClient client = start();
    JsonObject reply = client.call("req-" + op, op, requestJson);

    assertEquals(List.of(expectedRequest), List.copyOf(fake.calls));
    assertEquals(Set.of("id", "op", "response"), reply.fieldNames());
    assertEquals("req-" + op, reply.getString("id"));
    assertEquals(op, reply.getString("op"));
    Message.Builder got = cannedResponse.newBuilderForType();
    JsonFormat.parser().merge(reply.getJsonObject("response").encode(), got);
    assertEquals(cannedResponse, got.build());
  }

  @Test
  void responsesUseTheProto3JsonMapping() throws Exception {
    WsTestClient client = start();
    JsonObject lock = client.call("1", "acquire", "{\"lockId\":\"L1\",\"clientId\":\"c1\"}")
        .getJsonObject("response").getJsonObject("lock");
    assertEquals("42", lock.getString("version"), "int64 travels as a JSON string");
    assertEquals("2030-03-17T17:46:40Z", lock.getString("expiresAt"));
    assertEquals("c1", lock.getString("ownerId"));
  }

  @Test
  void absentOrNullRequestIsTheEmptyMessage() throws Exception {
    WsTestClient client = start();
    client.send("{\"id\":\"a\",\"op\":\"health\"}");
    assertEquals("SERVING", client.next().getJsonObject("response").getString("status"));
    client.send("{\"op\":\"getStatus\",\"request\":null,\"id\":\"b\"}");
    assertEquals("b", client.next().getString("id"));
    assertEquals(List.of(HealthRequest.getDefaultInstance(), GetStatusRequest.getDefaultInstance()),
        List.copyOf(fake.calls));
  }

  @Test
  void sessionOpsWithoutASessionServiceAreRefusedAndTheOtherOpsStillWork() throws Exception {
    WsTestClient client = start();
    JsonObject refused = client.call("s1", "open", "{\"name\":\"w\",\"ttl\":\"30s\"}");
    assertEquals("open", refused.getString("op"));
    assertEquals("UNAVAILABLE", refused.getJsonObject("error").getString("code"));
    JsonObject acquired = client.call("s2", "acquire", "{\"lockId\":\"L1\",\"clientId\":\"c1\"}");
    assertTrue(acquired.getJsonObject("response").getBoolean("acquired"), acquired.encode());
  }

  @Test
  void lockLevelOutcomeStaysInTheResponse() throws Exception {
    WsTestClient client = start();
    JsonObject reply = client.call("1", "acquire", "{\"lockId\":\"held\",\"clientId\":\"c1\"}");
    assertNull(reply.getValue("error"));
    assertEquals("LOCK_HELD", reply.getJsonObject("response").getJsonObject("error")
        .getString("code"));
  }

  @Test
  void apiExceptionBecomesTheErrorObject() throws Exception {
    WsTestClient client = start();
    JsonObject reply = client.call("r-9", "renew",
        "{\"lockId\":\"refused\",\"clientId\":\"c1\",\"version\":1,\"newTtl\":\"5s\"}");
    assertEquals(Set.of("id", "op", "error"), reply.fieldNames());
    assertEquals("r-9", reply.getString("id"));
    assertEquals("renew", reply.getString("op"));
    JsonObject error = reply.getJsonObject("error");
    assertEquals("RATE_LIMITED", error.getString("code"));
    assertEquals("0.250s", error.getString("retryAfter"));
    assertEquals("slow down", error.getString("message"));
  }

  @Test
  void otherFailuresAreInternalErrorsWithoutDetails() throws Exception {
    WsTestClient client = start();
    for (String lockId : List.of("boom", "throws")) {
      JsonObject reply = client.call(lockId, "getLockInfo", "{\"lockId\":\"" + lockId + "\"}");
      assertEquals(lockId, reply.getString("id"));
      JsonObject error = reply.getJsonObject("error");
      assertEquals("INTERNAL_ERROR", error.getString("code"));
      assertEquals("internal error", error.getString("message"));
      assertFalse(reply.encode().contains("secret"), reply.encode());
    }
    assertEquals("SERVING", client.call("h", "health", "{}").getJsonObject("response")
        .getString("status"));
  }

  // ------------------------------------------------------------------ protocol errors

  static Stream<Arguments> badFrames() {
    return Stream.of(
        Arguments.of("{\"id\":\"1\",\"op\":", null, null, "frame is not valid JSON"),
        Arguments.of("[1,2]", null, null, "frame must be a JSON object"),
        Arguments.of("\"health\"", null, null, "frame must be a JSON object"),
        Arguments.of("{\"op\":\"health\"}", null, "id", "id: a string"),
        Arguments.of("{\"id\":7,\"op\":\"health\"}", null, "id", "id: a string"),
        Arguments.of("{\"id\":\"\",\"op\":\"health\"}", null, "id", "id: a string"),
        Arguments.of("{\"id\":\"" + "i".repeat(129) + "\",\"op\":\"health\"}", null, "id",
            "id: a string"),
        Arguments.of("{\"id\":\"7\",\"op\":\"lock\"}", "7", "op", "unknown op \"lock\""),
        Arguments.of("{\"id\":\"7\"}", "7", "op", "op: a string is required"),
        Arguments.of("{\"id\":\"7\",\"op\":\"health\",\"requets\":{}}", "7", "requets",
            "unknown member \"requets\""),
        Arguments.of("{\"id\":\"7\",\"op\":\"health\",\"request\":[]}", "7", "request",
            "request: a JSON object"),
        Arguments.of("{\"id\":\"7\",\"op\":\"acquire\",\"request\":{\"lockId\":\"L\",\"wait\":\"yes\"}}",
            "7", "wait", "wait: must be true or false, got a string"),
        Arguments.of("{\"id\":\"7\",\"op\":\"acquire\",\"request\":{\"lockId\":\"L\",\"ttl\":30}}",
            "7", "ttl", "ttl: must be a JSON string, got a number"),
        // The proto3 JSON parser alone would coerce these into the strings "5", "5.5" and "true".
        Arguments.of("{\"id\":\"7\",\"op\":\"acquire\",\"request\":{\"lockId\":5,\"clientId\":\"c\"}}",
            "7", "lock_id", "lock_id: must be a JSON string, got a number"),
        Arguments.of("{\"id\":\"7\",\"op\":\"acquire\",\"request\":{\"lockId\":5.5,\"clientId\":\"c\"}}",
            "7", "lock_id", "lock_id: must be a JSON string, got a number"),
        Arguments.of("{\"id\":\"7\",\"op\":\"release\",\"request\":{\"lockId\":\"L\",\"clientId\":true}}",
            "7", "client_id", "client_id: must be a JSON string, got a boolean"),
        Arguments.of("{\"id\":\"7\",\"op\":\"acquire\",\"request\":{\"lockId\":\"L\",\"metadata\":{\"k\":1}}}",
            "7", "metadata[k]", "metadata[k]: must be a JSON string, got a number"),
        Arguments.of("{\"id\":\"7\",\"op\":\"getLocks\",\"request\":{\"filter\":{\"lockIdPattern\":[\"a\"]}}}",
            "7", "filter.lock_id_pattern", "filter.lock_id_pattern: must be a JSON string, got an array"),
        Arguments.of("{\"id\":\"7\",\"op\":\"getLocks\",\"request\":{\"filter\":\"a*\"}}",
            "7", "filter", "filter: must be a JSON object, got a string"),
        Arguments.of("{\"id\":\"7\",\"op\":\"health\",\"request\":" + "[".repeat(5000) + "]".repeat(5000) + "}",
            null, null, "deeper than 8 levels"),
        Arguments.of("{\"id\":\"a\\u0000b\",\"op\":\"health\"}", null, "id", "id: must not contain control characters"),
        Arguments.of("{\"id\":\"a\\u001b[2Jb\",\"op\":\"health\"}", null, "id", "id: must not contain control characters"),
        Arguments.of("{\"id\":\"7\",\"op\":\"renew\",\"request\":{\"version\":1.5}}",
            "7", "request", "request: "),
        Arguments.of("{\"id\":\"7\",\"op\":\"acquire\",\"request\":{\"lockId\":\"L\",\"lockid\":\"M\"}}",
            "7", "request", "lockid"));
  }

  @ParameterizedTest
  @MethodSource("badFrames")
  void protocolErrorsAreTypedAndTheConnectionStaysUsable(String frame, String id, String field,
      String messagePart) throws Exception {
    WsTestClient client = start();
    client.send(frame);
    JsonObject reply = client.next();

    assertEquals(id, reply.getString("id"));
    JsonObject error = reply.getJsonObject("error");
    assertNotNull(error, reply.encode());
    assertEquals("INVALID_ARGUMENT", error.getString("code"));
    assertTrue(error.getString("message").contains(messagePart), error.getString("message"));
    JsonObject details = error.getJsonObject("details");
    assertEquals(field, details == null ? null : details.getString("field"));
    assertTrue(fake.calls.isEmpty(), "nothing reached the API");

    JsonObject ok = client.call("after", "health", "{}");
    assertEquals("after", ok.getString("id"));
    assertEquals("SERVING", ok.getJsonObject("response").getString("status"));
    assertFalse(client.isClosed());
  }

  @Test
  void unknownOpIsNotEchoedAsTheOp() throws Exception {
    WsTestClient client = start();
    JsonObject reply = client.call("1", "acquireLock", "{}");
    assertNull(reply.getValue("op"));
    assertEquals("unknown op \"acquireLock\"", reply.getJsonObject("error").getString("message"));
  }

  @Test
  void consecutiveProtocolErrorsCloseWith1008() throws Exception {
    WsTestClient client = start(WebSocketApi.Options.defaults().withMaxProtocolErrors(3));
    client.send("nope");
    client.send("nope");
    client.send("{\"id\":\"ok\",\"op\":\"health\"}"); // resets the count
    client.send("nope");
    client.send("nope");
    for (int i = 0; i < 2; i++) {
      assertEquals("INVALID_ARGUMENT", client.next().getJsonObject("error").getString("code"));
    }
    assertEquals("ok", client.next().getString("id"));
    for (int i = 0; i < 2; i++) {
      assertEquals("INVALID_ARGUMENT", client.next().getJsonObject("error").getString("code"));
    }
    assertFalse(client.isClosed());
    client.send("nope");
    assertEquals("INVALID_ARGUMENT", client.next().getJsonObject("error").getString("code"));
    assertEquals((short) 1008, client.awaitClose());
  }

  @Test
  void binaryFrameClosesWith1003() throws Exception {
    WsTestClient client = start();
    client.sendBinary(Buffer.buffer("{\"id\":\"1\",\"op\":\"health\"}"));
    assertEquals((short) 1003, client.awaitClose());
    assertTrue(fake.calls.isEmpty());
  }

  @Test
  void oversizedMessageClosesWith1009() throws Exception {
    WsTestClient client = start(WebSocketApi.Options.defaults().withMaxFrameBytes(4096));
    client.send("{\"id\":\"1\",\"op\":\"health\",\"request\":{\"serviceName\":\""
        + "s".repeat(5000) + "\"}}");
    assertEquals((short) 1009, client.awaitClose());
    assertTrue(fake.calls.isEmpty());
  }

  @Test
  void oversizedFragmentedMessageClosesWith1009() throws Exception {
    WsTestClient client = start(WebSocketApi.Options.defaults().withMaxFrameBytes(4096));
    client.sendFrame(WebSocketFrame.textFrame("{\"id\":\"1\",\"op\":\"health\",\"x\":\""
        + "a".repeat(3000), false));
    client.sendFrame(WebSocketFrame.continuationFrame(Buffer.buffer("b".repeat(3000) + "\"}"),
        true));
    assertEquals((short) 1009, client.awaitClose());
  }

  @Test
  void messageOfExactlyTheLimitIsServedEvenWhenFragmented() throws Exception {
    WsTestClient client = start(WebSocketApi.Options.defaults().withMaxFrameBytes(4096));
    String head = "{\"id\":\"edge\",\"op\":\"health\",\"request\":{}";
    String frame = head + " ".repeat(4096 - head.length() - 1) + "}";
    assertEquals(4096, frame.getBytes(StandardCharsets.UTF_8).length);
    client.sendFrame(WebSocketFrame.textFrame(frame.substring(0, 2000), false));
    client.sendFrame(WebSocketFrame.continuationFrame(Buffer.buffer(frame.substring(2000)), true));
    assertEquals("edge", client.next().getString("id"));
  }

  /** Netty's decoder refuses the header; Vert.x would end the TCP connection without a close frame. */
  @Test
  void aFrameHeaderClaimingMoreThanTheServerLimitClosesWith1009() throws Exception {
    start();
    try (WsRawClient raw = WsRawClient.connect(port, "/v1/ws", 0)) {
      raw.sendFrame(WsRawClient.TEXT, true, (1L << 20) + 1, "{\"id\":\"1\"".getBytes(StandardCharsets.UTF_8));
      WsRawClient.Frame close = raw.readUntilClose(f -> { });
      assertNotNull(close, "no close frame");
      assertEquals(1009, close.closeCode());
    }
    assertTrue(fake.calls.isEmpty());
  }

  @Test
  void aFrameWithAReservedOpcodeClosesWith1002() throws Exception {
    start();
    try (WsRawClient raw = WsRawClient.connect(port, "/v1/ws", 0)) {
      raw.sendFrame(0x3, true, "{}".getBytes(StandardCharsets.UTF_8));
      WsRawClient.Frame close = raw.readUntilClose(f -> { });
      assertNotNull(close, "no close frame");
      assertEquals(1002, close.closeCode());
    }
    assertTrue(fake.calls.isEmpty());
  }

  @Test
  void invalidUtf8ClosesWith1007() throws Exception {
    start();
    try (WsRawClient raw = WsRawClient.connect(port, "/v1/ws", 0)) {
      raw.sendFrame(WsRawClient.TEXT, true, new byte[] {'{', (byte) 0xC0, (byte) 0x80, '}'});
      WsRawClient.Frame close = raw.readUntilClose(f -> { });
      assertNotNull(close, "no close frame");
      assertEquals(1007, close.closeCode());
    }
  }

  @Test
  void aConnectionAtItsInFlightBudgetIsNotReadUntilHalfOfItDrains() throws Exception {
    WsTestClient client = start(WebSocketApi.Options.defaults().withMaxInFlight(2));
    client.send("{\"id\":\"1\",\"op\":\"acquire\",\"request\":{\"lockId\":\"later\"}}");
    client.send("{\"id\":\"2\",\"op\":\"acquire\",\"request\":{\"lockId\":\"later\"}}");
    client.send("{\"id\":\"3\",\"op\":\"health\"}");
    await().atMost(java.time.Duration.ofSeconds(10)).until(() -> fake.later.size() == 2);
    assertEquals(2, fake.calls.size(), "the third request stays unread while two are in flight");

    fake.later.poll().run(); // one slot free: half the budget, reading resumes
    JsonObject first = client.next();
    assertEquals("1", first.getString("id"));
    JsonObject third = client.next();
    assertEquals("3", third.getString("id"));
    assertNull(third.getValue("error"), "answered, not refused: " + third);
    assertEquals("SERVING", third.getJsonObject("response").getString("status"));
    assertEquals(3, fake.calls.size());
    fake.later.poll().run();
    assertEquals("2", client.next().getString("id"));
  }

  // ------------------------------------------------------------------ watches

  private static LockEventMessage granted(String clientId, long logIndex) {
    return LockEventMessage.newBuilder().setKind(LockEventMessage.Kind.GRANTED)
        .setLockId("L" + logIndex).setClientId(clientId).setVersion(logIndex)
        .setLogIndex(logIndex).build();
  }

  /** Watches and reads both the reply and the WATCH_STARTED event (the event may come first). */
  private void watch(WsTestClient client, String clientId) throws Exception {
    client.send("{\"id\":\"w-" + clientId + "\",\"op\":\"watch\",\"request\":{\"clientId\":\""
        + clientId + "\"}}");
    Set<String> got = new HashSet<>();
    for (int i = 0; i < 2; i++) {
      JsonObject m = client.next();
      if (m.containsKey("event")) {
        JsonObject e = m.getJsonObject("event");
        assertEquals("WATCH_STARTED", e.getString("kind"));
        assertEquals(clientId, e.getString("clientId"));
        assertEquals("10", e.getString("logIndex"));
        got.add("event");
      } else {
        assertEquals(new JsonObject().put("id", "w-" + clientId).put("op", "watch")
            .put("response", new JsonObject()), m);
        got.add("reply");
      }
    }
    assertEquals(Set.of("event", "reply"), got);
  }

  @Test
  void watchPushesEventsInOrder() throws Exception {
    WsTestClient client = start();
    watch(client, "c1");
    assertEquals(WatchRequest.newBuilder().setClientId("c1").build(), fake.calls.peekLast());

    List<LockEventMessage> events = IntStream.rangeClosed(11, 110)
        .mapToObj(i -> granted("c1", i)).toList();
    List<Boolean> pushed = fake.push("c1", events).get(10, TimeUnit.SECONDS);
    assertEquals(100, pushed.size());
    assertTrue(pushed.stream().allMatch(b -> b));
    for (LockEventMessage expected : events) {
      JsonObject m = client.next();
      assertEquals(Set.of("event"), m.fieldNames());
      LockEventMessage.Builder got = LockEventMessage.newBuilder();
      JsonFormat.parser().merge(m.getJsonObject("event").encode(), got);
      assertEquals(expected, got.build());
    }
  }

  @Test
  void oneConnectionWatchesSeveralClientsButEachOnce() throws Exception {
    WsTestClient client = start();
    watch(client, "c1");
    watch(client, "c2");
    JsonObject dup = client.call("again", "watch", "{\"clientId\":\"c1\"}");
    assertEquals("again", dup.getString("id"));
    assertEquals("INVALID_ARGUMENT", dup.getJsonObject("error").getString("code"));
    assertEquals("client_id", dup.getJsonObject("error").getJsonObject("details")
        .getString("field"));

    fake.push("c2", List.of(granted("c2", 50))).get(10, TimeUnit.SECONDS);
    fake.push("c1", List.of(granted("c1", 51))).get(10, TimeUnit.SECONDS);
    assertEquals("c2", client.next().getJsonObject("event").getString("clientId"));
    assertEquals("c1", client.next().getJsonObject("event").getString("clientId"));
    assertEquals(0, fake.closes("c1"));
  }

  @Test
  void refusedWatchIsAnErrorAndLeavesNothingBehind() throws Exception {
    WsTestClient client = start();
    for (int i = 0; i < 2; i++) {
      JsonObject reply = client.call("w" + i, "watch", "{\"clientId\":\"\"}");
      assertEquals("w" + i, reply.getString("id"));
      JsonObject error = reply.getJsonObject("error");
      assertEquals("INVALID_ARGUMENT", error.getString("code"));
      assertEquals("client_id: required", error.getString("message"), "the API's error, twice");
    }
  }

  @Test
  void unwatchClosesTheWatch() throws Exception {
    WsTestClient client = start();
    watch(client, "c1");
    JsonObject reply = client.call("u", "unwatch", "{\"clientId\":\"c1\"}");
    assertEquals(new JsonObject().put("id", "u").put("op", "unwatch")
        .put("response", new JsonObject()), reply);
    await().atMost(10, TimeUnit.SECONDS).until(() -> fake.closes("c1") == 1);

    assertEquals(List.of(false), fake.push("c1", List.of(granted("c1", 99)))
        .get(10, TimeUnit.SECONDS), "an ended watch refuses events");
    JsonObject again = client.call("u2", "unwatch", "{\"clientId\":\"c1\"}");
    assertEquals("INVALID_ARGUMENT", again.getJsonObject("error").getString("code"));
    assertEquals(1, fake.closes("c1"));
    watch(client, "c1"); // may watch again
  }

  @Test
  void nodeEndingAWatchIsReportedAndTheConnectionStays() throws Exception {
    WsTestClient client = start();
    watch(client, "c1");
    fake.onWatchContext("c1", () -> fake.sinks.get("c1").closed("node stopping"))
        .get(10, TimeUnit.SECONDS);
    assertEquals(new JsonObject().put("watchClosed",
        new JsonObject().put("clientId", "c1").put("reason", "node stopping")), client.next());
    assertEquals("SERVING", client.call("h", "health", "{}").getJsonObject("response")
        .getString("status"));
    watch(client, "c1");
  }

  @Test
  void closingTheSocketClosesEveryWatch() throws Exception {
    WsTestClient client = start();
    watch(client, "c1");
    watch(client, "c2");
    assertEquals(0, fake.closes("c1") + fake.closes("c2"));
    client.close();
    await().atMost(10, TimeUnit.SECONDS)
        .until(() -> fake.closes("c1") == 1 && fake.closes("c2") == 1);
  }

  @Test
  void slowConsumerIsDisconnectedAndItsWatchClosed() throws Exception {
    start(WebSocketApi.Options.defaults().withMaxWriteQueueBytes(64 * 1024));
    try (WsRawClient raw = WsRawClient.connect(port, "/v1/ws", 4096)) {
      raw.sendText("{\"id\":\"w\",\"op\":\"watch\",\"request\":{\"clientId\":\"slow\"}}");
      await().atMost(10, TimeUnit.SECONDS).until(() -> fake.sinks.containsKey("slow"));

      // The client reads nothing: the server must give up instead of buffering 50+ MB.
      List<LockEventMessage> flood = new ArrayList<>();
      String bigLockId = LONG_ID;
      for (int i = 1; i <= 200_000; i++) {
        flood.add(LockEventMessage.newBuilder().setKind(LockEventMessage.Kind.QUEUED)
            .setLockId(bigLockId).setClientId("slow").setLogIndex(i).build());
      }
      List<Boolean> pushed = fake.push("slow", flood).get(30, TimeUnit.SECONDS);
      assertFalse(pushed.get(pushed.size() - 1), "a push was refused");
      assertTrue(pushed.size() < 200_000, "refused after " + pushed.size() + " events");
      await().atMost(10, TimeUnit.SECONDS).until(() -> fake.closes("slow") == 1);
      assertEquals(List.of(false), fake.push("slow", flood.subList(0, 1)).get(10, TimeUnit.SECONDS));

      // Reading now drains what was accepted, then the connection ends.
      int[] events = {0};
      WsRawClient.Frame close = raw.readUntilClose(f -> events[0]++);
      if (close != null) {
        assertEquals(1008, close.closeCode());
      }
      assertTrue(events[0] < pushed.size() + 2, "no more than what was accepted");
    }
  }

  // ------------------------------------------------------------------ liveness

  @Test
  void clientThatNeverAnswersPingsIsClosedAfterTheIdleTimeout() throws Exception {
    start(WebSocketApi.Options.defaults().withLiveness(50, 300));
    try (WsRawClient raw = WsRawClient.connect(port, "/v1/ws", 0)) {
      int[] pings = {0};
      long startNanos = System.nanoTime();
      WsRawClient.Frame close = raw.readUntilClose(f -> {
        if (f.opcode() == WsRawClient.PING) {
          pings[0]++;
        }
      });
      long elapsedMs = (System.nanoTime() - startNanos) / 1_000_000;
      assertNotNull(close, "no close frame");
      assertEquals(1001, close.closeCode());
      assertEquals("idle timeout", close.text());
      assertTrue(pings[0] >= 2, "pings sent: " + pings[0]);
      assertTrue(elapsedMs >= 250, "closed after " + elapsedMs + " ms");
    }
  }

  @Test
  void clientAnsweringPingsStaysConnected() throws Exception {
    WsTestClient client = start(WebSocketApi.Options.defaults().withLiveness(50, 300));
    await().during(1200, TimeUnit.MILLISECONDS).atMost(5, TimeUnit.SECONDS)
        .until(() -> !client.isClosed());
    assertEquals("SERVING", client.call("h", "health", "{}").getJsonObject("response")
        .getString("status"));
  }
}
