package io.raftlock.lock;

/**
 * Who sent the command being applied: the principal its API key resolved to in the ACL state
 * committed at the entry's index ({@code ""} when auth is off or the entry is internal), and
 * that state, for the checks an executor makes once it knows the lock (release-any).
 */
record Caller(String principal, AclState acl) {
  static final Caller NONE = new Caller("", AclState.EMPTY);

  /** Whether the caller may renew or release holdings of others on {@code lockId}. */
  boolean mayReleaseAny(String lockId) {
    return acl.enabled() && acl.check(principal, Permission.RELEASE_ANY, lockId).allowed();
  }
}
