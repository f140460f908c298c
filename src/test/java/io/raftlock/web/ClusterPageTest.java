package io.raftlock.web;

import static org.awaitility.Awaitility.await;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.raftlock.lock.LockInfo;
import io.raftlock.lock.LockStats;
import io.raftlock.raft.RaftStatus;
import io.raftlock.raft.Role;
import io.raftlock.testing.FreePorts;
import io.vertx.core.Context;
import io.vertx.core.Future;
import io.vertx.core.Promise;
import io.vertx.core.VerticleBase;
import io.vertx.core.Vertx;
import io.vertx.core.http.HttpClient;
import io.vertx.core.http.HttpMethod;
import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import io.vertx.ext.web.Router;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicLong;
import java.util.function.Supplier;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

/**
 * The page's routes and its shared refresh on a real HTTP server, with made-up sources: one
 * member is this node, the other a port nobody listens on.
 */
@Timeout(60)
class ClusterPageTest {
  Vertx vertx;
  HttpClient http;
  int port;
  int deadPort;
  Context pageContext;
  ClusterPage page;
  final AtomicLong lockReads = new AtomicLong();

  final ClusterPage.Sources sources = new ClusterPage.Sources() {
    @Override
    public RaftStatus status() {
      return new RaftStatus("n1", Role.LEADER, 3, "n1", 12, 3, 12, 11, 12, 0, false, 3, new TreeMap<>());
    }

    @Override
    public Future<BusiestLocks.Summary> locks(int limit) {
      long n = lockReads.incrementAndGet();
      LockInfo held = new LockInfo("orders", "client-7", 11, 0, Long.MAX_VALUE / 2, 1, List.of(), new TreeMap<>());
      return Future.succeededFuture(new BusiestLocks.Summary(List.of(held),
          new LockStats(1, 1, 1, 0, n, 0, 0, 0, 0, 0, 0)));
    }

    @Override
    public long[] requests() {
      return new long[] {lockReads.get() * 10, 0, 0};
    }
  };

  @BeforeEach
  void start() {
    vertx = Vertx.vertx();
    http = vertx.createHttpClient();
    port = FreePorts.next();
    deadPort = FreePorts.next();
    vertx.deployVerticle(new VerticleBase() {
      @Override
      public Future<?> start() {
        pageContext = context;
        page = new ClusterPage(vertx, "n1", Map.of("n1", "127.0.0.1:" + port, "n2", "127.0.0.1:" + deadPort),
            sources, System::currentTimeMillis);
        Router router = Router.router(vertx);
        page.mount(router);
        return vertx.createHttpServer().requestHandler(router).listen(port, "127.0.0.1");
      }
    }).await();
  }

  @AfterEach
  void stop() {
    vertx.close().await();
  }

  <T> T onPage(Supplier<T> read) {
    Promise<T> p = Promise.promise();
    pageContext.runOnContext(v -> p.complete(read.get()));
    return p.future().await();
  }

  record Reply(int status, String contentType, String body) {}

  /** The body is read in the same chain: set later from this thread, it could be missed. */
  Reply get(String uri) throws Exception {
    return http.request(HttpMethod.GET, port, "127.0.0.1", uri).compose(r -> r.send())
        .compose(resp -> resp.body().map(b -> new Reply(resp.statusCode(), resp.getHeader("content-type"), b.toString())))
        .await(10, TimeUnit.SECONDS);
  }

  @Test
  void servesTheStaticPageAndOneShotSnapshot() throws Exception {
    Reply index = get("/ui/");
    assertEquals(200, index.status());
    assertTrue(index.body().contains("<title>RaftLock cluster</title>"));
    Reply script = get("/ui/app.js");
    assertEquals(200, script.status());
    assertTrue(script.contentType().contains("javascript"), script.contentType());
    assertEquals(302, get("/ui").status());
    assertEquals(404, get("/ui/nothing-here.js").status());

    Reply one = get("/ui/snapshot");
    assertEquals(200, one.status());
    JsonObject snapshot = new JsonObject(one.body());
    assertEquals("n1", snapshot.getString("node"));
    assertEquals("n1", snapshot.getString("leader"));
    JsonArray members = snapshot.getJsonArray("members");
    assertEquals(2, members.size());
    assertTrue(members.getJsonObject(0).getBoolean("self"));
    JsonObject dead = members.getJsonObject(1);
    assertFalse(dead.getBoolean("up"), "nobody listens on n2's port: " + dead);
    assertNotNull(dead.getString("error"));
    assertEquals(1, members.getJsonObject(0).getLong("lagEntries")); // commit 12, applied 11
    assertEquals("client-7", snapshot.getJsonObject("locks").getJsonArray("shown").getJsonObject(0).getString("holder"));
    // No stream is open: the one-shot started no timer.
    assertFalse(onPage(page::ticking));
  }

  @Test
  void twoPagesShareEachSnapshotAndTheTimerStopsWhenBothLeave() {
    SseClient a = SseClient.open(http, port);
    assertTrue(a.contentType().startsWith("text/event-stream"), a.contentType());
    await().atMost(Duration.ofSeconds(10)).until(() -> a.snapshots().size() >= 2);
    SseClient b = SseClient.open(http, port);
    await().atMost(Duration.ofSeconds(10)).until(() -> b.snapshots().size() >= 3);
    assertEquals(2, (int) onPage(page::clients));

    // Every snapshot B got, A got too, identical: each is computed once and sent to every page
    // (A was connected first; it may just not have received B's newest one yet).
    List<JsonObject> seenByA = a.snapshots();
    long newestOfA = seenByA.get(seenByA.size() - 1).getLong("seq");
    int compared = 0;
    for (JsonObject s : b.snapshots()) {
      if (s.getLong("seq") <= newestOfA) {
        assertTrue(seenByA.contains(s), "snapshot " + s.getLong("seq") + " reached B but not A");
        compared++;
      }
    }
    assertTrue(compared >= 2, "compared " + compared);

    // Rates appear once two periodic readings exist; the made-up counters move.
    await().atMost(Duration.ofSeconds(10)).until(() -> a.latest().getValue("rates") != null);
    assertTrue(a.latest().getJsonObject("rates").getDouble("admittedPerSec") > 0, a.latest().encode());

    a.close();
    assertTrue(onPage(page::ticking), "one page is still open");
    b.close();
    await().atMost(Duration.ofSeconds(5)).until(() -> !onPage(page::ticking) && onPage(page::clients) == 0);
    long reads = lockReads.get();
    // With nobody connected nothing more is computed: wait two periods and compare.
    long before = onPage(page::computations);
    await().pollDelay(Duration.ofMillis(2 * ClusterPage.PERIOD_MS)).atMost(Duration.ofSeconds(5))
        .until(() -> true);
    assertEquals(before, (long) onPage(page::computations));
    assertEquals(reads, lockReads.get());
  }
}
