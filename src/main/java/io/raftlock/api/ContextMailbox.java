package io.raftlock.api;

import io.vertx.core.Context;
import io.vertx.core.Future;
import io.vertx.core.Promise;
import java.util.concurrent.ConcurrentLinkedQueue;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.logging.Level;
import java.util.logging.Logger;

/**
 * Hands tasks from any thread to one context, many per hop: tasks offered while a hop is pending
 * ride on it. One Raft apply completes every proposal of its batch on the Raft context; through
 * the mailbox they reach the API context as one event-loop task instead of one task (and
 * possibly one wake-up) each.
 *
 * <p>Order: tasks run in the order they were offered (one FIFO queue), and a task runs no later
 * than any task its producer posts to the target context with {@code runOnContext} after offering
 * it: the offer either finds a hop scheduled and not yet draining (which runs first), or a drain
 * in progress (which polls until the queue is empty), or schedules a hop itself. Pushed lock
 * events rely on this: a waiter's "queued" reply, completed here, reaches it before the grant
 * event the Raft context posts directly for a later entry. A task that throws is logged and does
 * not stop the ones after it.
 */
final class ContextMailbox {
  private static final Logger LOG = Logger.getLogger(ContextMailbox.class.getName());
  private final Context target;
  private final ConcurrentLinkedQueue<Runnable> tasks = new ConcurrentLinkedQueue<>();
  /** Invariant: true from a hop's scheduling until it starts draining. */
  private final AtomicBoolean hopScheduled = new AtomicBoolean();

  ContextMailbox(Context target) {
    this.target = target;
  }

  /** Runs {@code task} on the target context, after every task offered before it. */
  void execute(Runnable task) {
    tasks.offer(task);
    if (hopScheduled.compareAndSet(false, true)) {
      target.runOnContext(v -> drain());
    }
  }

  /** {@code f} as a future whose callbacks run on the target context (one hop per batch). */
  <T> Future<T> deliver(Future<T> f) {
    Promise<T> p = Promise.promise();
    f.onComplete(ar -> execute(() -> p.handle(ar)));
    return p.future();
  }

  private void drain() {
    // Cleared before polling: a task offered from now on either is polled below or schedules a
    // hop of its own (which may then find the queue empty: harmless).
    hopScheduled.set(false);
    // Until empty (no cap): the producers are bounded by the in-flight request cap.
    Runnable task;
    while ((task = tasks.poll()) != null) {
      try {
        task.run();
      } catch (RuntimeException e) {
        LOG.log(Level.SEVERE, "a task handed to the API context failed", e);
      }
    }
  }
}
