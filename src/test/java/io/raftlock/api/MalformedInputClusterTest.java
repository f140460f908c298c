package io.raftlock.api;

import static org.junit.jupiter.api.Assertions.assertAll;
import static org.junit.jupiter.api.Assertions.assertEquals;

import io.raftlock.api.GrpcFuzzCases.Case;
import io.raftlock.api.GrpcFuzzMethods.Method;
import io.raftlock.api.RawGrpc.Answer;
import io.raftlock.config.NodeConfig;
import io.raftlock.proto.api.GetLocksRequest;
import io.raftlock.proto.api.RaftLockGrpcClient;
import io.raftlock.testing.BoundedCalls;
import io.raftlock.testing.CommittedState;
import io.raftlock.testing.LocalCluster;
import io.vertx.core.Future;
import io.vertx.core.Vertx;
import io.vertx.core.http.HttpClient;
import io.vertx.core.http.HttpMethod;
import io.vertx.core.net.SocketAddress;
import io.vertx.grpc.client.GrpcClient;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Iterator;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import java.util.concurrent.ConcurrentLinkedQueue;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.LongAdder;
import java.util.stream.Stream;
import net.jqwik.api.sessions.JqwikSession;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.DynamicTest;
import org.junit.jupiter.api.TestFactory;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.api.function.Executable;

/**
 * Ring 3 from outside, as part of the suite: generated malformed input against a real 3-node
 * cluster, in batches of one category each. gRPC bodies go to every method of
 * {@code raftlock.v1.RaftLock}, {@code raftlock.v1.Admin} and {@code grpc.health.v1.Health} at
 * the byte level (random bytes, truncated messages, wrong wire types, invalid UTF-8, control
 * characters, mutated valid messages, bad length prefixes and frames); WebSocket frames go to
 * every op (random and truncated text, wrong JSON types, deep nesting, control characters, out of
 * range fields, invalid UTF-8, oversized and binary frames). After each batch: every answer was a
 * typed refusal (a gRPC status in trailers, not UNKNOWN or CANCELLED nor a stream reset; a
 * WebSocket error with a code, or a close with the code the protocol names), every node is
 * ready, and the committed state is what it was.
 *
 * <p>{@value #DEFAULT_COUNT} cases per method (or op) and category by default; a longer run:
 * {@code -Draftlock.fuzz.count=2000 -Draftlock.fuzz.seed=7}. The counts per category and answer are
 * printed (surefire: {@code target/surefire-reports/*MalformedInputClusterTest-output.txt}).
 */
class MalformedInputClusterTest {
  static final int DEFAULT_COUNT = 100;
  static final int COUNT = Integer.getInteger("raftlock.fuzz.count", DEFAULT_COUNT);
  static final long SEED = Long.getLong("raftlock.fuzz.seed", 19);
  static final int GRPC_IN_FLIGHT = 64;
  static final int WS_THREADS = 6;
  /** A valid read may wait for a ReadIndex round, which the server bounds at 5 s (api.requestTimeoutMs). */
  static final long READ_TIMEOUT_MS = 10_000;
  /** A refusal needs no Raft round: it is answered at once, even on a machine 10x slower. */
  static final long REFUSAL_TIMEOUT_MS = 5_000;

  @TempDir static Path root;
  static LocalCluster cluster;
  static Vertx vertx;
  static RawGrpc raw;
  static GrpcClient grpc;
  static HttpClient http;
  /** "transport | category | answer" → count, printed at the end. */
  static final Map<String, LongAdder> counts = new java.util.concurrent.ConcurrentHashMap<>();

  @BeforeAll
  static void start() {
    // Election timeout 0.5-1 s, as in BadInputClusterTest: a loaded machine rarely changes leader.
    cluster = new LocalCluster(3, root, c -> new NodeConfig(c.nodeId(), c.dataDir(), c.members(), c.tickMs(),
        50, c.heartbeatTicks(), c.maxInflight(), c.maxEntriesPerAppend(), c.maxBytesPerAppend(),
        c.snapshotEveryEntries(), c.snapshotKeepEntries(), c.syncDurableMarkBeforeAck(), c.eventLoops(), c.api()))
        .start();
    vertx = Vertx.vertx();
    raw = new RawGrpc(vertx);
    grpc = GrpcClient.client(vertx);
    http = vertx.createHttpClient();
  }

  @AfterAll
  static void stop() {
    System.out.println(table());
    raw.close();
    grpc.close().await();
    http.close().await();
    vertx.close().await();
    cluster.close();
  }

  @TestFactory
  Stream<DynamicTest> grpcBodiesOfEveryCategoryAreRefusedWithATypedStatusAndChangeNothing() {
    return Stream.of(GrpcFuzzCases.Category.values()).map(category ->
        DynamicTest.dynamicTest("gRPC " + category.label, () -> grpcBatch(category)));
  }

  @TestFactory
  Stream<DynamicTest> webSocketFramesOfEveryCategoryAreRefusedWithACodeAndChangeNothing() {
    return Stream.of(WsFuzzCases.Category.values()).map(category ->
        DynamicTest.dynamicTest("WebSocket " + category.label, () -> wsBatch(category)));
  }

  // ---------------------------------------------------------------- batches

  static void grpcBatch(GrpcFuzzCases.Category category) throws Throwable {
    GrpcFuzzCases generator = new GrpcFuzzCases(SEED * 31 + category.ordinal());
    List<Case> cases = new ArrayList<>();
    int[] skipped = {0, 0};
    JqwikSession.run(() -> {
      for (Method m : GrpcFuzzMethods.all()) {
        cases.addAll(generator.cases(m, category, COUNT, skipped));
      }
    });
    count("gRPC", category.label, "(not sent: decodes as a write that could be valid)", skipped[0]);
    count("gRPC", category.label, "(not sent: no field of this kind in the method)", skipped[1]);
    ConcurrentLinkedQueue<String> wrong = new ConcurrentLinkedQueue<>();
    checkBatch(cases.size(), wrong, () -> {
      List<Integer> ports = cluster.running().stream().map(cluster::clientPort).toList();
      Iterator<Case> it = cases.iterator();
      AtomicInteger sent = new AtomicInteger();
      BoundedCalls.run(vertx, GRPC_IN_FLIGHT, () -> {
        if (!it.hasNext()) {
          return null;
        }
        return send(it.next(), ports.get(sent.getAndIncrement() % ports.size()), wrong);
      });
      assertEquals(cases.size(), sent.get());
    });
  }

  /** One call; its answer is counted, and noted in {@code wrong} unless its case accepts it. */
  static Future<Answer> send(Case c, int port, ConcurrentLinkedQueue<String> wrong) {
    long timeoutMs = c.expect() == GrpcFuzzCases.Expect.ANY_TYPED ? READ_TIMEOUT_MS : REFUSAL_TIMEOUT_MS;
    return raw.call(port, c.method().path(), c.body(), timeoutMs).map(a -> {
      count("gRPC", c.category().label, a.label(), 1);
      if (!c.expect().accepts.test(a)) {
        wrong.add(c.describe() + " expected " + c.expect() + ", got " + describe(a));
      }
      return a;
    });
  }

  static void wsBatch(WsFuzzCases.Category category) throws Throwable {
    WsFuzzCases generator = new WsFuzzCases(SEED * 37 + category.ordinal());
    List<WsFuzzCases.Case> cases = new ArrayList<>();
    JqwikSession.run(() -> {
      for (String[] op : WsFuzzCases.OPS) {
        cases.addAll(generator.cases(op, category, COUNT));
      }
    });
    ConcurrentLinkedQueue<String> wrong = new ConcurrentLinkedQueue<>();
    checkBatch(cases.size(), wrong, () -> WsFuzzExchange.run(cases,
        cluster.running().stream().map(cluster::clientPort).toList(), WS_THREADS, (c, outcome) -> {
          count("WebSocket", category.label, outcome.label(), 1);
          if (!refused(c, outcome)) {
            wrong.add(c.describe() + " got " + outcome.label() + (outcome.text() == null ? "" : ": " + outcome.text()));
          }
        }));
  }

  /**
   * The answer a WebSocket case must get: the close its frame calls for (1007 invalid UTF-8,
   * 1009 too big, 1003 binary), else a refusal: an error reply with a validation code, or a close
   * 1007/1008/1009 (docs/websocket-protocol.md, "Protocol errors").
   */
  static boolean refused(WsFuzzCases.Case c, WsFuzzExchange.Outcome o) {
    if (c.closeCode() != 0) {
      return o.closeCode() == c.closeCode();
    }
    return "INVALID_ARGUMENT".equals(o.errorCode()) || "INVALID_TTL".equals(o.errorCode())
        || List.of(1007, 1008, 1009).contains(o.closeCode());
  }

  /**
   * Takes the committed state, sends the batch, then checks all three properties (each reported
   * even when another fails): the answers, every node's readiness, the committed state.
   */
  static void checkBatch(int size, ConcurrentLinkedQueue<String> wrong, Executable send) throws Throwable {
    CommittedState before = CommittedState.of(cluster);
    int heldBefore = heldLocks();
    send.execute();
    List<String> failures = new ArrayList<>(wrong);
    assertAll(
        () -> assertEquals(List.of(), failures.subList(0, Math.min(10, failures.size())),
            failures.size() + " of " + size + " answers were not typed refusals"),
        () -> assertEquals(List.of(), notReady(), "nodes not ready after the batch"),
        () -> before.assertUnchanged(cluster, heldBefore, MalformedInputClusterTest::heldLocks));
  }

  // ---------------------------------------------------------------- cluster checks

  /** Members whose {@code /ready} does not answer 200. */
  static List<String> notReady() {
    List<String> bad = new ArrayList<>();
    for (String id : cluster.running()) {
      int status = http.request(HttpMethod.GET, cluster.clientPort(id), "127.0.0.1", "/ready")
          .compose(r -> r.send()).map(r -> r.statusCode()).otherwise(-1).await();
      if (status != 200) {
        bad.add(id + " answered " + status);
      }
    }
    return bad;
  }

  static int heldLocks() {
    RaftLockGrpcClient client = RaftLockGrpcClient.create(grpc,
        SocketAddress.inetSocketAddress(cluster.clientPort(cluster.awaitLeader()), "127.0.0.1"));
    return client.getLocks(GetLocksRequest.getDefaultInstance()).await().getTotalMatchingFilter();
  }

  // ---------------------------------------------------------------- counts

  static String describe(Answer a) {
    return a.label() + (a.detail() == null ? "" : " (" + a.detail() + ")");
  }

  static void count(String transport, String category, String answer, int n) {
    if (n > 0) {
      counts.computeIfAbsent(transport + " | " + category + " | " + answer, k -> new LongAdder()).add(n);
    }
  }

  /** The counts as a Markdown table, with the seed and the count per method and category. */
  static String table() {
    StringBuilder sb = new StringBuilder("Malformed input, seed " + SEED + ", " + COUNT
        + " cases per method (op) and category:\n\n| transport | category | answer | count |\n|---|---|---|---:|\n");
    new TreeMap<>(counts).forEach((k, v) -> sb.append("| ").append(k).append(" | ").append(v.sum()).append(" |\n"));
    return sb.toString();
  }
}
