package io.raftlock.cli;

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
import io.vertx.grpc.common.ServiceMethod;
import java.util.Locale;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.ParameterException;
import picocli.CommandLine.Parameters;
import picocli.CommandLine.ParentCommand;
import picocli.CommandLine.Spec;

/**
 * {@code members list|add-learner|promote|remove} and {@code transfer-leader}: the Admin service
 * from the command line. Changes go to the leader (a follower's NOT_LEADER answer names it) and
 * are retried while the cluster is unavailable, until {@code --timeout}.
 */
@Command(name = "members",
    header = "list or change the membership: members list|add-learner|promote|remove",
    customSynopsis = {
        "raftlock members list",
        "       raftlock members add-learner ID --peer H:P --client H:P",
        "       raftlock members promote ID [--min-index N] [--force]",
        "       raftlock members remove ID [--transfer-first]"},
    description = {
        "Shows or changes the cluster's membership, one server at a time. A change returns once it committed. A new "
            + "server is added as a learner (it receives the log, does not vote), then promoted to voter once caught up.",
        "Exit 1 when the change is refused (already a member, not a member, the last voter, ...)."},
    subcommands = {MembersCommand.ListMembers.class, MembersCommand.AddLearner.class, MembersCommand.Promote.class,
        MembersCommand.Remove.class})
final class MembersCommand implements Callable<Integer> {
  @Spec CommandSpec spec;
  /** Inherited by the actions: given before or after the action, it lands here. */
  @Mixin CommonOptions common;

  @Override
  public Integer call() {
    throw new ParameterException(spec.commandLine(), "missing ACTION (list, add-learner, promote or remove)");
  }

  /** One action of the group; its common options are the group's. */
  abstract static class Action extends CliCommand {
    @ParentCommand MembersCommand members;

    @Override
    final CommonOptions common() {
      return members.common;
    }
  }

  @Command(name = "list",
      header = "members with role, addresses and match index",
      description = "Members with role, addresses, and (from the leader) match index.")
  static final class ListMembers extends Action {
    @Override
    int run(CliContext c) {
      return AdminClient.withAdmin(c, admin -> AdminClient.onLeader(c, admin, AdminGrpcClient.ListMembers,
          ListMembersRequest.getDefaultInstance()), r -> {
            StringBuilder human = new StringBuilder();
            human.append(String.format("%-16s %-8s %-22s %-22s %s%n", "ID", "ROLE", "PEER", "CLIENT", "MATCH"));
            for (Member m : r.getMembersList()) {
              human.append(String.format("%-16s %-8s %-22s %-22s %s%n", m.getId() + (m.getLeader() ? " *" : ""),
                  m.getRole(), m.getPeerAddress(), m.getClientAddress(), m.getMatchIndex() > 0 ? m.getMatchIndex() : ""));
            }
            human.append("(* leader; answered by ").append(r.getNodeId()).append(", commit index ")
                .append(r.getCommitIndex()).append(')');
            c.print(() -> Output.protoJson(r), human.toString());
            return Cli.OK;
          });
    }
  }

  @Command(name = "add-learner",
      header = "add a server as a learner: add-learner ID --peer H:P --client H:P",
      description = "Adds server ID as a learner.")
  static final class AddLearner extends Action {
    @Parameters(index = "0", paramLabel = "ID",
      description = "the new server's id")
    String id;

    @Option(names = "--peer", paramLabel = "H:P",
      description = "its Raft peer address (required)")
    String peer;

    @Option(names = "--client", paramLabel = "H:P",
      description = "its client API address (required)")
    String client;

    @Override
    int run(CliContext c) {
      AddLearnerRequest request = AddLearnerRequest.newBuilder().setId(id).setPeerAddress(required("--peer", peer))
          .setClientAddress(required("--client", client)).build();
      return change(c, "add-learner", AdminGrpcClient.AddLearner, request, id + " added as a learner");
    }
  }

  @Command(name = "promote",
      header = "promote a caught-up learner to voter",
      description = "Promotes learner ID to voter once it has caught up.")
  static final class Promote extends Action {
    @Parameters(index = "0", paramLabel = "ID",
      description = "the learner")
    String id;

    @Option(names = "--min-index", paramLabel = "N",
        description = "the learner must have replicated up to index N (default: the leader's commit index now)")
    Long minIndex;

    @Option(names = "--force",
      description = "promote even if N is 0 (it may stall commits while it catches up)")
    boolean force;

    @Override
    int run(CliContext c) {
      if (minIndex != null) {
        inRange("--min-index", minIndex, 0, Long.MAX_VALUE);
      }
      return AdminClient.withAdmin(c, admin -> {
        long min = minIndex != null ? minIndex : force ? 0 : leaderCommitIndex(c, admin);
        return AdminClient.onLeader(c, admin, AdminGrpcClient.PromoteLearner, PromoteLearnerRequest.newBuilder()
            .setId(id).setMinIndex(min).setForce(force).build());
      }, r -> membersDoc(c, "promote", r, id + " promoted to voter"));
    }
  }

  @Command(name = "remove",
      header = "remove a voter or a learner",
      description = "Removes a voter or a learner; removing the leader hands over once the "
      + "removal commits (an election).")
  static final class Remove extends Action {
    @Parameters(index = "0", paramLabel = "ID",
      description = "the server")
    String id;

    @Option(names = "--transfer-first",
      description = "the leader hands over first, then is removed as a follower")
    boolean transferFirst;

    @Override
    int run(CliContext c) {
      return change(c, "remove", AdminGrpcClient.RemoveServer, RemoveServerRequest.newBuilder().setId(id)
          .setTransferFirst(transferFirst).build(), id + " removed");
    }
  }

  @Command(name = "transfer-leader",
      header = "hand leadership to a voter: transfer-leader [ID]",
      customSynopsis = "raftlock transfer-leader [ID]",
      description = "Hands leadership to voter ID, or to the most caught-up voter, and prints the new leader.")
  static final class TransferLeader extends CliCommand.WithCommonOptions {
    @Parameters(index = "0", arity = "0..1", paramLabel = "ID",
      description = "the voter to lead (default: the most caught-up)")
    String target = "";

    @Override
    int run(CliContext c) {
      return AdminClient.withAdmin(c, admin -> AdminClient.onLeader(c, admin, AdminGrpcClient.TransferLeadership,
          TransferLeadershipRequest.newBuilder().setId(target).build()), (TransferLeadershipResponse r) -> {
            c.print(() -> Output.protoJson(r), "leader is now " + r.getLeaderId()
                + (r.getLeaderAddress().isEmpty() ? "" : " (" + r.getLeaderAddress() + ")"));
            return Cli.OK;
          });
    }
  }

  private static <Q> int change(CliContext c, String what, ServiceMethod<MembershipResponse, Q> method, Q request,
      String done) {
    return AdminClient.withAdmin(c, admin -> AdminClient.onLeader(c, admin, method, request),
        r -> membersDoc(c, what, r, done));
  }

  private static int membersDoc(CliContext c, String what, MembershipResponse r, String done) {
    StringBuilder human = new StringBuilder(done).append("; members:");
    r.getMembersList().forEach(m -> human.append(' ').append(m.getId()).append('(')
        .append(m.getRole().toLowerCase(Locale.ROOT)).append(')'));
    c.print(() -> Output.protoJson(r).put("action", what), human.toString());
    return Cli.OK;
  }

  private static long leaderCommitIndex(CliContext c, AdminCalls admin) {
    ListMembersResponse r = AdminClient.onLeader(c, admin, AdminGrpcClient.ListMembers,
        ListMembersRequest.getDefaultInstance());
    if (!r.getLeaderAddress().isEmpty() && !r.getLeaderId().equals(r.getNodeId())) {
      r = admin.onLeader(r.getLeaderAddress(), AdminGrpcClient.ListMembers,
          ListMembersRequest.getDefaultInstance(), c.timeout.toMillis()).await();
    }
    return r.getCommitIndex();
  }

  private static String required(String option, String value) {
    if (value == null || value.isEmpty()) {
      throw new UsageException(option + " H:P is required");
    }
    return value;
  }
}
