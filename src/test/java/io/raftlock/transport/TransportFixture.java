package io.raftlock.transport;

import io.raftlock.node.PeerTransport;
import io.raftlock.node.Applied;
import io.raftlock.raft.Message;
import io.raftlock.testing.BlockedEventLoops;
import io.raftlock.testing.FreePorts;
import io.raftlock.transport.PeerTransportConfig.PeerAddress;
import io.vertx.core.Context;
import io.vertx.core.Future;
import io.vertx.core.Promise;
import io.vertx.core.Vertx;
import io.vertx.core.internal.VertxInternal;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import java.util.concurrent.ConcurrentLinkedQueue;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.function.BiFunction;
import java.util.function.Supplier;

/**
 * Test scaffolding: a Vert.x whose blocked-thread checker records every event (tests assert the
 * record stays empty), free loopback ports, and transports started on their own event-loop
 * contexts with a recording listener.
 */
final class TransportFixture implements AutoCloseable {
  static final String HOST = "127.0.0.1";
  static final long MAX_EVENT_LOOP_MS = BlockedEventLoops.MAX_EVENT_LOOP_MS;

  /** Every Vert.x event loop of the fixture, watched: tests end with {@code blocked.assertNone()}. */
  final BlockedEventLoops blocked = new BlockedEventLoops();
  final Vertx vertx;
  private final List<Node> nodes = new ArrayList<>();

  TransportFixture() {
    GrpcPeerTransport.preload();
    vertx = blocked.newVertx();
  }

  static int freePort() {
    return FreePorts.next();
  }

  /** Members n1..nk, each on a free port. */
  static Map<String, PeerAddress> members(String... ids) {
    Map<String, PeerAddress> members = new TreeMap<>();
    for (String id : ids) {
      members.put(id, new PeerAddress(HOST, freePort()));
    }
    return members;
  }

  static PeerTransportConfig config(String id, Map<String, PeerAddress> members) {
    return PeerTransportConfig.of(id, HOST, members.get(id).port(), members)
        .withReconnect(20, 200);
  }

  /** A transport on a fresh event-loop context; not started. */
  Node node(PeerTransportConfig config) {
    Context context = ((VertxInternal) vertx).createEventLoopContext();
    Node node = new Node(config.nodeId(), context, new GrpcPeerTransport(vertx, config));
    nodes.add(node);
    return node;
  }

  Node started(PeerTransportConfig config) {
    Node node = node(config);
    node.start();
    return node;
  }

  @Override
  public void close() {
    for (Node node : nodes) {
      await(node.call(() -> node.transport.close()));
    }
    await(vertx.close());
  }

  static <T> T await(Future<T> future) {
    try {
      return future.toCompletionStage().toCompletableFuture().get(20, TimeUnit.SECONDS);
    } catch (Exception e) {
      throw new AssertionError("future did not complete: " + e, e);
    }
  }

  /** One transport, its context, and what its listener saw. */
  static final class Node implements PeerTransport.Listener {
    final String id;
    final Context context;
    final GrpcPeerTransport transport;
    final ConcurrentLinkedQueue<Message> messages = new ConcurrentLinkedQueue<>();
    final ConcurrentLinkedQueue<String> unreachable = new ConcurrentLinkedQueue<>();
    final ConcurrentLinkedQueue<String> snapshotStatus = new ConcurrentLinkedQueue<>();
    /** Callbacks that arrived anywhere but on {@link #context}. */
    final AtomicInteger offContext = new AtomicInteger();
    volatile PeerTransport.Listener forward;
    /** Answers forwarded commands; by default as if applied at (1, 1) with the command echoed. */
    volatile BiFunction<String, byte[], Future<Applied>> onForward =
        (from, command) -> Future.succeededFuture(new Applied(1, 1, command));
    /** Forwarded commands received, as "from:command-as-text". */
    final ConcurrentLinkedQueue<String> forwarded = new ConcurrentLinkedQueue<>();

    Node(String id, Context context, GrpcPeerTransport transport) {
      this.id = id;
      this.context = context;
      this.transport = transport;
    }

    void start() {
      await(call(() -> transport.start(this)));
    }

    /** Runs {@code action} on this node's context; completes with its future's result. */
    <T> Future<T> call(Supplier<Future<T>> action) {
      Promise<T> promise = Promise.promise();
      context.runOnContext(v -> action.get().onComplete(promise));
      return promise.future();
    }

    <T> T get(Supplier<T> query) {
      return await(call(() -> Future.succeededFuture(query.get())));
    }

    void send(Message... batch) {
      context.runOnContext(v -> {
        for (Message m : batch) {
          transport.send(m);
        }
      });
    }

    PeerTransportStats stats() {
      return get(transport::stats);
    }

    PeerChannel.State state(String peer) {
      return get(() -> transport.peerState(peer));
    }

    private void check() {
      if (Vertx.currentContext() != context) {
        offContext.incrementAndGet();
      }
    }

    @Override
    public void onMessage(Message message) {
      check();
      messages.add(message);
      PeerTransport.Listener f = forward;
      if (f != null) {
        f.onMessage(message);
      }
    }

    @Override
    public void onUnreachable(String peer) {
      check();
      unreachable.add(peer);
    }

    @Override
    public void onSnapshotStatus(String peer, boolean delivered) {
      check();
      snapshotStatus.add(peer + "=" + delivered);
    }

    @Override
    public Future<Applied> onForward(String from, byte[] command) {
      check();
      forwarded.add(from + ":" + new String(command, java.nio.charset.StandardCharsets.UTF_8));
      return onForward.apply(from, command);
    }

    /** Forwards from this node's context; the future completes where the transport does. */
    Future<Applied> forward(String to, byte[] command) {
      return call(() -> transport.forward(to, command).andThen(ar -> check()));
    }
  }
}
