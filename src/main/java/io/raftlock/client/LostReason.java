package io.raftlock.client;

/** Why a held lock stopped being ours. After any of these, the fencing token must not be used. */
public enum LostReason {
  /**
   * The server ended the holding: a pushed {@code EXPIRED} of the lock or {@code SESSION_EXPIRED},
   * or the session no longer exists ({@code SESSION_NOT_FOUND} on resume or keep-alive).
   */
  EXPIRED,
  /** No keep-alive of the session succeeded before its local, conservative deadline: it may have run out. */
  RENEWAL_FAILED,
  /** The server refused the holding (not owner, version mismatch). Not produced for session locks. */
  REVOKED,
  /**
   * The server reports a release this client did not ask for: a pushed {@code RELEASED} of the lock,
   * or {@code SESSION_CLOSED} (the session was closed from another stream).
   */
  RELEASED_ELSEWHERE
}
