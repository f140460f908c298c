package io.raftlock.api;

import com.google.protobuf.Message;
import io.raftlock.proto.api.AcquireRequest;
import io.raftlock.proto.api.BackoffAdviceRequest;
import io.raftlock.proto.api.CancelWaitRequest;
import io.raftlock.proto.api.CloseSessionRequest;
import io.raftlock.proto.api.EnqueueWaiterRequest;
import io.raftlock.proto.api.GetLockInfoRequest;
import io.raftlock.proto.api.GetLocksRequest;
import io.raftlock.proto.api.GetStatusRequest;
import io.raftlock.proto.api.HealthRequest;
import io.raftlock.proto.api.KeepAliveRequest;
import io.raftlock.proto.api.OpenSessionRequest;
import io.raftlock.proto.api.ReleaseRequest;
import io.raftlock.proto.api.RenewRequest;
import io.raftlock.proto.api.ResumeSessionRequest;
import io.raftlock.proto.api.WatchRequest;
import io.vertx.core.Future;
import java.util.Map;
import java.util.function.BiFunction;
import java.util.function.Function;
import java.util.stream.Collectors;
import java.util.stream.Stream;

/**
 * The operations of the WebSocket protocol: the wire name, the request message the frame's
 * {@code request} member is parsed into, and the {@link LockApi} call that answers it.
 * {@code watch} and {@code unwatch} have no call: the connection handles them itself; nor have
 * the session ops, which go to the connection's {@link WsSession}.
 */
enum WsOp {
  ACQUIRE("acquire", AcquireRequest.getDefaultInstance(),
      (api, r) -> api.acquire((AcquireRequest) r)),
  RELEASE("release", ReleaseRequest.getDefaultInstance(),
      (api, r) -> api.release((ReleaseRequest) r)),
  RENEW("renew", RenewRequest.getDefaultInstance(), (api, r) -> api.renew((RenewRequest) r)),
  GET_LOCK_INFO("getLockInfo", GetLockInfoRequest.getDefaultInstance(),
      (api, r) -> api.getLockInfo((GetLockInfoRequest) r)),
  GET_LOCKS("getLocks", GetLocksRequest.getDefaultInstance(),
      (api, r) -> api.getLocks((GetLocksRequest) r)),
  ENQUEUE_WAITER("enqueueWaiter", EnqueueWaiterRequest.getDefaultInstance(),
      (api, r) -> api.enqueueWaiter((EnqueueWaiterRequest) r)),
  CANCEL_WAIT("cancelWait", CancelWaitRequest.getDefaultInstance(),
      (api, r) -> api.cancelWait((CancelWaitRequest) r)),
  GET_BACKOFF_ADVICE("getBackoffAdvice", BackoffAdviceRequest.getDefaultInstance(),
      (api, r) -> api.getBackoffAdvice((BackoffAdviceRequest) r)),
  GET_STATUS("getStatus", GetStatusRequest.getDefaultInstance(),
      (api, r) -> api.getStatus((GetStatusRequest) r)),
  HEALTH("health", HealthRequest.getDefaultInstance(), (api, r) -> api.health((HealthRequest) r)),
  WATCH("watch", WatchRequest.getDefaultInstance(), null),
  UNWATCH("unwatch", WatchRequest.getDefaultInstance(), null),
  OPEN("open", OpenSessionRequest.getDefaultInstance(), null),
  RESUME("resume", ResumeSessionRequest.getDefaultInstance(), null),
  KEEP_ALIVE("keepAlive", KeepAliveRequest.getDefaultInstance(), null),
  CLOSE("close", CloseSessionRequest.getDefaultInstance(), null);

  private static final Map<String, WsOp> BY_NAME = Stream.of(values())
      .collect(Collectors.toUnmodifiableMap(WsOp::wireName, Function.identity()));

  private final String wireName;
  private final Message requestPrototype;
  private final BiFunction<LockApi, Message, Future<? extends Message>> call;

  WsOp(String wireName, Message requestPrototype,
      BiFunction<LockApi, Message, Future<? extends Message>> call) {
    this.wireName = wireName;
    this.requestPrototype = requestPrototype;
    this.call = call;
  }

  /** The op called {@code name} on the wire (case-sensitive), or null. */
  static WsOp byWireName(String name) {
    return BY_NAME.get(name);
  }

  String wireName() {
    return wireName;
  }

  Message requestPrototype() {
    return requestPrototype;
  }

  /** open, resume, keepAlive, close: ops of the connection's session only. */
  boolean sessionOnly() {
    return this == OPEN || this == RESUME || this == KEEP_ALIVE || this == CLOSE;
  }

  /** acquire, release, renew, cancelWait: owned by the session on a session connection. */
  boolean sessionOwnable() {
    return this == ACQUIRE || this == RELEASE || this == RENEW || this == CANCEL_WAIT;
  }

  /** Calls the API; only for ops other than watch, unwatch and the session ops. */
  Future<? extends Message> call(LockApi api, Message request) {
    if (call == null) {
      throw new IllegalStateException(wireName + " is handled by the connection");
    }
    return call.apply(api, request);
  }
}
