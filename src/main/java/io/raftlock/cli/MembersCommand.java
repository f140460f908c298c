package io.raftlock.cli;

import com.fasterxml.jackson.databind.node.ObjectNode;
import io.raftlock.api.AdminCalls;
import io.raftlock.proto.admin.AddLearnerRequest;
import io.raftlock.proto.admin.AdminGrpcClient;
import io.raftlock.proto.admin.ListMembersRequest;
import io.raftlock.proto.admin.ListMembersResponse;
import io.raftlock.proto.admin.Member;
import io.raftlock.proto.admin.MembershipResponse;
import io.raftlock.proto.admin.PromoteLearnerRequest;
import io.raftlock.proto.admin.RemoveServerRequest;
import io.raftlock.proto.admin.TransferLeadershipRequest;
import io.raftlock.proto.admin.TransferLeadershipResponse;
import io.vertx.core.Vertx;
import io.vertx.grpc.client.GrpcClient;
import io.vertx.grpc.common.GrpcStatus;
import io.vertx.grpc.common.ServiceMethod;
import java.util.List;

/**
 * {@code members list|add-learner|promote|remove} and {@code transfer-leader}: the Admin service
 * from the command line. Changes go to the leader (a follower's NOT_LEADER answer names it) and
 * are retried while the cluster is unavailable, until {@code --timeout}.
 */
final class MembersCommand {
  static final String MEMBERS_USAGE = """
      usage: raftlock members list
             raftlock members add-learner ID --peer H:P --client H:P
             raftlock members promote ID [--min-index N] [--force]
             raftlock members remove ID [--transfer-first]
      Shows or changes the cluster's membership, one server at a time. A change returns once it
      committed. A new server is added as a learner (it receives the log, does not vote), then
      promoted to voter once caught up.
        list                   members with role, addresses, and (from the leader) match index
        add-learner ID         --peer: its Raft peer address; --client: its client API address
        promote ID             --min-index N: the learner must have replicated up to index N
                               (default: the leader's commit index now); --force: promote even if
                               N is 0 (it may stall commits while it catches up)
        remove ID              removes a voter or a learner; removing the leader hands over
                               once the removal commits (an election); --transfer-first: the
                               leader hands over first, then is removed as a follower
      Exit 1 when the change is refused (already a member, not a member, the last voter, ...).
      """;

  static final String TRANSFER_USAGE = """
      usage: raftlock transfer-leader [ID]
      Hands leadership to voter ID, or to the most caught-up voter, and prints the new leader.
      """;

  private MembersCommand() {}

  static int members(Cli.Context c) {
    List<String> pos = c.args.allPositionals();
    if (pos.isEmpty()) {
      throw new UsageException("missing ACTION (list, add-learner, promote or remove)");
    }
    String action = pos.get(0);
    return switch (action) {
      case "list" -> {
        c.args.positionals("ACTION");
        yield list(c);
      }
      case "add-learner" -> {
        String id = c.args.positionals("ACTION", "ID").get(1);
        String peer = required(c, "peer");
        String client = required(c, "client");
        yield change(c, "add-learner", AdminGrpcClient.AddLearner, AddLearnerRequest.newBuilder().setId(id)
            .setPeerAddress(peer).setClientAddress(client).build(), id + " added as a learner");
      }
      case "promote" -> {
        String id = c.args.positionals("ACTION", "ID").get(1);
        boolean force = c.args.flag("force");
        long minIndex = c.args.longValue("min-index", -1, 0, Long.MAX_VALUE);
        yield withAdmin(c, admin -> {
          long min = minIndex >= 0 ? minIndex : force ? 0 : leaderCommitIndex(c, admin);
          return run(c, admin, AdminGrpcClient.PromoteLearner, PromoteLearnerRequest.newBuilder().setId(id)
              .setMinIndex(min).setForce(force).build());
        }, r -> membersDoc(c, "promote", r, id + " promoted to voter"));
      }
      case "remove" -> {
        String id = c.args.positionals("ACTION", "ID").get(1);
        yield change(c, "remove", AdminGrpcClient.RemoveServer, RemoveServerRequest.newBuilder().setId(id)
            .setTransferFirst(c.args.flag("transfer-first")).build(), id + " removed");
      }
      default -> throw new UsageException("unknown ACTION " + action + " (list, add-learner, promote or remove)");
    };
  }

  static int transferLeader(Cli.Context c) {
    List<String> pos = c.args.allPositionals();
    if (pos.size() > 1) {
      throw new UsageException("unexpected argument " + pos.get(1));
    }
    String target = pos.isEmpty() ? "" : pos.get(0);
    return withAdmin(c, admin -> run(c, admin, AdminGrpcClient.TransferLeadership,
        TransferLeadershipRequest.newBuilder().setId(target).build()), (TransferLeadershipResponse r) -> {
          c.print(Cli.protoJson(r), "leader is now " + r.getLeaderId()
              + (r.getLeaderAddress().isEmpty() ? "" : " (" + r.getLeaderAddress() + ")"));
          return Cli.OK;
        });
  }

  // ---------------------------------------------------------------- internals

  private static int list(Cli.Context c) {
    return withAdmin(c, admin -> run(c, admin, AdminGrpcClient.ListMembers, ListMembersRequest.getDefaultInstance()),
        (ListMembersResponse r) -> {
          StringBuilder human = new StringBuilder();
          human.append(String.format("%-16s %-8s %-22s %-22s %s%n", "ID", "ROLE", "PEER", "CLIENT", "MATCH"));
          for (Member m : r.getMembersList()) {
            human.append(String.format("%-16s %-8s %-22s %-22s %s%n", m.getId() + (m.getLeader() ? " *" : ""),
                m.getRole(), m.getPeerAddress(), m.getClientAddress(), m.getMatchIndex() > 0 ? m.getMatchIndex() : ""));
          }
          human.append("(* leader; answered by ").append(r.getNodeId()).append(", commit index ")
              .append(r.getCommitIndex()).append(')');
          c.print(Cli.protoJson(r), human.toString());
          return Cli.OK;
        });
  }

  private static <Q> int change(Cli.Context c, String what, ServiceMethod<MembershipResponse, Q> method, Q request,
      String done) {
    return withAdmin(c, admin -> run(c, admin, method, request), r -> membersDoc(c, what, r, done));
  }

  private static int membersDoc(Cli.Context c, String what, MembershipResponse r, String done) {
    ObjectNode j = Cli.protoJson(r).put("action", what);
    StringBuilder human = new StringBuilder(done).append("; members:");
    r.getMembersList().forEach(m -> human.append(' ').append(m.getId()).append('(')
        .append(m.getRole().toLowerCase(java.util.Locale.ROOT)).append(')'));
    c.print(j, human.toString());
    return Cli.OK;
  }

  private static long leaderCommitIndex(Cli.Context c, AdminCalls admin) {
    ListMembersResponse r = run(c, admin, AdminGrpcClient.ListMembers, ListMembersRequest.getDefaultInstance());
    if (!r.getLeaderAddress().isEmpty() && !r.getLeaderId().equals(r.getNodeId())) {
      r = admin.onLeader(r.getLeaderAddress(), AdminGrpcClient.ListMembers,
          ListMembersRequest.getDefaultInstance(), c.timeout.toMillis()).await();
    }
    return r.getCommitIndex();
  }

  private static String required(Cli.Context c, String option) {
    String v = c.args.value(option);
    if (v == null || v.isEmpty()) {
      throw new UsageException("--" + option + " H:P is required");
    }
    return v;
  }

  /**
   * Tries the endpoints in turn, each for up to a second (following NOT_LEADER, retrying while
   * the cluster is busy), until one answers or {@code --timeout} passes; a refusal ends at once.
   */
  static <Q, R> R run(Cli.Context c, AdminCalls admin, ServiceMethod<R, Q> method, Q request) {
    long deadline = System.nanoTime() + c.timeout.toNanos();
    AdminCalls.Failure last = null;
    do {
      for (String endpoint : c.endpoints) {
        long leftMs = Math.max(1, Math.min(1_000, (deadline - System.nanoTime()) / 1_000_000L));
        try {
          return admin.onLeader(endpoint, method, request, leftMs).await();
        } catch (AdminCalls.Failure f) {
          if (!f.retryable()) {
            throw f;
          }
          last = f; // unreachable or unavailable there: try the next endpoint
        }
      }
    } while (System.nanoTime() < deadline);
    throw last;
  }

  @FunctionalInterface
  interface Call<R> {
    R run(AdminCalls admin);
  }

  @FunctionalInterface
  interface Render<R> {
    int print(R result);
  }

  static <R> int withAdmin(Cli.Context c, Call<R> call, Render<R> render) {
    io.vertx.core.http.HttpClientOptions http = c.http(); // reads TLS files: before Vert.x starts
    Vertx vertx = Vertx.vertx();
    GrpcClient grpc = GrpcClient.client(vertx, new io.vertx.grpc.client.GrpcClientOptions(), http);
    try {
      R result = call.run(new AdminCalls(vertx, grpc, Math.min(c.timeout.toMillis(), 5_000)).withApiKey(c.apiKey));
      return render.print(result);
    } catch (AdminCalls.Failure f) {
      return failure(c, f);
    } finally {
      grpc.close().transform(x -> vertx.close()).await();
    }
  }

  static int exitCodeOf(AdminCalls.Failure f) {
    if (f.status == GrpcStatus.INVALID_ARGUMENT) {
      return Cli.USAGE;
    }
    if (f.status == GrpcStatus.FAILED_PRECONDITION || f.status == GrpcStatus.PERMISSION_DENIED
        || f.status == GrpcStatus.UNAUTHENTICATED) {
      return Cli.REFUSED;
    }
    if (f.retryable()) {
      return Cli.UNAVAILABLE;
    }
    return Cli.INTERNAL;
  }

  static int failure(Cli.Context c, AdminCalls.Failure f) {
    int code = exitCodeOf(f);
    String what = f.refusal != null ? f.refusal : f.status.name();
    if (c.json) {
      ObjectNode j = Cli.JSON.createObjectNode();
      ObjectNode error = j.putObject("error");
      error.put("code", what);
      error.put("message", f.getMessage());
      if (f.field != null) {
        error.put("field", f.field);
      }
      error.put("exitCode", code);
      c.out.println(j);
    } else {
      c.err.println(c.cmd.name() + ": " + (code == Cli.UNAVAILABLE ? "cluster unavailable: " : "")
          + what + (f.field != null ? " (" + f.field + ")" : "") + ": " + f.getMessage());
    }
    return code;
  }

}
