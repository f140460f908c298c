package io.raftlock.api;

import io.raftlock.lock.AclState;
import io.raftlock.lock.ErrorCode;
import io.raftlock.lock.Permission;
import io.vertx.grpc.common.GrpcStatus;
import java.util.Objects;
import java.util.function.Supplier;

/**
 * The fast check on the receiving node: who a request's API key names, and whether that
 * principal may do what it asks, against the ACL state this node has applied so far. It only
 * spares the cluster hopeless requests; the authoritative check is made again at apply, against
 * the state committed at the entry's index ({@code io.raftlock.lock.AccessRules}).
 *
 * <p>Refusals: no key, a malformed or unknown key → {@code UNAUTHENTICATED}; a principal without
 * the permission → {@code PERMISSION_DENIED}, naming the permission and the name. Both carry
 * ErrorCode {@code PERMISSION_DENIED}. Thread-safe: the ACL state is an immutable published value.
 */
public final class ApiAuth {
  /** The caller of a request: the key's public id ({@code null}: none) and its principal. */
  public record Caller(String keyId, String principal) {
    public static final Caller ANONYMOUS = new Caller(null, "");
  }

  /** Auth never enabled (tests and nodes without a replica): everything is allowed. */
  public static final ApiAuth OPEN = new ApiAuth(() -> AclState.EMPTY);

  private final Supplier<AclState> acl;

  public ApiAuth(Supplier<AclState> acl) {
    this.acl = Objects.requireNonNull(acl, "acl");
  }

  public boolean enabled() {
    return acl.get().enabled();
  }

  /**
   * The caller named by an {@code Authorization} value ({@code Bearer <key>}, or null). While
   * auth is off anyone passes, and a valid key still names its principal (so that the entry
   * carries it); while it is on, a missing or unknown key is refused.
   */
  public Caller authenticate(String authorization) {
    AclState s = acl.get();
    String key = ApiKeys.fromAuthorization(authorization);
    String keyId = ApiKeys.idOf(key);
    String principal = keyId == null ? null : s.authenticate(keyId, ApiKeys.sha256(key));
    if (principal != null) {
      return new Caller(keyId, principal);
    }
    if (!s.enabled()) {
      return Caller.ANONYMOUS;
    }
    throw unauthenticated(key == null
        ? "auth is enabled: send an API key as 'authorization: Bearer <key>'"
        : keyId == null ? "the API key is malformed (expected rlk_<16 hex>_<secret>)"
        : "API key " + keyId + " is unknown or revoked");
  }

  /** Refuses unless auth is off or the caller has {@code permission} on {@code name}. */
  public void require(Caller caller, Permission permission, String name) {
    AclState s = acl.get();
    if (!s.enabled()) {
      return;
    }
    AclState.Decision d = s.check(caller.principal(), permission, name);
    if (!d.allowed()) {
      throw new ApiException(ApiMapper.error(ErrorCode.PERMISSION_DENIED, d.reason()),
          GrpcStatus.PERMISSION_DENIED);
    }
  }

  /**
   * The check of one operation of a long-lived stream, with its key as it is now (a key revoked
   * since the stream opened is refused); nothing to hash or look up while auth is off.
   */
  public void require(String authorization, Permission permission, String name) {
    if (enabled()) {
      require(authenticate(authorization), permission, name);
    }
  }

  /** Refuses unless auth is off or the caller is an administrator. */
  public void requireAdmin(Caller caller) {
    require(caller, Permission.ADMIN, "");
  }

  static ApiException unauthenticated(String message) {
    return new ApiException(ApiMapper.error(ErrorCode.PERMISSION_DENIED, message),
        GrpcStatus.UNAUTHENTICATED);
  }
}
