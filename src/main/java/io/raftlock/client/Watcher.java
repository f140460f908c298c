package io.raftlock.client;

import io.raftlock.proto.api.LockEventMessage;
import io.raftlock.proto.api.RaftLockGrpcClient;
import io.raftlock.proto.api.WatchRequest;
import io.vertx.core.Future;
import io.vertx.core.Promise;
import io.vertx.core.Vertx;
import io.vertx.core.net.SocketAddress;
import io.vertx.grpc.client.GrpcClient;
import io.vertx.grpc.client.GrpcClientRequest;
import java.util.Random;
import java.util.function.Consumer;
import java.util.logging.Level;
import java.util.logging.Logger;

/**
 * The client's one {@code Watch} stream, kept open for its whole life: on loss (node down,
 * stream cut) it reconnects with backoff to the next endpoint. Runs on the client's context.
 *
 * <p>{@link #ready()} completes when the current stream has sent {@code WATCH_STARTED}: from then on
 * every event applied on that node is delivered, so an acquire sent after it cannot miss its
 * grant. After a reconnect events may have been missed (and the old node cancels this client's
 * waits when it notices the stream is gone), so {@code onResync} runs and the owner re-checks
 * every wait.
 */
final class Watcher {
  private static final Logger LOG = Logger.getLogger(Watcher.class.getName());

  private final Vertx vertx;
  private final GrpcClient grpc;
  private final Rpc rpc;
  private final String clientId;
  private final RetryPolicy policy;
  private final Random random;
  private final Consumer<LockEventMessage> onEvent;
  private final Runnable onResync;
  private Promise<Void> ready = Promise.promise();
  private GrpcClientRequest<WatchRequest, LockEventMessage> current;
  private int generation;
  private int failures;
  private boolean started;
  private boolean closed;

  Watcher(Vertx vertx, GrpcClient grpc, Rpc rpc, String clientId, RetryPolicy policy, Random random,
      Consumer<LockEventMessage> onEvent, Runnable onResync) {
    this.vertx = vertx;
    this.grpc = grpc;
    this.rpc = rpc;
    this.clientId = clientId;
    this.policy = policy;
    this.random = random;
    this.onEvent = onEvent;
    this.onResync = onResync;
  }

  /** Completes once a stream is registered on some node; opens it on first use. */
  Future<Void> ready() {
    if (!started && !closed) {
      started = true;
      connect();
    }
    return ready.future();
  }

  private void connect() {
    if (closed) {
      return;
    }
    int gen = ++generation;
    SocketAddress target = rpc.preferred();
    grpc.request(target, RaftLockGrpcClient.Watch).compose(req -> {
      if (closed || gen != generation) {
        req.cancel();
        return Future.failedFuture("superseded");
      }
      current = req;
      return req.send(WatchRequest.newBuilder().setClientId(clientId).build());
    }).onComplete(ar -> {
      if (ar.failed()) {
        down(gen, target, ar.cause());
        return;
      }
      var resp = ar.result();
      resp.handler(ev -> {
        if (gen != generation) {
          return;
        }
        if (ev.getKind() == LockEventMessage.Kind.WATCH_STARTED) {
          failures = 0;
          boolean resync = gen > 1;
          ready.tryComplete();
          if (resync) {
            onResync.run();
          }
        } else {
          onEvent.accept(ev);
        }
      });
      resp.exceptionHandler(t -> down(gen, target, t));
      resp.endHandler(v -> down(gen, target, new IllegalStateException("watch ended: " + resp.status())));
    });
  }

  private void down(int gen, SocketAddress target, Throwable why) {
    if (gen != generation || closed) {
      return;
    }
    generation++; // ignore anything more from the old stream
    LOG.log(Level.FINE, "watch on " + target + " lost", why);
    if (ready.future().isComplete()) {
      ready = Promise.promise();
    }
    if (target.equals(rpc.preferred())) {
      rpc.rotate(); // that node may be down: calls and the next watch try the next one
    }
    long delay = policy.delayMs(failures++, 0, random);
    vertx.setTimer(delay, id -> connect());
  }

  void close() {
    closed = true;
    generation++;
    if (current != null) {
      try {
        current.cancel();
      } catch (RuntimeException e) {
        LOG.log(Level.FINE, "cancelling the watch", e);
      }
    }
    ready.tryFail(new RaftLockException(io.raftlock.proto.api.ErrorCode.UNAVAILABLE, "client closed"));
  }
}
