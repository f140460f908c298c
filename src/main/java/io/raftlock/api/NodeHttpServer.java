package io.raftlock.api;

import io.raftlock.raft.RaftStatus;
import io.raftlock.raft.Role;
import io.vertx.core.Future;
import io.vertx.core.VerticleBase;
import io.vertx.core.http.HttpServer;
import io.vertx.core.json.JsonObject;
import io.vertx.ext.web.Router;
import io.vertx.ext.web.RoutingContext;
import java.util.function.LongFunction;
import java.util.function.Supplier;

/**
 * The node's HTTP face on its client address: {@code /health} (the process is live),
 * {@code /ready} (a leader is known and this node's log is intact), {@code /status} (Raft status
 * as JSON), {@code /metrics} (Prometheus) and {@code /admin/term?index=N}. The client API and metrics mount on the same router later.
 *
 * <p>Handlers run on this verticle's event loop and read the status the Raft verticle publishes
 * (a volatile snapshot): they never touch Raft state.
 */
public final class NodeHttpServer extends VerticleBase {
  private final String host;
  private final int port;
  private final Supplier<RaftStatus> status;
  private final LongFunction<Future<long[]>> termAt;
  private final Supplier<String> metrics;
  private HttpServer server; // this verticle's context

  /**
   * {@code termAt} answers (term, committed ? 1 : 0) for a log index, from the Raft context;
   * {@code metrics} renders the Prometheus text format.
   */
  public NodeHttpServer(String host, int port, Supplier<RaftStatus> status,
      LongFunction<Future<long[]>> termAt, Supplier<String> metrics) {
    this.host = host;
    this.port = port;
    this.status = status;
    this.termAt = termAt;
    this.metrics = metrics;
  }

  @Override
  public Future<?> start() {
    Router router = Router.router(vertx);
    router.get("/health").handler(rc -> rc.response().end("live\n"));
    router.get("/ready").handler(this::ready);
    router.get("/status").handler(this::status);
    router.get("/admin/term").handler(this::term);
    router.get("/metrics").handler(rc -> rc.response()
        .putHeader("content-type", "text/plain; version=0.0.4; charset=utf-8").end(metrics.get()));
    server = vertx.createHttpServer();
    return server.requestHandler(router).listen(port, host);
  }

  private void ready(RoutingContext rc) {
    RaftStatus s = status.get();
    boolean ready = s != null && s.leaderId() != null && !s.needsRepair();
    rc.response().setStatusCode(ready ? 200 : 503).end(ready ? "ready\n" : "not ready\n");
  }

  private void status(RoutingContext rc) {
    RaftStatus s = status.get();
    if (s == null) {
      rc.response().setStatusCode(503).end("starting\n");
      return;
    }
    rc.response().putHeader("content-type", "application/json").end(toJson(s).encodePrettily());
  }

  /** {@code /admin/term?index=N}: the term of entry N here, for checkers comparing replicas. */
  private void term(RoutingContext rc) {
    long index;
    try {
      index = Long.parseLong(rc.queryParams().get("index"));
    } catch (RuntimeException e) {
      rc.response().setStatusCode(400).end("index: a log index (integer ≥ 1) is required\n");
      return;
    }
    if (index < 1) {
      rc.response().setStatusCode(400).end("index: must be ≥ 1\n");
      return;
    }
    termAt.apply(index).onComplete(ar -> {
      if (ar.failed()) {
        rc.response().setStatusCode(503).end("unavailable\n");
        return;
      }
      rc.response().putHeader("content-type", "application/json").end(new JsonObject()
          .put("index", index).put("term", ar.result()[0]).put("committed", ar.result()[1] == 1).encode());
    });
  }

  static JsonObject toJson(RaftStatus s) {
    JsonObject peers = new JsonObject();
    s.peers().forEach((id, p) -> peers.put(id, new JsonObject()
        .put("matchIndex", p.matchIndex()).put("nextIndex", p.nextIndex()).put("state", p.state())
        .put("inflight", p.inflight()).put("recentActive", p.recentActive())));
    return new JsonObject()
        .put("nodeId", s.nodeId())
        .put("role", s.role().name())
        .put("isLeader", s.role() == Role.LEADER)
        .put("term", s.term())
        .put("leaderId", s.leaderId())
        .put("lastIndex", s.lastIndex())
        .put("commitIndex", s.commitIndex())
        .put("commitTerm", s.commitTerm())
        .put("leaderReady", s.leaderReady())
        .put("appliedIndex", s.appliedIndex())
        .put("persistedIndex", s.persistedIndex())
        .put("snapshotIndex", s.snapshotIndex())
        .put("needsRepair", s.needsRepair())
        .put("peers", peers);
  }

  @Override
  public Future<?> stop() {
    return server == null ? Future.succeededFuture() : server.close();
  }
}
