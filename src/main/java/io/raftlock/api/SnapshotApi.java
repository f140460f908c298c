package io.raftlock.api;

import com.google.protobuf.UnsafeByteOperations;
import io.raftlock.lock.ErrorCode;
import io.raftlock.lock.Permission;
import io.raftlock.node.ProposalException;
import io.raftlock.node.RaftVerticle;
import io.raftlock.proto.admin.AdminGrpcService;
import io.raftlock.proto.admin.SaveSnapshotRequest;
import io.raftlock.proto.admin.SnapshotHeader;
import io.raftlock.proto.admin.SnapshotPiece;
import io.raftlock.raft.Snapshot;
import io.vertx.core.Future;
import io.vertx.core.Vertx;
import io.vertx.grpc.common.GrpcStatus;
import io.vertx.grpc.server.GrpcServer;
import io.vertx.grpc.server.GrpcServerRequest;
import io.vertx.grpc.server.GrpcServerResponse;
import java.util.logging.Level;
import java.util.logging.Logger;
import java.util.zip.CRC32C;

/**
 * {@code Admin/SaveSnapshot}: the committed state for a backup ({@code raftlock snapshot save}).
 * The node asked first passes a read barrier (ReadIndex: the leader confirmed it still leads,
 * and this node applied that commit index), then takes its state machine at its applied index
 * (built off the Raft event loop like the periodic snapshots), so the copy holds every write
 * acknowledged before the call. Any member answers; {@code stale} skips the barrier (a cluster
 * with no leader).
 *
 * <p>The bytes go out as pieces of at most {@link #PIECE_BYTES}, the header in the first, and
 * the writes follow the stream's back-pressure so a slow reader does not queue the whole copy
 * a second time. Runs on the client API's context: the Raft verticle's answer is brought back to
 * it, and the checksum over the whole copy is computed on a worker.
 */
public final class SnapshotApi {
  private static final Logger LOG = Logger.getLogger(SnapshotApi.class.getName());
  /** Data per piece: well under any gRPC client's default message limit. */
  public static final int PIECE_BYTES = 64 * 1024;

  private final RaftVerticle<?> raft;
  private final long barrierTimeoutMs;
  private final long retryAfterMs;

  /**
   * @param barrierTimeoutMs bound on the read barrier; past it the call fails retryable
   * @param retryAfterMs the retry hint of retryable refusals
   */
  public SnapshotApi(RaftVerticle<?> raft, long barrierTimeoutMs, long retryAfterMs) {
    this.raft = raft;
    this.barrierTimeoutMs = barrierTimeoutMs;
    this.retryAfterMs = retryAfterMs;
  }

  /** Binds SaveSnapshot on {@code server}; the caller needs {@code admin} once auth is on. */
  public GrpcServer bind(GrpcServer server, ApiAuth auth) {
    RequestMessages.serve(server, AdminGrpcService.SaveSnapshot, (req, msg) -> {
      try {
        auth.require(auth.authenticate(req.headers().get(GrpcLockService.AUTHORIZATION)), Permission.ADMIN, "");
      } catch (ApiException e) {
        GrpcLockService.fail(req.response(), e);
        return;
      }
      Vertx vertx = Vertx.currentContext().owner();
      CallerContext.back(save(msg))
          .compose(s -> vertx.executeBlocking(() -> new Checked(s, crc32c(s.data())), false))
          .onComplete(ar -> {
            if (ar.succeeded()) {
              send(req, ar.result(), msg.getStale());
            } else {
              answerFailure(req.response(), toApi(ar.cause()));
            }
          });
    });
    return server;
  }

  /** The barrier (unless stale), then the snapshot at the applied index. */
  Future<Snapshot> save(SaveSnapshotRequest request) {
    if (raft.status() == null) {
      return Future.failedFuture(unavailable("the node is starting"));
    }
    Future<Long> barrier = request.getStale() ? Future.succeededFuture(0L) : raft.readBarrier(barrierTimeoutMs);
    return barrier.compose(index -> raft.currentSnapshot());
  }

  /** A snapshot with the CRC32C of its bytes. */
  private record Checked(Snapshot snapshot, int crc32c) {}

  private static int crc32c(byte[] data) {
    CRC32C crc = new CRC32C();
    crc.update(data);
    return (int) crc.getValue();
  }

  private void send(GrpcServerRequest<?, SnapshotPiece> req, Checked checked, boolean stale) {
    Snapshot s = checked.snapshot();
    SnapshotHeader header = SnapshotHeader.newBuilder()
        .setNodeId(raft.status().nodeId())
        .setIndex(s.index())
        .setTerm(s.term())
        .addAllVoters(s.meta().config().voters())
        .addAllLearners(s.meta().config().learners())
        .setTotalBytes(s.data().length)
        .setCrc32C(checked.crc32c())
        .setLinearizable(!stale)
        .build();
    LOG.info(() -> header.getNodeId() + " streams a snapshot for a backup: index " + s.index() + ", term "
        + s.term() + ", " + s.data().length + " bytes" + (stale ? " (stale: no read barrier)" : ""));
    GrpcServerResponse<?, SnapshotPiece> response = req.response();
    try {
      pump(response, SnapshotPiece.newBuilder().setHeader(header), s.data(), 0);
    } catch (RuntimeException e) {
      LOG.log(Level.FINE, "the snapshot's reader went away", e);
    }
  }

  /** Writes pieces from {@code offset} until the write queue is full, then again on drain. */
  private void pump(GrpcServerResponse<?, SnapshotPiece> response, SnapshotPiece.Builder first, byte[] data,
      int offset) {
    SnapshotPiece.Builder next = first;
    int at = offset;
    do {
      int n = Math.min(PIECE_BYTES, data.length - at);
      // The snapshot's bytes are never written after it was taken: no copy.
      SnapshotPiece.Builder piece = next != null ? next : SnapshotPiece.newBuilder();
      response.write(piece.setData(UnsafeByteOperations.unsafeWrap(data, at, n)).build());
      next = null;
      at += n;
    } while (at < data.length && !response.writeQueueFull());
    if (at < data.length) {
      int resumeAt = at;
      response.drainHandler(v -> {
        try {
          pump(response, null, data, resumeAt);
        } catch (RuntimeException e) {
          LOG.log(Level.FINE, "the snapshot's reader went away", e);
        }
      });
    } else {
      response.end();
    }
  }

  private static void answerFailure(GrpcServerResponse<?, ?> response, ApiException e) {
    try {
      GrpcLockService.fail(response, e);
    } catch (RuntimeException x) {
      LOG.log(Level.FINE, "answering a cancelled call", x);
    }
  }

  /** The barrier's and the verticle's failures as the API's typed errors: all retryable but storage. */
  ApiException toApi(Throwable e) {
    if (e instanceof ApiException a) {
      return a;
    }
    if (e instanceof ProposalException p && p.retryable()) {
      return switch (p.reason()) {
        case NO_LEADER -> new ApiException(ApiMapper.retryable(ErrorCode.NO_LEADER,
            "no leader is known, so the copy cannot be shown current; retry, or save with stale "
                + "if the cluster cannot elect one", retryAfterMs * 1_000_000L), GrpcStatus.UNAVAILABLE);
        case STOPPED -> unavailable("the node is stopping");
        default -> unavailable("the read barrier did not complete (" + p.reason() + "); retry");
      };
    }
    LOG.log(Level.WARNING, "saving a snapshot failed", e);
    return new ApiException(ApiMapper.error(ErrorCode.INTERNAL_ERROR, "internal error"), GrpcStatus.INTERNAL);
  }

  private ApiException unavailable(String message) {
    return new ApiException(ApiMapper.retryable(ErrorCode.UNAVAILABLE, message, retryAfterMs * 1_000_000L),
        GrpcStatus.UNAVAILABLE);
  }
}
