package io.raftlock.api;

import io.raftlock.proto.api.AcquireRequest;
import io.raftlock.proto.api.AcquireResponse;
import io.raftlock.proto.api.BackoffAdviceRequest;
import io.raftlock.proto.api.BackoffAdviceResponse;
import io.raftlock.proto.api.CancelWaitRequest;
import io.raftlock.proto.api.CancelWaitResponse;
import io.raftlock.proto.api.EnqueueWaiterRequest;
import io.raftlock.proto.api.EnqueueWaiterResponse;
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
import io.vertx.core.Future;

/**
 * The client API of one node, independent of the wire: the gRPC service and the WebSocket
 * protocol are thin adapters over it, so both transports validate, rate-limit, route and answer
 * exactly alike.
 *
 * <p>Contract of every method:
 * <ul>
 *   <li>A request the node refuses before touching the cluster (validation, rate limit, in-flight
 *       cap, no leader, NOT_LEADER in redirect mode, timeouts, shutting down) fails the future with
 *       an {@link ApiException} carrying the {@link io.raftlock.proto.api.ErrorDetail}; nothing was
 *       proposed, or (UNKNOWN outcome) the client must retry with the same request id.</li>
 *   <li>A lock-level outcome decided by the state machine (LOCK_HELD, NOT_LOCK_OWNER, ...)
 *       completes the future normally with the response's {@code error} field set.</li>
 *   <li>Futures complete on the caller's Vert.x context; no method blocks.</li>
 * </ul>
 */
public interface LockApi {
  Future<AcquireResponse> acquire(AcquireRequest request);

  Future<ReleaseResponse> release(ReleaseRequest request);

  Future<RenewResponse> renew(RenewRequest request);

  Future<GetLockInfoResponse> getLockInfo(GetLockInfoRequest request);

  Future<GetLocksResponse> getLocks(GetLocksRequest request);

  Future<EnqueueWaiterResponse> enqueueWaiter(EnqueueWaiterRequest request);

  Future<CancelWaitResponse> cancelWait(CancelWaitRequest request);

  Future<BackoffAdviceResponse> getBackoffAdvice(BackoffAdviceRequest request);

  Future<GetStatusResponse> getStatus(GetStatusRequest request);

  Future<HealthResponse> health(HealthRequest request);

  /**
   * Opens a watch for {@code request.client_id}. The future completes once the watch is
   * registered; the first message delivered to {@code sink} is WATCH_STARTED, then every event
   * about the client applied on this node after it, in log order, on the caller's context.
   * Fails with an {@link ApiException} (e.g. INVALID_ARGUMENT) and then never calls the sink.
   */
  Future<Watch> watch(WatchRequest request, WatchSink sink);

  /** Where a watch delivers its events. */
  interface WatchSink {
    /**
     * Delivers one event. Returns false when the consumer cannot keep up (its write queue is
     * full): the watch is then closed with {@link #closed}, as a slow consumer.
     */
    boolean push(LockEventMessage event);

    /**
     * The node ended the watch (slow consumer, node stopping). The adapter should end the stream
     * or connection; {@code reason} is for humans.
     */
    void closed(String reason);
  }

  /** A registered watch. */
  interface Watch {
    /**
     * The client went away (stream cancelled, connection closed): unregisters the watch and, if it
     * was the client's last watch on this node, proposes the cancellation of all its waits.
     * Idempotent.
     */
    void close();
  }
}
