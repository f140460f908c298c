package io.raftlock.client;

import io.vertx.core.Context;
import io.vertx.core.Future;
import io.vertx.core.Vertx;
import io.vertx.core.VertxOptions;
import io.vertx.core.http.HttpClientOptions;
import io.vertx.grpc.client.GrpcClient;
import io.vertx.grpc.client.GrpcClientOptions;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;

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

  private static final class Shared {
    final GrpcClient client;
    int users;

    Shared(GrpcClient client) {
      this.client = client;
    }
  }

  private static Vertx instance;
  private static Context context;
  private static int users;
  private static final Map<String, List<Shared>> grpcClients = new HashMap<>();

  private SharedVertx() {
  }

  /** The shared instance, created on first use; each call must be matched by one {@link #release}. */
  static synchronized Vertx acquire() {
    if (instance == null) {
      // Native epoll where the platform has it, like grpc-java's shaded Netty; nio on request.
      instance = Vertx.vertx(new VertxOptions()
          .setPreferNativeTransport(!"nio".equals(System.getProperty("raftlock.transport"))));
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
    List<Shared> same = grpcClients.computeIfAbsent(http.toJson().encode(), k -> new ArrayList<>());
    Shared s = same.stream().filter(x -> x.users < CLIENTS_PER_CONNECTION).findFirst().orElseGet(() -> {
      Shared n = new Shared(GrpcClient.client(v, new GrpcClientOptions().setScheduleDeadlineAutomatically(true), http));
      same.add(n);
      return n;
    });
    s.users++;
    return s.client;
  }

  /** Gives one use of a shared gRPC client back; closes it when it was the last. */
  static synchronized Future<Void> releaseGrpc(GrpcClient c) {
    for (Map.Entry<String, List<Shared>> e : grpcClients.entrySet()) {
      for (Shared s : e.getValue()) {
        if (s.client == c) {
          if (--s.users > 0) {
            return Future.succeededFuture();
          }
          e.getValue().remove(s);
          if (e.getValue().isEmpty()) {
            grpcClients.remove(e.getKey());
          }
          return c.close();
        }
      }
    }
    throw new IllegalStateException("not a shared gRPC client, or released once too often");
  }

  /** Gives one use back; closes the instance when it was the last. */
  static synchronized Future<Void> release(Vertx v) {
    check(v);
    if (users == 0) {
      throw new IllegalStateException("released once too often");
    }
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
      throw new IllegalStateException("not the shared Vert.x instance");
    }
  }

  /** How many clients use the shared instance now (for tests). */
  static synchronized int users() {
    return users;
  }
}
