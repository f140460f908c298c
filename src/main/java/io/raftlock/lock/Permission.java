package io.raftlock.lock;

/**
 * What a role may do on the locks whose names start with a grant's prefix. Names are what the
 * CLI and the wire use; the ordinal is never persisted (the codec writes {@link #code}).
 */
public enum Permission {
  /** GetLockInfo, GetLocks and backoff advice on the prefix. */
  READ("read", 1),
  /** Acquire, renew and release one's own holdings, wait and cancel waits. */
  LOCK("lock", 2),
  /** Renew or release any principal's holding (with its current token); implies {@link #LOCK}. */
  RELEASE_ANY("release-any", 3),
  /** Membership, leadership transfer, log dumps and auth changes; implies every permission. */
  ADMIN("admin", 4);

  private final String wireName;
  private final int code;

  Permission(String wireName, int code) {
    this.wireName = wireName;
    this.code = code;
  }

  public String wireName() {
    return wireName;
  }

  int code() {
    return code;
  }

  /** Whether a grant of this permission decides a request for {@code requested}. */
  public boolean covers(Permission requested) {
    return this == requested || this == ADMIN || (this == RELEASE_ANY && requested == LOCK);
  }

  /** The permission named {@code name} ({@link #wireName}), or {@code null}. */
  public static Permission ofName(String name) {
    for (Permission p : values()) {
      if (p.wireName.equals(name)) {
        return p;
      }
    }
    return null;
  }

  static Permission ofCode(int code) {
    for (Permission p : values()) {
      if (p.code == code) {
        return p;
      }
    }
    throw new LockCodecException("unknown permission code " + code);
  }
}
