package io.raftlock.client;

import com.google.protobuf.Duration;
import io.raftlock.proto.api.AcquireRequest;
import io.raftlock.proto.api.AcquireResponse;
import io.raftlock.proto.api.BackoffAdvice;
import io.raftlock.proto.api.BackoffAdviceRequest;
import io.raftlock.proto.api.BackoffAdviceResponse;
import io.raftlock.proto.api.CancelWaitRequest;
import io.raftlock.proto.api.ErrorCode;
import io.raftlock.proto.api.GetLockInfoRequest;
import io.raftlock.proto.api.GetLockInfoResponse;
import io.raftlock.proto.api.GetLocksRequest;
import io.raftlock.proto.api.GetLocksResponse;
import io.raftlock.proto.api.GetStatusRequest;
import io.raftlock.proto.api.GetStatusResponse;
import io.raftlock.proto.api.HealthRequest;
import io.raftlock.proto.api.HealthResponse;
import io.raftlock.proto.api.LockEventMessage;
import io.raftlock.proto.api.RaftLockGrpcClient;
import io.raftlock.proto.api.ReleaseRequest;
import io.raftlock.proto.api.ReleaseResponse;
import io.raftlock.proto.api.RenewRequest;
import io.raftlock.proto.api.RenewResponse;
import io.vertx.core.Context;
import io.vertx.core.Future;
import io.vertx.core.Promise;
import io.vertx.core.Vertx;
import io.vertx.core.http.HttpClientOptions;
import io.vertx.core.net.SocketAddress;
import io.vertx.grpc.client.GrpcClient;
import io.vertx.grpc.client.GrpcClientOptions;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.EnumSet;
import java.util.HashMap;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.Optional;
import java.util.Random;
import java.util.Set;
import java.util.UUID;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionException;
import java.util.concurrent.CompletionStage;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import java.util.function.BiConsumer;
import java.util.function.Function;
import java.util.function.Supplier;
import java.util.logging.Level;
import java.util.logging.Logger;

/**
 * A RaftLock client: locks with fencing tokens, grants pushed on a {@code Watch} stream, automatic
 * keep-alive and failover across the cluster's nodes.
 *
 * <pre>{@code
 * try (RaftLockClient client = RaftLockClient.builder().endpoints("10.0.0.1:8001,10.0.0.2:8001").build()) {
 *   client.withLock("reports/daily", Duration.ofSeconds(30), lock -> {
 *     storage.write(data, lock.token());   // fenced write
 *     return null;
 *   });
 * }
 * }</pre>
 *
 * <p><b>Threads.</b> All state lives on one event-loop context of the client's Vert.x instance
 * (created by the client unless one is given, closed by {@link #close()}). Blocking methods
 * ({@link #lock}, {@link #tryLock}, {@link #unlock}, {@link #withLock}) block the caller and refuse
 * to run on a Vert.x event loop ({@link IllegalStateException}). Async methods return stages that
 * complete on a client thread reserved for callbacks, never on the event loop, so a dependent
 * stage may block without stalling the client.
 *
 * <p><b>Safety.</b> A handle's local deadline is measured from <em>before</em> the request that
 * established the lease was sent, less a margin, so the client stops claiming a lock no later
 * than the server could expire it. One client id belongs to one {@code RaftLockClient}: the server
 * treats every request with the same client id as the same owner.
 */
public final class RaftLockClient implements AutoCloseable {
  private static final Logger LOG = Logger.getLogger(RaftLockClient.class.getName());
  public static final String DEFAULT_ENDPOINTS = "127.0.0.1:8001,127.0.0.1:8002,127.0.0.1:8003";
  /** The server's bounds on a wait (docs/api.md, limits). */
  static final long MIN_SERVER_WAIT_MS = 1_000;
  static final long MAX_SERVER_WAIT_MS = 600_000;
  static final long MIN_TTL_MS = 1_000;
  static final long MAX_TTL_MS = 86_400_000;
  private static final Set<ErrorCode> NOT_OURS =
      EnumSet.of(ErrorCode.NOT_LOCK_OWNER, ErrorCode.VERSION_MISMATCH, ErrorCode.LOCK_NOT_HELD);

  private final Vertx vertx;
  private final boolean ownsVertx;
  private final Context context;
  private final GrpcClient grpc;
  private final Rpc rpc;
  private final Watcher watcher;
  private final String clientId;
  private final Random random;
  private final long operationTimeoutNanos;
  private final BiConsumer<LockHandle, LostReason> lostListener;
  private final ExecutorService callbacks;
  // Client-context state.
  private final Map<String, Acquisition> pending = new HashMap<>();
  private final Map<String, LockHandle> handles = new HashMap<>();
  /** Locks whose acquisition was given up: a grant that still arrives for them is released. */
  private final Set<String> abandoned = new HashSet<>();
  /** The token of this client's last holding of each lock, to tell a fresh grant from an old one. */
  private final Map<String, Long> seenTokens = new HashMap<>();
  /**
   * Locks this client may hold without knowing the token: an acquire was sent but its outcome is
   * unknown (the call failed, or the wait was given up), or went through the plain
   * {@link #acquire} call. A later acquire may then return that older holding, whose lease started
   * before the new request: it is confirmed with a renew before its deadline is trusted.
   */
  private final Set<String> maybeHeld = new HashSet<>();
  private long requestCounter;
  private volatile boolean closed;
  /** Test hook: while set, keep-alive renewals are skipped, as if the process were paused. */
  volatile boolean renewalsSuspended;

  private RaftLockClient(Builder b) {
    this.ownsVertx = b.vertx == null;
    this.vertx = ownsVertx ? Vertx.vertx() : b.vertx;
    this.context = vertx.getOrCreateContext();
    this.clientId = b.clientId != null ? b.clientId : "client-" + UUID.randomUUID();
    this.random = new Random();
    this.operationTimeoutNanos = b.operationTimeout.toNanos();
    this.lostListener = b.lostListener;
    this.callbacks = Executors.newSingleThreadExecutor(r -> {
      Thread t = new Thread(r, "raftlock-client-callbacks");
      t.setDaemon(true);
      return t;
    });
    this.grpc = GrpcClient.client(vertx, new GrpcClientOptions().setScheduleDeadlineAutomatically(true), b.http);
    this.rpc = new Rpc(vertx, grpc, b.endpoints, b.retryPolicy, random, b.attemptTimeout.toMillis());
    this.watcher = new Watcher(vertx, grpc, rpc, clientId, b.retryPolicy, random, this::onEvent, this::onResync);
  }

  public static Builder builder() {
    return new Builder();
  }

  /** A client for {@code endpoints} ("host:port,host:port") with default settings. */
  public static RaftLockClient connect(String endpoints) {
    return builder().endpoints(endpoints).build();
  }

  /** Client settings; only the endpoints are required. */
  public static final class Builder {
    private List<SocketAddress> endpoints = List.of();
    private String clientId;
    private Vertx vertx;
    private RetryPolicy retryPolicy = RetryPolicy.DEFAULT;
    private java.time.Duration attemptTimeout = java.time.Duration.ofSeconds(6);
    private java.time.Duration connectTimeout = java.time.Duration.ofSeconds(1);
    private java.time.Duration operationTimeout = java.time.Duration.ofSeconds(30);
    private BiConsumer<LockHandle, LostReason> lostListener = (h, r) -> { };
    private ClientTls tls;
    private HttpClientOptions http; // set by build()

    private Builder() {}

    /** Connect over TLS (a cluster whose client ports have {@code tls.client} configured). */
    public Builder tls(ClientTls settings) {
      this.tls = Objects.requireNonNull(settings);
      return this;
    }

    /** Client API addresses, comma separated ("host:port,host:port"). */
    public Builder endpoints(String commaSeparated) {
      return endpoints(Arrays.stream(commaSeparated.split(",")).map(String::trim).filter(s -> !s.isEmpty()).toList());
    }

    public Builder endpoints(List<String> hostPorts) {
      if (hostPorts.isEmpty()) {
        throw new IllegalArgumentException("at least one endpoint is needed");
      }
      this.endpoints = hostPorts.stream().map(Rpc::parse).toList();
      return this;
    }

    /** The owner id sent with every request (1..256 chars); default: a random UUID. */
    public Builder clientId(String id) {
      if (id == null || id.isEmpty() || id.length() > 256) {
        throw new IllegalArgumentException("client id must be 1..256 characters");
      }
      this.clientId = id;
      return this;
    }

    /** Run on this Vert.x instance (not closed by the client) instead of a private one. */
    public Builder vertx(Vertx v) {
      this.vertx = Objects.requireNonNull(v);
      return this;
    }

    public Builder retryPolicy(RetryPolicy p) {
      this.retryPolicy = Objects.requireNonNull(p);
      return this;
    }

    /** Bound on one call to one node (default 6 s: the server's request timeout plus a second). */
    public Builder attemptTimeout(java.time.Duration d) {
      this.attemptTimeout = positive(d);
      return this;
    }

    public Builder connectTimeout(java.time.Duration d) {
      this.connectTimeout = positive(d);
      return this;
    }

    /** How long an operation keeps retrying across nodes before it fails (default 30 s). */
    public Builder operationTimeout(java.time.Duration d) {
      this.operationTimeout = positive(d);
      return this;
    }

    /** Called (on the callback thread) for every lock this client loses, before per-handle listeners. */
    public Builder onLost(BiConsumer<LockHandle, LostReason> listener) {
      this.lostListener = Objects.requireNonNull(listener);
      return this;
    }

    public RaftLockClient build() {
      if (endpoints.isEmpty()) {
        throw new IllegalArgumentException("at least one endpoint is needed");
      }
      // Built (and the TLS files read) before anything starts: a missing file fails here.
      HttpClientOptions options = new HttpClientOptions()
          .setConnectTimeout((int) Math.min(Integer.MAX_VALUE, connectTimeout.toMillis()));
      http = tls == null ? options : tls.applyTo(options);
      return new RaftLockClient(this);
    }

    private static java.time.Duration positive(java.time.Duration d) {
      if (d.isNegative() || d.isZero()) {
        throw new IllegalArgumentException("duration must be positive: " + d);
      }
      return d;
    }
  }

  public String clientId() {
    return clientId;
  }

  // ---------------------------------------------------------------- locks: async

  /** Waits as long as it takes (re-joining the queue if a server-side wait times out). */
  public CompletionStage<LockHandle> lockAsync(String name, java.time.Duration ttl) {
    return stage(onContext(() -> start(name, ttl, null, LockOptions.NONE)
        .map(o -> o.orElseThrow(() -> new RaftLockException(ErrorCode.TIMEOUT, "lock not granted")))));
  }

  /**
   * Waits at most {@code waitTimeout} for the lock (zero: one attempt, no waiting); empty when it was
   * not granted in time.
   */
  public CompletionStage<Optional<LockHandle>> tryLockAsync(String name, java.time.Duration ttl,
      java.time.Duration waitTimeout) {
    return tryLockAsync(name, ttl, waitTimeout, LockOptions.NONE);
  }

  public CompletionStage<Optional<LockHandle>> tryLockAsync(String name, java.time.Duration ttl,
      java.time.Duration waitTimeout, LockOptions options) {
    Objects.requireNonNull(waitTimeout, "waitTimeout");
    if (waitTimeout.isNegative()) {
      throw new IllegalArgumentException("waitTimeout must not be negative");
    }
    return stage(onContext(() -> start(name, ttl, waitTimeout, options)));
  }

  /** Releases the lock; true when it was released, false when it was no longer held. */
  public CompletionStage<Boolean> unlockAsync(LockHandle handle) {
    return stage(onContext(() -> release(handle)));
  }

  /**
   * Takes the lock, runs {@code action}, and releases the lock however the action's stage
   * completes. The action's result (or failure) is the result.
   */
  public <T> CompletionStage<T> withLockAsync(String name, java.time.Duration ttl,
      Function<LockHandle, CompletionStage<T>> action) {
    return lockAsync(name, ttl).thenCompose(h -> {
      CompletionStage<T> body;
      try {
        body = action.apply(h);
      } catch (RuntimeException e) {
        body = CompletableFuture.failedFuture(e);
      }
      return body.handle((v, err) -> unlockAsync(h).handle((released, uerr) -> {
        if (err != null) {
          throw err instanceof CompletionException ce ? ce : new CompletionException(err);
        }
        return v;
      })).thenCompose(s -> s);
    });
  }

  // ---------------------------------------------------------------- locks: blocking

  /** Blocks until the lock is granted (pushed by the server; no polling). */
  public LockHandle lock(String name, java.time.Duration ttl) {
    return await(lockAsync(name, ttl));
  }

  /** Blocks up to {@code waitTimeout}; empty if the lock was not granted in time. */
  public Optional<LockHandle> tryLock(String name, java.time.Duration ttl, java.time.Duration waitTimeout) {
    return await(tryLockAsync(name, ttl, waitTimeout));
  }

  /** Releases the lock; true when released, false when it was no longer held (lost or released). */
  public boolean unlock(LockHandle handle) {
    return await(unlockAsync(handle));
  }

  /** An action run while holding a lock. */
  @FunctionalInterface
  public interface LockedAction<T> {
    T run(LockHandle lock) throws Exception;
  }

  /**
   * Takes the lock, runs {@code action}, releases the lock (also when the action throws) and
   * returns the action's result. A failed release is added to the action's exception as suppressed.
   */
  public <T> T withLock(String name, java.time.Duration ttl, LockedAction<T> action) throws Exception {
    LockHandle h = lock(name, ttl);
    T result;
    try {
      result = action.run(h);
    } catch (Exception | Error e) {
      try {
        unlock(h);
      } catch (RuntimeException re) {
        e.addSuppressed(re);
      }
      throw e;
    }
    unlock(h);
    return result;
  }

  // ---------------------------------------------------------------- plain calls (retrying)

  /** Acquire as given (a request id is added when absent, so retries are deduplicated). */
  public CompletionStage<AcquireResponse> acquire(AcquireRequest r) {
    AcquireRequest req = r.getRequestId().isEmpty() ? r.toBuilder().setRequestId(nextRequestId()).build() : r;
    return stage(onContext(() -> {
      if (clientId.equals(req.getClientId())) {
        maybeHeld.add(req.getLockId()); // a holding the lock handles do not know about
      }
      return rpc.call(RaftLockGrpcClient.Acquire, req, opDeadline(), null);
    }));
  }

  public CompletionStage<ReleaseResponse> release(ReleaseRequest r) {
    return call(RaftLockGrpcClient.Release, r.getRequestId().isEmpty() ? r.toBuilder().setRequestId(nextRequestId()).build() : r);
  }

  public CompletionStage<RenewResponse> renew(RenewRequest r) {
    return call(RaftLockGrpcClient.Renew, r.getRequestId().isEmpty() ? r.toBuilder().setRequestId(nextRequestId()).build() : r);
  }

  public CompletionStage<GetLockInfoResponse> getLockInfo(GetLockInfoRequest r) {
    return stage(onContext(() -> rpc.call(RaftLockGrpcClient.GetLockInfo, r, opDeadline(), x -> x.hasError() ? x.getError() : null)));
  }

  public CompletionStage<GetLocksResponse> getLocks(GetLocksRequest r) {
    return stage(onContext(() -> rpc.call(RaftLockGrpcClient.GetLocks, r, opDeadline(), x -> x.hasError() ? x.getError() : null)));
  }

  public CompletionStage<BackoffAdviceResponse> getBackoffAdvice(BackoffAdviceRequest r) {
    return call(RaftLockGrpcClient.GetBackoffAdvice, r);
  }

  /** The status of one node (no failover: the answer is about that node). */
  public CompletionStage<GetStatusResponse> getStatus(String endpoint, GetStatusRequest r) {
    SocketAddress a = Rpc.parse(endpoint);
    return stage(onContext(() -> rpc.once(a, RaftLockGrpcClient.GetStatus, r).recover(t ->
        Future.failedFuture(Rpc.classify(t).toException()))));
  }

  /** The health of one node (no failover). */
  public CompletionStage<HealthResponse> health(String endpoint, HealthRequest r) {
    SocketAddress a = Rpc.parse(endpoint);
    return stage(onContext(() -> rpc.once(a, RaftLockGrpcClient.Health, r).recover(t ->
        Future.failedFuture(Rpc.classify(t).toException()))));
  }

  private <Q, R> CompletionStage<R> call(io.vertx.grpc.common.ServiceMethod<R, Q> method, Q request) {
    return stage(onContext(() -> rpc.call(method, request, opDeadline(), null)));
  }

  // ---------------------------------------------------------------- close

  /** Releases held locks (best effort, a few seconds at most), stops the watch and the keep-alive. */
  @Override
  public void close() {
    if (closed) {
      return;
    }
    CompletableFuture<Void> done = closeAsync().toCompletableFuture();
    if (!Context.isOnEventLoopThread()) {
      try {
        done.get(10, TimeUnit.SECONDS);
      } catch (InterruptedException e) {
        Thread.currentThread().interrupt();
      } catch (ExecutionException | TimeoutException e) {
        LOG.log(Level.FINE, "closing the client", e);
      }
    }
  }

  public CompletionStage<Void> closeAsync() {
    closed = true;
    Future<Void> f = onContext(() -> {
      for (Acquisition a : new ArrayList<>(pending.values())) {
        finish(a, null, new RaftLockException(ErrorCode.UNAVAILABLE, "client closed"));
      }
      List<Future<Boolean>> releases = new ArrayList<>();
      for (LockHandle h : new ArrayList<>(handles.values())) {
        releases.add(release(h).recover(t -> Future.succeededFuture(false)));
      }
      Promise<Void> bounded = Promise.promise();
      long timer = vertx.setTimer(3_000, id -> bounded.tryComplete());
      Future.join(releases).onComplete(ar -> {
        vertx.cancelTimer(timer);
        bounded.tryComplete();
      });
      return bounded.future().compose(v -> {
        watcher.close();
        return grpc.close().recover(t -> Future.succeededFuture());
      });
    });
    CompletableFuture<Void> out = new CompletableFuture<>();
    f.onComplete(ar -> {
      Future<Void> v = ownsVertx ? vertx.close() : Future.succeededFuture();
      v.onComplete(x -> {
        callbacks.shutdown();
        out.complete(null);
      });
    });
    return out;
  }

  // ---------------------------------------------------------------- acquisition (client context)

  /** Priority and metadata of an acquire. */
  public record LockOptions(int priority, Map<String, String> metadata) {
    public static final LockOptions NONE = new LockOptions(0, Map.of());

    public LockOptions {
      metadata = Map.copyOf(metadata);
    }
  }

  private enum State { SENDING, QUEUED, CONFIRMING, DONE }

  private static final class Acquisition {
    final String name;
    final java.time.Duration ttl;
    final LockOptions options;
    final boolean wait;
    final boolean bounded;
    final long deadlineNanos;
    final Promise<Optional<LockHandle>> promise = Promise.promise();
    State state = State.SENDING;
    /** Acquire requests sent so far; after the first, an "acquired" may be an older grant. */
    int sends;
    long timer = -1;
    int retries;
    /** A grant pushed before the acquire's reply arrived. */
    long pushedToken;
    /** A wait-ended event arrived before the acquire's reply: the reply's "queued" may be stale. */
    boolean waitEndedWhileSending;
    /** The cluster refused the acquire (another client holds the lock): we hold nothing. */
    boolean refused;

    Acquisition(String name, java.time.Duration ttl, LockOptions options, java.time.Duration waitTimeout) {
      this.name = name;
      this.ttl = ttl;
      this.options = options;
      this.wait = waitTimeout == null || !waitTimeout.isZero();
      this.bounded = waitTimeout != null;
      this.deadlineNanos = bounded ? System.nanoTime() + waitTimeout.toNanos() : Long.MAX_VALUE;
    }
  }

  private Future<Optional<LockHandle>> start(String name, java.time.Duration ttl, java.time.Duration waitTimeout,
      LockOptions options) {
    if (name == null || name.isEmpty()) {
      return Future.failedFuture(new IllegalArgumentException("lock name must not be empty"));
    }
    if (ttl == null || ttl.toMillis() < MIN_TTL_MS || ttl.toMillis() > MAX_TTL_MS) {
      return Future.failedFuture(new IllegalArgumentException("ttl must be between 1 s and 24 h, got " + ttl));
    }
    if (closed) {
      return Future.failedFuture(new IllegalStateException("client is closed"));
    }
    if (handles.containsKey(name) || pending.containsKey(name)) {
      return Future.failedFuture(new IllegalStateException("this client already holds or is acquiring " + name));
    }
    abandoned.remove(name);
    Acquisition a = new Acquisition(name, ttl, options, waitTimeout);
    pending.put(name, a);
    if (a.bounded && a.wait) {
      // A zero wait is one attempt, answered by its reply; a real wait ends at its deadline.
      long ms = Math.max(1, TimeUnit.NANOSECONDS.toMillis(a.deadlineNanos - System.nanoTime()));
      a.timer = vertx.setTimer(ms, id -> giveUp(a));
    }
    if (!a.wait) {
      send(a);
    } else {
      // The watch must be registered before the acquire: a grant applied later is then pushed to us.
      Promise<Void> ready = Promise.promise();
      long t = vertx.setTimer(TimeUnit.NANOSECONDS.toMillis(operationTimeoutNanos), id -> ready.tryFail(
          new RaftLockException(ErrorCode.UNAVAILABLE, "no node answered the watch", null, true, null)));
      watcher.ready().onComplete(ar -> {
        vertx.cancelTimer(t);
        if (ar.succeeded()) {
          ready.tryComplete();
        } else {
          ready.tryFail(ar.cause());
        }
      });
      ready.future().onComplete(ar -> {
        if (a.state != State.SENDING) {
          return;
        }
        if (ar.succeeded()) {
          send(a);
        } else {
          finish(a, null, ar.cause());
        }
      });
    }
    return a.promise.future();
  }

  private void send(Acquisition a) {
    if (a.state == State.DONE) {
      return;
    }
    a.state = State.SENDING;
    a.sends++;
    a.pushedToken = 0;
    a.waitEndedWhileSending = false;
    AcquireRequest.Builder req = AcquireRequest.newBuilder().setLockId(a.name).setClientId(clientId)
        .setTtl(protoMillis(a.ttl.toMillis())).setWait(a.wait).setPriority(a.options.priority())
        .putAllMetadata(a.options.metadata()).setRequestId(nextRequestId());
    if (a.wait) {
      long waitMs = a.bounded ? TimeUnit.NANOSECONDS.toMillis(a.deadlineNanos - System.nanoTime()) : MAX_SERVER_WAIT_MS;
      req.setWaitTimeout(protoMillis(Math.max(MIN_SERVER_WAIT_MS, Math.min(MAX_SERVER_WAIT_MS, waitMs))));
    }
    long sentNanos = System.nanoTime(); // before sending: the lease cannot start earlier
    rpc.call(RaftLockGrpcClient.Acquire, req.build(), callDeadline(a), null)
        .onComplete(ar -> onAcquireReply(a, sentNanos, ar.succeeded() ? ar.result() : null, ar.cause()));
  }

  private void onAcquireReply(Acquisition a, long sentNanos, AcquireResponse r, Throwable failure) {
    if (a.state == State.DONE) {
      if (r != null && r.getAcquired()) {
        releaseQuietly(a.name, r.getLock().getVersion());
      }
      return;
    }
    if (failure != null) {
      finish(a, null, failure);
      return;
    }
    if (r.getAcquired()) {
      long token = r.getLock().getVersion();
      Long seen = seenTokens.get(a.name);
      if (a.sends > 1 || (seen != null && seen == token) || maybeHeld.contains(a.name)) {
        // Maybe a holding granted before this request (a re-sent acquire returns the existing
        // holding, whose lease started earlier): renew to measure the deadline from now.
        confirm(a, token);
      } else {
        grant(a, token, sentNanos);
      }
    } else if (r.getQueued()) {
      a.state = State.QUEUED;
      if (a.pushedToken > 0) {
        confirm(a, a.pushedToken);
      } else if (a.waitEndedWhileSending) {
        send(a);
      }
    } else if (r.hasError() && (r.getError().getCode() == ErrorCode.LOCK_HELD
        || r.getError().getCode() == ErrorCode.WAIT_QUEUE_FULL)) {
      if (!a.wait) {
        a.refused = true; // held by another client: not by us
        finish(a, Optional.empty(), null);
      } else {
        retryLater(a, r.hasBackoffAdvice() ? r.getBackoffAdvice() : null);
      }
    } else {
      ErrorCode code = r.hasError() ? r.getError().getCode() : ErrorCode.INTERNAL_ERROR;
      finish(a, null, new RaftLockException(code, r.hasError() ? r.getError().getMessage() : "acquire refused: " + r,
          r.getError().getDetailsMap().get("field"), false, null));
    }
  }

  /** The server's backoff advice sets the pace (floored by our own policy's first step). */
  private void retryLater(Acquisition a, BackoffAdvice advice) {
    long delayMs = advice == null ? RetryPolicy.DEFAULT.delayMs(a.retries, 0, random)
        : RetryPolicy.delayMs(Math.max(1, millis(advice.getInitialBackoff())),
            Math.max(1, millis(advice.getMaxBackoff())), Math.max(1.0, advice.getMultiplier()),
            Math.min(0.99, Math.max(0.0, advice.getJitterFactor())), a.retries, 0, random);
    a.retries++;
    if (a.bounded && System.nanoTime() + TimeUnit.MILLISECONDS.toNanos(delayMs) >= a.deadlineNanos) {
      return; // the give-up timer will answer
    }
    vertx.setTimer(delayMs, id -> send(a));
  }

  /**
   * A pushed grant: renews once before handing out the handle, so that the local deadline is
   * measured from a request we sent after the lease started.
   */
  private void confirm(Acquisition a, long token) {
    a.state = State.CONFIRMING;
    long sentNanos = System.nanoTime();
    RenewRequest req = RenewRequest.newBuilder().setLockId(a.name).setClientId(clientId).setVersion(token)
        .setNewTtl(protoMillis(a.ttl.toMillis())).setRequestId(nextRequestId()).build();
    rpc.call(RaftLockGrpcClient.Renew, req, callDeadline(a), null).onComplete(ar -> {
      if (a.state == State.DONE) {
        if (ar.succeeded() && ar.result().getRenewed()) {
          releaseQuietly(a.name, token);
        }
        return;
      }
      if (ar.failed()) {
        finish(a, null, ar.cause());
      } else if (ar.result().getRenewed()) {
        grant(a, token, sentNanos);
      } else {
        send(a); // the grant was not (or no longer) ours: ask again, idempotently
      }
    });
  }

  private void grant(Acquisition a, long token, long leaseStartNanos) {
    LockHandle h = new LockHandle(this, a.name, token, a.ttl, localDeadline(leaseStartNanos, a.ttl));
    handles.put(a.name, h);
    seenTokens.put(a.name, token);
    maybeHeld.remove(a.name);
    startKeepAlive(h);
    finish(a, Optional.of(h), null);
  }

  private void finish(Acquisition a, Optional<LockHandle> result, Throwable failure) {
    if (a.state == State.DONE) {
      return;
    }
    a.state = State.DONE;
    pending.remove(a.name, a);
    if (a.sends > 0 && !a.refused && (result == null || result.isEmpty())) {
      maybeHeld.add(a.name); // an acquire went out and we do not know what became of it
    }
    if (a.timer >= 0) {
      vertx.cancelTimer(a.timer);
    }
    if (failure != null) {
      a.promise.tryFail(failure);
    } else {
      a.promise.tryComplete(result);
    }
  }

  /** The wait timed out locally: leave the queue, and give back a grant that raced with us. */
  private void giveUp(Acquisition a) {
    if (a.state == State.DONE) {
      return;
    }
    boolean wasWaiting = a.wait;
    finish(a, Optional.empty(), null);
    abandoned.add(a.name);
    if (!wasWaiting) {
      return;
    }
    CancelWaitRequest cancel = CancelWaitRequest.newBuilder().setLockId(a.name).setClientId(clientId)
        .setRequestId(nextRequestId()).build();
    rpc.call(RaftLockGrpcClient.CancelWait, cancel, opDeadline(), null)
        .transform(ar -> rpc.call(RaftLockGrpcClient.GetLockInfo, GetLockInfoRequest.newBuilder().setLockId(a.name).build(),
            opDeadline(), x -> x.hasError() ? x.getError() : null))
        .onSuccess(info -> {
          if (info.hasLockInfo() && clientId.equals(info.getLockInfo().getOwnerId()) && !handles.containsKey(a.name)
              && abandoned.contains(a.name)) {
            releaseQuietly(a.name, info.getLockInfo().getVersion());
          }
        });
  }

  private void releaseQuietly(String name, long token) {
    seenTokens.put(name, token); // a new acquire that gets this holding back must not trust its age
    rpc.call(RaftLockGrpcClient.Release, ReleaseRequest.newBuilder().setLockId(name).setClientId(clientId)
        .setVersion(token).setRequestId(nextRequestId()).build(), opDeadline(), null)
        .onFailure(t -> LOG.log(Level.FINE, "releasing an unwanted grant of " + name, t));
  }

  // ---------------------------------------------------------------- events (client context)

  private void onEvent(LockEventMessage ev) {
    String name = ev.getLockId();
    switch (ev.getKind()) {
      case GRANTED -> {
        Acquisition a = pending.get(name);
        if (a != null) {
          if (a.state == State.QUEUED) {
            confirm(a, ev.getVersion());
          } else if (a.state == State.SENDING) {
            a.pushedToken = ev.getVersion();
          }
        } else if (abandoned.contains(name) && !handles.containsKey(name)) {
          releaseQuietly(name, ev.getVersion());
        }
      }
      case EXPIRED -> {
        LockHandle h = handles.get(name);
        if (h != null && h.token() == ev.getVersion()) {
          lost(h, LostReason.EXPIRED);
        }
      }
      case RELEASED -> {
        LockHandle h = handles.get(name);
        if (h != null && h.token() == ev.getVersion()) {
          lost(h, LostReason.RELEASED_ELSEWHERE);
        }
      }
      case WAIT_TIMED_OUT, WAIT_CANCELLED -> {
        Acquisition a = pending.get(name);
        if (a == null) {
          return;
        }
        if (a.state == State.QUEUED) {
          send(a); // still wanted: join the queue again (a bounded wait ends on its own timer)
        } else if (a.state == State.SENDING) {
          a.waitEndedWhileSending = true;
        }
      }
      default -> { }
    }
  }

  /**
   * The watch was re-opened, maybe on another node: events may have been missed and the old node
   * cancels our waits. Re-sending each acquire is idempotent (a waiter stays queued, a holder gets
   * its holding back) and re-establishes what was lost.
   */
  private void onResync() {
    for (Acquisition a : new ArrayList<>(pending.values())) {
      if (a.state == State.QUEUED) {
        send(a);
      } else if (a.state == State.SENDING) {
        a.waitEndedWhileSending = true;
      }
    }
  }

  // ---------------------------------------------------------------- keep-alive (client context)

  private void startKeepAlive(LockHandle h) {
    long periodMs = Math.max(50, h.ttl().toMillis() / 3);
    h.renewTimer = vertx.setPeriodic(periodMs, id -> renewNow(h));
    armDeadline(h);
  }

  private void renewNow(LockHandle h) {
    if (!h.active() || h.renewing || renewalsSuspended) {
      return;
    }
    h.renewing = true;
    long sentNanos = System.nanoTime();
    RenewRequest req = RenewRequest.newBuilder().setLockId(h.name()).setClientId(clientId).setVersion(h.token())
        .setNewTtl(protoMillis(h.ttl().toMillis())).setRequestId(nextRequestId()).build();
    // Retry until the local deadline at most: past it the lock counts as lost anyway.
    // One slow node must not use up the lease: each attempt gets a third of the TTL at most.
    long perAttemptMs = Math.max(200, h.ttl().toMillis() / 3);
    rpc.call(RaftLockGrpcClient.Renew, req, h.deadlineNanos(), null, perAttemptMs).onComplete(ar -> {
      h.renewing = false;
      if (!h.active()) {
        return;
      }
      if (ar.succeeded()) {
        RenewResponse r = ar.result();
        if (r.getRenewed()) {
          h.extendDeadline(localDeadline(sentNanos, h.ttl()));
          armDeadline(h);
        } else if (r.hasError() && NOT_OURS.contains(r.getError().getCode())) {
          lost(h, LostReason.REVOKED);
        }
      } else {
        LOG.log(Level.FINE, "renewal of " + h.name() + " failed", ar.cause());
      }
    });
  }

  private void armDeadline(LockHandle h) {
    if (h.deadlineTimer >= 0) {
      vertx.cancelTimer(h.deadlineTimer);
    }
    long ms = Math.max(1, TimeUnit.NANOSECONDS.toMillis(h.deadlineNanos() - System.nanoTime()) + 1);
    h.deadlineTimer = vertx.setTimer(ms, id -> {
      h.deadlineTimer = -1;
      if (!h.active()) {
        return;
      }
      if (System.nanoTime() - h.deadlineNanos() >= 0) {
        lost(h, LostReason.RENEWAL_FAILED);
      } else {
        armDeadline(h);
      }
    });
  }

  private void stopKeepAlive(LockHandle h) {
    if (h.renewTimer >= 0) {
      vertx.cancelTimer(h.renewTimer);
      h.renewTimer = -1;
    }
    if (h.deadlineTimer >= 0) {
      vertx.cancelTimer(h.deadlineTimer);
      h.deadlineTimer = -1;
    }
    handles.remove(h.name(), h);
  }

  private void lost(LockHandle h, LostReason reason) {
    var listeners = h.lose(reason);
    stopKeepAlive(h);
    if (listeners == null) {
      return; // released or lost before
    }
    callback(() -> lostListener.accept(h, reason));
    for (var l : listeners) {
      callback(() -> l.accept(reason));
    }
  }

  private Future<Boolean> release(LockHandle h) {
    if (!h.active()) {
      return Future.succeededFuture(false);
    }
    // Stop claiming the lock before asking: from here on the handle is not held.
    h.deactivate();
    stopKeepAlive(h);
    ReleaseRequest req = ReleaseRequest.newBuilder().setLockId(h.name()).setClientId(clientId)
        .setVersion(h.token()).setRequestId(nextRequestId()).build();
    return rpc.call(RaftLockGrpcClient.Release, req, opDeadline(), null).map(r -> {
      if (r.getReleased()) {
        seenTokens.remove(h.name(), h.token());
      }
      return r.getReleased();
    });
  }

  void detach(LockHandle h) {
    context.runOnContext(v -> {
      h.deactivate();
      stopKeepAlive(h);
    });
  }

  void callback(Runnable r) {
    try {
      callbacks.execute(() -> {
        try {
          r.run();
        } catch (RuntimeException e) {
          LOG.log(Level.WARNING, "a lost-lock listener failed", e);
        }
      });
    } catch (java.util.concurrent.RejectedExecutionException e) {
      LOG.log(Level.FINE, "client closed; callback dropped", e);
    }
  }

  // ---------------------------------------------------------------- small utilities

  /**
   * The last instant the client may claim a lease that started no earlier than
   * {@code leaseStartNanos}: the TTL less a margin of 2 % (clock-rate differences between this
   * machine and the leader), and at least 100 ms (timer and scheduling lateness, so the lost
   * notification is out before the cluster can hand the lock on), but never more than a quarter
   * of the TTL. Public so that checkers (the simulator's lease-promise check) hold the cluster to
   * exactly the deadline this client keeps.
   */
  public static long localDeadline(long leaseStartNanos, java.time.Duration ttl) {
    long ttlNanos = ttl.toNanos();
    long marginNanos = Math.min(ttlNanos / 4, Math.max(ttlNanos / 50, TimeUnit.MILLISECONDS.toNanos(100)));
    return leaseStartNanos + ttlNanos - marginNanos;
  }

  private long callDeadline(Acquisition a) {
    long op = System.nanoTime() + operationTimeoutNanos;
    return a.bounded && a.wait ? Math.min(op, a.deadlineNanos) : op;
  }

  private long opDeadline() {
    return System.nanoTime() + operationTimeoutNanos;
  }

  private synchronized String nextRequestId() {
    return Long.toHexString(random.nextLong() >>> 1) + "-" + (++requestCounter);
  }

  private static Duration protoMillis(long ms) {
    return Duration.newBuilder().setSeconds(ms / 1000).setNanos((int) (ms % 1000) * 1_000_000).build();
  }

  private static long millis(Duration d) {
    return d.getSeconds() * 1000 + d.getNanos() / 1_000_000;
  }

  private <T> Future<T> onContext(Supplier<Future<T>> body) {
    Promise<T> p = Promise.promise();
    context.runOnContext(v -> {
      try {
        body.get().onComplete(p);
      } catch (RuntimeException e) {
        p.fail(e);
      }
    });
    return p.future();
  }

  /** Completes on the callback thread, never on the event loop. */
  private <T> CompletionStage<T> stage(Future<T> f) {
    CompletableFuture<T> cf = new CompletableFuture<>();
    f.onComplete(ar -> {
      Runnable complete = () -> {
        if (ar.succeeded()) {
          cf.complete(ar.result());
        } else {
          cf.completeExceptionally(ar.cause());
        }
      };
      try {
        callbacks.execute(complete);
      } catch (java.util.concurrent.RejectedExecutionException e) {
        complete.run();
      }
    });
    return cf;
  }

  /**
   * Waits for {@code stage} on the calling thread and unwraps its failure. Refuses to block a
   * Vert.x event loop.
   */
  public static <T> T await(CompletionStage<T> stage) {
    if (Context.isOnEventLoopThread()) {
      throw new IllegalStateException("blocking RaftLock call on a Vert.x event loop; use the async variant");
    }
    try {
      return stage.toCompletableFuture().get();
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      throw new RaftLockException(ErrorCode.ERROR_CODE_UNSPECIFIED, "interrupted", null, false, e);
    } catch (ExecutionException e) {
      Throwable c = e.getCause() instanceof CompletionException ce && ce.getCause() != null ? ce.getCause() : e.getCause();
      if (c instanceof RuntimeException re) {
        throw re;
      }
      if (c instanceof Error err) {
        throw err;
      }
      throw new CompletionException(c);
    }
  }

  /** Test hook: pauses (true) or resumes the keep-alive of every handle, as if this process were stopped. */
  void suspendRenewals(boolean suspended) {
    this.renewalsSuspended = suspended;
  }
}
