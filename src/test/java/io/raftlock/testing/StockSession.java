package io.raftlock.testing;

import io.grpc.CallOptions;
import io.grpc.Channel;
import io.grpc.ClientCall;
import io.grpc.MethodDescriptor;
import io.grpc.Status;
import io.grpc.protobuf.ProtoUtils;
import io.grpc.stub.ClientCalls;
import io.grpc.stub.StreamObserver;
import io.raftlock.proto.api.LockEventMessage;
import io.raftlock.proto.api.SessionRequest;
import io.raftlock.proto.api.SessionResponse;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicLong;

/**
 * One {@code raftlock.v1.RaftLock/Session} stream called the way a user without our generated
 * stubs would: grpc-java's {@link ClientCalls} with a hand-built bidirectional
 * {@link MethodDescriptor}. Answers are matched to requests by correlation id; pushed events are
 * collected in {@link #events}.
 */
public final class StockSession {
  public static final MethodDescriptor<SessionRequest, SessionResponse> SESSION =
      MethodDescriptor.<SessionRequest, SessionResponse>newBuilder()
          .setType(MethodDescriptor.MethodType.BIDI_STREAMING)
          .setFullMethodName(MethodDescriptor.generateFullMethodName(StockRaftLock.SERVICE, "Session"))
          .setRequestMarshaller(ProtoUtils.marshaller(SessionRequest.getDefaultInstance()))
          .setResponseMarshaller(ProtoUtils.marshaller(SessionResponse.getDefaultInstance()))
          .build();

  /** Every answer (not events), in arrival order. */
  public final List<SessionResponse> answers = new CopyOnWriteArrayList<>();
  public final List<LockEventMessage> events = new CopyOnWriteArrayList<>();
  /** The stream's final status. */
  public final CompletableFuture<Status> ended = new CompletableFuture<>();
  private final Map<Long, CompletableFuture<SessionResponse>> pending = new ConcurrentHashMap<>();
  private final AtomicLong nextCorrelation = new AtomicLong(1_000_000);
  private final ClientCall<SessionRequest, SessionResponse> call;
  private final StreamObserver<SessionRequest> requests;

  public StockSession(Channel channel) {
    call = channel.newCall(SESSION, CallOptions.DEFAULT);
    requests = ClientCalls.asyncBidiStreamingCall(call, new StreamObserver<>() {
      @Override
      public void onNext(SessionResponse r) {
        if (r.hasEvent()) {
          events.add(r.getEvent());
          return;
        }
        answers.add(r);
        CompletableFuture<SessionResponse> f = pending.remove(r.getCorrelationId());
        if (f != null) {
          f.complete(r);
        }
      }

      @Override
      public void onError(Throwable t) {
        ended.complete(Status.fromThrowable(t));
        pending.values().forEach(f -> f.completeExceptionally(t));
      }

      @Override
      public void onCompleted() {
        ended.complete(Status.OK);
      }
    });
  }

  /** Sends {@code r} as is (its correlation id may repeat). */
  public synchronized void send(SessionRequest r) {
    requests.onNext(r);
  }

  /** Sends {@code r} with a fresh correlation id; the future completes with its answer. */
  public CompletableFuture<SessionResponse> request(SessionRequest.Builder r) {
    long corr = nextCorrelation.incrementAndGet();
    CompletableFuture<SessionResponse> f = new CompletableFuture<>();
    pending.put(corr, f);
    send(r.setCorrelationId(corr).build());
    return f;
  }

  /** {@link #request} and wait for the answer (never from an event loop). */
  public SessionResponse call(SessionRequest.Builder r) {
    try {
      return request(r).get(15, TimeUnit.SECONDS);
    } catch (Exception e) {
      throw new AssertionError("no answer to " + r, e);
    }
  }

  /** Half-closes: the client sends nothing more. */
  public synchronized void halfClose() {
    requests.onCompleted();
  }

  /** Cancels the call, as a client that goes away without closing its session. */
  public void cancel() {
    call.cancel("client went away", null);
  }

  public boolean has(LockEventMessage.Kind kind, String lockId) {
    return events.stream().anyMatch(e -> e.getKind() == kind && e.getLockId().equals(lockId));
  }
}
