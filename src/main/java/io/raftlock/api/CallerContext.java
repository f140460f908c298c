package io.raftlock.api;

import io.vertx.core.Context;
import io.vertx.core.Future;
import io.vertx.core.Promise;
import io.vertx.core.Vertx;

/**
 * Futures from the Raft verticle complete on the Raft event loop; work chained on them (encoding,
 * checksums, writes to a client's stream) must not run there. {@link #back} brings such a future
 * back to the context of the code that asked (the admin handlers; the lock API batches its hops in
 * {@link ContextMailbox} instead).
 */
final class CallerContext {
  private CallerContext() {}

  /** {@code f}, completed on the context current at this call (as is, when there is none). */
  static <T> Future<T> back(Future<T> f) {
    Context caller = Vertx.currentContext();
    if (caller == null) {
      return f;
    }
    Promise<T> p = Promise.promise();
    f.onComplete(ar -> {
      if (Vertx.currentContext() == caller) {
        p.handle(ar);
      } else {
        caller.runOnContext(v -> p.handle(ar));
      }
    });
    return p.future();
  }
}
