package io.raftlock.transport;

import io.raftlock.proto.peer.PeerEnvelope;
import io.raftlock.proto.peer.RaftPeerGrpcClient;
import io.raftlock.proto.peer.SnapshotChunk;
import io.raftlock.proto.peer.SnapshotReply;
import io.raftlock.raft.Message;
import io.vertx.core.AsyncResult;
import io.vertx.core.net.SocketAddress;
import io.vertx.grpc.client.GrpcClient;
import io.vertx.grpc.client.GrpcClientRequest;
import java.util.concurrent.TimeUnit;
import java.util.logging.Logger;

/**
 * Sends one snapshot to one peer as a chunked InstallSnapshot call, apart from the Messages call
 * so heartbeats keep flowing meanwhile. Chunks are written only while HTTP/2 flow control accepts
 * them (the rest wait for the drain handler), so a multi-GB snapshot never sits in memory twice;
 * chunk data wraps the snapshot's bytes without copying (snapshots are immutable by contract).
 *
 * <p>The outcome is reported exactly once through {@code done}: true when the receiver confirmed
 * it reassembled and delivered the snapshot; false on refusal, deadline or lost connection. A
 * {@link #cancel}led sender reports nothing.
 *
 * <p>Threading: confined to the transport's context, like the call it drives.
 */
final class SnapshotSender {
  /** Receives the outcome of one sender, exactly once. */
  interface Outcome {
    void finished(SnapshotSender sender, String peer, boolean delivered);
  }

  private static final Logger LOG = Logger.getLogger(SnapshotSender.class.getName());

  private final Message.InstallSnapshot message;
  private final SocketAddress address;
  private final PeerTransportConfig config;
  private final Outcome done;

  // --- confined to the transport's context ---
  private GrpcClientRequest<SnapshotChunk, SnapshotReply> call;
  private int offset;
  private boolean ended;
  private boolean finished;

  SnapshotSender(Message.InstallSnapshot message, SocketAddress address,
      PeerTransportConfig config, Outcome done) {
    this.message = message;
    this.address = address;
    this.config = config;
    this.done = done;
  }

  void start(GrpcClient client) {
    MemberCalls.open(client, address, RaftPeerGrpcClient.InstallSnapshot, message.to()).onComplete(this::onCall);
  }

  /** Abandons the call without reporting (a newer snapshot for the same peer replaces it). */
  void cancel() {
    if (!finished) {
      finished = true;
      cancelCall();
    }
  }

  private void cancelCall() {
    if (call != null) {
      try {
        call.cancel();
      } catch (RuntimeException e) {
        LOG.fine(() -> "cancelling snapshot call: " + e);
      }
    }
  }

  private void onCall(AsyncResult<GrpcClientRequest<SnapshotChunk, SnapshotReply>> ar) {
    if (finished) {
      if (ar.succeeded()) {
        ar.result().cancel();
      }
      return;
    }
    if (ar.failed()) {
      finish(false, ar.cause().toString());
      return;
    }
    call = ar.result();
    PeerIdentity.stamp(call.headers(), message.from(), message.to());
    call.timeout(config.snapshotDeadlineMs(), TimeUnit.MILLISECONDS);
    call.exceptionHandler(t -> finish(false, t.toString()));
    call.drainHandler(v -> pump());
    call.response()
        .compose(response -> response.last())
        .onComplete(reply -> {
          if (reply.succeeded()) {
            finish(reply.result().getAccepted(), reply.result().getReason());
          } else {
            finish(false, reply.cause().toString());
          }
        });
    PeerEnvelope header = MessageMapper.toProto(message);
    call.write(chunk(SnapshotChunk.newBuilder().setHeader(header)));
    pump();
  }

  /** Writes chunks while flow control allows; ends the call after the last one. */
  private void pump() {
    byte[] data = message.snapshot().data();
    while (!finished && !ended && offset < data.length && !call.writeQueueFull()) {
      call.write(chunk(SnapshotChunk.newBuilder()));
    }
    if (!finished && !ended && offset == data.length) {
      ended = true; // the outcome arrives with the receiver's reply
      call.end();
    }
  }

  private SnapshotChunk chunk(SnapshotChunk.Builder b) {
    byte[] data = message.snapshot().data();
    int length = Math.min(config.snapshotChunkBytes(), Math.max(0, data.length - offset));
    SnapshotChunk c = b.setOffset(offset).setData(MessageMapper.wrap(data, offset, length)).build();
    offset += length;
    return c;
  }

  private void finish(boolean delivered, String reason) {
    if (finished) {
      return;
    }
    finished = true;
    if (!delivered) {
      LOG.info(() -> "snapshot " + message.snapshot().index() + " to " + message.to()
          + " failed: " + reason);
      cancelCall();
    }
    done.finished(this, message.to(), delivered);
  }
}
