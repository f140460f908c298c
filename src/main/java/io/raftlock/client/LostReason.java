package io.raftlock.client;

/** Why a held lock stopped being ours. After any of these, the fencing token must not be used. */
public enum LostReason {
  /** The server expired the lease (a committed expiry, pushed on the watch). */
  EXPIRED,
  /** Renewals did not succeed before the local, conservative deadline: the lease may have run out. */
  RENEWAL_FAILED,
  /** The server refused a renewal: another holding or no holding (not owner, version mismatch). */
  REVOKED,
  /** The server reports a release this client did not ask for (e.g. another process with the same client id). */
  RELEASED_ELSEWHERE
}
