package io.raftlock.api;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.google.protobuf.Message;
import com.google.protobuf.util.JsonFormat;
import io.raftlock.api.Gen.Invalid;
import io.raftlock.proto.api.GetLocksRequest;
import io.raftlock.proto.api.RaftLockGrpcClient;
import io.raftlock.proto.api.RaftLockGrpcService;
import io.raftlock.config.NodeConfig;
import io.raftlock.testing.BlockedEventLoops;
import io.raftlock.testing.BoundedCalls;
import io.raftlock.testing.CommittedState;
import io.raftlock.testing.LocalCluster;
import io.vertx.core.Future;
import io.vertx.core.Promise;
import io.vertx.core.Vertx;
import io.vertx.core.http.WebSocket;
import io.vertx.core.http.WebSocketClient;
import io.vertx.core.json.JsonObject;
import io.vertx.core.net.SocketAddress;
import io.vertx.grpc.client.GrpcClient;
import io.vertx.grpc.client.InvalidStatusException;
import io.vertx.grpc.common.GrpcStatus;
import io.vertx.grpc.common.ServiceMethod;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Iterator;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ConcurrentLinkedQueue;
import java.util.concurrent.TimeUnit;
import java.util.function.Function;
import net.jqwik.api.Arbitrary;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Bad input through the real path: for each method, {@value #PER_METHOD} generated requests that
 * each break exactly one rule (jqwik generators of {@link RequestValidatorPropertiesTest}) go to a
 * real 3-node cluster, alternately to the leader and a follower. Every one must be refused with
 * INVALID_ARGUMENT naming the broken field; afterwards no replica's state changed (same state hash,
 * same commit index) and no event loop of any node was blocked.
 */
class BadInputClusterTest {
  static final int PER_METHOD = 10_000;
  static final int CONCURRENCY = 64;

  @TempDir static Path root;
  static final BlockedEventLoops blocked = new BlockedEventLoops();
  static LocalCluster cluster;
  static Vertx vertx;
  static GrpcClient grpc;
  static final RequestValidatorPropertiesTest generators = new RequestValidatorPropertiesTest();

  /** protobuf logs a stack trace per unpaired surrogate it encodes; thousands are generated here. */
  static final java.util.logging.Logger PROTOBUF_LOG = java.util.logging.Logger.getLogger("com.google.protobuf");

  @BeforeAll
  static void start() {
    PROTOBUF_LOG.setLevel(java.util.logging.Level.SEVERE);
    // Election timeout 0.5-1 s (50 ticks of 10 ms) rather than the suite's 100 ms: a loaded machine
    // then rarely changes leader during the run (see assertUnchangedSince).
    cluster = new LocalCluster(3, root, c -> new NodeConfig(c.nodeId(), c.dataDir(), c.members(), c.tickMs(),
        50, c.heartbeatTicks(), c.maxInflight(), c.maxEntriesPerAppend(), c.maxBytesPerAppend(),
        c.snapshotEveryEntries(), c.snapshotKeepEntries(), c.syncDurableMarkBeforeAck(), c.eventLoops(), c.api()))
        .withVertx(cfg -> blocked.newVertx(cfg.eventLoops())).start();
    vertx = Vertx.vertx();
    grpc = GrpcClient.client(vertx);
  }

  @AfterAll
  static void stop() {
    grpc.close().await();
    vertx.close().await();
    cluster.close();
  }

  @Test
  void everyInvalidRequestOverGrpcIsRefusedNamingItsFieldAndChangesNothing() {
    CommittedState before = CommittedState.of(cluster);
    List<String> failures = new ArrayList<>();
    failures.addAll(grpcRefusals(RaftLockGrpcService.Acquire.methodName(), generators.invalidAcquire(), c -> c::acquire));
    failures.addAll(grpcRefusals("Release", generators.invalidRelease(), c -> c::release));
    failures.addAll(grpcRefusals("Renew", generators.invalidRenew(), c -> c::renew));
    failures.addAll(grpcRefusals("EnqueueWaiter", generators.invalidEnqueue(), c -> c::enqueueWaiter));
    failures.addAll(grpcRefusals("CancelWait", generators.invalidCancel(), c -> c::cancelWait));
    failures.addAll(grpcRefusals("GetLockInfo", generators.invalidLockInfo(), c -> c::getLockInfo));
    failures.addAll(grpcRefusals("GetLocks", generators.invalidGetLocks(), c -> c::getLocks));
    failures.addAll(grpcRefusals("GetBackoffAdvice", generators.invalidBackoff(), c -> c::getBackoffAdvice));
    failures.addAll(grpcRefusals("Health", generators.invalidHealth(), c -> c::health));
    failures.addAll(grpcRefusals("Watch", generators.invalidWatch(), c -> r -> c.watch(r).compose(stream -> {
      // Headers may come first; the refusal is then the stream's error.
      Promise<Object> answer = Promise.promise();
      stream.handler(m -> answer.tryComplete("pushed " + m.getKind()));
      stream.exceptionHandler(answer::tryFail);
      stream.endHandler(v -> answer.tryComplete("ended"));
      return answer.future();
    })));
    assertEquals(List.of(), failures.subList(0, Math.min(20, failures.size())), failures.size() + " requests not refused right");
    before.assertUnchanged(cluster, 0, BadInputClusterTest::heldLocks);
    blocked.assertNone();
  }

  @Test
  void everyInvalidRequestOverWebSocketIsRefusedNamingItsFieldAndChangesNothing() throws Exception {
    CommittedState before = CommittedState.of(cluster);
    List<String> failures = new ArrayList<>();
    failures.addAll(wsRefusals("acquire", generators.invalidAcquire()));
    failures.addAll(wsRefusals("release", generators.invalidRelease()));
    failures.addAll(wsRefusals("renew", generators.invalidRenew()));
    failures.addAll(wsRefusals("enqueueWaiter", generators.invalidEnqueue()));
    failures.addAll(wsRefusals("cancelWait", generators.invalidCancel()));
    failures.addAll(wsRefusals("getLockInfo", generators.invalidLockInfo()));
    failures.addAll(wsRefusals("getLocks", generators.invalidGetLocks()));
    failures.addAll(wsRefusals("getBackoffAdvice", generators.invalidBackoff()));
    failures.addAll(wsRefusals("health", generators.invalidHealth()));
    failures.addAll(wsRefusals("watch", generators.invalidWatch()));
    assertEquals(List.of(), failures.subList(0, Math.min(20, failures.size())), failures.size() + " requests not refused right");
    before.assertUnchanged(cluster, 0, BadInputClusterTest::heldLocks);
    blocked.assertNone();
  }

  // ---------------------------------------------------------------- helpers

  /**
   * Sends every generated request over one WebSocket per node, 64 in flight, and checks each
   * reply: an error with a validation code naming the broken field. The JSON is ASCII-escaped, so
   * even unpaired surrogates reach the server as written.
   */
  static <Q extends Message> List<String> wsRefusals(String op, Arbitrary<Invalid<Q>> gen) throws Exception {
    JsonFormat.Printer printer = JsonFormat.printer().omittingInsignificantWhitespace();
    // proto3 JSON cannot express every invalid protobuf value (e.g. a Duration whose seconds and
    // nanos differ in sign): such cases are covered over gRPC only.
    List<Map.Entry<Invalid<Q>, String>> all = gen.sampleStream()
        .map(c -> new java.util.AbstractMap.SimpleImmutableEntry<>(c, json(printer, c.request())))
        .filter(e -> e.getValue() != null)
        .map(e -> (Map.Entry<Invalid<Q>, String>) e)
        .limit(PER_METHOD).toList();
    // A lone surrogate in a member name (a metadata key) makes the frame invalid JSON for the
    // server's parser (websocket-protocol.md), so it cannot be answered with its id: those cases
    // are left to the validator properties.
    List<Map.Entry<Invalid<Q>, String>> cases = all.stream().filter(e -> !loneSurrogateKey(e.getKey())).toList();
    WebSocketClient wsClient = vertx.createWebSocketClient();
    List<WebSocket> sockets = new ArrayList<>();
    Map<String, Promise<JsonObject>> replies = new ConcurrentHashMap<>();
    for (String node : cluster.running()) {
      WebSocket ws = wsClient.connect(cluster.clientPort(node), "127.0.0.1", "/v1/ws").await();
      ws.textMessageHandler(text -> {
        JsonObject reply = new JsonObject(text);
        Promise<JsonObject> p = reply.getString("id") == null ? null : replies.remove(reply.getString("id"));
        if (p != null) {
          p.complete(reply);
        }
      });
      sockets.add(ws);
    }
    ConcurrentLinkedQueue<String> wrong = new ConcurrentLinkedQueue<>();
    Iterator<Map.Entry<Invalid<Q>, String>> it = cases.iterator();
    int[] sent = {0};
    try {
      BoundedCalls.run(vertx, CONCURRENCY, () -> {
        if (!it.hasNext()) {
          return null;
        }
        Map.Entry<Invalid<Q>, String> next = it.next();
        Invalid<Q> c = next.getKey();
        String body = next.getValue();
        String id = op + "-" + sent[0]++;
        Promise<JsonObject> reply = Promise.promise();
        replies.put(id, reply);
        sockets.get(sent[0] % sockets.size())
            .writeTextMessage("{\"id\":\"" + id + "\",\"op\":\"" + op + "\",\"request\":" + body + "}");
        return reply.future().timeout(10, TimeUnit.SECONDS).transform(ar -> {
          JsonObject error = ar.succeeded() ? ar.result().getJsonObject("error") : null;
          if (ar.failed()) {
            wrong.add(op + " no reply for " + c);
          } else if (error == null) {
            wrong.add(op + " accepted " + c + ": " + ar.result());
          } else if (!List.of("INVALID_ARGUMENT", "INVALID_TTL").contains(error.getString("code"))) {
            wrong.add(op + " code " + error.getString("code") + " for " + c);
          } else if (!c.field().equals(error.getJsonObject("details", new JsonObject()).getString("field"))) {
            wrong.add(op + " named " + error.getJsonObject("details") + " for " + c);
          }
          return Future.succeededFuture();
        });
      });
    } finally {
      wsClient.close().await();
    }
    assertEquals(cases.size(), sent[0]);
    assertTrue(cases.size() > PER_METHOD * 9 / 10, "most cases reach the server: " + cases.size());
    return new ArrayList<>(wrong);
  }

  /** Maps (metadata, metadata filters) are the only places a request has member names. */
  static boolean loneSurrogateKey(Invalid<?> c) {
    java.util.Set<String> keys = c.request() instanceof io.raftlock.proto.api.AcquireRequest a
        ? a.getMetadataMap().keySet()
        : c.request() instanceof io.raftlock.proto.api.GetLocksRequest g
            ? g.getFilter().getMetadataFilterMap().keySet() : java.util.Set.of();
    return keys.stream().anyMatch(BadInputClusterTest::hasLoneSurrogate);
  }

  static boolean hasLoneSurrogate(String s) {
    for (int i = 0; i < s.length(); i++) {
      char ch = s.charAt(i);
      if (Character.isHighSurrogate(ch) && i + 1 < s.length() && Character.isLowSurrogate(s.charAt(i + 1))) {
        i++;
      } else if (Character.isSurrogate(ch)) {
        return true;
      }
    }
    return false;
  }

  /** The request as ASCII-only proto3 JSON, or null when JSON cannot express it. */
  static String json(JsonFormat.Printer printer, Message m) {
    try {
      return asciiOnly(printer.print(m));
    } catch (com.google.protobuf.InvalidProtocolBufferException | RuntimeException e) {
      return null;
    }
  }

  /** JSON with every non-ASCII char escaped as {@code \\uXXXX}: still the same JSON value. */
  static String asciiOnly(String json) {
    StringBuilder b = new StringBuilder(json.length());
    for (int i = 0; i < json.length(); i++) {
      char ch = json.charAt(i);
      if (ch < 0x80) {
        b.append(ch);
      } else {
        b.append(String.format("\\u%04x", (int) ch));
      }
    }
    return b.toString();
  }

  /** Sends every generated request (64 at a time) and returns a line per wrong answer. */
  static <Q extends Message> List<String> grpcRefusals(String method, Arbitrary<Invalid<Q>> gen,
      Function<RaftLockGrpcClient, Function<Q, Future<?>>> call) {
    List<Invalid<Q>> cases = sample(gen);
    List<RaftLockGrpcClient> clients = cluster.running().stream().map(BadInputClusterTest::client).toList();
    ConcurrentLinkedQueue<String> wrong = new ConcurrentLinkedQueue<>();
    Iterator<Invalid<Q>> it = cases.iterator();
    int[] sent = {0};
    BoundedCalls.run(vertx, CONCURRENCY, () -> {
      Invalid<Q> c;
      synchronized (it) {
        if (!it.hasNext()) {
          return null;
        }
        c = it.next();
        sent[0]++;
      }
      RaftLockGrpcClient client = clients.get(sent[0] % clients.size());
      return call.apply(client).apply(c.request()).timeout(10, TimeUnit.SECONDS).transform(ar -> {
        if (ar.succeeded()) {
          wrong.add(method + " accepted " + c);
        } else if (!(ar.cause() instanceof InvalidStatusException e)) {
          wrong.add(method + " failed with " + ar.cause() + " for " + c);
        } else if (e.actualStatus() != GrpcStatus.INVALID_ARGUMENT) {
          wrong.add(method + " status " + e.actualStatus() + " for " + c);
        }
        return Future.succeededFuture();
      });
    });
    assertEquals(PER_METHOD, sent[0]);
    return new ArrayList<>(wrong);
  }

  /**
   * {@value #PER_METHOD} cases that gRPC can carry: protobuf replaces an unpaired surrogate by '?'
   * when it encodes a string, so such a request arrives valid (the validator tests and the
   * WebSocket test, whose JSON can carry it, cover that rule).
   */
  static <T> List<Invalid<T>> sample(Arbitrary<Invalid<T>> gen) {
    return gen.sampleStream().filter(c -> survivesTheWire((Message) c.request())).limit(PER_METHOD).toList();
  }

  static boolean survivesTheWire(Message m) {
    try {
      return m.getParserForType().parseFrom(m.toByteString()).equals(m);
    } catch (com.google.protobuf.InvalidProtocolBufferException e) {
      return false;
    }
  }

  static RaftLockGrpcClient client(String node) {
    return RaftLockGrpcClient.create(grpc, SocketAddress.inetSocketAddress(cluster.clientPort(node), "127.0.0.1"));
  }

  static int heldLocks() {
    return client(cluster.awaitLeader()).getLocks(GetLocksRequest.newBuilder().build()).await()
        .getTotalMatchingFilter();
  }
}
