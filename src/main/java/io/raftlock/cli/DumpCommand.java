package io.raftlock.cli;

import com.fasterxml.jackson.databind.node.ObjectNode;
import io.raftlock.api.AdminApi;
import io.raftlock.api.AdminCalls;
import io.raftlock.proto.admin.AdminGrpcClient;
import io.raftlock.proto.admin.CommittedEntry;
import io.raftlock.proto.admin.DumpCommittedRequest;
import io.raftlock.proto.admin.DumpCommittedResponse;
import io.vertx.core.Vertx;
import io.vertx.grpc.client.GrpcClient;
import io.vertx.grpc.client.GrpcClientOptions;
import java.io.BufferedWriter;
import java.io.IOException;
import java.io.OutputStreamWriter;
import java.io.UncheckedIOException;
import java.io.Writer;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.util.Base64;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;

/**
 * {@code dump}: one node's committed log as JSON Lines, for checkers and audits. Line 1 is the
 * header (node, firstIndex, commitIndex, appliedIndex, stateHash), read by the node together on
 * its Raft context; then one line per committed entry from {@code max(--from, firstIndex)} to the
 * header's commitIndex, ascending. The pages after the first ask for entries up to that same
 * commitIndex, so the lines always match the header.
 */
@Command(name = "dump",
    header = "one node's committed log as JSON Lines: dump --endpoint H:P [--from N] [--out FILE]",
    customSynopsis = "raftlock dump --endpoint H:P [--from N] [--out FILE] [--page-entries N] [--json]",
    description = {
        "Writes the committed log of the node at H:P (its client API address) as JSON Lines:",
        "  {\"node\":\"node-1\",\"firstIndex\":1,\"commitIndex\":812,\"appliedIndex\":812,\"stateHash\":\"3f2a...\"}",
        "  {\"index\":5,\"term\":2,\"type\":\"NORMAL\",\"data\":\"<base64 of the entry payload>\"}",
        "The header's values are read together on the node; stateHash is the lock state machine's hash at "
            + "appliedIndex (16 hex digits). Entries run from max(--from, firstIndex) to commitIndex; NORMAL entries' "
            + "data is an encoded lock command. With --json, errors and the --out summary are JSON too (the dump "
            + "itself is always JSON Lines).",
        "Exit 3 when the node cannot be reached or its log changed under the dump (a restart or a compaction "
            + "between pages): dump again."})
final class DumpCommand extends CliCommand.WithCommonOptions {
  /** Room above the largest page (DUMP_MAX_BYTES) for the header and per-entry framing. */
  private static final int MAX_MESSAGE_BYTES = AdminApi.DUMP_MAX_BYTES * 2;

  @Option(names = "--endpoint", paramLabel = "H:P", description = "the node to dump (default: the only one of --endpoints)")
  String endpoint;

  @Option(names = "--from", paramLabel = "N", description = "first index wanted (default 1)")
  long from = 1;

  @Option(names = "--out", paramLabel = "FILE",
      description = "write to FILE (replaced only once the dump is complete) instead of stdout")
  Path file;

  @Option(names = "--page-entries", paramLabel = "N", description = "entries per call, 1..10000 (default 10000)")
  int pageEntries = AdminApi.DUMP_MAX_ENTRIES;

  @Override
  int run(CliContext c) {
    String node = endpoint;
    if (node == null) {
      if (c.endpoints.size() != 1) {
        throw new UsageException("--endpoint H:P is required (a dump is of one node)");
      }
      node = c.endpoints.get(0);
    }
    CliContext.checkEndpoint(node);
    inRange("--from", from, 0, Long.MAX_VALUE);
    inRange("--page-entries", pageEntries, 1, AdminApi.DUMP_MAX_ENTRIES);
    Path partial = file == null ? null : file.resolveSibling(file.getFileName() + ".partial");

    io.vertx.core.http.HttpClientOptions http = c.http(); // reads TLS files: before Vert.x starts
    Vertx vertx = Vertx.vertx();
    GrpcClient grpc = GrpcClient.client(vertx, new GrpcClientOptions().setMaxMessageSize(MAX_MESSAGE_BYTES), http);
    AdminCalls admin = new AdminCalls(vertx, grpc, Math.min(c.timeout.toMillis(), 10_000)).withApiKey(c.apiKey);
    try (Writer w = file == null
        ? new BufferedWriter(new OutputStreamWriter(new NonClosing(c.out), StandardCharsets.UTF_8))
        : Files.newBufferedWriter(partial, StandardCharsets.UTF_8)) {
      Summary s = write(c, vertx, admin, node, w);
      w.flush();
      if (file != null) {
        w.close();
        Files.move(partial, file, StandardCopyOption.REPLACE_EXISTING, StandardCopyOption.ATOMIC_MOVE);
        c.print(() -> Output.object().put("node", s.node).put("entries", s.entries)
            .put("commitIndex", s.commitIndex).put("out", file.toString()), "dumped " + s.entries
            + " committed entries of " + s.node + " (commit index " + s.commitIndex + ") to " + file);
      }
      return Cli.OK;
    } catch (AdminCalls.Failure f) {
      return AdminClient.failure(c, f);
    } catch (IOException | UncheckedIOException e) {
      c.err.println("dump: cannot write " + (file == null ? "stdout" : file) + ": " + e.getMessage());
      return Cli.INTERNAL;
    } finally {
      if (partial != null) {
        try {
          Files.deleteIfExists(partial);
        } catch (IOException ignored) {
          // best effort: the complete file, if any, is already in place
        }
      }
      grpc.close().transform(x -> vertx.close()).await();
    }
  }

  private record Summary(String node, long commitIndex, long entries) {}

  private Summary write(CliContext c, Vertx vertx, AdminCalls admin, String endpoint, Writer w)
      throws IOException {
    DumpCommittedResponse first = call(c, vertx, admin, endpoint, DumpCommittedRequest.newBuilder()
        .setFrom(from).setMaxEntries(pageEntries).build());
    ObjectNode header = Output.object()
        .put("node", first.getNodeId())
        .put("firstIndex", first.getFirstIndex())
        .put("commitIndex", first.getCommitIndex())
        .put("appliedIndex", first.getAppliedIndex())
        .put("stateHash", first.getStateHash());
    w.write(header.toString());
    w.write('\n');
    long end = first.getCommitIndex();
    long expected = Math.max(from, first.getFirstIndex());
    long written = 0;
    DumpCommittedResponse page = first;
    while (true) {
      for (CommittedEntry e : page.getEntriesList()) {
        if (e.getIndex() != expected) {
          throw changed(endpoint, "expected index " + expected + ", got " + e.getIndex());
        }
        ObjectNode line = Output.object()
            .put("index", e.getIndex())
            .put("term", e.getTerm())
            .put("type", e.getType())
            .put("data", Base64.getEncoder().encodeToString(e.getData().toByteArray()));
        w.write(line.toString());
        w.write('\n');
        expected++;
        written++;
      }
      if (expected > end) {
        return new Summary(first.getNodeId(), end, written);
      }
      if (page.getNextFrom() != expected) {
        // The node ended the page short of the header's commit index: it restarted with a lower
        // commit index, or compacted the entries away.
        throw changed(endpoint, "the page ended at " + (expected - 1) + " of " + end);
      }
      page = call(c, vertx, admin, endpoint, DumpCommittedRequest.newBuilder()
          .setFrom(expected).setTo(end).setMaxEntries(pageEntries).build());
    }
  }

  private static AdminCalls.Failure changed(String endpoint, String detail) {
    return AdminCalls.Failure.unavailable("the log of " + endpoint
        + " changed during the dump (a restart or a compaction): " + detail + "; dump again");
  }

  /** One page, retried on retryable failures (the node restarting, busy) until --timeout. */
  private static DumpCommittedResponse call(CliContext c, Vertx vertx, AdminCalls admin, String endpoint,
      DumpCommittedRequest request) {
    long deadline = System.nanoTime() + c.timeout.toNanos();
    while (true) {
      try {
        return admin.call(endpoint, AdminGrpcClient.DumpCommitted, request).await();
      } catch (AdminCalls.Failure f) {
        if (!f.retryable() || System.nanoTime() > deadline) {
          throw f;
        }
        long delayMs = Math.max(20, f.retryAfterMs > 0 ? f.retryAfterMs : 100);
        vertx.timer(delayMs).await(); // the command's own thread, not an event loop
      }
    }
  }

  /** Stdout stays open after the dump: closing the writer flushes it only. */
  private static final class NonClosing extends java.io.FilterOutputStream {
    NonClosing(java.io.OutputStream out) {
      super(out);
    }

    @Override
    public void write(byte[] b, int off, int len) throws IOException {
      out.write(b, off, len);
    }

    @Override
    public void close() throws IOException {
      flush();
    }
  }
}
