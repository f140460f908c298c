package io.raftlock.transport;

import io.raftlock.node.PeerTransport;
import io.raftlock.node.Applied;
import io.raftlock.node.ProposalException;
import io.raftlock.proto.peer.ForwardReply;
import io.raftlock.raft.Message;
import io.raftlock.tls.ReloadableTls;
import io.vertx.core.Context;
import io.vertx.core.Future;
import io.vertx.core.Promise;
import io.vertx.core.Vertx;
import io.vertx.core.http.Http2Settings;
import io.vertx.core.http.HttpClientOptions;
import io.vertx.core.http.HttpVersion;
import io.vertx.core.internal.ContextInternal;
import io.vertx.core.net.SocketAddress;
import io.vertx.grpc.client.GrpcClient;
import io.vertx.grpc.client.GrpcClientOptions;
import java.util.HashMap;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.TimeUnit;
import java.util.function.Supplier;
import java.util.logging.Level;
import java.util.logging.Logger;
import java.util.random.RandomGenerator;

/**
 * {@link PeerTransport} on vertx-grpc: per peer one long-lived client-streaming Messages call
 * ({@link PeerChannel}), one InstallSnapshot call per snapshot ({@link SnapshotSender}), one
 * unary Forward call per forwarded command ({@link ForwardCall}), and one server on the peer port
 * ({@link PeerServer}). Wire format: {@code raft_peer.proto}.
 *
 * <p>Threading: {@link #start} must run on the Raft verticle's event-loop context; the transport
 * binds its server and opens its calls from there, so every gRPC callback runs on that context's
 * event loop, and it confines every field to it. {@link #send} and {@link #close} must be called
 * there too ({@code send} checks). Listener callbacks run on that context; {@code onUnreachable}
 * and {@code onSnapshotStatus} are always deferred to a later task, so they never re-enter the
 * caller of {@code send} (the driver may be in the middle of draining a {@code Ready}).
 *
 * <p>Nothing here blocks: connection set-up, writes, backoff and deadlines are all futures and
 * timers on the context.
 */
public final class GrpcPeerTransport implements PeerTransport {
  private static final Logger LOG = Logger.getLogger(GrpcPeerTransport.class.getName());

  private final Vertx vertx;
  private final PeerTransportConfig config;
  private final Backoff backoff;

  // --- confined to the transport's context once started ---
  private ContextInternal context;
  private Listener listener;
  /** Held in a field: Vert.x 5 closes a client that nothing references any more. */
  private GrpcClient client;
  /** Mutual TLS for both ends of every peer call, or null for plaintext. Set before start. */
  private ReloadableTls tls;
  private PeerServer server;
  private final Map<String, PeerChannel> channels = new HashMap<>();
  private final Map<String, SnapshotSender> snapshotSenders = new HashMap<>();
  /**
   * Every member's peer address, this node's included: starts as the configured members and
   * follows the configuration at runtime ({@link #addPeer}, {@link #removePeer}). Concurrent only
   * so that {@link #peers()} may be read from anywhere; written on the context.
   */
  private final Map<String, PeerTransportConfig.PeerAddress> members = new java.util.concurrent.ConcurrentHashMap<>();
  /** Members of the configurations in force, admitted as callers even before their address is known. */
  private volatile Set<String> admitted = Set.of();
  private volatile String advertisedClientAddress;
  /** Forwards awaiting the leader's answer; each removes itself once its outcome is known. */
  private final Set<ForwardCall> forwards = new LinkedHashSet<>();
  private final TransportStats stats = new TransportStats();
  private long watchdogTimer = -1;
  private int port = -1;
  private boolean started;
  private boolean closed;
  private Future<Void> closing;

  public GrpcPeerTransport(Vertx vertx, PeerTransportConfig config) {
    this(vertx, config, RandomGenerator.getDefault());
  }

  /** With the random source of the reconnect jitter (seed it in tests). */
  public GrpcPeerTransport(Vertx vertx, PeerTransportConfig config, RandomGenerator random) {
    this.vertx = vertx;
    this.config = config;
    this.backoff = new Backoff(config.reconnectBaseMs(), config.reconnectMaxMs(), random);
    this.members.putAll(config.members());
  }

  /**
   * This node's client address, sent to peers with its peer address on every Messages call so
   * that members that did not add this node at runtime learn both. Call before start.
   */
  public GrpcPeerTransport advertiseClientAddress(String hostPort) {
    this.advertisedClientAddress = hostPort;
    return this;
  }

  /**
   * Loads and initialises the protobuf and gRPC classes the transport uses. Their first use costs
   * hundreds of milliseconds of class initialisation; call this from the main thread before
   * deploying the Raft verticle so that cost never lands on an event loop.
   */
  public static void preload() {
    io.raftlock.proto.peer.RaftPeerProto.getDescriptor();
    MessageMapper.toProto(new Message.Heartbeat("a", "b", 1, 0, 0));
    MessageMapper.fromProto(MessageMapper.toProto(new Message.AppendEntries("a", "b", 1, 0, 0,
        java.util.List.of(io.raftlock.raft.Entry.noop(1, 1)), 0)));
    io.raftlock.proto.peer.RaftPeerGrpcService.all();
    io.raftlock.proto.peer.RaftPeerGrpcClient.Messages.fullMethodName();
    ForwardMapper.outcome(ForwardMapper.applied(new Applied(1, 1, new byte[0])));
    ForwardMapper.request("a", new byte[0]);
  }

  /**
   * Mutual TLS on the peer port and on every outbound peer call; each end checks that the
   * other's certificate names the member it claims to be. Call before {@link #start}.
   */
  public GrpcPeerTransport useTls(ReloadableTls material) {
    if (started) {
      throw new IllegalStateException("useTls after start");
    }
    this.tls = material;
    return this;
  }

  @Override
  public Future<Void> start(Listener listener) {
    Context current = Vertx.currentContext();
    if (current == null || !current.isEventLoopContext()) {
      return Future.failedFuture(new IllegalStateException(
          "start() must be called on the Raft verticle's event-loop context"));
    }
    if (started) {
      return Future.failedFuture(new IllegalStateException("already started"));
    }
    started = true;
    this.context = ((ContextInternal) current).unwrap();
    this.listener = listener;
    this.client = GrpcClient.client(vertx, grpcClientOptions(), httpClientOptions());
    this.server = new PeerServer(vertx, config, stats, inbound(), tls);
    return server.listen().map(boundPort -> {
      port = boundPort;
      if (closed) {
        server.close(); // close() ran while we were binding: release the port now
        return null;
      }
      new java.util.TreeMap<>(members).forEach((id, address) -> {
        if (!id.equals(config.nodeId())) {
          openChannel(id, address);
        }
      });
      long intervalMs = Math.max(5, Math.min(250, config.callDeadlineMs() / 4));
      watchdogTimer = vertx.setPeriodic(intervalMs, id -> watchdog());
      LOG.info(() -> config.nodeId() + " peer transport listening on " + config.listenHost()
          + ":" + port);
      return null;
    });
  }

  @Override
  public void send(Message message) {
    if (context == null || !context.nettyEventLoop().inEventLoop()) {
      throw new IllegalStateException("send() must be called on the transport's context");
    }
    PeerChannel channel = closed ? null : channels.get(message.to());
    if (channel == null || !config.nodeId().equals(message.from())) {
      stats.dropped++;
      if (!closed && port >= 0 && admitted.contains(message.to())) {
        // A member whose address this node has not learned yet: it will call us and advertise it.
        LOG.fine(() -> "no address yet for member " + message.to() + "; dropped a message");
      } else if (!closed && port >= 0) { // else closed, or not listening yet: the driver's mistake
        LOG.warning(() -> "dropped a message to non-peer " + message.to() + " from "
            + message.from() + " (this node is " + config.nodeId() + ")");
      }
      return;
    }
    if (message instanceof Message.InstallSnapshot snapshot) {
      sendSnapshot(snapshot, channel);
    } else {
      channel.offer(message);
    }
  }

  @Override
  public Future<Applied> forward(String leaderId, byte[] command) {
    if (context == null || !context.nettyEventLoop().inEventLoop()) {
      return Future.failedFuture(
          new IllegalStateException("forward() must be called on the transport's context"));
    }
    PeerChannel channel = channels.get(leaderId);
    if (closed || channel == null || channel.circuitOpen()) {
      // Closed, not a peer, or known down: fail at once with no I/O (a dead leader costs
      // nothing, as for messages); the caller retries once a leader is heard from again.
      stats.forwardsFailed++;
      return Future.failedFuture(new ProposalException(
          closed ? ProposalException.Reason.STOPPED : ProposalException.Reason.FORWARD_FAILED,
          null));
    }
    PeerTransportConfig.PeerAddress a = members.get(leaderId);
    ForwardCall call = new ForwardCall(leaderId, command, config, vertx, context,
        (done, failedHere) -> {
          forwards.remove(done);
          if (failedHere) {
            stats.forwardsFailed++;
          }
        });
    forwards.add(call);
    stats.forwardsSent++;
    return call.start(client, SocketAddress.inetSocketAddress(a.port(), a.host()));
  }

  @Override
  public void addPeer(String id, String hostPort) {
    addPeer(id, PeerTransportConfig.PeerAddress.parse(hostPort));
  }

  private void addPeer(String id, PeerTransportConfig.PeerAddress address) {
    requireContext("addPeer()");
    if (id == null || id.equals(config.nodeId()) || address.equals(members.get(id))) {
      return;
    }
    closeChannel(id);
    members.put(id, address);
    if (port() >= 0 && !closed) {
      openChannel(id, address);
      LOG.info(() -> config.nodeId() + " peer transport: talking to " + id + " at " + address);
    }
  }

  @Override
  public void removePeer(String id) {
    requireContext("removePeer()");
    if (id == null || id.equals(config.nodeId()) || members.remove(id) == null) {
      return;
    }
    closeChannel(id);
    LOG.info(() -> config.nodeId() + " peer transport: stopped talking to " + id);
  }

  @Override
  public void admit(Set<String> ids) {
    admitted = Set.copyOf(ids);
  }

  @Override
  public Set<String> peers() {
    Set<String> peers = new java.util.TreeSet<>(members.keySet());
    peers.remove(config.nodeId());
    return peers;
  }

  /** The peer address of {@code id} as this transport knows it, or null. */
  public PeerTransportConfig.PeerAddress address(String id) {
    return members.get(id);
  }

  private void openChannel(String id, PeerTransportConfig.PeerAddress address) {
    PeerChannel channel = new PeerChannel(id, config.nodeId(),
        SocketAddress.inetSocketAddress(address.port(), address.host()), config, vertx,
        client, backoff, this::reportUnreachable, stats);
    PeerTransportConfig.PeerAddress self = members.get(config.nodeId());
    channel.advertise(self == null ? null : self.toString(), advertisedClientAddress);
    channels.put(id, channel);
    channel.start();
  }

  private void closeChannel(String id) {
    PeerChannel channel = channels.remove(id);
    if (channel != null) {
      channel.close();
    }
    SnapshotSender sender = snapshotSenders.remove(id);
    if (sender != null) {
      sender.cancel();
    }
  }

  private void requireContext(String what) {
    if (context == null || !context.nettyEventLoop().inEventLoop()) {
      throw new IllegalStateException(what + " must be called on the transport's context");
    }
  }

  @Override
  public Future<Void> close() {
    if (closing != null) {
      return closing;
    }
    closed = true;
    if (watchdogTimer >= 0) {
      vertx.cancelTimer(watchdogTimer);
    }
    // Each fail() removes the call from the set: iterate over a copy.
    List.copyOf(forwards).forEach(f -> f.fail(ProposalException.Reason.STOPPED, "closing"));
    channels.values().forEach(PeerChannel::close);
    snapshotSenders.values().forEach(SnapshotSender::cancel);
    snapshotSenders.clear();
    Future<Void> serverClosed = server == null ? Future.succeededFuture() : server.close();
    closing = serverClosed
        .transform(ar -> client == null ? Future.<Void>succeededFuture() : client.close());
    return closing;
  }

  /** The bound peer port (useful when configured with port 0); -1 before start completes. */
  public int port() {
    return port;
  }

  /** A copy of the counters. Call on the transport's context. */
  public PeerTransportStats stats() {
    return stats.snapshot();
  }

  /** The state of the link to {@code peer}, or null if unknown. Call on the transport's context. */
  PeerChannel.State peerState(String peer) {
    PeerChannel channel = channels.get(peer);
    return channel == null ? null : channel.state();
  }

  // ---------------------------------------------------------------- internals

  private void sendSnapshot(Message.InstallSnapshot snapshot, PeerChannel channel) {
    String peer = snapshot.to();
    SnapshotSender previous = snapshotSenders.remove(peer);
    if (previous != null) {
      previous.cancel(); // the core only waits for its newest snapshot's outcome
    }
    if (channel.circuitOpen()) {
      onSnapshotDone(null, peer, false); // a dead peer costs nothing, not even a connection
      return;
    }
    PeerTransportConfig.PeerAddress a = members.get(peer);
    SnapshotSender sender = new SnapshotSender(snapshot,
        SocketAddress.inetSocketAddress(a.port(), a.host()), config, this::onSnapshotDone);
    snapshotSenders.put(peer, sender);
    sender.start(client);
  }

  private void onSnapshotDone(SnapshotSender sender, String peer, boolean delivered) {
    if (sender != null) {
      snapshotSenders.remove(peer, sender);
    }
    if (delivered) {
      stats.snapshotsSent++;
    } else {
      stats.snapshotsFailed++;
    }
    defer(() -> listener.onSnapshotStatus(peer, delivered));
  }

  private PeerServer.Inbound inbound() {
    return new PeerServer.Inbound() {
      @Override
      public void deliver(Message message) {
        GrpcPeerTransport.this.deliver(message);
      }

      @Override
      public Future<ForwardReply> forward(String from, byte[] command) {
        return GrpcPeerTransport.this.onForward(from, command);
      }

      @Override
      public void peerCalled(String peer) {
        PeerChannel channel = channels.get(peer);
        if (channel != null) {
          channel.peerIsUp();
        }
      }

      @Override
      public void peerAdvertised(String peer, String peerAddress, String clientAddress) {
        if (peerAddress == null || closed) {
          return;
        }
        PeerTransportConfig.PeerAddress address;
        try {
          address = PeerTransportConfig.PeerAddress.parse(peerAddress);
        } catch (IllegalArgumentException e) {
          LOG.warning(() -> "ignored the malformed address " + peerAddress + " advertised by " + peer);
          return;
        }
        // Only members this node knows nothing about are learned: a configured address wins.
        if (!members.containsKey(peer)) {
          defer(() -> {
            if (!members.containsKey(peer) && admitted.contains(peer)) {
              addPeer(peer, address);
            }
            listener.onPeerAddress(peer, address.toString(), clientAddress);
          });
        } else {
          defer(() -> listener.onPeerAddress(peer, members.get(peer) == null
              ? address.toString() : members.get(peer).toString(), clientAddress));
        }
      }

      @Override
      public boolean isPeer(String id) {
        return members.containsKey(id) || admitted.contains(id);
      }
    };
  }

  /**
   * Asks the listener, on the transport's context, to handle a forwarded command; maps its outcome
   * to the reply. A {@link ProposalException} becomes a rejection; any other failure fails the
   * returned future (the server answers with an error status, which the sender reads as
   * {@code FORWARD_FAILED}).
   */
  private Future<ForwardReply> onForward(String from, byte[] command) {
    if (closed) {
      return Future.succeededFuture(ForwardMapper.rejected(
          new ProposalException(ProposalException.Reason.STOPPED, null)));
    }
    stats.forwardsReceived++;
    return onContext(() -> listener.onForward(from, command))
        .map(ForwardMapper::applied)
        .recover(e -> e instanceof ProposalException p
            ? Future.succeededFuture(ForwardMapper.rejected(p))
            : Future.failedFuture(e));
  }

  /**
   * Runs {@code action} on the transport's context (the server's handler may carry a duplicate
   * of it; {@code emit} switches on the spot, no extra task) and returns its future; an action
   * that throws yields a failed future.
   */
  private <T> Future<T> onContext(Supplier<Future<T>> action) {
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

  private void reportUnreachable(String peer) {
    defer(() -> listener.onUnreachable(peer));
  }

  /**
   * Hands an inbound message to the listener on the transport's context. Server handlers run on
   * its event loop but may carry a duplicate of the context; {@code emit} switches to the
   * transport's own context on the spot, so nothing is queued and order is kept.
   */
  private void deliver(Message message) {
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

  private void defer(Runnable callback) {
    context.runOnContext(v -> {
      if (!closed) {
        safely(callback);
      }
    });
  }

  private void safely(Runnable callback) {
    try {
      callback.run();
    } catch (RuntimeException e) {
      LOG.log(Level.SEVERE, "peer transport listener failed", e);
    }
  }

  private void watchdog() {
    long now = System.nanoTime();
    for (PeerChannel channel : channels.values()) {
      channel.watchdog(now);
    }
  }

  private GrpcClientOptions grpcClientOptions() {
    return new GrpcClientOptions()
        .setScheduleDeadlineAutomatically(true)
        .setMaxMessageSize(config.maxMessageBytes());
  }

  private HttpClientOptions httpClientOptions() {
    // A connection that stays silent both ways for a few ping intervals is dead or a black hole
    // (TCP accepted, HTTP/2 never answered): close it, so the calls waiting on it fail instead of
    // piling up. Pings keep every healthy connection busy well within this bound.
    int idleMs = config.pingIntervalMs() == 0
        ? 0 : 3 * Math.max(config.pingIntervalMs(), config.callDeadlineMs());
    HttpClientOptions options = new HttpClientOptions();
    String local = OutboundBind.localAddressFor(config.listenHost());
    if (local != null) {
      // Connections to peers start from this node's own address (see OutboundBind).
      options.setLocalAddress(local);
    }
    if (tls != null) {
      tls.applyToMemberClient(options);
    }
    return options
        .setIdleTimeout(idleMs)
        .setIdleTimeoutUnit(TimeUnit.MILLISECONDS)
        .setProtocolVersion(HttpVersion.HTTP_2)
        .setHttp2ClearTextUpgrade(false)
        .setConnectTimeout(config.callDeadlineMs())
        .setTcpNoDelay(true)
        .setInitialSettings(new Http2Settings().setInitialWindowSize(1 << 20));
  }
}
