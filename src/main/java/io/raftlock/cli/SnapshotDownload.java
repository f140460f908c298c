package io.raftlock.cli;

import io.raftlock.api.AdminCalls;
import io.raftlock.proto.admin.AdminGrpcClient;
import io.raftlock.proto.admin.SaveSnapshotRequest;
import io.raftlock.proto.admin.SnapshotHeader;
import io.raftlock.proto.admin.SnapshotPiece;
import io.raftlock.raft.ClusterConfig;
import io.raftlock.raft.Snapshot;
import io.raftlock.raft.SnapshotMeta;
import io.vertx.core.Vertx;
import java.io.ByteArrayOutputStream;
import java.util.List;
import java.util.TreeSet;
import java.util.zip.CRC32C;

/**
 * The client half of {@code Admin/SaveSnapshot}: asks the endpoints in turn until one streams a
 * snapshot whose length and CRC32C match its header, retrying unavailable ones (no leader, a
 * barrier that timed out, unreachable) until {@code --timeout}; a refusal (permission) ends at
 * once. Runs on the command's own thread; the pieces arrive on the client's event loop.
 */
final class SnapshotDownload {
  /** A transfer under way may run past --timeout, up to this long. */
  private static final long MIN_TRANSFER_MS = 300_000;

  /** What a node sent: its header and the verified state-machine bytes. */
  record Received(SnapshotHeader header, Snapshot snapshot) {}

  private SnapshotDownload() {}

  static Received fetch(CliContext c, Vertx vertx, AdminCalls admin, List<String> endpoints, boolean stale) {
    long deadline = System.nanoTime() + c.timeout.toNanos();
    SaveSnapshotRequest request = SaveSnapshotRequest.newBuilder().setStale(stale).build();
    AdminCalls.Failure last = null;
    do {
      for (String endpoint : endpoints) {
        try {
          return once(admin, endpoint, request, Math.max(c.timeout.toMillis(), MIN_TRANSFER_MS));
        } catch (AdminCalls.Failure f) {
          if (!f.retryable()) {
            throw f;
          }
          last = f; // unavailable there: the next endpoint, then a new round after a pause
        }
      }
      if (System.nanoTime() < deadline) {
        vertx.timer(Math.max(20, last.retryAfterMs > 0 ? last.retryAfterMs : 200)).await();
      }
    } while (System.nanoTime() < deadline);
    throw last;
  }

  private static Received once(AdminCalls admin, String endpoint, SaveSnapshotRequest request, long timeoutMs) {
    Assembly a = new Assembly();
    admin.stream(endpoint, AdminGrpcClient.SaveSnapshot, request, a::accept, timeoutMs).await();
    return a.finish(endpoint);
  }

  /** The pieces of one stream, put together; confined to the client's event loop until the end. */
  private static final class Assembly {
    private SnapshotHeader header;
    private ByteArrayOutputStream data;
    private final CRC32C crc = new CRC32C();
    private String problem;

    void accept(SnapshotPiece piece) {
      if (problem != null) {
        return;
      }
      if (header == null) {
        if (!piece.hasHeader() || piece.getHeader().getTotalBytes() < 0
            || piece.getHeader().getTotalBytes() > Integer.MAX_VALUE - 64) {
          problem = "the first piece carries no usable header";
          return;
        }
        header = piece.getHeader();
        data = new ByteArrayOutputStream((int) header.getTotalBytes());
      }
      if (data.size() + (long) piece.getData().size() > header.getTotalBytes()) {
        problem = "more bytes than the header's " + header.getTotalBytes();
        return;
      }
      byte[] bytes = piece.getData().toByteArray();
      crc.update(bytes);
      data.writeBytes(bytes);
    }

    Received finish(String endpoint) {
      if (problem == null && header == null) {
        problem = "the stream ended without a header";
      }
      if (problem == null && data.size() != header.getTotalBytes()) {
        problem = "the stream ended after " + data.size() + " of " + header.getTotalBytes() + " bytes";
      }
      if (problem == null && (int) crc.getValue() != header.getCrc32C()) {
        problem = "the bytes' CRC32C is not the header's";
      }
      if (problem != null) {
        throw AdminCalls.Failure.unavailable("the snapshot from " + endpoint + " arrived damaged: " + problem);
      }
      ClusterConfig config = new ClusterConfig(new TreeSet<>(header.getVotersList()),
          new TreeSet<>(header.getLearnersList()));
      return new Received(header, new Snapshot(new SnapshotMeta(header.getIndex(), header.getTerm(), config),
          data.toByteArray()));
    }
  }
}
