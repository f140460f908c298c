package io.raftlock.cli;

import io.raftlock.cli.AuthCommand.Show;
import io.raftlock.proto.auth.AuthChangeRequest;
import io.raftlock.proto.auth.AuthGrpcClient;
import io.raftlock.proto.auth.AuthStatusRequest;
import io.raftlock.proto.auth.Grant;
import io.raftlock.proto.auth.PrincipalRole;
import io.raftlock.proto.auth.RoleGrant;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.ParameterException;
import picocli.CommandLine.Parameters;
import picocli.CommandLine.ParentCommand;
import picocli.CommandLine.Spec;

/**
 * {@code auth key ...}, {@code auth role ...} and {@code auth principal ...}: the command groups
 * under {@link AuthCommand}. Every action reads the common options of {@code auth}, where
 * picocli puts them wherever they are given on the line.
 */
final class AuthGroups {
  private AuthGroups() {}

  /** A group under {@code auth}: refuses to run without an action. */
  abstract static class Group implements Callable<Integer> {
    @Spec CommandSpec spec;
    @ParentCommand AuthCommand auth;

    abstract String actions();

    @Override
    public final Integer call() {
      throw new ParameterException(spec.commandLine(), "missing ACTION (" + actions() + ")");
    }
  }

  /** An action of a group under {@code auth}. */
  abstract static class Action extends CliCommand {
    @ParentCommand Group group;

    @Override
    final CommonOptions common() {
      return group.auth.common;
    }
  }

  /** The permissions a role can be granted (also the completion's candidates). */
  static final class Permissions extends ArrayList<String> {
    Permissions() {
      super(List.of("read", "lock", "release-any", "admin"));
    }
  }

  @Command(name = "key",
      header = "API keys: key create PRINCIPAL | key revoke KEY_ID | key list",
      description = "Creates, revokes and lists API keys.",
      subcommands = {KeyCreate.class, KeyRevoke.class, KeyList.class})
  static final class Keys extends Group {
    @Override
    String actions() {
      return "create, revoke or list";
    }
  }

  @Command(name = "create",
      header = "print a new key of PRINCIPAL once",
      description = "Prints a new key of PRINCIPAL once; only over TLS (--ca) or from the node's own host.")
  static final class KeyCreate extends Action {
    @Parameters(index = "0", paramLabel = "PRINCIPAL", description = "the principal the key acts as")
    String principal;

    @Override
    int run(CliContext c) {
      return AuthCommand.createKey(c, principal);
    }
  }

  @Command(name = "revoke", header = "revoke a key by its id", description = "Revokes the key KEY_ID.")
  static final class KeyRevoke extends Action {
    @Parameters(index = "0", paramLabel = "KEY_ID", description = "the key's public id, as key list prints it")
    String keyId;

    @Override
    int run(CliContext c) {
      return AuthCommand.change(c, AuthChangeRequest.newBuilder().setRevokeKey(keyId).build(), Show.KEYS);
    }
  }

  @Command(name = "list", header = "key ids and their principals", description = "Key ids and their principals.")
  static final class KeyList extends Action {
    @Override
    int run(CliContext c) {
      return AuthCommand.status(c, AuthGrpcClient.Status, AuthStatusRequest.getDefaultInstance(), Show.KEYS);
    }
  }

  @Command(name = "role",
      header = "roles: role create|delete ROLE | role grant|revoke ROLE PERMISSION PREFIX | role list",
      description = "Creates, deletes and lists roles, and grants or revokes their permissions.",
      subcommands = {RoleCreate.class, RoleDelete.class, RoleGrantAction.class, RoleRevokeAction.class,
          RoleList.class})
  static final class Roles extends Group {
    @Override
    String actions() {
      return "create, delete, grant, revoke or list";
    }
  }

  @Command(name = "create", header = "create a role", description = "Creates role ROLE, with no permissions.")
  static final class RoleCreate extends Action {
    @Parameters(index = "0", paramLabel = "ROLE", description = "the role")
    String role;

    @Override
    int run(CliContext c) {
      return AuthCommand.change(c, AuthChangeRequest.newBuilder().setCreateRole(role).build(), Show.ROLES);
    }
  }

  @Command(name = "delete", header = "delete a role", description = "Deletes role ROLE.")
  static final class RoleDelete extends Action {
    @Parameters(index = "0", paramLabel = "ROLE", description = "the role")
    String role;

    @Override
    int run(CliContext c) {
      return AuthCommand.change(c, AuthChangeRequest.newBuilder().setDeleteRole(role).build(), Show.ROLES);
    }
  }

  /** {@code role grant} and {@code role revoke}: the same arguments, one grant. */
  abstract static class RoleGrantChange extends Action {
    @Parameters(index = "0", paramLabel = "ROLE", description = "the role")
    String role;

    @Parameters(index = "1", paramLabel = "PERMISSION", completionCandidates = Permissions.class,
        description = "read, lock, release-any or admin")
    String permission;

    @Parameters(index = "2", paramLabel = "PREFIX",
        description = "lock-name prefix, '*' for every name ('jobs/*' = 'jobs/'); the most specific prefix decides")
    String prefix;

    @Option(names = "--deny", description = "an explicit deny, which beats an allow on the same prefix")
    boolean deny;

    RoleGrant grant() {
      if (!new Permissions().contains(permission)) {
        throw new UsageException("PERMISSION must be read, lock, release-any or admin, got '" + permission + "'");
      }
      return RoleGrant.newBuilder().setRole(role).setGrant(Grant.newBuilder().setPermission(permission)
          .setPrefix(prefix).setDeny(deny)).build();
    }
  }

  @Command(name = "grant", header = "grant a role a permission on a prefix",
      description = "Grants ROLE PERMISSION on lock names starting with PREFIX (or, with --deny, denies it).")
  static final class RoleGrantAction extends RoleGrantChange {
    @Override
    int run(CliContext c) {
      return AuthCommand.change(c, AuthChangeRequest.newBuilder().setGrant(grant()).build(), Show.ROLES);
    }
  }

  @Command(name = "revoke", header = "take back a grant",
      description = "Takes back a grant (or, with --deny, a deny) given with the same arguments.")
  static final class RoleRevokeAction extends RoleGrantChange {
    @Override
    int run(CliContext c) {
      return AuthCommand.change(c, AuthChangeRequest.newBuilder().setRevoke(grant()).build(), Show.ROLES);
    }
  }

  @Command(name = "list", header = "roles and their grants", description = "Roles and their grants.")
  static final class RoleList extends Action {
    @Override
    int run(CliContext c) {
      return AuthCommand.status(c, AuthGrpcClient.Status, AuthStatusRequest.getDefaultInstance(), Show.ROLES);
    }
  }

  @Command(name = "principal",
      header = "principals: principal create|delete NAME | principal assign|unassign NAME ROLE | principal list",
      description = "Creates, deletes and lists principals, and gives them roles or takes them back.",
      subcommands = {PrincipalCreate.class, PrincipalDelete.class, PrincipalAssign.class, PrincipalUnassign.class,
          PrincipalList.class})
  static final class Principals extends Group {
    @Override
    String actions() {
      return "create, delete, assign, unassign or list";
    }
  }

  @Command(name = "create", header = "create a principal", description = "Creates principal NAME, with no roles.")
  static final class PrincipalCreate extends Action {
    @Parameters(index = "0", paramLabel = "NAME", description = "the principal")
    String name;

    @Override
    int run(CliContext c) {
      return AuthCommand.change(c, AuthChangeRequest.newBuilder().setCreatePrincipal(name).build(), Show.PRINCIPALS);
    }
  }

  @Command(name = "delete", header = "delete a principal", description = "Deletes principal NAME.")
  static final class PrincipalDelete extends Action {
    @Parameters(index = "0", paramLabel = "NAME", description = "the principal")
    String name;

    @Override
    int run(CliContext c) {
      return AuthCommand.change(c, AuthChangeRequest.newBuilder().setDeletePrincipal(name).build(), Show.PRINCIPALS);
    }
  }

  /** {@code principal assign} and {@code principal unassign}: a principal and a role. */
  abstract static class PrincipalRoleChange extends Action {
    @Parameters(index = "0", paramLabel = "NAME", description = "the principal")
    String name;

    @Parameters(index = "1", paramLabel = "ROLE", description = "the role")
    String role;

    PrincipalRole principalRole() {
      return PrincipalRole.newBuilder().setPrincipal(name).setRole(role).build();
    }
  }

  @Command(name = "assign", header = "give a principal a role", description = "Gives principal NAME role ROLE.")
  static final class PrincipalAssign extends PrincipalRoleChange {
    @Override
    int run(CliContext c) {
      return AuthCommand.change(c, AuthChangeRequest.newBuilder().setAssignRole(principalRole()).build(),
          Show.PRINCIPALS);
    }
  }

  @Command(name = "unassign", header = "take a role from a principal",
      description = "Takes role ROLE from principal NAME.")
  static final class PrincipalUnassign extends PrincipalRoleChange {
    @Override
    int run(CliContext c) {
      return AuthCommand.change(c, AuthChangeRequest.newBuilder().setUnassignRole(principalRole()).build(),
          Show.PRINCIPALS);
    }
  }

  @Command(name = "list", header = "principals and their roles", description = "Principals and their roles.")
  static final class PrincipalList extends Action {
    @Override
    int run(CliContext c) {
      return AuthCommand.status(c, AuthGrpcClient.Status, AuthStatusRequest.getDefaultInstance(), Show.PRINCIPALS);
    }
  }
}
