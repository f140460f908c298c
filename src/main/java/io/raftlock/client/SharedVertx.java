package io.raftlock.client;

import io.raftlock.wire.NettyTransport;
import io.vertx.core.Context;
import io.vertx.core.Future;
import io.vertx.core.Vertx;
import io.vertx.core.VertxOptions;
import io.vertx.core.http.HttpClientOptions;
import io.vertx.grpc.client.GrpcClient;
import java.util.ArrayList;
import java.util.List;

/**
 * The one Vert.x instance shared by every client of the process that was not given its own, the
 * way grpc-java shares one Netty event-loop group across its channels; and, on it, one event-loop
 * context and one gRPC client (so one HTTP/2 connection per node) per set of connection settings.
 *
 * <p>Why: a Vert.x instance brings its own event-loop threads and a blocked-thread checker, and
 * each HTTP/2 connection its own socket, reads, writes and flushes on both ends. A service that
 * builds many clients (one per tenant, per component, or a benchmark with one per simulated user)
 * would otherwise pay per client what one client pays once: with 64 clients of one process each
 * on its own connection, the leader spent about twice the CPU per lock pair of one client used by
 * 64 threads (docs/benchmarks.md). Each client keeps its own session, on its own stream, on the
 * shared connection; its state lives on the shared context, so its events need no thread hop.
 *
 * <p>Invariant: {@link #instance} is non-null exactly while {@link #users} is positive; the last
 * client to close closes it, and a client built afterwards gets a new one. A shared gRPC client is
 * closed when the last client using it gives it back.
 */
final class SharedVertx {
  /**
   * Clients per shared gRPC client (so per connection to a node). Each client keeps one session
   * stream open for its lifetime, and a node lets a connection carry 100 streams at once (HTTP/2
   * {@code SETTINGS_MAX_CONCURRENT_STREAMS}, docs/api.md): with more long-lived streams than that
   * on one connection, a further client's stream would wait for a free one forever. 32 leaves the
   * rest for the clients' plain calls; the 33rd client with the same settings gets a new one.
   */
  static final int CLIENTS_PER_CONNECTION = 32;

  /** A shared gRPC client, the connection settings it was made for, and how many clients use it. */
  private static final class Shared {
    final String settings;
    final GrpcClient client;
    int users;

    Shared(String settings, GrpcClient client) {
      this.settings = settings;
      this.client = client;
    }
  }

  private static Vertx instance;
  private static Context context;
  private static int users;
  /** A few entries: one per connection settings and 32 clients. */
  private static final List<Shared> grpcClients = new ArrayList<>();

  private SharedVertx() {
  }

  /** The shared instance, created on first use; each call must be matched by one {@link #release}. */
  static synchronized Vertx acquire() {
    if (instance == null) {
      instance = Vertx.vertx(NettyTransport.preferNative(new VertxOptions())); // epoll, like grpc-java's shaded Netty
      context = instance.getOrCreateContext();
    }
    users++;
    return instance;
  }

  /** The one context the clients of the shared instance keep their state on. */
  static synchronized Context context(Vertx v) {
    check(v);
    return context;
  }

  /**
   * The gRPC client for these connection settings, shared by the clients that use the same ones;
   * each call must be matched by one {@link #releaseGrpc}.
   */
  static synchronized GrpcClient grpc(Vertx v, HttpClientOptions http) {
    check(v);
    String settings = http.toJson().encode();
    Shared s = grpcClients.stream().filter(x -> x.settings.equals(settings) && x.users < CLIENTS_PER_CONNECTION)
        .findFirst().orElseGet(() -> {
          Shared n = new Shared(settings, ClientGrpc.create(v, http));
          grpcClients.add(n);
          return n;
        });
    s.users++;
    return s.client;
  }

  /** Gives one use of a shared gRPC client back; closes it when it was the last. */
  static synchronized Future<Void> releaseGrpc(GrpcClient c) {
    for (Shared s : grpcClients) {
      if (s.client == c) {
        if (--s.users > 0) {
          return Future.succeededFuture();
        }
        grpcClients.remove(s);
        return c.close();
      }
    }
    throw new IllegalStateException("not a shared gRPC client, or released once too often");
  }

  /** Gives one use back; closes the instance when it was the last. */
  static synchronized Future<Void> release(Vertx v) {
    check(v);
    users--;
    if (users > 0) {
      return Future.succeededFuture();
    }
    instance = null;
    context = null;
    grpcClients.clear(); // closed with the instance
    return v.close();
  }

  private static void check(Vertx v) {
    if (v != instance || users == 0) {
      throw new IllegalStateException("not the shared Vert.x instance, or released once too often");
    }
  }

  /** How many clients use the shared instance now (for tests). */
  static synchronized int users() {
    return users;
  }
}
