package io.raftlock.api;

import io.raftlock.api.ApiObserver.Method;
import io.raftlock.api.ApiObserver.Queue;
import io.raftlock.lock.ApplyResult;
import io.raftlock.lock.ErrorCode;
import io.raftlock.lock.LockCommand;
import io.raftlock.lock.LockCommandCodec;
import io.raftlock.lock.LockReply;
import io.raftlock.lock.LockStateMachine;
import io.raftlock.node.Applied;
import io.raftlock.node.LockReplica;
import io.raftlock.node.ProposalException;
import io.raftlock.node.RaftVerticle;
import io.raftlock.proto.api.AcquireRequest;
import io.raftlock.proto.api.AcquireResponse;
import io.raftlock.proto.api.BackoffAdviceRequest;
import io.raftlock.proto.api.BackoffAdviceResponse;
import io.raftlock.proto.api.CancelWaitRequest;
import io.raftlock.proto.api.CancelWaitResponse;
import io.raftlock.proto.api.EnqueueWaiterRequest;
import io.raftlock.proto.api.EnqueueWaiterResponse;
import io.raftlock.proto.api.ErrorDetail;
import io.raftlock.proto.api.GetLockInfoRequest;
import io.raftlock.proto.api.GetLockInfoResponse;
import io.raftlock.proto.api.GetLocksRequest;
import io.raftlock.proto.api.GetLocksResponse;
import io.raftlock.proto.api.GetStatusRequest;
import io.raftlock.proto.api.GetStatusResponse;
import io.raftlock.proto.api.HealthRequest;
import io.raftlock.proto.api.HealthResponse;
import io.raftlock.proto.api.LockEventMessage;
import io.raftlock.proto.api.ReleaseRequest;
import io.raftlock.proto.api.ReleaseResponse;
import io.raftlock.proto.api.RenewRequest;
import io.raftlock.proto.api.RenewResponse;
import io.raftlock.proto.api.WatchRequest;
import io.raftlock.raft.RaftStatus;
import io.raftlock.raft.Role;
import io.vertx.core.Context;
import io.vertx.core.Future;
import io.vertx.core.Promise;
import io.vertx.core.Vertx;
import io.vertx.grpc.common.GrpcStatus;
import java.util.Map;
import java.util.Objects;
import java.util.Optional;
import java.util.function.Consumer;
import java.util.function.Function;
import java.util.function.LongSupplier;

/**
 * The client API of one node ({@link LockApi}): validate → admit (rate limit, in-flight cap) →
 * route (propose on the leader, forward once from a follower, or redirect) → map the applied
 * reply. The gRPC service and the WebSocket protocol both call this class, so they behave alike.
 *
 * <p><b>Threading.</b> Confined to one event loop, the API context it is created on (the client
 * HTTP server's verticle): the rate limiter, the watch registry and the counters are plain fields.
 * Every future from the Raft verticle completes on the Raft context and is hopped back here
 * ({@link #onApi}) before it touches anything.
 *
 * <p><b>Outcomes.</b> A write whose future fails with a retryable {@link ProposalException} may
 * or may not have been applied; the client retries with the same request id and the state
 * machine's deduplication returns the original result. That is why every such failure is
 * answered as retryable with a hint, and never as a lock-level error.
 */
public final class LockService implements LockApi {
  /**
   * @param redirectToLeader false (default): a follower forwards writes to the leader once over
   *     the peer channel; true: it answers NOT_LEADER with the leader's client address
   * @param requestTimeoutMs bound on a write from admission to reply (the seed's redirect
   *     timeout, 5 s): past it the answer is TIMEOUT, outcome unknown, retry with the request id
   * @param readTimeoutMs bound on the ReadIndex confirmation of a linearizable read
   * @param retryAfterMs hint given with NO_LEADER / REPLICATION_FAILURE (about one election)
   * @param clientAddresses client API address (host:port) of every member, for redirects
   */
  public record Options(boolean redirectToLeader, long requestTimeoutMs, long readTimeoutMs,
      long retryAfterMs, RateLimiter.Config rateLimits, Map<String, String> clientAddresses) {
    public Options {
      Objects.requireNonNull(rateLimits, "rateLimits");
      clientAddresses = Map.copyOf(clientAddresses);
      if (requestTimeoutMs < 1 || readTimeoutMs < 1 || retryAfterMs < 1) {
        throw new IllegalArgumentException("timeouts and retryAfterMs must be positive");
      }
    }

    public static Options defaults(Map<String, String> clientAddresses) {
      return new Options(false, 5_000, 5_000, 200, RateLimiter.Config.DEFAULTS, clientAddresses);
    }
  }

  private final Vertx vertx;
  private final Context context;
  private final RaftVerticle<LockReplica> raft;
  private final Options options;
  private final LongSupplier wallClockMs;
  private final RateLimiter limiter;
  private final WatchRegistry watches;
  private final ApiStats stats = new ApiStats();
  private final LongSupplier nanoTime;
  private final RequestReports reports;
  private final ApiRefusals refusals;
  private final NodeHealth health;
  private boolean draining;
  /** Completions from the Raft context (or a forward) reach the API context through here. */
  private final ContextMailbox toApi;
  private final RequestDeadlines deadlines;

  /**
   * Must be created on the API context. {@code wallClockMs} stamps commands proposed here (the
   * leader restamps them with its own clock, ARCHITECTURE.md data path 4).
   */
  public LockService(Vertx vertx, RaftVerticle<LockReplica> raft, Options options,
      LongSupplier wallClockMs, LongSupplier nanoTime) {
    this.vertx = vertx;
    this.context = Objects.requireNonNull(Vertx.currentContext(), "create LockService on its event loop");
    this.raft = raft;
    this.options = options;
    this.wallClockMs = wallClockMs;
    this.limiter = new RateLimiter(options.rateLimits(), nanoTime);
    this.nanoTime = nanoTime;
    this.toApi = new ContextMailbox(context);
    this.reports = new RequestReports(nanoTime);
    this.refusals = new ApiRefusals(options.retryAfterMs(), stats);
    this.health = new NodeHealth(raft, options.clientAddresses(), wallClockMs, () -> draining, refusals, toApi,
        reports);
    ClientWaitCancels cancels = new ClientWaitCancels(vertx, raft, wallClockMs, nanoTime, options.retryAfterMs(),
        toApi, reports);
    this.watches = new WatchRegistry(context,
        then -> raft.query(sm -> {
          then.accept(sm.appliedIndex());
          return null;
        }),
        cancels::cancelWaitsOf);
    this.deadlines = new RequestDeadlines(vertx, options.requestTimeoutMs(), nanoTime);
    // Below the reserve this node takes no entries, so its events stop: watchers move elsewhere.
    raft.onStorageReserveChange(below -> {
      if (below) {
        context.runOnContext(v -> watches.closeAll(STORAGE_BELOW_RESERVE));
      }
    });
  }

  private static final String STORAGE_BELOW_RESERVE =
      "this node's disk is below its storage reserve and its lock state is not advancing: watch another node";

  /** Where requests, refusals and proposals are reported (metrics); set before serving. */
  public void observeWith(ApiObserver observer) {
    reports.observeWith(observer);
  }

  public ApiObserver observer() {
    return reports.observer();
  }

  public ApiStats stats() {
    return stats;
  }

  /** The watches on this node; the node feeds it every applied event ({@link WatchRegistry#publish}). */
  public WatchRegistry watches() {
    return watches;
  }

  public int inFlight() {
    return limiter.inFlight();
  }

  /**
   * Graceful shutdown: new requests are refused with UNAVAILABLE; the future completes when the
   * requests in flight have completed or {@code timeoutMs} has passed.
   */
  public Future<Void> drain(long timeoutMs) {
    draining = true;
    Promise<Void> done = Promise.promise();
    long deadline = System.nanoTime() + timeoutMs * 1_000_000L;
    if (limiter.inFlight() == 0) {
      return Future.succeededFuture();
    }
    vertx.setPeriodic(10, id -> {
      if (limiter.inFlight() == 0 || System.nanoTime() > deadline) {
        vertx.cancelTimer(id);
        done.tryComplete();
      }
    });
    return done.future();
  }

  // ---------------------------------------------------------------- writes

  @Override
  public Future<AcquireResponse> acquire(AcquireRequest r) {
    return acquire(r, null);
  }

  /** As {@link #acquire(AcquireRequest)}, the command sent with the API key {@code keyId} (null: none). */
  Future<AcquireResponse> acquire(AcquireRequest r, String keyId) {
    long t0 = started(Method.ACQUIRE);
    return finished(Method.ACQUIRE, t0, AcquireResponse::hasError, AcquireResponse::getError,
        write(Method.ACQUIRE, RequestValidator.validate(r), r.getClientId(), keyId, RateLimiter.Kind.NEW_WORK,
            () -> ApiMapper.toCommand(r, wallClockMs.getAsLong()), reply -> ResponseMapper.acquire(r, reply)));
  }

  @Override
  public Future<ReleaseResponse> release(ReleaseRequest r) {
    return release(r, null);
  }

  /** As {@link #release(ReleaseRequest)}, the command sent with the API key {@code keyId} (null: none). */
  Future<ReleaseResponse> release(ReleaseRequest r, String keyId) {
    long t0 = started(Method.RELEASE);
    return finished(Method.RELEASE, t0, ReleaseResponse::hasError, ReleaseResponse::getError,
        write(Method.RELEASE, RequestValidator.validate(r), r.getClientId(), keyId, RateLimiter.Kind.MAINTAIN,
            () -> ApiMapper.toCommand(r, wallClockMs.getAsLong()), ResponseMapper::release));
  }

  @Override
  public Future<RenewResponse> renew(RenewRequest r) {
    return renew(r, null);
  }

  /** As {@link #renew(RenewRequest)}, the command sent with the API key {@code keyId} (null: none). */
  Future<RenewResponse> renew(RenewRequest r, String keyId) {
    long t0 = started(Method.RENEW);
    return finished(Method.RENEW, t0, RenewResponse::hasError, RenewResponse::getError,
        write(Method.RENEW, RequestValidator.validate(r), r.getClientId(), keyId, RateLimiter.Kind.MAINTAIN,
            () -> ApiMapper.toCommand(r, wallClockMs.getAsLong()), reply -> ResponseMapper.renew(r, reply)));
  }

  @Override
  public Future<EnqueueWaiterResponse> enqueueWaiter(EnqueueWaiterRequest r) {
    return enqueueWaiter(r, null);
  }

  /** As {@link #enqueueWaiter(EnqueueWaiterRequest)}, the command sent with the API key {@code keyId} (null: none). */
  Future<EnqueueWaiterResponse> enqueueWaiter(EnqueueWaiterRequest r, String keyId) {
    long t0 = started(Method.ENQUEUE_WAITER);
    return finished(Method.ENQUEUE_WAITER, t0, EnqueueWaiterResponse::hasError, EnqueueWaiterResponse::getError,
        write(Method.ENQUEUE_WAITER, RequestValidator.validate(r), r.getClientId(), keyId, RateLimiter.Kind.NEW_WORK,
            () -> ApiMapper.toCommand(r, wallClockMs.getAsLong()), reply -> ResponseMapper.enqueueWaiter(r, reply)));
  }

  @Override
  public Future<CancelWaitResponse> cancelWait(CancelWaitRequest r) {
    return cancelWait(r, null);
  }

  /** As {@link #cancelWait(CancelWaitRequest)}, the command sent with the API key {@code keyId} (null: none). */
  Future<CancelWaitResponse> cancelWait(CancelWaitRequest r, String keyId) {
    long t0 = started(Method.CANCEL_WAIT);
    return finished(Method.CANCEL_WAIT, t0, CancelWaitResponse::hasError, CancelWaitResponse::getError,
        write(Method.CANCEL_WAIT, RequestValidator.validate(r), r.getClientId(), keyId, RateLimiter.Kind.MAINTAIN,
            () -> ApiMapper.toCommand(r, wallClockMs.getAsLong()), ResponseMapper::cancelWait));
  }

  /**
   * Validate, admit, route and propose one write. With {@code keyId} the entry carries the key's
   * id ({@link LockCommand.Authenticated}), so the state machine checks the caller's permission
   * at apply and records its principal.
   */
  private <T> Future<T> write(Method method, Optional<ValidationError> invalid, String clientId, String keyId,
      RateLimiter.Kind kind, java.util.function.Supplier<LockCommand> command, Function<LockReply, T> toResponse) {
    RateLimiter.Permit permit;
    try {
      // Redirect before admission: a redirected request holds no in-flight slot.
      refusals.refuseIfInvalid(invalid);
      redirectIfFollower(method);
      permit = admit(clientId, kind);
    } catch (ApiException e) {
      return Future.failedFuture(e);
    }
    if (raft.status() != null && raft.status().role() != Role.LEADER) {
      stats.forwarded++;
      reports.observer().forwarded(method);
    }
    LockCommand cmd = command.get();
    byte[] bytes = LockCommandCodec.encode(keyId == null ? cmd : new LockCommand.Authenticated(keyId, cmd));
    long proposedAt = nanoTime.getAsLong();
    return onApiWithDeadline(raft.submit(bytes))
        .transform(ar -> {
          permit.release();
          reports.observer().proposed(cmd.getClass().getSimpleName(), RequestReports.proposalOutcome(ar.cause()),
              nanoTime.getAsLong() - proposedAt);
          if (ar.succeeded()) {
            return Future.succeededFuture(toResponse.apply(reply(ar.result())));
          }
          return Future.failedFuture(refusals.translate(ar.cause(), false));
        });
  }

  /**
   * A write of a session stream ({@link SessionStream}): the same validation, admission (charged
   * to {@code rateKey}'s buckets and the node's in-flight cap), routing and deadline as the unary
   * writes. {@code command} is given the time to stamp; the future holds the applied reply.
   * {@code keyId}: the API key the stream was opened with (null: none).
   */
  Future<LockReply> sessionWrite(Method method, Optional<ValidationError> invalid, String rateKey,
      String keyId, RateLimiter.Kind kind, java.util.function.LongFunction<LockCommand> command) {
    long t0 = started(method);
    return finished(method, t0, reply -> !reply.ok(), ResponseMapper::error, write(method, invalid,
        rateKey, keyId, kind, () -> command.apply(wallClockMs.getAsLong()), Function.identity()));
  }

  /**
   * The warning of one session stream ({@link SessionExpiryWarning}): timers on the API context,
   * the session's deadline read as applied on this node (a local read: the warning is advice).
   */
  SessionExpiryWarning expiryWarning(Consumer<LockEventMessage> push) {
    return new SessionExpiryWarning(new SessionExpiryWarning.Timers() {
      @Override
      public long schedule(long delayMs, Runnable task) {
        return vertx.setTimer(delayMs, id -> task.run());
      }

      @Override
      public void cancel(long timerId) {
        vertx.cancelTimer(timerId);
      }
    }, nanoTime, id -> onApi(raft.query(sm -> sm.stateMachine().sessionInfo(id))), push);
  }

  /** Hint given with a refusal of this node's own making (about one election). */
  long retryAfterMs() {
    return options.retryAfterMs();
  }

  /**
   * NOT_LEADER with the leader's client address when this node is configured to redirect rather
   * than forward, and is not the leader.
   */
  private void redirectIfFollower(Method method) {
    RaftStatus s = raft.status();
    if (!options.redirectToLeader() || s == null || s.role() == Role.LEADER) {
      return;
    }
    stats.redirects++;
    reports.observer().redirected(method);
    if (s.leaderId() == null) {
      throw refusals.noLeader();
    }
    throw new ApiException(ApiMapper.notLeader(s.leaderId(),
        options.clientAddresses().getOrDefault(s.leaderId(), "")), ApiMapper.grpcStatus(ErrorCode.NOT_LEADER));
  }

  private static LockReply reply(Applied applied) {
    return ((ApplyResult) applied.result()).reply();
  }

  // ---------------------------------------------------------------- reads

  @Override
  public Future<GetLockInfoResponse> getLockInfo(GetLockInfoRequest r) {
    long t0 = started(Method.GET_LOCK_INFO);
    return finished(Method.GET_LOCK_INFO, t0, GetLockInfoResponse::hasError, GetLockInfoResponse::getError,
        read(RequestValidator.validate(r), r.getStaleRead(),
            sm -> ResponseMapper.lockInfo(r.getLockId(), sm.lockInfo(r.getLockId()), r.getIncludeWaiters())));
  }

  @Override
  public Future<GetLocksResponse> getLocks(GetLocksRequest r) {
    long t0 = started(Method.GET_LOCKS);
    return finished(Method.GET_LOCKS, t0, GetLocksResponse::hasError, GetLocksResponse::getError,
        read(RequestValidator.validate(r), r.getStaleRead(), sm -> ResponseMapper.locks(
            sm.listLocks(ApiMapper.toFilter(r), ApiMapper.pageLimit(r), r.getOffset()), r.getIncludeWaiters())));
  }

  /** Advice is a hint, not a guarantee: served from local state, no ReadIndex round. */
  @Override
  public Future<BackoffAdviceResponse> getBackoffAdvice(BackoffAdviceRequest r) {
    long t0 = started(Method.GET_BACKOFF_ADVICE);
    return finished(Method.GET_BACKOFF_ADVICE, t0, null, null, read(RequestValidator.validate(r), true,
        sm -> ResponseMapper.backoffAdviceResponse(sm.backoffAdvice(r.getLockId()))));
  }

  /**
   * A read of the state machine: linearizable by default (a ReadIndex barrier, then the query on
   * the Raft context, which sees every write acknowledged before the call), or local and possibly
   * stale when asked.
   */
  private <T> Future<T> read(Optional<ValidationError> invalid, boolean stale, Function<LockStateMachine, T> query) {
    RateLimiter.Permit permit;
    try {
      refusals.refuseIfInvalid(invalid);
      permit = admit(null, RateLimiter.Kind.NEW_WORK);
    } catch (ApiException e) {
      return Future.failedFuture(e);
    }
    Future<Long> barrier = stale ? Future.succeededFuture(0L) : raft.readBarrier(options.readTimeoutMs());
    Future<T> result = barrier.compose(index -> raft.query(sm -> query.apply(sm.stateMachine())));
    return onApi(result).transform(ar -> {
      permit.release();
      return ar.succeeded() ? Future.succeededFuture(ar.result()) : Future.failedFuture(refusals.translate(ar.cause(), true));
    });
  }


  // ---------------------------------------------------------------- status and health

  @Override
  public Future<GetStatusResponse> getStatus(GetStatusRequest r) {
    long t0 = started(Method.GET_STATUS);
    return finished(Method.GET_STATUS, t0, null, null, health.status(r));
  }

  @Override
  public Future<HealthResponse> health(HealthRequest r) {
    long t0 = started(Method.HEALTH);
    return finished(Method.HEALTH, t0, null, null, health.health(r));
  }

  /** See {@link NodeHealth}: a leader known, the log intact, the disk above its reserve, not draining. */
  public boolean serving() {
    return health.serving();
  }

  // ---------------------------------------------------------------- watch

  @Override
  public Future<Watch> watch(WatchRequest r, WatchSink sink) {
    return watch(r, sink, "");
  }

  /** A watch by {@code principal} ({@code ""}: auth off): see {@link WatchRegistry#open}. */
  Future<Watch> watch(WatchRequest r, WatchSink sink, String principal) {
    long t0 = started(Method.WATCH);
    return finished(Method.WATCH, t0, null, null, openWatch(r, sink, principal));
  }

  private Future<Watch> openWatch(WatchRequest r, WatchSink sink, String principal) {
    try {
      refusals.refuseIfInvalid(RequestValidator.validate(r));
    } catch (ApiException e) {
      return Future.failedFuture(e);
    }
    if (draining) {
      return Future.failedFuture(refusals.unavailable("node is shutting down"));
    }
    if (raft.belowStorageReserve()) {
      return Future.failedFuture(refusals.unavailable(STORAGE_BELOW_RESERVE));
    }
    return watches.open(r.getClientId(), principal, sink);
  }

  // ---------------------------------------------------------------- admission and errors

  /**
   * An in-flight slot, charged to {@code key}'s token bucket; reads carry no client id
   * ({@code key} null) and are bounded by the in-flight cap alone, so one busy reader cannot
   * spend everyone's read budget.
   */
  private RateLimiter.Permit admit(String key, RateLimiter.Kind kind) {
    if (draining) {
      throw refusals.unavailable("node is shutting down");
    }
    RateLimiter.Decision d = key == null ? limiter.tryAdmitInFlight(kind) : limiter.tryAdmit(key, kind);
    if (d instanceof RateLimiter.Rejection rej) {
      stats.rateLimited++;
      reports.observer().overflowed(rej.reason() == RateLimiter.Reason.CLIENT_RATE ? Queue.CLIENT_RATE : Queue.IN_FLIGHT);
      String why = rej.reason() == RateLimiter.Reason.CLIENT_RATE
          ? "rate limit of client " + key + " exceeded" : "too many requests in flight on this node";
      throw new ApiException(ApiMapper.retryable(ErrorCode.RATE_LIMITED, why, rej.retryAfterNanos()),
          GrpcStatus.RESOURCE_EXHAUSTED);
    }
    stats.admitted++;
    return (RateLimiter.Permit) d;
  }

  // ---------------------------------------------------------------- observation

  private long started(Method method) {
    return reports.started(method);
  }

  private <R> Future<R> finished(Method method, long startedAt, java.util.function.Predicate<R> hasError,
      Function<R, ErrorDetail> error, Future<R> f) {
    return reports.finished(method, startedAt, hasError, error, f);
  }

  // ---------------------------------------------------------------- context hops

  /** {@code f} as a future whose callbacks run on the API context (one hop per apply batch). */
  private <T> Future<T> onApi(Future<T> f) {
    return toApi.deliver(f);
  }

  /**
   * {@code f} on the API context, failed with TIMEOUT if it has not completed within the request
   * timeout (one shared timer for all requests, {@link RequestDeadlines}).
   */
  private <T> Future<T> onApiWithDeadline(Future<T> f) {
    Promise<T> p = Promise.promise();
    RequestDeadlines.Pending deadline = deadlines.start(
        () -> p.tryFail(new ProposalException(ProposalException.Reason.TIMEOUT, null)));
    f.onComplete(ar -> toApi.execute(() -> {
      deadline.done();
      if (ar.succeeded()) {
        p.tryComplete(ar.result());
      } else {
        p.tryFail(ar.cause());
      }
    }));
    return p.future();
  }
}
