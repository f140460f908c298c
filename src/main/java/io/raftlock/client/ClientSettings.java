package io.raftlock.client;

import io.vertx.core.Vertx;
import io.vertx.core.http.HttpClientOptions;
import io.vertx.core.http.HttpVersion;
import io.vertx.core.net.SocketAddress;
import java.time.Duration;
import java.util.Arrays;
import java.util.List;
import java.util.Objects;
import java.util.function.BiConsumer;

/**
 * The settings a {@link RaftLockClient} is built with, and their checks: the setters of
 * {@link RaftLockClient.Builder}, which is the public name callers declare and the only subclass.
 * Each setter refuses a bad value when it is called (a typed {@link IllegalArgumentException} or
 * {@link NullPointerException}), not when the client starts.
 */
abstract sealed class ClientSettings permits RaftLockClient.Builder {
  static final long MIN_SESSION_TTL_MS = 1_000;
  static final long MAX_SESSION_TTL_MS = 600_000;

  List<SocketAddress> endpoints = List.of();
  String clientId;
  Vertx vertx;
  RetryPolicy retryPolicy = RetryPolicy.DEFAULT;
  Duration attemptTimeout = Duration.ofSeconds(6);
  Duration connectTimeout = Duration.ofSeconds(1);
  Duration operationTimeout = Duration.ofSeconds(30);
  Duration sessionTtl = RaftLockClient.DEFAULT_SESSION_TTL;
  boolean spreadEndpoints = true;
  BiConsumer<LockHandle, LostReason> lostListener = (h, r) -> { };
  ClientTls tls;
  String apiKey;

  ClientSettings() {}

  private RaftLockClient.Builder self() {
    return (RaftLockClient.Builder) this;
  }

  /** Connect over TLS (a cluster whose client ports have {@code tls.client} configured). */
  public RaftLockClient.Builder tls(ClientTls settings) {
    this.tls = Objects.requireNonNull(settings);
    return self();
  }

  /**
   * The API key for a cluster with auth enabled, sent as {@code authorization: Bearer KEY} on
   * every call and on the session stream. Send it only over TLS ({@link #tls}): a key is a
   * password.
   */
  public RaftLockClient.Builder apiKey(String key) {
    CallHeaders.apiKey(key); // refuses an empty or unprintable key here, not at the first call
    this.apiKey = key;
    return self();
  }

  /** Client API addresses, comma separated ("host:port,host:port"). */
  public RaftLockClient.Builder endpoints(String commaSeparated) {
    return endpoints(Arrays.stream(commaSeparated.split(",")).map(String::trim).filter(s -> !s.isEmpty()).toList());
  }

  /**
   * Whether the client starts at a random endpoint of its list (default true), so that processes
   * configured alike spread over the nodes, and then moves its session stream to the leader,
   * where writes cost least (a follower forwards each one); false starts at the first one listed
   * (e.g. the node on the same host) and stays there. Either way the client moves on when a node
   * fails and follows leader hints.
   */
  public RaftLockClient.Builder spreadEndpoints(boolean spread) {
    this.spreadEndpoints = spread;
    return self();
  }

  public RaftLockClient.Builder endpoints(List<String> hostPorts) {
    if (hostPorts.isEmpty()) {
      throw new IllegalArgumentException("at least one endpoint is needed");
    }
    this.endpoints = hostPorts.stream().map(Endpoints::parse).toList();
    return self();
  }

  /**
   * The TTL of the client's session (1 s..10 min, default 10 s): how long its locks outlive a
   * client that went silent (crashed, paused, cut off), and the period of its one keep-alive
   * (a third of it). Every lock of the client lives as long as the session.
   */
  public RaftLockClient.Builder sessionTtl(Duration ttl) {
    Objects.requireNonNull(ttl, "ttl");
    if (ttl.toMillis() < MIN_SESSION_TTL_MS || ttl.toMillis() > MAX_SESSION_TTL_MS) {
      throw new IllegalArgumentException("session ttl must be between 1 s and 10 min, got " + ttl);
    }
    this.sessionTtl = ttl;
    return self();
  }

  /**
   * The session's name and the label of its locks and waits (1..256 chars); default: a random
   * UUID. It is a label only: the session owns the locks, so two clients with the same id are
   * two owners (they never both hold a lock).
   */
  public RaftLockClient.Builder clientId(String id) {
    if (id == null || id.isEmpty() || id.length() > 256) {
      throw new IllegalArgumentException("client id must be 1..256 characters");
    }
    this.clientId = id;
    return self();
  }

  /** Run on this Vert.x instance (not closed by the client) instead of the process's shared one. */
  public RaftLockClient.Builder vertx(Vertx v) {
    this.vertx = Objects.requireNonNull(v);
    return self();
  }

  public RaftLockClient.Builder retryPolicy(RetryPolicy p) {
    this.retryPolicy = Objects.requireNonNull(p);
    return self();
  }

  /** Bound on one call to one node (default 6 s: the server's request timeout plus a second). */
  public RaftLockClient.Builder attemptTimeout(Duration d) {
    this.attemptTimeout = positive(d);
    return self();
  }

  public RaftLockClient.Builder connectTimeout(Duration d) {
    this.connectTimeout = positive(d);
    return self();
  }

  /** How long an operation keeps retrying across nodes before it fails (default 30 s). */
  public RaftLockClient.Builder operationTimeout(Duration d) {
    this.operationTimeout = positive(d);
    return self();
  }

  /** Called (on the callback thread) for every lock this client loses, before per-handle listeners. */
  public RaftLockClient.Builder onLost(BiConsumer<LockHandle, LostReason> listener) {
    this.lostListener = Objects.requireNonNull(listener);
    return self();
  }

  /**
   * The HTTP client settings, built (and the TLS files read) before anything starts, so that a
   * missing file fails the build. HTTP/2 with prior knowledge: an h2c upgrade sends the first
   * request as HTTP/1.1 and waits for its end, which a session stream (open, then more requests)
   * never reaches.
   */
  HttpClientOptions httpOptions() {
    if (endpoints.isEmpty()) {
      throw new IllegalArgumentException("at least one endpoint is needed");
    }
    HttpClientOptions options = new HttpClientOptions()
        .setProtocolVersion(HttpVersion.HTTP_2).setHttp2ClearTextUpgrade(false)
        .setConnectTimeout((int) Math.min(Integer.MAX_VALUE, connectTimeout.toMillis()));
    return tls == null ? options : tls.applyTo(options);
  }

  CallHeaders headers() {
    return apiKey == null ? CallHeaders.NONE : CallHeaders.apiKey(apiKey);
  }

  private static Duration positive(Duration d) {
    if (d.isNegative() || d.isZero()) {
      throw new IllegalArgumentException("duration must be positive: " + d);
    }
    return d;
  }
}
