package io.raftlock.testing;

import com.google.protobuf.Message;
import io.grpc.CallOptions;
import io.grpc.Channel;
import io.grpc.ClientCall;
import io.grpc.Metadata;
import io.grpc.MethodDescriptor;
import io.grpc.Status;
import io.grpc.protobuf.ProtoUtils;
import io.grpc.stub.ClientCalls;
import io.grpc.stub.StreamObserver;
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
import io.raftlock.proto.health.HealthCheckRequest;
import io.raftlock.proto.health.HealthCheckResponse;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.TimeUnit;

/**
 * The client API called the way a user without our generated stubs would: grpc-java's generic
 * {@link ClientCalls} with hand-built {@link MethodDescriptor}s and protobuf marshallers. The
 * error trailers are read as plain ASCII metadata.
 */
public final class StockRaftLock {
  public static final String SERVICE = "raftlock.v1.RaftLock";

  public static final MethodDescriptor<AcquireRequest, AcquireResponse> ACQUIRE =
      unary(SERVICE, "Acquire", AcquireRequest.getDefaultInstance(), AcquireResponse.getDefaultInstance());
  public static final MethodDescriptor<ReleaseRequest, ReleaseResponse> RELEASE =
      unary(SERVICE, "Release", ReleaseRequest.getDefaultInstance(), ReleaseResponse.getDefaultInstance());
  public static final MethodDescriptor<RenewRequest, RenewResponse> RENEW =
      unary(SERVICE, "Renew", RenewRequest.getDefaultInstance(), RenewResponse.getDefaultInstance());
  public static final MethodDescriptor<GetLockInfoRequest, GetLockInfoResponse> GET_LOCK_INFO =
      unary(SERVICE, "GetLockInfo", GetLockInfoRequest.getDefaultInstance(), GetLockInfoResponse.getDefaultInstance());
  public static final MethodDescriptor<GetLocksRequest, GetLocksResponse> GET_LOCKS =
      unary(SERVICE, "GetLocks", GetLocksRequest.getDefaultInstance(), GetLocksResponse.getDefaultInstance());
  public static final MethodDescriptor<EnqueueWaiterRequest, EnqueueWaiterResponse> ENQUEUE_WAITER =
      unary(SERVICE, "EnqueueWaiter", EnqueueWaiterRequest.getDefaultInstance(), EnqueueWaiterResponse.getDefaultInstance());
  public static final MethodDescriptor<CancelWaitRequest, CancelWaitResponse> CANCEL_WAIT =
      unary(SERVICE, "CancelWait", CancelWaitRequest.getDefaultInstance(), CancelWaitResponse.getDefaultInstance());
  public static final MethodDescriptor<BackoffAdviceRequest, BackoffAdviceResponse> GET_BACKOFF_ADVICE =
      unary(SERVICE, "GetBackoffAdvice", BackoffAdviceRequest.getDefaultInstance(), BackoffAdviceResponse.getDefaultInstance());
  public static final MethodDescriptor<GetStatusRequest, GetStatusResponse> GET_STATUS =
      unary(SERVICE, "GetStatus", GetStatusRequest.getDefaultInstance(), GetStatusResponse.getDefaultInstance());
  public static final MethodDescriptor<HealthRequest, HealthResponse> HEALTH =
      unary(SERVICE, "Health", HealthRequest.getDefaultInstance(), HealthResponse.getDefaultInstance());
  public static final MethodDescriptor<WatchRequest, LockEventMessage> WATCH =
      MethodDescriptor.<WatchRequest, LockEventMessage>newBuilder()
          .setType(MethodDescriptor.MethodType.SERVER_STREAMING)
          .setFullMethodName(MethodDescriptor.generateFullMethodName(SERVICE, "Watch"))
          .setRequestMarshaller(ProtoUtils.marshaller(WatchRequest.getDefaultInstance()))
          .setResponseMarshaller(ProtoUtils.marshaller(LockEventMessage.getDefaultInstance()))
          .build();
  /** The standard {@code grpc.health.v1.Health/Check}. */
  public static final MethodDescriptor<HealthCheckRequest, HealthCheckResponse> HEALTH_CHECK =
      unary("grpc.health.v1.Health", "Check", HealthCheckRequest.getDefaultInstance(),
          HealthCheckResponse.getDefaultInstance());

  public static final Metadata.Key<String> ERROR_CODE =
      Metadata.Key.of("raftlock-error-code", Metadata.ASCII_STRING_MARSHALLER);
  public static final Metadata.Key<String> RETRY_AFTER_MS =
      Metadata.Key.of("raftlock-retry-after-ms", Metadata.ASCII_STRING_MARSHALLER);
  public static final Metadata.Key<String> LEADER_ID =
      Metadata.Key.of("raftlock-leader-id", Metadata.ASCII_STRING_MARSHALLER);

  private final Channel channel;
  private final long deadlineMs;

  public StockRaftLock(Channel channel, long deadlineMs) {
    this.channel = channel;
    this.deadlineMs = deadlineMs;
  }

  public StockRaftLock(Channel channel) {
    this(channel, 10_000);
  }

  public Channel channel() {
    return channel;
  }

  public CallOptions options() {
    return CallOptions.DEFAULT.withDeadlineAfter(deadlineMs, TimeUnit.MILLISECONDS);
  }

  /** A blocking unary call (never from an event loop). */
  public <Q, R> R call(MethodDescriptor<Q, R> method, Q request) {
    return ClientCalls.blockingUnaryCall(channel, method, options(), request);
  }

  /** An asynchronous unary call. */
  public <Q, R> CompletableFuture<R> async(MethodDescriptor<Q, R> method, Q request) {
    CompletableFuture<R> f = new CompletableFuture<>();
    ClientCalls.asyncUnaryCall(channel.newCall(method, options()), request, new StreamObserver<R>() {
      @Override
      public void onNext(R value) {
        f.complete(value);
      }

      @Override
      public void onError(Throwable t) {
        f.completeExceptionally(t);
      }

      @Override
      public void onCompleted() {
        f.completeExceptionally(new IllegalStateException("completed without a response"));
      }
    });
    return f;
  }

  public AcquireResponse acquire(AcquireRequest r) {
    return call(ACQUIRE, r);
  }

  public ReleaseResponse release(ReleaseRequest r) {
    return call(RELEASE, r);
  }

  public RenewResponse renew(RenewRequest r) {
    return call(RENEW, r);
  }

  public GetLockInfoResponse getLockInfo(GetLockInfoRequest r) {
    return call(GET_LOCK_INFO, r);
  }

  public GetLocksResponse getLocks(GetLocksRequest r) {
    return call(GET_LOCKS, r);
  }

  public EnqueueWaiterResponse enqueueWaiter(EnqueueWaiterRequest r) {
    return call(ENQUEUE_WAITER, r);
  }

  public CancelWaitResponse cancelWait(CancelWaitRequest r) {
    return call(CANCEL_WAIT, r);
  }

  public BackoffAdviceResponse getBackoffAdvice(BackoffAdviceRequest r) {
    return call(GET_BACKOFF_ADVICE, r);
  }

  public GetStatusResponse getStatus(GetStatusRequest r) {
    return call(GET_STATUS, r);
  }

  public HealthResponse health(HealthRequest r) {
    return call(HEALTH, r);
  }

  public HealthCheckResponse check(String service) {
    return call(HEALTH_CHECK, HealthCheckRequest.newBuilder().setService(service).build());
  }

  /** An open Watch stream and everything it has delivered so far. */
  public static final class WatchStream {
    public final List<LockEventMessage> events = new CopyOnWriteArrayList<>();
    public final CompletableFuture<Status> ended = new CompletableFuture<>();
    final ClientCall<WatchRequest, LockEventMessage> call;

    WatchStream(ClientCall<WatchRequest, LockEventMessage> call) {
      this.call = call;
    }

    /** Cancels the stream from the client side. */
    public void cancel() {
      call.cancel("test cancels the watch", null);
    }

    public boolean has(LockEventMessage.Kind kind) {
      return events.stream().anyMatch(e -> e.getKind() == kind);
    }

    public LockEventMessage first(LockEventMessage.Kind kind) {
      return events.stream().filter(e -> e.getKind() == kind).findFirst().orElseThrow();
    }
  }

  /** Opens a Watch for {@code clientId} (no deadline: it stays open until cancelled). */
  public WatchStream watch(String clientId) {
    ClientCall<WatchRequest, LockEventMessage> call = channel.newCall(WATCH, CallOptions.DEFAULT);
    WatchStream w = new WatchStream(call);
    ClientCalls.asyncServerStreamingCall(call, WatchRequest.newBuilder().setClientId(clientId).build(),
        new StreamObserver<LockEventMessage>() {
          @Override
          public void onNext(LockEventMessage value) {
            w.events.add(value);
          }

          @Override
          public void onError(Throwable t) {
            w.ended.complete(Status.fromThrowable(t));
          }

          @Override
          public void onCompleted() {
            w.ended.complete(Status.OK);
          }
        });
    return w;
  }

  /** A trailer of a failed call, or null. */
  public static String trailer(Throwable t, Metadata.Key<String> key) {
    Metadata m = Status.trailersFromThrowable(t);
    return m == null ? null : m.get(key);
  }

  public static com.google.protobuf.Duration seconds(long s) {
    return com.google.protobuf.Duration.newBuilder().setSeconds(s).build();
  }

  public static <Q extends Message, R extends Message> MethodDescriptor<Q, R> unary(String service, String name,
      Q request, R response) {
    return MethodDescriptor.<Q, R>newBuilder()
        .setType(MethodDescriptor.MethodType.UNARY)
        .setFullMethodName(MethodDescriptor.generateFullMethodName(service, name))
        .setRequestMarshaller(ProtoUtils.marshaller(request))
        .setResponseMarshaller(ProtoUtils.marshaller(response))
        .build();
  }
}
