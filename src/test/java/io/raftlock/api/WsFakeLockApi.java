package io.raftlock.api;

import com.google.protobuf.Duration;
import com.google.protobuf.Message;
import com.google.protobuf.Timestamp;
import io.raftlock.proto.api.AcquireRequest;
import io.raftlock.proto.api.AcquireResponse;
import io.raftlock.proto.api.BackoffAdvice;
import io.raftlock.proto.api.BackoffAdviceRequest;
import io.raftlock.proto.api.BackoffAdviceResponse;
import io.raftlock.proto.api.CancelWaitRequest;
import io.raftlock.proto.api.CancelWaitResponse;
import io.raftlock.proto.api.EnqueueWaiterRequest;
import io.raftlock.proto.api.EnqueueWaiterResponse;
import io.raftlock.proto.api.ErrorCode;
import io.raftlock.proto.api.ErrorDetail;
import io.raftlock.proto.api.GetLockInfoRequest;
import io.raftlock.proto.api.GetLockInfoResponse;
import io.raftlock.proto.api.GetLocksRequest;
import io.raftlock.proto.api.GetLocksResponse;
import io.raftlock.proto.api.GetStatusRequest;
import io.raftlock.proto.api.GetStatusResponse;
import io.raftlock.proto.api.HealthRequest;
import io.raftlock.proto.api.HealthResponse;
import io.raftlock.proto.api.HealthStatus;
import io.raftlock.proto.api.Lock;
import io.raftlock.proto.api.LockEventMessage;
import io.raftlock.proto.api.LockInfo;
import io.raftlock.proto.api.RaftStatus;
import io.raftlock.proto.api.ReleaseRequest;
import io.raftlock.proto.api.ReleaseResponse;
import io.raftlock.proto.api.RenewRequest;
import io.raftlock.proto.api.RenewResponse;
import io.raftlock.proto.api.WatchRequest;
import io.vertx.core.Context;
import io.vertx.core.Future;
import io.vertx.core.Promise;
import io.vertx.core.Vertx;
import io.vertx.grpc.common.GrpcStatus;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ConcurrentLinkedDeque;
import java.util.concurrent.atomic.AtomicInteger;

/**
 * A {@link LockApi} for the WebSocket tests: canned responses, recorded requests, and the watch
 * sinks exposed so a test can push events. A lock id picks a failure: {@code "refused"} fails with
 * an ApiException (RATE_LIMITED, retry after 250 ms), {@code "boom"} with a plain exception,
 * {@code "throws"} throws, {@code "never"} never completes, {@code "later"} completes when the
 * test runs the completion it left in {@link #later}. A watch of client id {@code ""} fails
 * with INVALID_ARGUMENT, as validation would.
 */
final class WsFakeLockApi implements LockApi {
  static final AcquireResponse ACQUIRE = AcquireResponse.newBuilder().setAcquired(true)
      .setLock(Lock.newBuilder().setLockId("L1").setOwnerId("c1").setVersion(42)
          .setExpiresAt(Timestamp.newBuilder().setSeconds(1_900_000_000)).putMetadata("k", "v"))
      .build();
  static final ReleaseResponse RELEASE =
      ReleaseResponse.newBuilder().setReleased(true).setWaiterPromoted(true).build();
  static final RenewResponse RENEW = RenewResponse.newBuilder().setRenewed(true)
      .setLock(Lock.newBuilder().setLockId("L1").setOwnerId("c1").setVersion(42)).build();
  static final GetLockInfoResponse LOCK_INFO = GetLockInfoResponse.newBuilder()
      .setLockInfo(LockInfo.newBuilder().setLockId("L1").setOwnerId("c1").setVersion(7)
          .setWaiterCount(2)).build();
  static final GetLocksResponse LOCKS = GetLocksResponse.newBuilder()
      .addLocks(LockInfo.newBuilder().setLockId("a1").setVersion(3))
      .setTotalMatchingFilter(11).setHasMore(true).build();
  static final EnqueueWaiterResponse ENQUEUE = EnqueueWaiterResponse.newBuilder().setEnqueued(true)
      .setPosition(3).setEstimatedWaitDuration(Duration.newBuilder().setSeconds(1).setNanos(500_000_000))
      .build();
  static final CancelWaitResponse CANCEL = CancelWaitResponse.newBuilder().setCancelled(true).build();
  static final BackoffAdviceResponse BACKOFF = BackoffAdviceResponse.newBuilder()
      .setAdvice(BackoffAdvice.newBuilder().setMultiplier(2.0).setJitterFactor(0.25)
          .setInitialBackoff(Duration.newBuilder().setNanos(100_000_000))).build();
  static final GetStatusResponse STATUS = GetStatusResponse.newBuilder()
      .setRaftStatus(RaftStatus.newBuilder().setNodeId("n1").setRole("LEADER").setTerm(9)
          .setCommitIndex(1234)).build();
  static final HealthResponse HEALTH = HealthResponse.newBuilder()
      .setStatus(HealthStatus.ServingStatus.SERVING).setMessage("ok").build();
  static final AcquireResponse LOCK_HELD = AcquireResponse.newBuilder()
      .setError(ErrorDetail.newBuilder().setCode(ErrorCode.LOCK_HELD).setMessage("held by c9"))
      .build();

  /** Every request received, in order. */
  final ConcurrentLinkedDeque<Message> calls = new ConcurrentLinkedDeque<>();
  final Map<String, WatchSink> sinks = new ConcurrentHashMap<>();
  /** Completions of the {@code "later"} requests, in arrival order; a test runs them. */
  final ConcurrentLinkedDeque<Runnable> later = new ConcurrentLinkedDeque<>();
  final Map<String, AtomicInteger> watchCloses = new ConcurrentHashMap<>();
  private final Map<String, Context> watchContexts = new ConcurrentHashMap<>();

  @Override
  public Future<AcquireResponse> acquire(AcquireRequest r) {
    return answer(r, r.getLockId(), r.getLockId().equals("held") ? LOCK_HELD : ACQUIRE);
  }

  @Override
  public Future<ReleaseResponse> release(ReleaseRequest r) {
    return answer(r, r.getLockId(), RELEASE);
  }

  @Override
  public Future<RenewResponse> renew(RenewRequest r) {
    return answer(r, r.getLockId(), RENEW);
  }

  @Override
  public Future<GetLockInfoResponse> getLockInfo(GetLockInfoRequest r) {
    return answer(r, r.getLockId(), LOCK_INFO);
  }

  @Override
  public Future<GetLocksResponse> getLocks(GetLocksRequest r) {
    return answer(r, "", LOCKS);
  }

  @Override
  public Future<EnqueueWaiterResponse> enqueueWaiter(EnqueueWaiterRequest r) {
    return answer(r, r.getLockId(), ENQUEUE);
  }

  @Override
  public Future<CancelWaitResponse> cancelWait(CancelWaitRequest r) {
    return answer(r, r.getLockId(), CANCEL);
  }

  @Override
  public Future<BackoffAdviceResponse> getBackoffAdvice(BackoffAdviceRequest r) {
    return answer(r, r.getLockId(), BACKOFF);
  }

  @Override
  public Future<GetStatusResponse> getStatus(GetStatusRequest r) {
    return answer(r, "", STATUS);
  }

  @Override
  public Future<HealthResponse> health(HealthRequest r) {
    return answer(r, r.getServiceName(), HEALTH);
  }

  @Override
  public Future<Watch> watch(WatchRequest r, WatchSink sink) {
    calls.add(r);
    String clientId = r.getClientId();
    if (clientId.isEmpty()) {
      return Future.failedFuture(new ApiException(ErrorDetail.newBuilder()
          .setCode(ErrorCode.INVALID_ARGUMENT).setMessage("client_id: required")
          .putDetails("field", "client_id").build(), GrpcStatus.INVALID_ARGUMENT));
    }
    AtomicInteger closes = new AtomicInteger();
    watchCloses.put(clientId, closes);
    watchContexts.put(clientId, Vertx.currentContext());
    sinks.put(clientId, sink);
    sink.push(LockEventMessage.newBuilder().setKind(LockEventMessage.Kind.WATCH_STARTED)
        .setClientId(clientId).setLogIndex(10).build());
    return Future.succeededFuture(closes::incrementAndGet);
  }

  int closes(String clientId) {
    AtomicInteger n = watchCloses.get(clientId);
    return n == null ? 0 : n.get();
  }

  /**
   * Pushes the events on the watch's context, as the node does, stopping at the first refusal;
   * completes with the result of each push.
   */
  CompletableFuture<List<Boolean>> push(String clientId, List<LockEventMessage> events) {
    CompletableFuture<List<Boolean>> done = new CompletableFuture<>();
    watchContexts.get(clientId).runOnContext(v -> {
      List<Boolean> results = new ArrayList<>();
      for (LockEventMessage e : events) {
        boolean ok = sinks.get(clientId).push(e);
        results.add(ok);
        if (!ok) {
          break;
        }
      }
      done.complete(results);
    });
    return done;
  }

  /** Runs on the watch's context (e.g. the node ending the watch). */
  CompletableFuture<Void> onWatchContext(String clientId, Runnable action) {
    CompletableFuture<Void> done = new CompletableFuture<>();
    watchContexts.get(clientId).runOnContext(v -> {
      action.run();
      done.complete(null);
    });
    return done;
  }

  private <T> Future<T> answer(Message request, String lockId, T response) {
    calls.add(request);
    return switch (lockId) {
      case "refused" -> Future.failedFuture(new ApiException(ErrorDetail.newBuilder()
          .setCode(ErrorCode.RATE_LIMITED).setMessage("slow down")
          .setRetryAfter(Duration.newBuilder().setNanos(250_000_000)).build(),
          GrpcStatus.RESOURCE_EXHAUSTED));
      case "boom" -> Future.failedFuture(new IllegalStateException("secret internals"));
      case "throws" -> throw new IllegalStateException("secret thrown");
      case "never" -> Promise.<T>promise().future();
      case "later" -> {
        Promise<T> p = Promise.promise();
        later.add(() -> p.complete(response));
        yield p.future();
      }
      default -> Future.succeededFuture(response);
    };
  }
}
