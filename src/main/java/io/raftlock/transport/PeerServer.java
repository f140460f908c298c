package io.raftlock.transport;

import io.raftlock.proto.peer.ForwardReply;
import io.raftlock.proto.peer.ForwardRequest;
import io.raftlock.proto.peer.PeerEnvelope;
import io.raftlock.proto.peer.RaftPeerGrpcService;
import io.raftlock.proto.peer.SnapshotChunk;
import io.raftlock.proto.peer.SnapshotReply;
import io.raftlock.proto.peer.StreamSummary;
import io.raftlock.raft.Message;
import io.vertx.core.Future;
import io.raftlock.tls.MemberNames;
import io.raftlock.tls.ReloadableTls;
import io.vertx.core.Vertx;
import io.vertx.core.http.Http2Settings;
import io.vertx.core.http.HttpServer;
import io.vertx.core.http.HttpServerOptions;
import io.vertx.grpc.common.GrpcStatus;
import io.vertx.grpc.server.GrpcServer;
import io.vertx.grpc.server.GrpcServerOptions;
import io.vertx.grpc.server.GrpcServerRequest;
import java.util.HashMap;
import java.util.Map;
import java.util.logging.Level;
import java.util.logging.Logger;

/**
 * The inbound half: the peer gRPC server on its own port. It checks every call's identity
 * ({@link PeerIdentity}) and every envelope's from/to against it, maps envelopes to messages and
 * hands them to {@link Inbound#deliver}; it reassembles snapshots.
 *
 * <p>Threading: created and listened from the transport's context, so Vert.x runs its handlers
 * on that context's event loop; every field is confined to it.
 *
 * <p>The Forward call (follower → leader client commands) shares the port and the identity
 * check: its request's {@code from} must equal the call's sender; the command goes to
 * {@link Inbound#forward} and its outcome is the reply.
 */
final class PeerServer {
  private static final Logger LOG = Logger.getLogger(PeerServer.class.getName());

  /** Where accepted messages and calls are reported; called on the transport's context. */
  interface Inbound {
    void deliver(Message message);

    /**
     * A forwarded command from {@code from}; the future's reply is sent back. A failed future is
     * answered with an error status.
     */
    Future<ForwardReply> forward(String from, byte[] command);

    /** A configured peer just opened a Messages call to us: it is up. */
    void peerCalled(String peer);

    /**
     * A peer's Messages call carried its own addresses (either may be null): a member added at
     * runtime is learned this way.
     */
    default void peerAdvertised(String peer, String peerAddress, String clientAddress) {}

    /** Whether {@code id} may call this node: a current peer or a member of the configuration. */
    boolean isPeer(String id);
  }

  private final Vertx vertx;
  private final PeerTransportConfig config;
  private final TransportStats stats;
  private final Inbound inbound;

  // --- confined to the transport's context ---
  /** The live Messages call of each sender; a newer call from the same sender replaces it. */
  private final Map<String, GrpcServerRequest<PeerEnvelope, StreamSummary>> streams = new HashMap<>();
  /** The snapshot call in progress from each sender; a newer one replaces it. */
  private final Map<String, GrpcServerRequest<SnapshotChunk, SnapshotReply>> snapshots = new HashMap<>();
  private HttpServer httpServer;
  /** Set by {@link #close}; confined to the transport context like every other field. */
  private boolean closing;
  /** Mutual TLS material, or null for plaintext. */
  private final ReloadableTls tls;

  PeerServer(Vertx vertx, PeerTransportConfig config, TransportStats stats, Inbound inbound,
      ReloadableTls tls) {
    this.vertx = vertx;
    this.tls = tls;
    this.config = config;
    this.stats = stats;
    this.inbound = inbound;
  }

  /** Binds the port; must be called on the transport's context. Completes with the bound port. */
  Future<Integer> listen() {
    GrpcServer grpc = GrpcServer.server(vertx, new GrpcServerOptions()
        .setMaxMessageSize(config.maxMessageBytes())
        .setScheduleDeadlineAutomatically(true));
    bind(grpc);
    HttpServerOptions options = new HttpServerOptions()
        .setHost(config.listenHost())
        .setPort(config.listenPort())
        .setTcpNoDelay(true)
        // Room for a snapshot chunk in flight per call, and for all peers' calls together.
        .setInitialSettings(new Http2Settings().setInitialWindowSize(1 << 20))
        .setHttp2ConnectionWindowSize(8 << 20);
    if (tls != null) {
      tls.applyTo(options, true); // members prove who they are: client certificates required
    }
    return vertx.createHttpServer(options)
        .connectionHandler(conn -> conn.exceptionHandler(
            t -> LOG.log(Level.FINE, "peer connection from " + conn.remoteAddress(), t)))
        .requestHandler(grpc).listen()
        .map(server -> {
          httpServer = server;
          return server.actualPort();
        });
  }

  Future<Void> close() {
    // From here on, new calls are refused: a peer that reconnects while the HTTP server is still
    // shutting down must not see a healthy stream that dies a moment later (a second report).
    closing = true;
    streams.values().forEach(PeerServer::endQuietly);
    streams.clear();
    snapshots.values().forEach(r -> r.response().cancel());
    snapshots.clear();
    return httpServer == null ? Future.succeededFuture() : httpServer.close();
  }

  private void bind(GrpcServer grpc) {
    grpc.callHandler(RaftPeerGrpcService.Messages, this::onMessagesCall);
    grpc.callHandler(RaftPeerGrpcService.InstallSnapshot, this::onSnapshotCall);
    grpc.callHandler(RaftPeerGrpcService.Forward, this::onForwardCall);
  }

  // ---------------------------------------------------------------- Forward

  private void onForwardCall(GrpcServerRequest<ForwardRequest, ForwardReply> req) {
    String from = admit(req);
    if (from == null) {
      return;
    }
    req.last().onComplete(ar -> {
      if (ar.failed()) { // malformed, cancelled or reset before the request arrived: no reply
        stats.rejected++;
        endForward(req, from, null, GrpcStatus.INVALID_ARGUMENT, ar.cause().toString());
        return;
      }
      ForwardRequest request = ar.result();
      if (!from.equals(request.getFrom())) {
        stats.rejected++;
        LOG.warning(() -> "refused Forward from " + request.getFrom() + " on a call from " + from);
        endForward(req, from, null, GrpcStatus.PERMISSION_DENIED,
            "request from " + request.getFrom() + " on a call from " + from);
        return;
      }
      inbound.forward(from, request.getCommand().toByteArray()).onComplete(out -> {
        if (out.succeeded()) {
          endForward(req, from, out.result(), GrpcStatus.OK, null);
        } else {
          endForward(req, from, null, GrpcStatus.INTERNAL, String.valueOf(out.cause()));
        }
      });
    });
  }

  /**
   * Ends a Forward call with {@code reply}, or with an error {@code status}. The call may be gone
   * already (the sender's deadline passed, it cancelled, the server is closing): then the
   * answer has nobody to reach and is dropped.
   */
  private static void endForward(GrpcServerRequest<ForwardRequest, ForwardReply> req,
      String from, ForwardReply reply, GrpcStatus status, String reason) {
    try {
      if (reply != null) {
        req.response().end(reply);
      } else {
        req.response().status(status).statusMessage(reason).end();
      }
    } catch (RuntimeException e) {
      LOG.log(Level.FINE, "Forward call from " + from + " already ended", e);
    }
  }

  // ---------------------------------------------------------------- Messages

  private void onMessagesCall(GrpcServerRequest<PeerEnvelope, StreamSummary> req) {
    String from = admit(req);
    if (from == null) {
      return;
    }
    GrpcServerRequest<PeerEnvelope, StreamSummary> previous = streams.put(from, req);
    if (previous != null) {
      endQuietly(previous); // the sender reconnected; its old call is dead or abandoned
    }
    long[] received = {0};
    req.handler(envelope -> {
      if (onEnvelope(from, req, envelope)) {
        received[0]++;
      }
    });
    req.invalidMessageHandler(e -> refuse(req, from, GrpcStatus.INVALID_ARGUMENT, e.toString()));
    req.exceptionHandler(t -> streams.remove(from, req));
    req.endHandler(v -> {
      if (streams.remove(from, req)) { // else already answered (refused or superseded)
        req.response().end(StreamSummary.newBuilder().setReceived(received[0]).build());
      }
    });
    // Answer at once: the sender counts the call as open only once it sees these headers.
    req.response().writeHead();
    inbound.peerCalled(from);
    inbound.peerAdvertised(from, req.headers().get(PeerIdentity.FROM_PEER_ADDRESS),
        req.headers().get(PeerIdentity.FROM_CLIENT_ADDRESS));
  }

  /** Checks and delivers one envelope; returns true if a message was delivered. */
  private boolean onEnvelope(
      String from, GrpcServerRequest<PeerEnvelope, StreamSummary> req, PeerEnvelope envelope) {
    if (streams.get(from) != req) {
      return false; // a refused or replaced call: nothing more from it
    }
    if (!from.equals(envelope.getFrom()) || !config.nodeId().equals(envelope.getTo())) {
      refuse(req, from, GrpcStatus.PERMISSION_DENIED, "envelope from " + envelope.getFrom()
          + " to " + envelope.getTo() + " on a call from " + from);
      return false;
    }
    Message message;
    try {
      message = MessageMapper.fromProto(envelope);
    } catch (IllegalArgumentException e) {
      refuse(req, from, GrpcStatus.INVALID_ARGUMENT, e.getMessage());
      return false;
    }
    if (message == null) {
      return false; // the opener, a no-op
    }
    stats.received++;
    inbound.deliver(message);
    return true;
  }

  private void refuse(GrpcServerRequest<PeerEnvelope, StreamSummary> req, String from,
      GrpcStatus status, String reason) {
    stats.rejected++;
    streams.remove(from, req);
    LOG.warning(() -> "refused Messages call from " + from + ": " + reason);
    try {
      req.response().status(status).statusMessage(reason).end();
    } catch (RuntimeException e) {
      LOG.log(Level.FINE, "call from " + from + " already ended", e);
    }
  }

  // ---------------------------------------------------------------- InstallSnapshot

  private void onSnapshotCall(GrpcServerRequest<SnapshotChunk, SnapshotReply> req) {
    String from = admit(req);
    if (from == null) {
      return;
    }
    GrpcServerRequest<SnapshotChunk, SnapshotReply> previous = snapshots.put(from, req);
    if (previous != null) {
      previous.response().cancel(); // superseded: the sender only cares about its newest one
    }
    SnapshotAssembler assembler =
        new SnapshotAssembler(from, config.nodeId(), config.maxSnapshotBytes());
    req.handler(chunk -> {
      if (snapshots.get(from) == req) {
        String refusal = assembler.accept(chunk);
        if (refusal != null) {
          replySnapshot(req, from, false, refusal);
        }
      }
    });
    req.invalidMessageHandler(e -> replySnapshot(req, from, false, e.toString()));
    req.exceptionHandler(t -> snapshots.remove(from, req));
    req.endHandler(v -> completeSnapshot(req, from, assembler));
  }

  private void completeSnapshot(GrpcServerRequest<SnapshotChunk, SnapshotReply> req, String from,
      SnapshotAssembler assembler) {
    if (snapshots.get(from) != req) {
      return;
    }
    Message.InstallSnapshot message;
    try {
      message = assembler.result();
    } catch (IllegalArgumentException e) {
      replySnapshot(req, from, false, e.getMessage());
      return;
    }
    stats.received++;
    stats.snapshotsReceived++;
    inbound.deliver(message);
    replySnapshot(req, from, true, "");
  }

  private void replySnapshot(GrpcServerRequest<SnapshotChunk, SnapshotReply> req, String from,
      boolean accepted, String reason) {
    snapshots.remove(from, req);
    if (!accepted) {
      stats.rejected++;
      LOG.warning(() -> "refused snapshot from " + from + ": " + reason);
    }
    req.response().end(SnapshotReply.newBuilder().setAccepted(accepted).setReason(reason).build());
  }

  // ---------------------------------------------------------------- identity

  /** The caller's node id if it may call us; otherwise refuses the call and returns null. */
  private String admit(GrpcServerRequest<?, ?> req) {
    if (closing) {
      req.response().status(GrpcStatus.UNAVAILABLE).statusMessage("node is closing").end();
      return null;
    }
    String claimed = PeerIdentity.refusal(req.headers(), config.nodeId(), inbound::isPeer);
    // The sender names itself in a header; over mutual TLS its certificate must say the same.
    String refusal = claimed != null ? claimed
        : MemberNames.refusal(req.connection(), req.headers().get(PeerIdentity.FROM));
    if (refusal == null) {
      return req.headers().get(PeerIdentity.FROM);
    }
    stats.rejected++;
    LOG.warning(() -> "refused peer call " + req.fullMethodName() + ": " + refusal);
    req.response().status(GrpcStatus.PERMISSION_DENIED).statusMessage(refusal).end();
    return null;
  }

  private static void endQuietly(GrpcServerRequest<PeerEnvelope, StreamSummary> req) {
    try {
      req.response().status(GrpcStatus.CANCELLED).statusMessage("superseded or closing").end();
    } catch (RuntimeException e) {
      LOG.log(Level.FINE, "ending a peer call", e);
    }
  }
}
