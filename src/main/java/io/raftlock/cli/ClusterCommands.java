package io.raftlock.cli;

import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.raftlock.client.RaftLockClient;
import io.raftlock.proto.api.GetStatusRequest;
import io.raftlock.proto.api.GetStatusResponse;
import io.raftlock.proto.api.HealthRequest;
import io.raftlock.proto.api.HealthResponse;
import io.raftlock.proto.api.HealthStatus;
import java.util.ArrayList;
import java.util.List;
import java.util.function.Supplier;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;

/** The commands that ask every endpoint about itself: {@code status} and {@code health}. */
final class ClusterCommands {
  private ClusterCommands() {}

  @Command(name = "status",
      header = "Raft status of every endpoint",
      customSynopsis = "raftlock status [--details]",
      description = "Asks every endpoint for its Raft status (role, term, leader, indexes) and lock statistics. "
          + "Exit 0 when at least one endpoint answered, 3 when none did.")
  static final class Status extends CliCommand.WithCommonOptions {
    @Option(names = "--details",
      description = "per-peer replication state (from the leader)")
    boolean details;

    @Override
    int run(CliContext c) {
      try (RaftLockClient client = c.client()) {
        List<Supplier<ObjectNode>> docs = new ArrayList<>();
        StringBuilder sb = new StringBuilder();
        int answered = 0;
        for (String e : c.endpoints) {
          try {
            GetStatusResponse s = RaftLockClient.await(client.getStatus(e, GetStatusRequest.newBuilder()
                .setIncludeReplicationDetails(details).build()));
            answered++;
            docs.add(() -> endpoint(e).set("status", Output.protoJson(s)));
            line(sb, e, s);
          } catch (RuntimeException x) {
            docs.add(() -> endpoint(e).put("error", Output.message(x)));
            sb.append(String.format("%-22s unreachable: %s%n", e, Output.message(x)));
          }
        }
        printAll(c, docs, sb);
        return answered > 0 ? Cli.OK : Cli.UNAVAILABLE;
      }
    }

    private static void line(StringBuilder sb, String e, GetStatusResponse s) {
      var rs = s.getRaftStatus();
      sb.append(String.format("%-22s %-8s %-10s term %-4d leader %-8s commit %-7d applied %-7d locks %-5d %s%n", e,
          rs.getNodeId(), rs.getRole(), rs.getTerm(), rs.getLeaderId().isEmpty() ? "-" : rs.getLeaderId(),
          rs.getCommitIndex(), rs.getLastApplied(), s.getLockStats().getActiveLocksCount(), s.getHealth().getStatus()));
      rs.getReplicationMap().forEach((peer, p) -> sb.append(String.format("    %-8s match %-7d next %-7d %s%s%n",
          peer, p.getMatchIndex(), p.getNextIndex(), p.getState(), p.getIsActive() ? "" : " inactive")));
    }
  }

  @Command(name = "health",
      header = "serving status of every endpoint",
      customSynopsis = "raftlock health",
      description = "Asks every endpoint whether it is serving. Exit 0 when every endpoint is SERVING, 3 otherwise.")
  static final class Health extends CliCommand.WithCommonOptions {
    @Override
    int run(CliContext c) {
      try (RaftLockClient client = c.client()) {
        List<Supplier<ObjectNode>> docs = new ArrayList<>();
        StringBuilder sb = new StringBuilder();
        int serving = 0;
        for (String e : c.endpoints) {
          try {
            HealthResponse h = RaftLockClient.await(client.health(e, HealthRequest.getDefaultInstance()));
            docs.add(() -> endpoint(e).put("status", h.getStatus().name()).put("message", h.getMessage()));
            if (h.getStatus() == HealthStatus.ServingStatus.SERVING) {
              serving++;
            }
            sb.append(String.format("%-22s %s%s%n", e, h.getStatus(),
                h.getMessage().isEmpty() ? "" : " (" + h.getMessage() + ")"));
          } catch (RuntimeException x) {
            docs.add(() -> endpoint(e).put("status", "UNREACHABLE").put("message", Output.message(x)));
            sb.append(String.format("%-22s UNREACHABLE (%s)%n", e, Output.message(x)));
          }
        }
        printAll(c, docs, sb);
        return serving == c.endpoints.size() ? Cli.OK : Cli.UNAVAILABLE;
      }
    }
  }

  private static ObjectNode endpoint(String e) {
    return Output.object().put("endpoint", e);
  }

  /** One JSON array of the endpoints' documents, or the table. */
  private static void printAll(CliContext c, List<Supplier<ObjectNode>> docs, StringBuilder table) {
    if (c.json) {
      ArrayNode all = Output.json().createArrayNode();
      docs.forEach(d -> all.add(d.get()));
      c.out.println(all);
    } else {
      c.out.print(table);
    }
  }
}
