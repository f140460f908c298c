package io.raftlock.api;

import io.raftlock.lock.AclGrant;
import io.raftlock.lock.AclOp;
import io.raftlock.lock.AclState;
import io.raftlock.lock.ApplyResult;
import io.raftlock.lock.ErrorCode;
import io.raftlock.lock.LockCommand;
import io.raftlock.lock.LockCommandCodec;
import io.raftlock.lock.LockReply;
import io.raftlock.lock.Permission;
import io.raftlock.node.ProposalException;
import io.raftlock.node.RaftVerticle;
import io.raftlock.proto.auth.AuthChangeRequest;
import io.raftlock.proto.auth.AuthGrpcService;
import io.raftlock.proto.auth.AuthStatusResponse;
import io.raftlock.proto.auth.CreateKeyRequest;
import io.raftlock.proto.auth.EnableAuthRequest;
import io.raftlock.proto.auth.Grant;
import io.raftlock.proto.auth.KeyInfo;
import io.raftlock.proto.auth.NewKeyResponse;
import io.raftlock.proto.auth.Principal;
import io.raftlock.proto.auth.Role;
import io.raftlock.proto.auth.RoleGrant;
import io.raftlock.raft.RaftStatus;
import io.vertx.core.Context;
import io.vertx.core.Future;
import io.vertx.core.Promise;
import io.vertx.core.Vertx;
import io.vertx.core.http.HttpConnection;
import io.vertx.grpc.common.GrpcStatus;
import io.vertx.grpc.server.GrpcServer;
import io.vertx.grpc.server.GrpcServerRequest;
import java.net.InetAddress;
import java.net.UnknownHostException;
import java.util.function.Supplier;

/**
 * The {@code raftlock.v1.Auth} service: enable and disable auth, keys, roles and principals.
 * Every change is an {@link LockCommand.Acl} entry carrying the caller's key id, so the state
 * machine checks {@code admin} again at apply; the answer waits for the commit. New keys are
 * generated here ({@link ApiKeys}, SecureRandom): only their hash enters the log, and the key is
 * answered once, and only on a confidential connection (TLS, or from this host).
 */
public final class AuthApi {
  /** The principal {@code Enable} creates when the request names none. */
  static final String DEFAULT_ADMIN = "admin";

  private final Vertx vertx;
  private final RaftVerticle<?> raft;
  private final ApiAuth auth;
  private final Supplier<AclState> acl;
  private final long timeoutMs;

  public AuthApi(Vertx vertx, RaftVerticle<?> raft, ApiAuth auth, Supplier<AclState> acl, long timeoutMs) {
    this.vertx = vertx;
    this.raft = raft;
    this.auth = auth;
    this.acl = acl;
    this.timeoutMs = timeoutMs;
  }

  public GrpcServer bind(GrpcServer server) {
    RequestMessages.serve(server, AuthGrpcService.Enable, (req, msg) -> answer(req, enable(req, msg)));
    RequestMessages.serve(server, AuthGrpcService.CreateKey, (req, msg) -> answer(req, createKey(req, msg)));
    RequestMessages.serve(server, AuthGrpcService.Disable, (req, msg) -> answer(req,
        asAdmin(req).compose(keyId -> change(keyId, new AclOp.Disable())).map(v -> status())));
    RequestMessages.serve(server, AuthGrpcService.Status, (req, msg) -> answer(req,
        asAdmin(req).map(keyId -> status())));
    RequestMessages.serve(server, AuthGrpcService.Change, (req, msg) -> answer(req,
        asAdmin(req).compose(keyId -> change(keyId, AuthChanges.toOp(msg))).map(v -> status())));
    return server;
  }

  private Future<NewKeyResponse> enable(GrpcServerRequest<?, ?> req, EnableAuthRequest msg) {
    try {
      requireConfidential(req.connection());
      if (auth.enabled()) {
        throw new ApiException(ApiMapper.error(ErrorCode.INVALID_ARGUMENT,
            "auth is already enabled; create more keys with CreateKey"), GrpcStatus.FAILED_PRECONDITION);
      }
    } catch (ApiException e) {
      return Future.failedFuture(e);
    }
    String principal = msg.getPrincipal().isEmpty() ? DEFAULT_ADMIN : msg.getPrincipal();
    ApiKeys.NewKey key = ApiKeys.generate();
    return change(null, new AclOp.Enable(principal, key.keyId(), key.hash()))
        .map(v -> newKey(principal, key));
  }

  private Future<NewKeyResponse> createKey(GrpcServerRequest<?, ?> req, CreateKeyRequest msg) {
    ApiKeys.NewKey key = ApiKeys.generate();
    return asAdmin(req).compose(keyId -> {
      requireConfidential(req.connection());
      return change(keyId, new AclOp.CreateKey(key.keyId(), msg.getPrincipal(), key.hash()));
    }).map(v -> newKey(msg.getPrincipal(), key));
  }

  private static NewKeyResponse newKey(String principal, ApiKeys.NewKey key) {
    return NewKeyResponse.newBuilder().setPrincipal(principal).setKeyId(key.keyId()).setKey(key.key()).build();
  }

  /** The caller's key id (null: auth off and no key) once the fast check passed. */
  private Future<String> asAdmin(GrpcServerRequest<?, ?> req) {
    try {
      ApiAuth.Caller caller = auth.authenticate(req.headers().get(GrpcLockService.AUTHORIZATION));
      auth.requireAdmin(caller);
      return Future.succeededFuture(caller.keyId());
    } catch (ApiException e) {
      return Future.failedFuture(e);
    }
  }

  /**
   * A key travels in the answer: never in plaintext over a network. A TLS connection, or one from
   * a loopback address (it never left the host), is confidential.
   */
  static void requireConfidential(HttpConnection connection) {
    if (connection.isSsl()) {
      return;
    }
    try {
      if (InetAddress.getByName(connection.remoteAddress().hostAddress()).isLoopbackAddress()) {
        return;
      }
    } catch (UnknownHostException | RuntimeException e) {
      // not an address we can vouch for: refused below
    }
    throw new ApiException(ApiMapper.error(ErrorCode.PERMISSION_DENIED,
        "a new key is only answered over TLS or on the node's own host (this connection is plaintext from "
            + connection.remoteAddress() + ")"), GrpcStatus.FAILED_PRECONDITION);
  }

  /** Proposes {@code op} as the caller {@code keyId} and completes once it is applied. */
  private Future<Void> change(String keyId, AclOp op) {
    LockCommand cmd = new LockCommand.Acl(op, System.currentTimeMillis());
    byte[] bytes = LockCommandCodec.encode(keyId == null ? cmd : new LockCommand.Authenticated(keyId, cmd));
    Context context = vertx.getOrCreateContext();
    Promise<Void> done = Promise.promise();
    long timer = vertx.setTimer(timeoutMs, id -> done.tryFail(new ApiException(ApiMapper.retryable(
        ErrorCode.TIMEOUT, "the change did not commit in " + timeoutMs + " ms; check 'auth status'", 200_000_000L),
        GrpcStatus.DEADLINE_EXCEEDED)));
    raft.submit(bytes).onComplete(ar -> context.runOnContext(v -> {
      vertx.cancelTimer(timer);
      if (ar.failed()) {
        done.tryFail(ar.cause() instanceof ProposalException p && p.retryable()
            ? new ApiException(ApiMapper.retryable(ErrorCode.UNAVAILABLE, "the change's outcome is unknown ("
                + p.reason() + "); check 'auth status' and retry", 200_000_000L), GrpcStatus.UNAVAILABLE)
            : new ApiException(ApiMapper.error(ErrorCode.INTERNAL_ERROR, "internal error"), GrpcStatus.INTERNAL));
        return;
      }
      LockReply reply = ((ApplyResult) ar.result().result()).reply();
      if (reply instanceof LockReply.Error e) {
        done.tryFail(new ApiException(ApiMapper.error(e.code(), e.message()), e.code() == ErrorCode.INVALID_ARGUMENT
            ? GrpcStatus.FAILED_PRECONDITION : ApiMapper.grpcStatus(e.code())));
      } else {
        done.tryComplete();
      }
    }));
    return done.future();
  }

  /** The ACL state this node has applied, without key hashes. */
  AuthStatusResponse status() {
    AclState s = acl.get();
    RaftStatus rs = raft.status();
    AuthStatusResponse.Builder b = AuthStatusResponse.newBuilder().setEnabled(s.enabled())
        .setAppliedIndex(rs == null ? 0 : rs.appliedIndex());
    s.roles().forEach((name, grants) -> {
      Role.Builder r = Role.newBuilder().setName(name);
      grants.forEach(g -> r.addGrants(Grant.newBuilder().setPrefix(AclGrant.display(g.prefix()))
          .setPermission(g.permission().wireName()).setDeny(g.deny())));
      b.addRoles(r);
    });
    s.principals().forEach((name, roles) -> b.addPrincipals(Principal.newBuilder().setName(name).addAllRoles(roles)));
    s.keys().values().forEach(k -> b.addKeys(KeyInfo.newBuilder().setKeyId(k.keyId()).setPrincipal(k.principal())));
    return b.build();
  }

  private static <R> void answer(GrpcServerRequest<?, R> req, Future<R> f) {
    f.onComplete(ar -> {
      try {
        if (ar.succeeded()) {
          req.response().end(ar.result());
        } else {
          GrpcLockService.fail(req.response(), ar.cause());
        }
      } catch (RuntimeException e) {
        // the caller went away meanwhile
      }
    });
  }

  /** The {@link AclOp} of a {@code Change} request; refuses a request without a valid op. */
  static final class AuthChanges {
    private AuthChanges() {}

    static AclOp toOp(AuthChangeRequest r) {
      return switch (r.getOpCase()) {
        case REVOKE_KEY -> new AclOp.RevokeKey(r.getRevokeKey());
        case CREATE_ROLE -> new AclOp.CreateRole(r.getCreateRole());
        case DELETE_ROLE -> new AclOp.DeleteRole(r.getDeleteRole());
        case GRANT -> grant(r.getGrant(), true);
        case REVOKE -> grant(r.getRevoke(), false);
        case CREATE_PRINCIPAL -> new AclOp.CreatePrincipal(r.getCreatePrincipal());
        case DELETE_PRINCIPAL -> new AclOp.DeletePrincipal(r.getDeletePrincipal());
        case ASSIGN_ROLE -> new AclOp.AssignRole(r.getAssignRole().getPrincipal(), r.getAssignRole().getRole(), true);
        case UNASSIGN_ROLE -> new AclOp.AssignRole(r.getUnassignRole().getPrincipal(),
            r.getUnassignRole().getRole(), false);
        case OP_NOT_SET -> throw invalid("op", "must be one of revoke_key, create_role, delete_role, grant, "
            + "revoke, create_principal, delete_principal, assign_role, unassign_role");
      };
    }

    private static AclOp grant(RoleGrant g, boolean add) {
      Permission p = Permission.ofName(g.getGrant().getPermission());
      if (p == null) {
        throw invalid("permission", "must be read, lock, release-any or admin, got '"
            + g.getGrant().getPermission() + "'");
      }
      return new AclOp.ChangeGrant(g.getRole(),
          new AclGrant(AclGrant.parsePrefix(g.getGrant().getPrefix()), p, g.getGrant().getDeny()), add);
    }

    private static ApiException invalid(String field, String message) {
      return new ApiException(ApiMapper.error(ValidationError.invalid(field, message)), GrpcStatus.INVALID_ARGUMENT);
    }
  }
}
