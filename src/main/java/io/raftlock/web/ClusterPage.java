package io.raftlock.web;

import io.raftlock.api.ApiStats;
import io.raftlock.api.LockService;
import io.raftlock.node.LockReplica;
import io.raftlock.node.RaftVerticle;
import io.raftlock.raft.RaftStatus;
import io.raftlock.transport.OutboundBind;
import io.vertx.core.Context;
import io.vertx.core.Future;
import io.vertx.core.Promise;
import io.vertx.core.Vertx;
import io.vertx.core.buffer.Buffer;
import io.vertx.core.http.HttpClient;
import io.vertx.core.http.HttpClientOptions;
import io.vertx.core.http.HttpMethod;
import io.vertx.core.http.HttpServerResponse;
import io.vertx.core.http.PoolOptions;
import io.vertx.core.http.RequestOptions;
import io.vertx.core.json.JsonObject;
import io.vertx.ext.web.Router;
import io.vertx.ext.web.RoutingContext;
import io.vertx.ext.web.handler.StaticHandler;
import java.util.ArrayList;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.Set;
import java.util.TreeMap;
import java.util.concurrent.TimeUnit;
import java.util.function.LongSupplier;
import java.util.function.UnaryOperator;
import java.util.logging.Logger;

/**
 * The live cluster page: static files under {@code /ui/} and a server-sent event stream,
 * {@code GET /ui/events}, of JSON snapshots ({@link ClusterSnapshot}); {@code GET /ui/snapshot}
 * answers one snapshot as plain JSON.
 *
 * <p>A snapshot is computed here, on any node: the serving node's own status, every other
 * member's {@code GET /status} (non-blocking, short timeouts; a member that does not answer is
 * shown down), the busiest locks from the local state machine (a local, possibly stale read that
 * costs no Raft round), and rates from the differences of cumulative counters.
 *
 * <p><b>Bounded work.</b> One computation at a time, shared by every open page: once a second,
 * and sooner (checked every {@link #CHECK_MS} ms) when this node's term, leader, role or indexes
 * moved. The timer runs only while a page is connected. A client whose write queue is full skips
 * snapshots rather than buffering them; at most {@link #MAX_CLIENTS} streams are open.
 *
 * <p><b>Threading.</b> Confined to the context it is created on (the client HTTP server's event
 * loop); futures completing elsewhere (Raft queries) are hopped back before touching fields.
 */
public final class ClusterPage {
  private static final Logger LOG = Logger.getLogger(ClusterPage.class.getName());

  /** Where the page's figures come from. */
  public interface Sources {
    /** This node's Raft status; null while the node is starting. Any thread. */
    RaftStatus status();

    /** The locks to show, read locally; may complete on another context. */
    Future<BusiestLocks.Summary> locks(int limit);

    /** Cumulative client-API counters of this node: admitted, rate-limited, invalid (page context). */
    long[] requests();
  }

  static final long PERIOD_MS = 1_000;
  static final long CHECK_MS = 200;
  static final long FETCH_TIMEOUT_MS = 500;
  static final int MAX_CLIENTS = 64;
  static final int SHOWN_LOCKS = 20;

  private final Vertx vertx;
  private final Context context;
  private final String nodeId;
  private final Map<String, String> clientAddresses; // member id → host:port, sorted by id
  private final Sources sources;
  private final LongSupplier wallClockMs;
  private final HttpClient http;

  private final Set<HttpServerResponse> clients = new LinkedHashSet<>();
  private final List<Promise<JsonObject>> oneShots = new ArrayList<>();
  private long timerId = -1;
  private boolean computing;
  private boolean pending; // a refresh was asked for while one was computing
  private long seq;
  private long lastPeriodicNanos;
  private long computations;
  private List<Object> lastSeen = List.of(); // local term, leader, role, indexes at the last snapshot
  private ClusterSnapshot.Counters previousCounters;
  private JsonObject rates;
  private Buffer latestFrame;
  private JsonObject latest;
  private long latestAtNanos;

  /** Must be created on the context that serves its routes. */
  public ClusterPage(Vertx vertx, String nodeId, Map<String, String> clientAddresses, Sources sources,
      LongSupplier wallClockMs) {
    this(vertx, nodeId, clientAddresses, sources, wallClockMs, UnaryOperator.identity());
  }

  /** As above; {@code transport} adds TLS to the fetches from other members' client ports. */
  public ClusterPage(Vertx vertx, String nodeId, Map<String, String> clientAddresses, Sources sources,
      LongSupplier wallClockMs, UnaryOperator<HttpClientOptions> transport) {
    this.vertx = vertx;
    this.context = Objects.requireNonNull(Vertx.currentContext(), "create ClusterPage on its event loop");
    this.nodeId = nodeId;
    this.clientAddresses = new TreeMap<>(clientAddresses);
    this.sources = sources;
    this.wallClockMs = wallClockMs;
    HttpClientOptions options = new HttpClientOptions().setConnectTimeout((int) FETCH_TIMEOUT_MS).setKeepAlive(true);
    String self = clientAddresses.get(nodeId);
    String local = self == null ? null : OutboundBind.localAddressFor(self.substring(0, Math.max(0, self.lastIndexOf(':'))));
    if (local != null) {
      options.setLocalAddress(local); // fetches from other members start from this node's address
    }
    this.http = vertx.createHttpClient(transport.apply(options), new PoolOptions().setHttp1MaxSize(2));
  }

  /** The sources of a real node: its Raft verticle, its recent grants and its client API (or null). */
  public static Sources sources(RaftVerticle<LockReplica> raft, RecentGrants recent, LockService service) {
    return new Sources() {
      @Override
      public RaftStatus status() {
        return raft.status();
      }

      @Override
      public Future<BusiestLocks.Summary> locks(int limit) {
        return raft.query(sm -> BusiestLocks.pick(sm.stateMachine(), recent, limit));
      }

      @Override
      public long[] requests() {
        if (service == null) {
          return new long[3];
        }
        ApiStats s = service.stats();
        return new long[] {s.admitted(), s.rateLimited(), s.invalid()};
      }
    };
  }

  /** Installs the routes; the stream and snapshot routes go before the static files. */
  public void mount(Router router) {
    // A route for "/ui" also matches "/ui/": redirect only the bare path, so relative links resolve.
    router.get("/ui").handler(rc -> {
      if (rc.request().path().equals("/ui")) {
        rc.redirect("/ui/");
      } else {
        rc.next();
      }
    });
    router.get("/ui/events").handler(this::subscribe);
    router.get("/ui/snapshot").handler(this::oneShot);
    router.route("/ui/*").handler(StaticHandler.create("webroot/ui").setCachingEnabled(false));
  }

  // ---------------------------------------------------------------- routes

  private void subscribe(RoutingContext rc) {
    HttpServerResponse response = rc.response();
    if (clients.size() >= MAX_CLIENTS) {
      response.setStatusCode(503).end("too many open cluster pages\n");
      return;
    }
    response.setChunked(true)
        .putHeader("content-type", "text/event-stream; charset=utf-8")
        .putHeader("cache-control", "no-cache")
        .write("retry: 2000\n\n");
    clients.add(response);
    response.closeHandler(v -> unsubscribe(response));
    response.exceptionHandler(err -> unsubscribe(response));
    if (latestFrame != null && System.nanoTime() - latestAtNanos < TimeUnit.MILLISECONDS.toNanos(PERIOD_MS)) {
      response.write(latestFrame); // recent: something to show at once; a fresh one follows
    }
    if (timerId < 0) {
      previousCounters = null; // rates restart with the stream, never across an idle gap
      rates = null;
      timerId = vertx.setPeriodic(CHECK_MS, id -> check());
    }
    refresh(false);
  }

  private void unsubscribe(HttpServerResponse response) {
    clients.remove(response);
    if (clients.isEmpty() && timerId >= 0) {
      vertx.cancelTimer(timerId);
      timerId = -1;
    }
  }

  private void oneShot(RoutingContext rc) {
    if (latest != null && System.nanoTime() - latestAtNanos < TimeUnit.MILLISECONDS.toNanos(CHECK_MS)) {
      // Fresh enough: asking again and again must not cost a computation each time.
      rc.response().putHeader("content-type", "application/json").end(latest.encode());
      return;
    }
    Promise<JsonObject> answer = Promise.promise();
    oneShots.add(answer);
    refresh(false);
    answer.future().onComplete(ar -> {
      if (ar.succeeded()) {
        rc.response().putHeader("content-type", "application/json").end(ar.result().encode());
      } else {
        rc.response().setStatusCode(503).end("unavailable\n");
      }
    });
  }

  // ---------------------------------------------------------------- refresh

  private void check() {
    boolean periodic = System.nanoTime() - lastPeriodicNanos >= TimeUnit.MILLISECONDS.toNanos(PERIOD_MS);
    if (periodic || !localView().equals(lastSeen)) {
      refresh(periodic);
    }
  }

  private List<Object> localView() {
    RaftStatus s = sources.status();
    return s == null ? List.of() : List.of(s.term(), String.valueOf(s.leaderId()), s.role(), s.commitIndex(),
        s.appliedIndex());
  }

  /** Starts a computation, or remembers to start one when the running one ends. */
  private void refresh(boolean periodic) {
    if (computing) {
      pending = true;
      return;
    }
    computing = true;
    if (periodic) {
      lastPeriodicNanos = System.nanoTime();
    }
    lastSeen = localView();
    Future<JsonObject> snapshot;
    try {
      snapshot = compute(periodic);
    } catch (RuntimeException e) { // a broken source must not leave "computing" set for good
      snapshot = Future.failedFuture(e);
    }
    snapshot.onComplete(ar -> {
      computing = false;
      if (ar.succeeded()) {
        publish(ar.result());
      } else {
        LOG.warning(() -> "cluster page snapshot failed: " + ar.cause());
        List<Promise<JsonObject>> waiting = new ArrayList<>(oneShots);
        oneShots.clear();
        waiting.forEach(p -> p.fail(ar.cause()));
      }
      if (pending) {
        pending = false;
        refresh(false);
      }
    });
  }

  /** Never fails: an unreachable member is shown down, unreadable locks as unavailable. */
  private Future<JsonObject> compute(boolean periodic) {
    computations++;
    List<Future<ClusterSnapshot.Member>> members = new ArrayList<>();
    RaftStatus local = sources.status();
    clientAddresses.forEach((id, address) -> members.add(id.equals(nodeId)
        ? Future.succeededFuture(local == null
            ? ClusterSnapshot.Member.down(id, address, "starting")
            : ClusterSnapshot.Member.of(address, local, true))
        : fetchStatus(id, address)));
    Future<BusiestLocks.Summary> locks = onPage(sources.locks(SHOWN_LOCKS)
        .timeout(FETCH_TIMEOUT_MS, TimeUnit.MILLISECONDS))
        .recover(err -> Future.succeededFuture(null));
    List<Future<?>> all = new ArrayList<>(members);
    all.add(locks);
    return Future.join(all).transform(ignored -> {
      List<ClusterSnapshot.Member> view = new ArrayList<>();
      members.forEach(f -> view.add(f.result()));
      BusiestLocks.Summary summary = locks.result();
      if (periodic && summary != null && local != null) {
        long[] requests = sources.requests();
        ClusterSnapshot.Counters now = new ClusterSnapshot.Counters(System.nanoTime(), requests[0],
            requests[1], requests[2], local.commitIndex(), summary.stats().acquires(),
            summary.stats().releases(), summary.stats().expirations());
        rates = ClusterSnapshot.rates(previousCounters, now);
        previousCounters = now;
      }
      return Future.succeededFuture(
          ClusterSnapshot.toJson(++seq, nodeId, wallClockMs.getAsLong(), view, summary, rates));
    });
  }

  private Future<ClusterSnapshot.Member> fetchStatus(String id, String address) {
    int colon = address.lastIndexOf(':');
    RequestOptions request;
    try {
      request = new RequestOptions().setMethod(HttpMethod.GET)
          .setHost(address.substring(0, colon)).setPort(Integer.parseInt(address.substring(colon + 1)))
          .setURI("/status").setConnectTimeout(FETCH_TIMEOUT_MS).setIdleTimeout(FETCH_TIMEOUT_MS);
    } catch (RuntimeException e) {
      return Future.succeededFuture(ClusterSnapshot.Member.down(id, address, "not host:port"));
    }
    return http.request(request)
        .compose(req -> req.send())
        .compose(resp -> resp.body().compose(body -> resp.statusCode() == 200
            ? Future.succeededFuture(ClusterSnapshot.Member.of(id, address, body.toJsonObject()))
            : Future.failedFuture("HTTP " + resp.statusCode() + " " + body.toString().trim())))
        .timeout(FETCH_TIMEOUT_MS * 2, TimeUnit.MILLISECONDS)
        .recover(err -> Future.succeededFuture(ClusterSnapshot.Member.down(id, address,
            err.getMessage() == null ? err.getClass().getSimpleName() : err.getMessage())));
  }

  private void publish(JsonObject snapshot) {
    latest = snapshot;
    latestAtNanos = System.nanoTime();
    latestFrame = Buffer.buffer("data: " + snapshot.encode() + "\n\n");
    for (HttpServerResponse client : clients) {
      if (!client.writeQueueFull()) {
        client.write(latestFrame);
      }
    }
    List<Promise<JsonObject>> waiting = new ArrayList<>(oneShots);
    oneShots.clear();
    waiting.forEach(p -> p.complete(snapshot));
  }

  private <T> Future<T> onPage(Future<T> future) {
    Promise<T> promise = Promise.promise();
    future.onComplete(ar -> context.runOnContext(v -> promise.handle(ar)));
    return promise.future();
  }

  // ---------------------------------------------------------------- for tests

  /** Open event streams (page context). */
  int clients() {
    return clients.size();
  }

  /** Whether the refresh timer runs (page context). */
  boolean ticking() {
    return timerId >= 0;
  }

  /** Snapshots computed so far (page context). */
  long computations() {
    return computations;
  }
}
