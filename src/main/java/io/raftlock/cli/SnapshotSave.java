package io.raftlock.cli;

import com.fasterxml.jackson.databind.node.ObjectNode;
import io.raftlock.api.AdminCalls;
import io.raftlock.api.SnapshotApi;
import io.raftlock.proto.admin.SnapshotHeader;
import io.raftlock.storage.SnapshotFile;
import io.vertx.core.Vertx;
import io.vertx.core.http.HttpClientOptions;
import io.vertx.grpc.client.GrpcClient;
import io.vertx.grpc.client.GrpcClientOptions;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Instant;
import java.util.List;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;

/**
 * {@code snapshot save FILE}: a consistent copy of a running cluster's committed state, written
 * as a {@link SnapshotFile} (replaced only once complete).
 */
@Command(name = "save",
    header = "copy a running cluster's committed state to FILE",
    customSynopsis = "raftlock snapshot save FILE [--endpoint H:P] [--stale]",
    description = {
        "Asks a member (--endpoint, else each of --endpoints in turn) for its state machine at its applied index, "
            + "taken after a read barrier: the copy holds every write acknowledged before the command started, "
            + "whichever member answers. It holds the locks with their holders and fencing tokens, waiters, sessions, "
            + "auth principals, roles and keys, and the voters and learners in force at that index.",
        "FILE gets a JSON header line (format version, index, term, members, the body's length and SHA-256) and "
            + "the snapshot as a node stores it; 'raftlock snapshot status FILE' verifies it. Needs admin when auth "
            + "is on. Exit 3 when no member could give a current copy before --timeout (no leader: see --stale)."})
final class SnapshotSave extends CliCommand.WithCommonOptions {
  @Parameters(index = "0", paramLabel = "FILE", description = "where to write the snapshot")
  Path file;

  @Option(names = "--endpoint", paramLabel = "H:P", description = "the member to ask (default: each of --endpoints)")
  String endpoint;

  @Option(names = "--stale",
      description = "skip the read barrier: the member's applied state, however far behind (for a cluster that "
          + "cannot elect a leader, e.g. after losing a majority)")
  boolean stale;

  @Override
  int run(CliContext c) {
    List<String> targets = endpoint == null ? c.endpoints : List.of(endpoint);
    targets.forEach(CliContext::checkEndpoint);
    Path parent = file.toAbsolutePath().getParent();
    if (parent == null || !Files.isDirectory(parent) || Files.isDirectory(file)) {
      throw new UsageException("FILE must be a file in an existing directory, got " + file);
    }
    HttpClientOptions http = c.http(); // reads TLS files: before Vert.x starts
    Vertx vertx = Vertx.vertx();
    GrpcClient grpc = GrpcClient.client(vertx,
        new GrpcClientOptions().setMaxMessageSize(SnapshotApi.PIECE_BYTES * 2), http);
    // The first piece comes after the barrier and the serialization: more room than a unary call.
    AdminCalls admin = new AdminCalls(vertx, grpc, Math.min(c.timeout.toMillis(), 30_000)).withApiKey(c.apiKey);
    try {
      SnapshotDownload.Received r = SnapshotDownload.fetch(c, vertx, admin, targets, stale);
      SnapshotHeader h = r.header();
      SnapshotFile.Header written = SnapshotFile.write(file, r.snapshot(), h.getNodeId(), h.getLinearizable(),
          Instant.now().toString());
      long size = Files.size(file);
      c.print(() -> json(written, size), "saved the state of " + h.getNodeId() + " at index " + h.getIndex()
          + ", term " + h.getTerm() + " to " + file + ": " + size + " bytes; voters " + h.getVotersList()
          + (h.getLearnersCount() > 0 ? ", learners " + h.getLearnersList() : "")
          + (h.getLinearizable() ? "" : " (stale: taken without a read barrier)"));
      return Cli.OK;
    } catch (AdminCalls.Failure f) {
      return AdminClient.failure(c, f);
    } catch (IOException e) {
      c.err.println(c.command + ": cannot write " + file + ": " + e.getMessage());
      return Cli.INTERNAL;
    } finally {
      grpc.close().transform(x -> vertx.close()).await();
    }
  }

  private ObjectNode json(SnapshotFile.Header h, long size) {
    ObjectNode j = Output.object().put("file", file.toString()).put("node", h.node()).put("index", h.index())
        .put("term", h.term()).put("bytes", size).put("bodySha256", h.bodySha256())
        .put("linearizable", h.linearizable());
    h.voters().forEach(j.putArray("voters")::add);
    h.learners().forEach(j.putArray("learners")::add);
    return j;
  }
}
