package io.raftlock.client;

import io.raftlock.proto.api.ErrorCode;
import io.vertx.core.Context;
import io.vertx.core.Future;
import io.vertx.core.Promise;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionException;
import java.util.concurrent.CompletionStage;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.RejectedExecutionException;
import java.util.function.Supplier;
import java.util.logging.Level;
import java.util.logging.Logger;

/**
 * The client's two threads of control: its one event-loop context, where all client state lives,
 * and one thread for the application's callbacks (completed stages, lost listeners), so that
 * application code never runs on, or blocks, the event loop.
 */
final class ClientThreads {
  private static final Logger LOG = Logger.getLogger(ClientThreads.class.getName());

  final Context context;
  private final ExecutorService callbacks = Executors.newSingleThreadExecutor(r -> {
    Thread t = new Thread(r, "raftlock-client-callbacks");
    t.setDaemon(true);
    return t;
  });

  ClientThreads(Context context) {
    this.context = context;
  }

  /** Runs {@code body} on the client's context. */
  <T> Future<T> onContext(Supplier<Future<T>> body) {
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

  /** Runs {@code body} on the client's context; the stage completes on the callback thread. */
  <T> CompletionStage<T> run(Supplier<Future<T>> body) {
    return stage(onContext(body));
  }

  /**
   * Runs {@code body} on the client's context for a caller that blocks on the result: the future
   * is completed on the event loop itself, saving the hop through the callback thread (one thread
   * wake-up per blocking call). Safe because the future never reaches application code, so no
   * dependent stage can run on the event loop.
   */
  <T> CompletableFuture<T> forBlockedCaller(Supplier<Future<T>> body) {
    CompletableFuture<T> cf = new CompletableFuture<>();
    onContext(body).onComplete(ar -> {
      if (ar.succeeded()) {
        cf.complete(ar.result());
      } else {
        cf.completeExceptionally(ar.cause());
      }
    });
    return cf;
  }

  /** Completes on the callback thread, never on the event loop. */
  <T> CompletionStage<T> stage(Future<T> f) {
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
      } catch (RejectedExecutionException e) {
        complete.run();
      }
    });
    return cf;
  }

  /** Runs an application callback on the callback thread; its failure is logged, not thrown. */
  void callback(Runnable r) {
    try {
      callbacks.execute(() -> {
        try {
          r.run();
        } catch (RuntimeException e) {
          LOG.log(Level.WARNING, "a lost-lock listener failed", e);
        }
      });
    } catch (RejectedExecutionException e) {
      LOG.log(Level.FINE, "client closed; callback dropped", e);
    }
  }

  void shutdown() {
    callbacks.shutdown();
  }

  /** Refuses to block a Vert.x event loop. */
  static void checkMayBlock() {
    if (Context.isOnEventLoopThread()) {
      throw new IllegalStateException("blocking RaftLock call on a Vert.x event loop; use the async variant");
    }
  }

  /** Waits for {@code stage} and unwraps its failure (see {@link RaftLockClient#await}). */
  static <T> T await(CompletionStage<T> stage) {
    checkMayBlock();
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
}
