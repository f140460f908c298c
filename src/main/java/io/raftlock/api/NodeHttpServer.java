package io.raftlock.api;

import io.raftlock.raft.RaftStatus;
import io.raftlock.raft.Role;
import io.raftlock.tls.ReloadableTls;
import io.raftlock.wire.FlushCoalescing;
import io.vertx.core.Future;
import io.vertx.core.VerticleBase;
import io.vertx.core.Handler;
import io.vertx.core.Vertx;
import io.vertx.core.http.HttpHeaders;
import io.vertx.core.http.HttpServer;
import io.vertx.core.http.HttpServerOptions;
import io.vertx.core.http.HttpServerRequest;
import io.vertx.grpc.server.GrpcServer;
import io.vertx.core.json.JsonObject;
import io.vertx.ext.web.Router;
import io.vertx.ext.web.RoutingContext;
import java.util.function.LongFunction;
import java.util.function.Supplier;

/**
 * The node's client port, one HTTP server for everything a client or operator touches:
 * gRPC (the {@code raftlock.v1.RaftLock} service and {@code grpc.health.v1.Health}), the
 * WebSocket protocol on {@code /v1/ws}, and plain HTTP: {@code /health} (the process is live),
 * {@code /ready} (a leader is known, this node's log is intact and its applied index has caught up
 * with its commit index), {@code /status} (Raft status as JSON), {@code /metrics} (Prometheus) and
 * {@code /admin/term?index=N}. A request whose content type is {@code application/grpc*} goes to
 * the gRPC server, every other one to the router.
 *
 * <p>Everything runs on this verticle's event loop, the API context: the {@link LockService} is
 * created there. Handlers read the status the Raft verticle publishes (a volatile snapshot) and
 * never touch Raft state.
 */
public final class NodeHttpServer extends VerticleBase {
  /** Creates the client API on the server's context (null: HTTP endpoints only). */
  @FunctionalInterface
  public interface ApiFactory {
    LockService create(Vertx vertx);
  }

  /** Applied index may trail the commit index by this much and the node still be ready. */
  static final long READY_APPLY_LAG = 1_000;

  private final String host;
  private final int port;
  private final Supplier<RaftStatus> status;
  private final LongFunction<Future<long[]>> termAt;
  private final Supplier<String> metrics;
  private final ApiFactory apiFactory;
  private final long drainTimeoutMs;
  private final ConnectionTracker connections = new ConnectionTracker();
  private LockService service;
  private HttpServer server; // this verticle's context
  private java.util.function.BiConsumer<Router, LockService> extraRoutes = (router, api) -> {};
  private java.util.function.Function<Vertx, AdminApi> adminFactory; // null: no Admin service
  private ReloadableTls tls; // null: plaintext
  private boolean requireClientCert;

  /**
   * {@code termAt} answers (term, committed ? 1 : 0) for a log index, from the Raft context;
   * {@code metrics} renders the Prometheus text format.
   */
  private OriginPolicy origins = OriginPolicy.sameOriginOnly();
  private ApiAuth auth = ApiAuth.OPEN;
  private java.util.function.Function<Vertx, AuthApi> authFactory; // null: no Auth service

  public NodeHttpServer(String host, int port, Supplier<RaftStatus> status,
      LongFunction<Future<long[]>> termAt, Supplier<String> metrics) {
    this(host, port, status, termAt, metrics, null, 0);
  }

  /**
   * With the client API: {@code apiFactory} builds the service on this verticle's context;
   * {@code drainTimeoutMs} bounds how long a stop waits for requests in flight.
   */
  public NodeHttpServer(String host, int port, Supplier<RaftStatus> status,
      LongFunction<Future<long[]>> termAt, Supplier<String> metrics, ApiFactory apiFactory,
      long drainTimeoutMs) {
    this.host = host;
    this.port = port;
    this.status = status;
    this.termAt = termAt;
    this.metrics = metrics;
    this.apiFactory = apiFactory;
    this.drainTimeoutMs = drainTimeoutMs;
  }

  /** More routes (the cluster page) installed at start, once the client API (or null) exists. */
  public NodeHttpServer withRoutes(java.util.function.BiConsumer<Router, LockService> routes) {
    this.extraRoutes = routes;
    return this;
  }

  /**
   * Web origins allowed to open the WebSocket API besides the node's own (normalized as
   * {@code api.allowedOrigins}); without this call, only the node's own origin.
   */
  public NodeHttpServer withAllowedOrigins(java.util.List<String> allowedOrigins) {
    this.origins = new OriginPolicy(allowedOrigins);
    return this;
  }

  /**
   * API keys and permissions once auth is enabled: every gRPC call and WebSocket is made as the
   * caller its {@code Authorization} names, and every HTTP path but {@code /health},
   * {@code /ready} and {@code /status} ({@code /metrics}, the page and its events) needs
   * {@code read} on every name ({@code Authorization: Bearer <key>}).
   */
  public NodeHttpServer withAuth(ApiAuth auth) {
    this.auth = java.util.Objects.requireNonNull(auth, "auth");
    return this;
  }

  /** Serves the {@code raftlock.v1.Auth} service next to the lock API (built on this context). */
  public NodeHttpServer withAuthService(java.util.function.Function<Vertx, AuthApi> factory) {
    this.authFactory = factory;
    return this;
  }

  /** Serves the {@code raftlock.v1.Admin} service next to the lock API (built on this context). */
  public NodeHttpServer withAdmin(java.util.function.Function<Vertx, AdminApi> factory) {
    this.adminFactory = factory;
    return this;
  }

  /**
   * TLS on this port (every protocol on it: gRPC over ALPN h2, WebSocket, HTTP, the page);
   * {@code requireClientCert} asks each client for a certificate signed by the material's CA.
   */
  public NodeHttpServer withTls(ReloadableTls material, boolean requireClientCert) {
    this.tls = material;
    this.requireClientCert = requireClientCert;
    return this;
  }

  /** The client API, once started (API context only). */
  public LockService service() {
    return service;
  }

  /** The Netty event loop of this server's context, once deployed: every client connection's. */
  public io.netty.channel.EventLoop eventLoop() {
    return ((io.vertx.core.internal.ContextInternal) context).nettyEventLoop();
  }

  public ConnectionTracker connections() {
    return connections;
  }

  @Override
  public Future<?> start() {
    Router router = Router.router(vertx);
    router.route().order(-1).handler(this::guard);
    router.get("/health").handler(rc -> rc.response().end("live\n"));
    router.get("/ready").handler(this::ready);
    router.get("/status").handler(this::status);
    router.get("/admin/term").handler(this::term);
    router.get("/metrics").handler(rc -> rc.response()
        .putHeader("content-type", "text/plain; version=0.0.4; charset=utf-8").end(metrics.get()));
    Handler<HttpServerRequest> handler = router;
    if (apiFactory != null) {
      service = apiFactory.create(vertx);
      GrpcServer grpc = GrpcLockService.bind(vertx, GrpcServer.server(vertx), service, auth, service::serving,
          connections);
      if (adminFactory != null) {
        adminFactory.apply(vertx).withAuth(auth).bind(grpc);
      }
      if (authFactory != null) {
        authFactory.apply(vertx).bind(grpc);
      }
      router.get(HttpLockInfo.PATH).handler(new HttpLockInfo(service, auth)::handle);
      WebSocketApi webSockets = new WebSocketApi(vertx, service,
          WebSocketApi.Options.defaults().withMaxFrameBytes(WS_MAX_FRAME_BYTES));
      router.route("/v1/ws").handler(rc -> {
        HttpServerRequest req = rc.request();
        if (!origins.allows(req.getHeader(HttpHeaders.ORIGIN), req.getHeader(HttpHeaders.HOST), req.isSSL())) {
          // Refused before the upgrade: the page's script sees a failed connection, nothing more.
          rc.response().setStatusCode(403).putHeader(HttpHeaders.CONTENT_TYPE, "text/plain; charset=utf-8")
              .end("WebSocket refused: this page's origin is not allowed (api.allowedOrigins)\n");
          return;
        }
        String authorization = req.getHeader(HttpHeaders.AUTHORIZATION);
        if (authorization == null && auth.enabled()) {
          // No header (a browser cannot set one): the key must come as the first message.
          req.toWebSocket().onSuccess(ws -> WsAuthHandshake.await(vertx, ws, auth,
              key -> webSockets.handle(ws, new AuthorizedLockApi(service, auth, key))));
          return;
        }
        try {
          auth.authenticate(authorization);
        } catch (ApiException e) {
          rc.response().setStatusCode(401).putHeader(HttpHeaders.CONTENT_TYPE, "text/plain; charset=utf-8")
              .end("WebSocket refused: " + e.detail().getMessage() + "\n");
          return;
        }
        // Each request of the connection is checked again: a revoked key stops working at once.
        req.toWebSocket().onSuccess(ws -> webSockets.handle(ws, new AuthorizedLockApi(service, auth, authorization)));
      });
      handler = req -> {
        String type = req.getHeader(HttpHeaders.CONTENT_TYPE);
        if (type != null && type.startsWith("application/grpc")) {
          if (!GrpcEncodingCheck.refuseUnreadable(req)) {
            grpc.handle(GrpcBodyGuard.guard(req));
          }
        } else {
          router.handle(req);
        }
      };
    }
    extraRoutes.accept(router, service);
    HttpServerOptions options = new HttpServerOptions()
        .setTcpNoDelay(true)
        .setMaxWebSocketFrameSize(WS_MAX_FRAME_BYTES)
        .setMaxWebSocketMessageSize(WS_MAX_FRAME_BYTES);
    if (tls != null) {
      tls.applyTo(options, requireClientCert);
    }
    server = vertx.createHttpServer(options);
    return server.connectionHandler(connection -> {
      FlushCoalescing.install(connection);
      connections.accept(connection);
    }).requestHandler(handler).listen(port, host);
  }

  /**
   * Paths served to anyone even when auth is on: liveness, readiness, the Raft status (roles,
   * terms and indexes, no lock names or client ids: load balancers, scripts and other members'
   * cluster pages read it), the WebSocket and the lock-info read (both check the key themselves,
   * per request and lock name, as the gRPC calls do).
   */
  private static final java.util.Set<String> OPEN_PATHS = java.util.Set.of("/health", "/ready", "/status", "/v1/ws",
      HttpLockInfo.PATH);

  /** Once auth is on, HTTP paths other than {@link #OPEN_PATHS} need {@code read} on every name. */
  private void guard(RoutingContext rc) {
    if (!auth.enabled() || OPEN_PATHS.contains(rc.normalizedPath())) {
      rc.next();
      return;
    }
    try {
      auth.require(auth.authenticate(rc.request().getHeader(HttpHeaders.AUTHORIZATION)),
          io.raftlock.lock.Permission.READ, "");
      rc.next();
    } catch (ApiException e) {
      rc.response().setStatusCode(HttpLockInfo.httpStatus(e.status()))
          .putHeader(HttpHeaders.CONTENT_TYPE, "text/plain; charset=utf-8")
          .end(e.detail().getMessage() + "\n");
    }
  }

  /** Largest WebSocket frame or message accepted; bigger ones close the socket (1009). */
  static final int WS_MAX_FRAME_BYTES = 64 * 1024;

  private void ready(RoutingContext rc) {
    RaftStatus s = status.get();
    if (s != null && s.removed()) {
      // Not a member (removed, or joining and not yet added): keep load balancers away.
      rc.response().setStatusCode(503).end("not ready: not a member of the cluster's configuration\n");
      return;
    }
    boolean ready = s != null && s.leaderId() != null && !s.needsRepair()
        && s.commitIndex() - s.appliedIndex() <= READY_APPLY_LAG
        && (service == null || service.serving());
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
        .put("removed", s.removed())
        .put("peers", peers);
  }

  /**
   * Graceful: new requests are refused at once (UNAVAILABLE, so clients go to another node),
   * requests in flight get up to the drain timeout, then the server closes its connections.
   */
  @Override
  public Future<?> stop() {
    Future<Void> drained = service == null ? Future.succeededFuture() : service.drain(drainTimeoutMs);
    return drained.compose(v -> server == null ? Future.succeededFuture() : server.close());
  }
}
