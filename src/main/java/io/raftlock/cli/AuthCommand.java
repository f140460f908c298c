package io.raftlock.cli;

import io.raftlock.proto.auth.AuthChangeRequest;
import io.raftlock.proto.auth.AuthGrpcClient;
import io.raftlock.proto.auth.AuthStatusRequest;
import io.raftlock.proto.auth.AuthStatusResponse;
import io.raftlock.proto.auth.CreateKeyRequest;
import io.raftlock.proto.auth.DisableAuthRequest;
import io.raftlock.proto.auth.EnableAuthRequest;
import io.raftlock.proto.auth.Grant;
import io.raftlock.proto.auth.KeyInfo;
import io.raftlock.proto.auth.NewKeyResponse;
import io.raftlock.proto.auth.Principal;
import io.raftlock.proto.auth.PrincipalRole;
import io.raftlock.proto.auth.Role;
import io.raftlock.proto.auth.RoleGrant;
import java.util.List;
import java.util.Set;

/**
 * {@code raftlock auth ...}: the {@code raftlock.v1.Auth} service from the command line. Calls go
 * to the leader like the membership commands ({@link MembersCommand}), with {@code --api-key}.
 * New keys are printed once, on stdout, and nowhere else.
 */
final class AuthCommand {
  static final String USAGE = """
      usage: raftlock auth enable [--principal NAME]
             raftlock auth disable | status
             raftlock auth key create PRINCIPAL | key revoke KEY_ID | key list
             raftlock auth role create|delete ROLE | role list
             raftlock auth role grant|revoke ROLE PERMISSION PREFIX [--deny]
             raftlock auth principal create|delete NAME | principal list
             raftlock auth principal assign|unassign NAME ROLE
      API keys, roles and principals, committed through Raft (docs/security.md). Once auth is
      enabled every change needs an admin key (--api-key or $RAFTLOCK_API_KEY).
        enable       turns auth on and prints the first admin key (principal --principal, default
                     admin) once; only over TLS (--ca) or from the node's own host
        key create   prints a new key of PRINCIPAL once (same transport rule as enable)
        grant        PERMISSION: read, lock, release-any or admin; PREFIX: lock-name prefix, '*'
                     for every name ('jobs/*' = 'jobs/'); --deny: an explicit deny, which beats an
                     allow on the same prefix; the most specific prefix decides
      Exit 1 when a change is refused (already exists, does not exist, not permitted).
      """;

  private static final Set<String> PERMISSIONS = Set.of("read", "lock", "release-any", "admin");

  private AuthCommand() {}

  static int auth(Cli.Context c) {
    List<String> pos = c.args.allPositionals();
    if (pos.isEmpty()) {
      throw new UsageException("missing ACTION (enable, disable, status, key, role or principal)");
    }
    return switch (pos.get(0)) {
      case "enable" -> {
        c.args.positionals("ACTION");
        String principal = c.args.value("principal", "");
        yield MembersCommand.withAdmin(c, a -> MembersCommand.run(c, a, AuthGrpcClient.Enable,
            EnableAuthRequest.newBuilder().setPrincipal(principal).build()), r -> printKey(c, r));
      }
      case "disable" -> {
        c.args.positionals("ACTION");
        yield call(c, AuthGrpcClient.Disable, DisableAuthRequest.getDefaultInstance(), "all");
      }
      case "status" -> {
        c.args.positionals("ACTION");
        yield call(c, AuthGrpcClient.Status, AuthStatusRequest.getDefaultInstance(), "all");
      }
      case "key" -> key(c, pos);
      case "role" -> role(c, pos);
      case "principal" -> principal(c, pos);
      default -> throw new UsageException("unknown ACTION " + pos.get(0)
          + " (enable, disable, status, key, role or principal)");
    };
  }

  private static int key(Cli.Context c, List<String> pos) {
    String what = pos.size() > 1 ? pos.get(1) : "";
    return switch (what) {
      case "create" -> {
        String principal = c.args.positionals("ACTION", "create", "PRINCIPAL").get(2);
        yield MembersCommand.withAdmin(c, a -> MembersCommand.run(c, a, AuthGrpcClient.CreateKey,
            CreateKeyRequest.newBuilder().setPrincipal(principal).build()), r -> printKey(c, r));
      }
      case "revoke" -> change(c, AuthChangeRequest.newBuilder()
          .setRevokeKey(c.args.positionals("ACTION", "revoke", "KEY_ID").get(2)).build(), "keys");
      case "list" -> {
        c.args.positionals("ACTION", "list");
        yield call(c, AuthGrpcClient.Status, AuthStatusRequest.getDefaultInstance(), "keys");
      }
      default -> throw new UsageException("key: expected create, revoke or list");
    };
  }

  private static int role(Cli.Context c, List<String> pos) {
    String what = pos.size() > 1 ? pos.get(1) : "";
    AuthChangeRequest.Builder b = AuthChangeRequest.newBuilder();
    switch (what) {
      case "create" -> b.setCreateRole(c.args.positionals("ACTION", "create", "ROLE").get(2));
      case "delete" -> b.setDeleteRole(c.args.positionals("ACTION", "delete", "ROLE").get(2));
      case "grant", "revoke" -> {
        List<String> p = c.args.positionals("ACTION", what, "ROLE", "PERMISSION", "PREFIX");
        if (!PERMISSIONS.contains(p.get(3))) {
          throw new UsageException("PERMISSION must be read, lock, release-any or admin, got '" + p.get(3) + "'");
        }
        RoleGrant g = RoleGrant.newBuilder().setRole(p.get(2)).setGrant(Grant.newBuilder()
            .setPermission(p.get(3)).setPrefix(p.get(4)).setDeny(c.args.flag("deny"))).build();
        if (what.equals("grant")) {
          b.setGrant(g);
        } else {
          b.setRevoke(g);
        }
      }
      case "list" -> {
        c.args.positionals("ACTION", "list");
        return call(c, AuthGrpcClient.Status, AuthStatusRequest.getDefaultInstance(), "roles");
      }
      default -> throw new UsageException("role: expected create, delete, grant, revoke or list");
    }
    return change(c, b.build(), "roles");
  }

  private static int principal(Cli.Context c, List<String> pos) {
    String what = pos.size() > 1 ? pos.get(1) : "";
    AuthChangeRequest.Builder b = AuthChangeRequest.newBuilder();
    switch (what) {
      case "create" -> b.setCreatePrincipal(c.args.positionals("ACTION", "create", "NAME").get(2));
      case "delete" -> b.setDeletePrincipal(c.args.positionals("ACTION", "delete", "NAME").get(2));
      case "assign", "unassign" -> {
        List<String> p = c.args.positionals("ACTION", what, "NAME", "ROLE");
        PrincipalRole pr = PrincipalRole.newBuilder().setPrincipal(p.get(2)).setRole(p.get(3)).build();
        if (what.equals("assign")) {
          b.setAssignRole(pr);
        } else {
          b.setUnassignRole(pr);
        }
      }
      case "list" -> {
        c.args.positionals("ACTION", "list");
        return call(c, AuthGrpcClient.Status, AuthStatusRequest.getDefaultInstance(), "principals");
      }
      default -> throw new UsageException("principal: expected create, delete, assign, unassign or list");
    }
    return change(c, b.build(), "principals");
  }

  private static int change(Cli.Context c, AuthChangeRequest request, String show) {
    return call(c, AuthGrpcClient.Change, request, show);
  }

  private static <Q> int call(Cli.Context c, io.vertx.grpc.common.ServiceMethod<AuthStatusResponse, Q> method,
      Q request, String show) {
    return MembersCommand.withAdmin(c, a -> MembersCommand.run(c, a, method, request), r -> printStatus(c, r, show));
  }

  private static int printKey(Cli.Context c, NewKeyResponse r) {
    c.print(Cli.protoJson(r), "API key " + r.getKeyId() + " of principal " + r.getPrincipal()
        + " (shown once; store it now, e.g. in RAFTLOCK_API_KEY):\n" + r.getKey());
    return Cli.OK;
  }

  /** {@code show}: all, keys, roles or principals. */
  private static int printStatus(Cli.Context c, AuthStatusResponse r, String show) {
    StringBuilder h = new StringBuilder("auth is ").append(r.getEnabled() ? "enabled" : "disabled")
        .append(" (as of index ").append(r.getAppliedIndex()).append(')');
    if (show.equals("all") || show.equals("roles")) {
      h.append("\nroles:");
      for (Role role : r.getRolesList()) {
        h.append("\n  ").append(role.getName()).append(':');
        role.getGrantsList().forEach(g -> h.append(' ').append(g.getDeny() ? "deny " : "").append(g.getPermission())
            .append(" on ").append(g.getPrefix()).append(';'));
      }
    }
    if (show.equals("all") || show.equals("principals")) {
      h.append("\nprincipals:");
      for (Principal p : r.getPrincipalsList()) {
        h.append("\n  ").append(p.getName()).append(": ").append(String.join(", ", p.getRolesList()));
      }
    }
    if (show.equals("all") || show.equals("keys")) {
      h.append("\nkeys:");
      for (KeyInfo k : r.getKeysList()) {
        h.append("\n  ").append(k.getKeyId()).append("  ").append(k.getPrincipal());
      }
    }
    c.print(Cli.protoJson(r), h.toString());
    return Cli.OK;
  }
}
