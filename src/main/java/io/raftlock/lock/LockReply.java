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
   */
  record Granted(long token, long acquiredAtMs, long expiresAtMs) implements LockReply {}

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

  /** Outcome of an {@code Expire} command. */
  record Expired(int locksExpired, int waitsTimedOut) implements LockReply {}

  /**
   * Outcome of a {@code Promote} command: how many held leases were extended (the others already
   * ended at or after {@code time + leaseTtl}).
   */
  record Promoted(int leasesExtended) implements LockReply {}

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
