package io.raftlock.lock;

import java.util.Objects;

/**
 * The answer for the proposer of one command: what the leader returns to the waiting client once
 * the entry is applied. Replies are also what the idempotency table remembers, so a retried
 * request gets exactly the first reply.
 */
public sealed interface LockReply {

  /** Whether this reply is a success (anything but {@link Error}). */
  default boolean ok() {
    return !(this instanceof Error);
  }

  /**
   * The caller holds the lock. {@code token} is the fencing token: the log index of the entry that
   * granted it (for an idempotent re-acquire, the original grant's index).
   *
   * @param expiresAtMs end of the holding's lease; for a session-owned lock, the session's expiry
   * @param alreadyHeld a session's acquire of a lock that session already holds: the existing
   *     holding, not a new grant and not a counted reentrant hold (one release ends it). Always
   *     false for client-owned commands, whose re-acquire answers as before sessions existed.
   */
  record Granted(long token, long acquiredAtMs, long expiresAtMs, boolean alreadyHeld)
      implements LockReply {
    public Granted(long token, long acquiredAtMs, long expiresAtMs) {
      this(token, acquiredAtMs, expiresAtMs, false);
    }
  }

  /**
   * The caller waits for the lock.
   *
   * @param position number of waiters ahead of the caller (0 = next in line)
   * @param estimatedWaitMs holder's remaining lease plus the TTLs of the waiters ahead
   */
  record Queued(int position, long estimatedWaitMs) implements LockReply {}

  /** The lock was released; {@code waiterPromoted} tells whether a waiter was granted it. */
  record Released(boolean waiterPromoted) implements LockReply {}

  /** The lease was extended; the token is unchanged. */
  record Renewed(long expiresAtMs) implements LockReply {}

  /** Waits were cancelled ({@code CancelWait}: 1; {@code CancelClientWaits}: 0 or more). */
  record Cancelled(int waitsCancelled) implements LockReply {}

  /**
   * Outcome of an {@code Expire} command. {@code locksExpired} counts every holding that ended,
   * including those of expired sessions; their cancelled waits are not wait timeouts.
   */
  record Expired(int locksExpired, int waitsTimedOut, int sessionsExpired) implements LockReply {
    public Expired(int locksExpired, int waitsTimedOut) {
      this(locksExpired, waitsTimedOut, 0);
    }
  }

  /** A session was opened: {@code sessionId} is the log index of the opening entry. */
  record SessionOpened(long sessionId, long ttlMs, long expiresAtMs) implements LockReply {}

  /** The session lives until {@code expiresAtMs} unless kept alive again. */
  record KeptAlive(long expiresAtMs) implements LockReply {}

  /** The session was closed: its locks were released and its waits cancelled. */
  record SessionClosed(int locksReleased, int waitsCancelled) implements LockReply {}

  /**
   * Outcome of a {@code Promote} command: how many leases were extended, those of client-owned
   * locks and those of sessions (the others already ended at or after {@code time + ttl}).
   */
  record Promoted(int leasesExtended) implements LockReply {}

  /**
   * A {@code Configure} was applied; {@code requestIdsEvicted} remembered request ids went
   * because a lowered bound no longer covered them.
   */
  record Configured(int requestIdsEvicted) implements LockReply {}

  /** An access-control change ({@link LockCommand.Acl}) was applied. */
  record AuthChanged() implements LockReply {}

  /**
   * The command was rejected and changed nothing.
   *
   * @param backoff advice for the client, or {@code null} when retrying would not help
   */
  record Error(ErrorCode code, String message, BackoffAdvice backoff) implements LockReply {
    public Error {
      Objects.requireNonNull(code, "code");
      Objects.requireNonNull(message, "message");
    }

    static Error of(ErrorCode code, String message) {
      return new Error(code, message, null);
    }
  }
}
