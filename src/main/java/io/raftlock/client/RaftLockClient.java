package io.raftlock.client;

import io.raftlock.proto.api.AcquireRequest;
import io.raftlock.proto.api.AcquireResponse;
import io.raftlock.proto.api.BackoffAdviceRequest;
import io.raftlock.proto.api.BackoffAdviceResponse;
import io.raftlock.proto.api.ErrorCode;
import io.raftlock.proto.api.GetLockInfoRequest;
import io.raftlock.proto.api.GetLockInfoResponse;
import io.raftlock.proto.api.GetLocksRequest;
import io.raftlock.proto.api.GetLocksResponse;
import io.raftlock.proto.api.GetStatusRequest;
import io.raftlock.proto.api.GetStatusResponse;
import io.raftlock.proto.api.HealthRequest;
import io.raftlock.proto.api.HealthResponse;
import io.raftlock.proto.api.RaftLockGrpcClient;
import io.raftlock.proto.api.ReleaseRequest;
import io.raftlock.proto.api.ReleaseResponse;
import io.raftlock.proto.api.RenewRequest;
import io.raftlock.proto.api.RenewResponse;
import io.vertx.core.Context;
import io.vertx.core.Future;
import io.vertx.core.Vertx;
import io.vertx.core.http.HttpClientOptions;
import io.vertx.core.net.SocketAddress;
import io.vertx.grpc.client.GrpcClient;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.Optional;
import java.util.Random;
import java.util.UUID;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionException;
import java.util.concurrent.CompletionStage;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import java.util.function.Function;
import java.util.logging.Level;
import java.util.logging.Logger;

/**
 * A RaftLock client: locks with fencing tokens on one server-issued session, kept alive by one
 * keep-alive for all its locks, grants pushed on the session's stream, failover across the
 * cluster's nodes.
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
 * <p><b>Jobs.</b> This class is the public face: argument checks, the async and blocking form of
 * each call on the client's threads ({@link ClientThreads}), the client's start and close. Its
 * settings and their checks are {@link ClientSettings}. The locks on the session are
 * {@link SessionLocks}: the session and its stream {@link SessionChannel} (with {@link StreamCall}
 * per connection and {@link SessionLease} for the keep-alive and local deadline), acquisitions
 * {@link Acquisitions}, held locks {@link Holdings}. Plain calls are {@link Rpc}, endpoint choice
 * {@link Endpoints}.
 *
 * <p><b>Threads.</b> All state lives on one event-loop context of the client's Vert.x instance:
 * the one given to the builder, or else one Vert.x shared by all such clients of the process
 * ({@link SharedVertx}, closed when the last of them closes). Blocking methods
 * ({@link #lock}, {@link #tryLock}, {@link #unlock}, {@link #withLock}) block the caller and refuse
 * to run on a Vert.x event loop ({@link IllegalStateException}). Async methods return stages that
 * complete on a client thread reserved for callbacks, never on the event loop, so a dependent
 * stage may block without stalling the client.
 *
 * <p><b>Safety.</b> Every lock of the client is owned by its session and lives exactly as long as
 * the session. The session's local deadline is measured from <em>before</em> the keep-alive that
 * last restarted its TTL was sent, less a margin, so the client stops claiming its locks no later
 * than the server could expire the session.
 */
public final class RaftLockClient implements AutoCloseable {
  private static final Logger LOG = Logger.getLogger(RaftLockClient.class.getName());
  public static final String DEFAULT_ENDPOINTS = "127.0.0.1:8001,127.0.0.1:8002,127.0.0.1:8003";
  public static final java.time.Duration DEFAULT_SESSION_TTL = java.time.Duration.ofSeconds(10);
  static final long MIN_TTL_MS = 1_000;
  static final long MAX_TTL_MS = 86_400_000;
  /** How long close() waits for the session's close (or the releases) to be answered. */
  static final long CLOSE_WAIT_MS = 3_000;

  private final Vertx vertx;
  private final boolean ownsVertx;
  private final ClientThreads threads;
  private final GrpcClient grpc;
  private final Rpc rpc;
  private final SessionLocks locks;
  private final String clientId;
  private final Random random;
  private final long operationTimeoutNanos;
  private long requestCounter;
  private volatile boolean closed;
  /** The close under way or done; set once, by the first close (guarded by this). */
  private CompletableFuture<Void> closing;

  private RaftLockClient(ClientSettings b, HttpClientOptions http) {
    this.ownsVertx = b.vertx == null;
    this.vertx = ownsVertx ? SharedVertx.acquire() : b.vertx;
    this.threads = new ClientThreads(ownsVertx ? SharedVertx.context(vertx) : vertx.getOrCreateContext());
    this.clientId = b.clientId != null ? b.clientId : "client-" + UUID.randomUUID();
    this.random = new Random();
    this.operationTimeoutNanos = b.operationTimeout.toNanos();
    this.grpc = ownsVertx ? SharedVertx.grpc(vertx, http)
        : ClientGrpc.create(vertx, http);
    Endpoints endpoints = new Endpoints(b.endpoints, b.spreadEndpoints ? random.nextInt(b.endpoints.size()) : 0);
    CallHeaders headers = b.headers();
    this.rpc = new Rpc(vertx, grpc, endpoints, b.retryPolicy, random, b.attemptTimeout.toMillis(), headers);
    this.locks = new SessionLocks(this, vertx, grpc, endpoints, b, headers, clientId, random, this::nextRequestId);
  }

  public static Builder builder() {
    return new Builder();
  }

  /** A client for {@code endpoints} ("host:port,host:port") with default settings. */
  public static RaftLockClient connect(String endpoints) {
    return builder().endpoints(endpoints).build();
  }

  /**
   * Client settings; only the endpoints are required. The setters and their checks are
   * {@link ClientSettings}'s; each refuses a bad value when called.
   */
  public static final class Builder extends ClientSettings {
    private Builder() {}

    /** The client, started with these settings; fails here if a TLS file cannot be read. */
    public RaftLockClient build() {
      return new RaftLockClient(this, httpOptions());
    }
  }

  public String clientId() {
    return clientId;
  }

  /**
   * The id of the client's current session; 0 while it has none (none opened yet, or lost).
   * Blocking (not on an event loop).
   */
  public long sessionId() {
    return await(threads.run(() -> Future.succeededFuture(locks.sessionId())));
  }

  // ---------------------------------------------------------------- locks: async

  /** Waits as long as it takes (re-joining the queue if a server-side wait times out). */
  public CompletionStage<LockHandle> lockAsync(String name, java.time.Duration ttl) {
    return threads.run(() -> lockOnContext(name, ttl));
  }

  private Future<LockHandle> lockOnContext(String name, java.time.Duration ttl) {
    return startAcquire(name, ttl, null, LockOptions.NONE)
        .map(o -> o.orElseThrow(() -> new RaftLockException(ErrorCode.TIMEOUT, "lock not granted")));
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
    checkWaitTimeout(waitTimeout);
    return threads.run(() -> startAcquire(name, ttl, waitTimeout, options));
  }

  private static void checkWaitTimeout(java.time.Duration waitTimeout) {
    Objects.requireNonNull(waitTimeout, "waitTimeout");
    if (waitTimeout.isNegative()) {
      throw new IllegalArgumentException("waitTimeout must not be negative");
    }
  }

  /**
   * Releases the lock: true once the cluster acknowledged the release, false when it was no
   * longer held. The release is retried (same request id) across stream breaks and leader changes
   * until the cluster answers; meanwhile the handle is {@link LockHandle.State#RELEASING} and still
   * held. Asking again for a handle being released returns the same outcome.
   */
  public CompletionStage<Boolean> unlockAsync(LockHandle handle) {
    Objects.requireNonNull(handle, "handle");
    return threads.run(() -> locks.release(handle));
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

  /** Blocks until the lock is granted (pushed on the session stream; no polling). */
  public LockHandle lock(String name, java.time.Duration ttl) {
    ClientThreads.checkMayBlock();
    return await(threads.forBlockedCaller(() -> lockOnContext(name, ttl)));
  }

  /** Blocks up to {@code waitTimeout}; empty if the lock was not granted in time. */
  public Optional<LockHandle> tryLock(String name, java.time.Duration ttl, java.time.Duration waitTimeout) {
    ClientThreads.checkMayBlock();
    checkWaitTimeout(waitTimeout);
    return await(threads.forBlockedCaller(() -> startAcquire(name, ttl, waitTimeout, LockOptions.NONE)));
  }

  /**
   * Releases the lock; true when released, false when it was no longer held (lost or released).
   * Waits at most the operation timeout: past it, {@link RaftLockException} ({@code TIMEOUT},
   * retryable) while the client keeps retrying the release; the handle stays
   * {@link LockHandle.State#RELEASING} and {@link #unlockAsync} gives the eventual outcome.
   */
  public boolean unlock(LockHandle handle) {
    ClientThreads.checkMayBlock();
    Objects.requireNonNull(handle, "handle");
    CompletableFuture<Boolean> outcome = threads.forBlockedCaller(() -> locks.release(handle));
    try {
      return outcome.get(operationTimeoutNanos, TimeUnit.NANOSECONDS);
    } catch (TimeoutException e) {
      throw new RaftLockException(ErrorCode.TIMEOUT, "the release of " + handle.name()
          + " is not acknowledged yet; the client keeps retrying it", null, true, e);
    } catch (InterruptedException | ExecutionException e) {
      return await(outcome);
    }
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

  /**
   * Acquire as given, as a plain unary call (a request id is added when absent, so retries are
   * deduplicated). Not on the session: the lock is owned by the request's {@code client_id} with
   * its own lease, renewed with {@link #renew}; the lock handles of this client never see it.
   */
  public CompletionStage<AcquireResponse> acquire(AcquireRequest r) {
    AcquireRequest req = r.getRequestId().isEmpty() ? r.toBuilder().setRequestId(nextRequestId()).build() : r;
    return threads.run(() -> rpc.call(RaftLockGrpcClient.Acquire, req, opDeadline(), null));
  }

  public CompletionStage<ReleaseResponse> release(ReleaseRequest r) {
    return call(RaftLockGrpcClient.Release, r.getRequestId().isEmpty() ? r.toBuilder().setRequestId(nextRequestId()).build() : r);
  }

  public CompletionStage<RenewResponse> renew(RenewRequest r) {
    return call(RaftLockGrpcClient.Renew, r.getRequestId().isEmpty() ? r.toBuilder().setRequestId(nextRequestId()).build() : r);
  }

  public CompletionStage<GetLockInfoResponse> getLockInfo(GetLockInfoRequest r) {
    return threads.run(() -> rpc.call(RaftLockGrpcClient.GetLockInfo, r, opDeadline(), x -> x.hasError() ? x.getError() : null));
  }

  public CompletionStage<GetLocksResponse> getLocks(GetLocksRequest r) {
    return threads.run(() -> rpc.call(RaftLockGrpcClient.GetLocks, r, opDeadline(), x -> x.hasError() ? x.getError() : null));
  }

  public CompletionStage<BackoffAdviceResponse> getBackoffAdvice(BackoffAdviceRequest r) {
    return call(RaftLockGrpcClient.GetBackoffAdvice, r);
  }

  /** The status of one node (no failover: the answer is about that node). */
  public CompletionStage<GetStatusResponse> getStatus(String endpoint, GetStatusRequest r) {
    SocketAddress a = Rpc.parse(endpoint);
    return threads.run(() -> rpc.once(a, RaftLockGrpcClient.GetStatus, r).recover(t ->
        Future.failedFuture(Rpc.classify(t).toException())));
  }

  /** The health of one node (no failover). */
  public CompletionStage<HealthResponse> health(String endpoint, HealthRequest r) {
    SocketAddress a = Rpc.parse(endpoint);
    return threads.run(() -> rpc.once(a, RaftLockGrpcClient.Health, r).recover(t ->
        Future.failedFuture(Rpc.classify(t).toException())));
  }

  private <Q, R> CompletionStage<R> call(io.vertx.grpc.common.ServiceMethod<R, Q> method, Q request) {
    return threads.run(() -> rpc.call(method, request, opDeadline(), null));
  }

  // ---------------------------------------------------------------- close

  /**
   * Fails pending acquisitions, closes the session (its locks are released and its waits
   * cancelled in one entry; 3 s at most, else it expires after its TTL) and gives back its use of
   * the shared Vert.x instance, which the last client to close closes. With detached handles the session is not closed: their locks stay until it
   * expires, one session TTL later; the client's other locks are released one by one.
   */
  @Override
  public void close() {
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

  /** Closes as {@link #close()} does; calling it again returns the first call's stage. */
  public synchronized CompletionStage<Void> closeAsync() {
    if (closing == null) {
      closed = true;
      closing = startClose();
    }
    return closing;
  }

  private CompletableFuture<Void> startClose() {
    Future<Void> f = threads.onContext(() -> {
      long deadline = System.nanoTime() + TimeUnit.MILLISECONDS.toNanos(CLOSE_WAIT_MS);
      return locks.end(new RaftLockException(ErrorCode.UNAVAILABLE, "client closed"), deadline).compose(v -> (ownsVertx ? SharedVertx.releaseGrpc(grpc) : grpc.close()).recover(t -> Future.succeededFuture()));
    });
    CompletableFuture<Void> out = new CompletableFuture<>();
    f.onComplete(ar -> {
      Future<Void> v = ownsVertx ? SharedVertx.release(vertx) : Future.succeededFuture();
      v.onComplete(x -> {
        threads.shutdown();
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

  /**
   * Checks the arguments and starts an acquisition. The TTL is checked against the lock TTL range
   * (1 s..24 h) as before sessions, and kept on the handle; the session's TTL decides how long the
   * lock outlives a silent client.
   */
  private Future<Optional<LockHandle>> startAcquire(String name, java.time.Duration ttl,
      java.time.Duration waitTimeout, LockOptions options) {
    if (name == null || name.isEmpty()) {
      return Future.failedFuture(new IllegalArgumentException("lock name must not be empty"));
    }
    if (ttl == null || ttl.toMillis() < MIN_TTL_MS || ttl.toMillis() > MAX_TTL_MS) {
      return Future.failedFuture(new IllegalArgumentException("ttl must be between 1 s and 24 h, got " + ttl));
    }
    if (closed) {
      return Future.failedFuture(new IllegalStateException("client is closed"));
    }
    return locks.acquire(name, ttl, waitTimeout, options);
  }

  void detach(LockHandle h) {
    threads.context.runOnContext(v -> locks.detach(h));
  }

  void callback(Runnable r) {
    threads.callback(r);
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

  private long opDeadline() {
    return System.nanoTime() + operationTimeoutNanos;
  }

  private synchronized String nextRequestId() {
    return Long.toHexString(random.nextLong() >>> 1) + "-" + (++requestCounter);
  }

  /**
   * Waits for {@code stage} on the calling thread and unwraps its failure. Refuses to block a
   * Vert.x event loop.
   */
  public static <T> T await(CompletionStage<T> stage) {
    return ClientThreads.await(stage);
  }

  /**
   * Test hook: pauses (true) or resumes the session's keep-alive, as if this process were
   * stopped. (Named for the per-lock renewals it paused before sessions.)
   */
  void suspendRenewals(boolean suspended) {
    threads.context.runOnContext(v -> locks.suspendKeepAlives(suspended));
  }

  /** For tests and figures: sessions this client opened. */
  int sessionsOpened() {
    return await(threads.run(() -> Future.succeededFuture(locks.sessionsOpened())));
  }

  /** For tests and figures: resumes of the session on a new stream. */
  int resumes() {
    return await(threads.run(() -> Future.succeededFuture(locks.resumes())));
  }

  /** For tests and figures: keep-alives sent by this client over all its sessions. */
  long keepAlivesSent() {
    return await(threads.run(() -> Future.succeededFuture(locks.keepAlivesSent())));
  }
}
