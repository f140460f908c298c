package io.raftlock.client;

import io.vertx.core.Future;
import io.vertx.core.Vertx;
import io.vertx.core.VertxOptions;

/**
 * The one Vert.x instance shared by every client of the process that was not given its own, the
 * way grpc-java shares one Netty event-loop group across its channels.
 *
 * <p>Why: a Vert.x instance brings its own event-loop threads and a blocked-thread checker. A
 * service that builds many clients (one per tenant, per component, or a benchmark with one per
 * simulated user) would otherwise run one set of threads per client, and every message would wake
 * a thread of its own; on a small machine those wake-ups cost more than the calls. Shared, the
 * clients' connections are spread over 2 × cores event loops (each client still keeps all its
 * state on one context of its own, so nothing else changes for it).
 *
 * <p>Invariant: {@link #instance} is non-null exactly while {@link #users} is positive; the last
 * client to close closes it, and a client built afterwards gets a new one.
 */
final class SharedVertx {
  private static Vertx instance;
  private static int users;

  private SharedVertx() {
  }

  /** The shared instance, created on first use; each call must be matched by one {@link #release}. */
  static synchronized Vertx acquire() {
    if (instance == null) {
      // Native epoll where the platform has it, like grpc-java's shaded Netty; nio on request.
      instance = Vertx.vertx(new VertxOptions()
          .setPreferNativeTransport(!"nio".equals(System.getProperty("raftlock.transport"))));
    }
    users++;
    return instance;
  }

  /** Gives one use back; closes the instance when it was the last. */
  static synchronized Future<Void> release(Vertx v) {
    if (v != instance || users == 0) {
      throw new IllegalStateException("not the shared Vert.x instance, or released once too often");
    }
    users--;
    if (users > 0) {
      return Future.succeededFuture();
    }
    instance = null;
    return v.close();
  }

  /** How many clients use the shared instance now (for tests). */
  static synchronized int users() {
    return users;
  }
}
