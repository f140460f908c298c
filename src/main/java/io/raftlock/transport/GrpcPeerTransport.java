package io.raftlock.transport;

import io.raftlock.node.PeerTransport;
import io.raftlock.node.Applied;
import io.raftlock.node.ProposalException;
import io.raftlock.proto.peer.ForwardReply;
import io.raftlock.raft.Message;
import io.raftlock.tls.ReloadableTls;
import io.vertx.core.Context;
import io.vertx.core.Future;
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
 * there too ({@code send} checks). The listener is called on that context too
 * ({@link ListenerCalls}: news always in a later task, never re-entering the caller of
 * {@code send}). Who this node talks to and who may call it: {@link PeerAddressBook}.
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
  private ListenerCalls calls;
  /** Held in a field: Vert.x 5 closes a client that nothing references any more. */
  private GrpcClient client;
  /** Mutual TLS for both ends of every peer call, or null for plaintext. Set before start. */
  private ReloadableTls tls;
  private PeerServer server;
  private final Map<String, PeerChannel> channels = new HashMap<>();
  private final Map<String, SnapshotSender> snapshotSenders = new HashMap<>();
  private final PeerAddressBook addresses;
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
    this.addresses = new PeerAddressBook(config.nodeId(), config.members());
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
    this.calls = new ListenerCalls(context, listener);
    this.client = GrpcClient.client(vertx, grpcClientOptions(), httpClientOptions());
    this.server = new PeerServer(vertx, config, stats, inbound(), tls);
    return server.listen().map(boundPort -> {
      port = boundPort;
      if (closed) {
        server.close(); // close() ran while we were binding: release the port now
        return null;
      }
      addresses.others().forEach(this::openChannel);
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
      if (!closed && port >= 0 && addresses.admitted(message.to())) {
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
    ForwardCall call = new ForwardCall(leaderId, command, config, vertx, context,
        (done, failedHere) -> {
          forwards.remove(done);
          if (failedHere) {
            stats.forwardsFailed++;
          }
        });
    forwards.add(call);
    stats.forwardsSent++;
    return call.start(client, addresses.socketAddress(leaderId));
  }

  @Override
  public void addPeer(String id, String hostPort) {
    addPeer(id, PeerTransportConfig.PeerAddress.parse(hostPort));
  }

  private void addPeer(String id, PeerTransportConfig.PeerAddress address) {
    requireContext("addPeer()");
    if (!addresses.put(id, address)) {
      return;
    }
    closeChannel(id);
    if (port() >= 0 && !closed) {
      openChannel(id, address);
      LOG.info(() -> config.nodeId() + " peer transport: talking to " + id + " at " + address);
    }
  }

  @Override
  public void removePeer(String id) {
    requireContext("removePeer()");
    if (!addresses.remove(id)) {
      return;
    }
    closeChannel(id);
    LOG.info(() -> config.nodeId() + " peer transport: stopped talking to " + id);
  }

  @Override
  public void admit(Set<String> ids) {
    addresses.admit(ids);
  }

  @Override
  public Set<String> peers() {
    return addresses.peers();
  }

  /** The peer address of {@code id} as this transport knows it, or null. */
  public PeerTransportConfig.PeerAddress address(String id) {
    return addresses.get(id);
  }

  private void openChannel(String id, PeerTransportConfig.PeerAddress address) {
    PeerChannel channel = new PeerChannel(id, config.nodeId(),
        SocketAddress.inetSocketAddress(address.port(), address.host()), config, vertx,
        client, backoff, this::reportUnreachable, stats);
    PeerTransportConfig.PeerAddress self = addresses.self();
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
    if (calls != null) {
      calls.close();
    }
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
    SnapshotSender sender = new SnapshotSender(snapshot, addresses.socketAddress(peer), config,
        this::onSnapshotDone);
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
    calls.defer(l -> l.onSnapshotStatus(peer, delivered));
  }

  private PeerServer.Inbound inbound() {
    return new PeerServer.Inbound() {
      @Override
      public void deliver(Message message) {
        calls.deliver(message);
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
        boolean known = addresses.knows(peer);
        calls.defer(l -> {
          if (!known && addresses.learns(peer)) {
            addPeer(peer, address);
          }
          // Reported as recorded: a configured (or added) address wins over the advertised one.
          PeerTransportConfig.PeerAddress recorded = known ? addresses.get(peer) : null;
          l.onPeerAddress(peer, (recorded == null ? address : recorded).toString(), clientAddress);
        });
      }

      @Override
      public boolean isPeer(String id) {
        return addresses.mayCall(id);
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
    return calls.call(l -> l.onForward(from, command))
        .map(ForwardMapper::applied)
        .recover(e -> e instanceof ProposalException p
            ? Future.succeededFuture(ForwardMapper.rejected(p))
            : Future.failedFuture(e));
  }

  private void reportUnreachable(String peer) {
    calls.defer(l -> l.onUnreachable(peer));
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
