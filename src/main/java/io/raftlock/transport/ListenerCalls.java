package io.raftlock.transport;

import io.raftlock.node.PeerTransport;
import io.raftlock.raft.Message;
import io.vertx.core.Future;
import io.vertx.core.Promise;
import io.vertx.core.Vertx;
import io.vertx.core.internal.ContextInternal;
import java.util.function.Consumer;
import java.util.function.Function;
import java.util.function.Supplier;
import java.util.logging.Level;
import java.util.logging.Logger;

/**
 * The transport's calls into its {@link PeerTransport.Listener}, all on the transport's context
 * (the Raft verticle's), so the node is never entered from another thread:
 * <ul>
 *   <li>an inbound message at once and in arrival order ({@link #deliver});
 *   <li>news (unreachable, snapshot status, a peer's address) always in a later task
 *       ({@link #defer}), so it never re-enters the caller of {@code send}, which may be in the
 *       middle of draining a {@code Ready};
 *   <li>a forwarded command, with the future of its outcome ({@link #call}).
 * </ul>
 * A callback that throws is logged, never thrown into the transport. Nothing is delivered or
 * deferred once {@link #close} ran.
 */
final class ListenerCalls {
  private static final Logger LOG = Logger.getLogger(ListenerCalls.class.getName());

  private final ContextInternal context;
  private final PeerTransport.Listener listener;
  /** Read off the context by {@link #deliver} before it hops there. */
  private volatile boolean closed;

  ListenerCalls(ContextInternal context, PeerTransport.Listener listener) {
    this.context = context;
    this.listener = listener;
  }

  void close() {
    closed = true;
  }

  /**
   * Hands an inbound message to the listener. Server handlers run on the context's event loop
   * but may carry a duplicate of the context; {@code emit} switches to the transport's own
   * context on the spot, so nothing is queued and order is kept.
   */
  void deliver(Message message) {
    if (closed) {
      return;
    }
    if (Vertx.currentContext() == context) {
      safely(() -> listener.onMessage(message));
    } else if (context.nettyEventLoop().inEventLoop()) {
      context.emit(message, m -> safely(() -> listener.onMessage(m)));
    } else {
      context.runOnContext(v -> deliver(message));
    }
  }

  /** Calls the listener with {@code callback} in a later task on the context. */
  void defer(Consumer<PeerTransport.Listener> callback) {
    context.runOnContext(v -> {
      if (!closed) {
        safely(() -> callback.accept(listener));
      }
    });
  }

  /**
   * Calls the listener on the context (switching on the spot, as {@link #deliver} does) and
   * returns the call's future; a call that throws yields a failed future.
   */
  <T> Future<T> call(Function<PeerTransport.Listener, Future<T>> call) {
    Supplier<Future<T>> action = () -> call.apply(listener);
    if (Vertx.currentContext() == context) {
      return invoke(action);
    }
    Promise<T> promise = context.promise();
    if (context.nettyEventLoop().inEventLoop()) {
      context.emit(null, v -> invoke(action).onComplete(promise));
    } else {
      context.runOnContext(v -> invoke(action).onComplete(promise));
    }
    return promise.future();
  }

  private static <T> Future<T> invoke(Supplier<Future<T>> action) {
    try {
      return action.get();
    } catch (RuntimeException e) {
      LOG.log(Level.SEVERE, "peer transport listener failed", e);
      return Future.failedFuture(e);
    }
  }

  private static void safely(Runnable callback) {
    try {
      callback.run();
    } catch (RuntimeException e) {
      LOG.log(Level.SEVERE, "peer transport listener failed", e);
    }
  }
}
