package io.raftlock.cli;

import io.raftlock.proto.auth.AuthChangeRequest;
import io.raftlock.proto.auth.AuthGrpcClient;
import io.raftlock.proto.auth.AuthStatusRequest;
import io.raftlock.proto.auth.AuthStatusResponse;
import io.raftlock.proto.auth.CreateKeyRequest;
import io.raftlock.proto.auth.DisableAuthRequest;
import io.raftlock.proto.auth.EnableAuthRequest;
import io.raftlock.proto.auth.KeyInfo;
import io.raftlock.proto.auth.NewKeyResponse;
import io.raftlock.proto.auth.Principal;
import io.raftlock.proto.auth.Role;
import io.vertx.grpc.common.ServiceMethod;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.ParameterException;
import picocli.CommandLine.ParentCommand;
import picocli.CommandLine.Spec;

/**
 * {@code raftlock auth ...}: the {@code raftlock.v1.Auth} service from the command line. Calls go
 * to the leader like the membership commands ({@link MembersCommand}), with {@code --api-key}.
 * New keys are printed once, on stdout, and nowhere else. The {@code key}, {@code role} and
 * {@code principal} groups are in {@link AuthGroups}.
 */
@Command(name = "auth",
    header = "API keys, roles and principals: auth enable|disable|status|key|role|principal",
    customSynopsis = {
        "raftlock auth enable [--principal NAME]",
        "       raftlock auth disable | status",
        "       raftlock auth key create PRINCIPAL | key revoke KEY_ID | key list",
        "       raftlock auth role create|delete ROLE | role list",
        "       raftlock auth role grant|revoke ROLE PERMISSION PREFIX [--deny]",
        "       raftlock auth principal create|delete NAME | principal list",
        "       raftlock auth principal assign|unassign NAME ROLE"},
    description = {
        "API keys, roles and principals, committed through Raft (docs/security.md). Once auth is enabled every "
            + "change needs an admin key (--api-key or $RAFTLOCK_API_KEY).",
        "Exit 1 when a change is refused (already exists, does not exist, not permitted)."},
    subcommands = {AuthCommand.Enable.class, AuthCommand.Disable.class, AuthCommand.Status.class,
        AuthGroups.Keys.class, AuthGroups.Roles.class, AuthGroups.Principals.class})
final class AuthCommand implements Callable<Integer> {
  @Spec CommandSpec spec;
  /** Inherited by the actions and the groups' actions: given before or after them, it lands here. */
  @Mixin CommonOptions common;

  @Override
  public Integer call() {
    throw new ParameterException(spec.commandLine(),
        "missing ACTION (enable, disable, status, key, role or principal)");
  }

  /** One action of {@code auth} itself; its common options are the group's. */
  abstract static class Action extends CliCommand {
    @ParentCommand AuthCommand auth;

    @Override
    final CommonOptions common() {
      return auth.common;
    }
  }

  @Command(name = "enable",
      header = "turn auth on and print the first admin key once",
      description = "Turns auth on and prints the first admin key (of principal --principal) once; only over TLS "
          + "(--ca) or from the node's own host.")
  static final class Enable extends Action {
    @Option(names = "--principal", paramLabel = "NAME", description = "the admin key's principal (default: admin)")
    String principal = "";

    @Override
    int run(CliContext c) {
      return AdminClient.withAdmin(c, admin -> AdminClient.onLeader(c, admin, AuthGrpcClient.Enable,
          EnableAuthRequest.newBuilder().setPrincipal(principal).build()), r -> printKey(c, r));
    }
  }

  @Command(name = "disable",
      header = "turn auth off (keys, roles and principals are kept)",
      description = "Turns auth off; keys, roles and principals are kept for the next enable.")
  static final class Disable extends Action {
    @Override
    int run(CliContext c) {
      return status(c, AuthGrpcClient.Disable, DisableAuthRequest.getDefaultInstance(), Show.ALL);
    }
  }

  @Command(name = "status",
      header = "whether auth is on, with the roles, principals and keys",
      description = "Whether auth is enabled, and the roles, principals and key ids (never the keys).")
  static final class Status extends Action {
    @Override
    int run(CliContext c) {
      return status(c, AuthGrpcClient.Status, AuthStatusRequest.getDefaultInstance(), Show.ALL);
    }
  }

  /** Which parts of the auth state a command prints as text ({@code --json} prints all). */
  enum Show { ALL, KEYS, ROLES, PRINCIPALS }

  /** Sends {@code request} to the leader and prints the auth state it answers with. */
  static <Q> int status(CliContext c, ServiceMethod<AuthStatusResponse, Q> method, Q request, Show show) {
    return AdminClient.withAdmin(c, admin -> AdminClient.onLeader(c, admin, method, request),
        r -> printStatus(c, r, show));
  }

  static int change(CliContext c, AuthChangeRequest request, Show show) {
    return status(c, AuthGrpcClient.Change, request, show);
  }

  static int createKey(CliContext c, String principal) {
    return AdminClient.withAdmin(c, admin -> AdminClient.onLeader(c, admin, AuthGrpcClient.CreateKey,
        CreateKeyRequest.newBuilder().setPrincipal(principal).build()), r -> printKey(c, r));
  }

  private static int printKey(CliContext c, NewKeyResponse r) {
    c.print(() -> Output.protoJson(r), "API key " + r.getKeyId() + " of principal " + r.getPrincipal()
        + " (shown once; store it now, e.g. in RAFTLOCK_API_KEY):\n" + r.getKey());
    return Cli.OK;
  }

  private static int printStatus(CliContext c, AuthStatusResponse r, Show show) {
    StringBuilder h = new StringBuilder("auth is ").append(r.getEnabled() ? "enabled" : "disabled")
        .append(" (as of index ").append(r.getAppliedIndex()).append(')');
    if (show == Show.ALL || show == Show.ROLES) {
      h.append("\nroles:");
      for (Role role : r.getRolesList()) {
        h.append("\n  ").append(role.getName()).append(':');
        role.getGrantsList().forEach(g -> h.append(' ').append(g.getDeny() ? "deny " : "").append(g.getPermission())
            .append(" on ").append(g.getPrefix()).append(';'));
      }
    }
    if (show == Show.ALL || show == Show.PRINCIPALS) {
      h.append("\nprincipals:");
      for (Principal p : r.getPrincipalsList()) {
        h.append("\n  ").append(p.getName()).append(": ").append(String.join(", ", p.getRolesList()));
      }
    }
    if (show == Show.ALL || show == Show.KEYS) {
      h.append("\nkeys:");
      for (KeyInfo k : r.getKeysList()) {
        h.append("\n  ").append(k.getKeyId()).append("  ").append(k.getPrincipal());
      }
    }
    c.print(() -> Output.protoJson(r), h.toString());
    return Cli.OK;
  }
}
