package io.raftlock.lock;

/**
 * The authoritative permission check, made when an entry is applied against the ACL state
 * committed at that index (the API's fast check uses the same rules on the state it last saw).
 * Once auth is enabled every client command must name a live API key ({@link
 * LockCommand.Authenticated}) whose principal has the permission the command needs; a refusal
 * is {@link ErrorCode#PERMISSION_DENIED} and changes nothing. Internal entries (expiry, promotion,
 * a disconnected client's wait cancellation, the leader's settings) are decided by the leader and never checked.
 */
final class AccessRules {
  private AccessRules() {}

  /** The refusal of {@code cmd} sent with key {@code keyId} (null: no key), or null if allowed. */
  static LockReply.Error check(AclState acl, String keyId, LockCommand cmd) {
    if (!acl.enabled() || internal(cmd)) {
      return null;
    }
    String principal = keyId == null ? null : acl.principalOfKey(keyId);
    if (principal == null) {
      return LockReply.Error.of(ErrorCode.PERMISSION_DENIED, keyId == null
          ? "auth is enabled and the request carries no API key"
          : "API key " + keyId + " is unknown or revoked");
    }
    Permission needed = needed(cmd);
    if (needed == null) {
      return null; // session lifecycle: any authenticated principal, for its own sessions
    }
    AclState.Decision d = acl.check(principal, needed, nameOf(cmd));
    return d.allowed() ? null : LockReply.Error.of(ErrorCode.PERMISSION_DENIED, d.reason());
  }

  /** The caller of a command that passed {@link #check}: its principal while auth is on. */
  static Caller caller(AclState acl, String keyId) {
    String principal = acl.enabled() && keyId != null ? acl.principalOfKey(keyId) : null;
    return principal == null ? new Caller("", acl) : new Caller(principal, acl);
  }

  /** Entries the leader makes on its own: never auth-checked, whoever proposed them. */
  static boolean internal(LockCommand cmd) {
    return cmd instanceof LockCommand.Expire || cmd instanceof LockCommand.Promote
        || cmd instanceof LockCommand.CancelClientWaits || cmd instanceof LockCommand.Configure;
  }

  /** The permission a client command needs, or null when authentication alone suffices. */
  static Permission needed(LockCommand cmd) {
    if (cmd instanceof LockCommand.SessionOwned) {
      return Permission.LOCK; // acquire, renew, release own holdings, wait, cancel a wait
    } else if (cmd instanceof LockCommand.Acl) {
      return Permission.ADMIN;
    }
    return null; // open, keep alive or close a session (ownership is checked on use)
  }

  /** The lock name a permission is checked on: the lock's id, or every name for admin. */
  static String nameOf(LockCommand cmd) {
    return cmd instanceof LockCommand.SessionOwned c ? c.lockId() : "";
  }
}
