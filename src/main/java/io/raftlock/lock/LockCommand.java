package io.raftlock.lock;

import java.util.Collections;
import java.util.Map;
import java.util.Objects;
import java.util.SortedMap;
import java.util.TreeMap;

/**
 * A state-machine command, as proposed by the leader and replicated in the Raft log. Every
 * command carries {@code timeMs}, the leader's lease time ({@link LeaseClock}) stamped at proposal; it is the only
 * source of time for the state machine (which clamps it so that its time never goes backwards).
 *
 * <p>Records are immutable. Strings must be non-null; range checks (lengths, TTLs, priorities)
 * are <em>not</em> done here but by {@link CommandValidator} when the command is applied, so that
 * any decoded command can be represented and rejected deterministically. An empty
 * {@code requestId} means "no idempotency key".
 */
public sealed interface LockCommand {

  /** Leader-stamped lease time ({@link LeaseClock}), in milliseconds since the epoch. */
  long timeMs();

  /**
   * The same command stamped with {@code t}: the leader stamps its own clock on every command it
   * proposes, including those a follower built and forwarded (ARCHITECTURE.md, data path 4).
   * Abstract, so that every command type must say how (a type added later cannot silently turn
   * into another, as a fallback branch once turned unknown types into {@link Expire}).
   */
  LockCommand withTimeMs(long t);

  /**
   * Acquire {@code lockId} for {@code ttlMs}. If the lock is held by another client and
   * {@code waitForLock} is set, join its wait queue for at most {@code waitTimeoutMs}; the waiter is
   * later granted the lock with this TTL and metadata. {@code waitTimeoutMs} is ignored (and not
   * validated) when {@code waitForLock} is false.
   */
  record Acquire(
      String lockId,
      String clientId,
      long ttlMs,
      boolean waitForLock,
      long waitTimeoutMs,
      int priority,
      SortedMap<String, String> metadata,
      String requestId,
      long timeMs,
      long sessionId)
      implements SessionOwned {
    public Acquire {
      Objects.requireNonNull(lockId, "lockId");
      Objects.requireNonNull(clientId, "clientId");
      Objects.requireNonNull(requestId, "requestId");
      metadata = canonical(metadata);
    }

    /** A client-owned acquire (no session), as before sessions existed. */
    public Acquire(String lockId, String clientId, long ttlMs, boolean waitForLock,
        long waitTimeoutMs, int priority, SortedMap<String, String> metadata, String requestId,
        long timeMs) {
      this(lockId, clientId, ttlMs, waitForLock, waitTimeoutMs, priority, metadata, requestId,
          timeMs, NO_SESSION);
    }

    @Override
    public Acquire withTimeMs(long t) {
      return new Acquire(lockId, clientId, ttlMs, waitForLock, waitTimeoutMs, priority, metadata, requestId, t,
          sessionId);
    }
  }

  /** Release {@code lockId}; only the holder presenting the current fencing token may. */
  record Release(String lockId, String clientId, long token, String requestId, long timeMs,
      long sessionId) implements SessionOwned {
    public Release {
      Objects.requireNonNull(lockId, "lockId");
      Objects.requireNonNull(clientId, "clientId");
      Objects.requireNonNull(requestId, "requestId");
    }

    public Release(String lockId, String clientId, long token, String requestId, long timeMs) {
      this(lockId, clientId, token, requestId, timeMs, NO_SESSION);
    }

    @Override
    public Release withTimeMs(long t) {
      return new Release(lockId, clientId, token, requestId, t, sessionId);
    }
  }

  /**
   * Extend the holder's lease to {@code timeMs + ttlMs}; never changes the token. For a
   * session-owned lock it keeps the session alive instead (like {@link KeepAlive}) and
   * {@code ttlMs} is ignored.
   */
  record Renew(String lockId, String clientId, long token, long ttlMs, String requestId,
      long timeMs, long sessionId) implements SessionOwned {
    public Renew {
      Objects.requireNonNull(lockId, "lockId");
      Objects.requireNonNull(clientId, "clientId");
      Objects.requireNonNull(requestId, "requestId");
    }

    public Renew(String lockId, String clientId, long token, long ttlMs, String requestId,
        long timeMs) {
      this(lockId, clientId, token, ttlMs, requestId, timeMs, NO_SESSION);
    }

    @Override
    public Renew withTimeMs(long t) {
      return new Renew(lockId, clientId, token, ttlMs, requestId, t, sessionId);
    }
  }

  /**
   * Join the wait queue of a held lock. On promotion the waiter gets
   * {@link LockLimits#DEFAULT_TTL_MS} and no metadata.
   */
  record EnqueueWaiter(
      String lockId,
      String clientId,
      long waitTimeoutMs,
      int priority,
      String requestId,
      long timeMs,
      long sessionId)
      implements SessionOwned {
    public EnqueueWaiter {
      Objects.requireNonNull(lockId, "lockId");
      Objects.requireNonNull(clientId, "clientId");
      Objects.requireNonNull(requestId, "requestId");
    }

    public EnqueueWaiter(String lockId, String clientId, long waitTimeoutMs, int priority,
        String requestId, long timeMs) {
      this(lockId, clientId, waitTimeoutMs, priority, requestId, timeMs, NO_SESSION);
    }

    @Override
    public EnqueueWaiter withTimeMs(long t) {
      return new EnqueueWaiter(lockId, clientId, waitTimeoutMs, priority, requestId, t, sessionId);
    }
  }

  /** Leave the wait queue of {@code lockId}. */
  record CancelWait(String lockId, String clientId, String requestId, long timeMs,
      long sessionId) implements SessionOwned {
    public CancelWait {
      Objects.requireNonNull(lockId, "lockId");
      Objects.requireNonNull(clientId, "clientId");
      Objects.requireNonNull(requestId, "requestId");
    }

    public CancelWait(String lockId, String clientId, String requestId, long timeMs) {
      this(lockId, clientId, requestId, timeMs, NO_SESSION);
    }

    @Override
    public CancelWait withTimeMs(long t) {
      return new CancelWait(lockId, clientId, requestId, t, sessionId);
    }
  }

  /**
   * Open a session: a server-issued owner for holds, waits and request ids. Its id is the log
   * index of this entry (never reused). It lives until {@link CloseSession} or until an
   * {@link Expire} at or after {@code expiresAtMs = time + ttlMs}; {@link KeepAlive} (or a renew
   * of any lock it holds) moves that to {@code time + ttlMs}. {@code name} is a label only: two
   * sessions with the same name are two owners.
   */
  record OpenSession(String name, long ttlMs, SortedMap<String, String> metadata, long timeMs)
      implements LockCommand {
    public OpenSession {
      Objects.requireNonNull(name, "name");
      metadata = canonical(metadata);
    }

    @Override
    public OpenSession withTimeMs(long t) {
      return new OpenSession(name, ttlMs, metadata, t);
    }
  }

  /** Keep session {@code sessionId} alive until {@code time + its ttl}. */
  record KeepAlive(long sessionId, long timeMs) implements LockCommand {
    @Override
    public KeepAlive withTimeMs(long t) {
      return new KeepAlive(sessionId, t);
    }
  }

  /** End session {@code sessionId}: releases all its locks and cancels all its waits. */
  record CloseSession(long sessionId, long timeMs) implements LockCommand {
    @Override
    public CloseSession withTimeMs(long t) {
      return new CloseSession(sessionId, t);
    }
  }

  /**
   * A lock command that names its owner: {@code sessionId == 0} ({@link #NO_SESSION}) is the
   * client-owned behaviour keyed by {@code clientId}; {@code sessionId > 0} is owned by that
   * session and {@code clientId} is only a label (empty: the session's name).
   */
  sealed interface SessionOwned extends LockCommand
      permits Acquire, Release, Renew, EnqueueWaiter, CancelWait {
    long NO_SESSION = 0;

    long sessionId();

    String lockId();

    String clientId();

    String requestId();
  }

  /**
   * The leader's committed expiry decision: expires exactly the lock leases and wait timeouts
   * whose deadline is {@code <= timeMs}. The leader proposes it when its clock passes
   * {@link LockStateMachine#nextDeadlineMs()}.
   */
  record Expire(long timeMs) implements LockCommand {
    @Override
    public Expire withTimeMs(long t) {
      return new Expire(t);
    }
  }

  /**
   * Grace period after a leader change: every held lease is extended to end no earlier than
   * {@code t + leaseTtl}, where {@code t} is the state machine's time once this command has
   * advanced it ({@code max(smTimeMs, timeMs)}) and {@code leaseTtl} the TTL of the lease as last
   * granted or renewed. It never shortens a lease, emits no event and keeps every token. A new
   * leader proposes it as its first command of the term, before any {@link Expire}: its clock may
   * be ahead of the old leader's, and a holder that renewed on the old leader's schedule must not
   * lose its lock to the difference. Idempotent by nature (a repeat at the same time changes
   * nothing), so it has no request id.
   */
  record Promote(long timeMs) implements LockCommand {
    @Override
    public Promote withTimeMs(long t) {
      return new Promote(t);
    }
  }

  /**
   * Put {@code config} in force from this entry on, on every replica at once: the only way the
   * state machine's settings change ({@link LockStateMachine.Config}, which starts at
   * {@link LockStateMachine.Config#GENESIS}). The leader proposes it after its term's
   * {@link Promote} when its node's configured limits differ from the committed ones. Lowering a
   * bound keeps what exists (queued waiters stay) and evicts remembered request ids beyond it,
   * oldest first. Idempotent by nature (a repeat changes nothing), so it has no request id.
   */
  record Configure(LockStateMachine.Config config, long timeMs) implements LockCommand {
    public Configure {
      Objects.requireNonNull(config, "config");
    }

    @Override
    public Configure withTimeMs(long t) {
      return new Configure(config, t);
    }
  }

  /**
   * Cancel every wait of {@code clientId} (on all locks) of {@code principal} ({@code ""}: of
   * every principal, as before auth). The node proposes it when the client's push stream (a
   * watch made with that principal's key) drops, so that a disconnected waiter is never granted.
   * Locks the client holds are kept until released or expired.
   */
  record CancelClientWaits(String clientId, String principal, long timeMs) implements LockCommand {
    public CancelClientWaits {
      Objects.requireNonNull(clientId, "clientId");
      Objects.requireNonNull(principal, "principal");
    }

    public CancelClientWaits(String clientId, long timeMs) {
      this(clientId, "", timeMs);
    }

    @Override
    public CancelClientWaits withTimeMs(long t) {
      return new CancelClientWaits(clientId, principal, t);
    }
  }

  /**
   * A change of the access-control state ({@link AclState}). Needs {@code admin} once auth is
   * enabled; while it is off anyone may make it (the cluster is open anyway).
   */
  record Acl(AclOp op, long timeMs) implements LockCommand {
    public Acl {
      Objects.requireNonNull(op, "op");
    }

    @Override
    public Acl withTimeMs(long t) {
      return new Acl(op, t);
    }
  }

  /**
   * A client's command together with the API key it was sent with, named by the key's public id
   * (never the secret, never its hash): the state machine resolves the id to a principal in the
   * ACL state committed at the entry's index, checks the principal's permissions there, and
   * records the principal on what the command creates. A revoked key's id resolves to nothing.
   * Only client commands are wrapped: internal entries ({@link Expire}, {@link Promote},
   * {@link CancelClientWaits}, {@link Configure}) are never checked. Never nested.
   */
  record Authenticated(String keyId, LockCommand command) implements LockCommand {
    public Authenticated {
      Objects.requireNonNull(keyId, "keyId");
      Objects.requireNonNull(command, "command");
      if (command instanceof Authenticated) {
        throw new IllegalArgumentException("an authenticated command cannot be wrapped again");
      }
    }

    @Override
    public long timeMs() {
      return command.timeMs();
    }

    @Override
    public Authenticated withTimeMs(long t) {
      return new Authenticated(keyId, command.withTimeMs(t));
    }
  }

  /**
   * A session-owned command numbered by its client, with the client's acknowledgement of the
   * answers it has received (the Raft dissertation's §6.3). {@code seq} (≥ 1) is the client's
   * number for this request: every copy of one request id carries the same one. {@code
   * answeredBelow} (0..seq) says the client has received, or given up on, the answers to all its
   * requests numbered below it: the session forgets their remembered replies at once, instead of
   * keeping the last {@link LockStateMachine.Config#sessionDedupeMaxEntries()} of them, and
   * refuses a late copy of any of them instead of applying it as new. Wraps only a command of a
   * session ({@code sessionId > 0}); it is itself wrapped by {@link Authenticated}, never nested.
   */
  record Sequenced(long seq, long answeredBelow, SessionOwned command) implements LockCommand {
    public Sequenced {
      Objects.requireNonNull(command, "command");
      if (command.sessionId() == SessionOwned.NO_SESSION) {
        throw new IllegalArgumentException("only a session's command is numbered: " + command);
      }
    }

    @Override
    public long timeMs() {
      return command.timeMs();
    }

    @Override
    public Sequenced withTimeMs(long t) {
      return new Sequenced(seq, answeredBelow, (SessionOwned) command.withTimeMs(t));
    }
  }

  /** An unmodifiable, key-sorted copy (sorted so that encoding and iteration are deterministic). */
  private static SortedMap<String, String> canonical(Map<String, String> metadata) {
    if (metadata == null || metadata.isEmpty()) {
      return Collections.emptySortedMap();
    }
    TreeMap<String, String> copy = new TreeMap<>();
    for (Map.Entry<String, String> e : metadata.entrySet()) {
      copy.put(
          Objects.requireNonNull(e.getKey(), "metadata key"),
          Objects.requireNonNull(e.getValue(), "metadata value"));
    }
    return Collections.unmodifiableSortedMap(copy);
  }
}
