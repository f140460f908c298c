package io.raftlock.lock;

import java.util.ArrayList;
import java.util.List;
import java.util.Optional;

/**
 * The replicated lock state machine: {@code apply(index, command)} → reply + events, a pure and
 * deterministic function of the applied log (and of the snapshot it started from).
 *
 * <p>Time: the only clock is {@code smTimeMs = max(smTimeMs, cmd.timeMs)}, advanced by each
 * valid, non-duplicate command before it executes. Expiry is never decided here on a timer: the
 * leader proposes {@link LockCommand.Expire} when its lease time ({@link LeaseClock}) passes
 * {@link #nextDeadlineMs()}.
 * A new leader first proposes {@link LockCommand.Promote}, so that no lease is cut short by the
 * change of clock that comes with a change of leader.
 *
 * <p>Apply pipeline (each step may end it):
 *
 * <ol>
 *   <li>validate limits ({@link CommandValidator}) → {@code INVALID_ARGUMENT}/{@code INVALID_TTL},
 *       nothing changes (not even time);
 *   <li>session: a command naming a session that does not exist → {@code SESSION_NOT_FOUND},
 *       nothing changes;
 *   <li>idempotency: a remembered request id (scoped to the session, or to the client id for
 *       client-owned commands) returns the first reply if the command has the same
 *       {@link CommandFingerprint}, else {@code INVALID_ARGUMENT} naming {@code request_id};
 *       either way no events and nothing changes;
 *   <li>advance time, evict stale client-owned idempotency entries;
 *   <li>execute; remember the reply and fingerprint under the request id if there is one.
 * </ol>
 *
 * <p>Settings ({@link Config}: waiter cap, idempotency bounds) are replicated state like the
 * rest: {@link Config#GENESIS} at index 0, changed only by an applied
 * {@link LockCommand.Configure}. The other limits the pipeline checks ({@link LockLimits}: id and
 * metadata sizes, TTL, wait-timeout and priority ranges, time bounds, the waiter TTL of
 * {@code EnqueueWaiter}, backoff advice) and the ACL caps ({@link AclState}) decide how an entry
 * applies too; they are part of the log's meaning, pinned by a test, and changing one needs a
 * committed setting or a new command version, never an edit of the constant.
 *
 * <p>Fencing: the token of a holding is the index of the entry that granted it, so tokens of a
 * lock strictly increase and are never reused (log indexes do). Not thread-safe: owned by the
 * Raft driver's thread.
 */
public final class LockStateMachine {

  /**
   * Tunables. They are replicated state: a replica starts from {@link #GENESIS}, only a committed
   * {@link LockCommand.Configure} changes them (at its index, on every replica), and snapshots
   * carry them. No replica ever takes them from its own binary or configuration file, so two
   * replicas that applied the same log agree on them whatever their versions or settings.
   *
   * @param maxWaitersPerLock enqueue beyond this gives {@code WAIT_QUEUE_FULL}
   * @param dedupeRetentionMs how long (state-machine time) a request id is remembered
   * @param dedupeMaxEntries bound on remembered client-owned request ids (oldest evicted first)
   * @param sessionDedupeMaxEntries bound on remembered request ids per session (oldest first)
   */
  public record Config(int maxWaitersPerLock, long dedupeRetentionMs, int dedupeMaxEntries,
      int sessionDedupeMaxEntries) {
    /** Longest idempotency retention a configuration may ask for (a leap year). */
    public static final long MAX_DEDUPE_RETENTION_MS = 366L * 24 * 3_600_000;

    /**
     * The settings every log starts from, frozen: replaying a log from index 1 must apply its
     * entries as they were applied when they were first committed, under whatever binary. These
     * are literals on purpose (not {@link LockLimits} constants) and a test pins them; a new
     * default belongs in {@link #RECOMMENDED}, which reaches a cluster as a committed Configure.
     */
    public static final Config GENESIS = new Config(1000, 600_000L, 100_000, 1000);

    /**
     * What this version of the code recommends; a node proposes it when its configuration file
     * sets no {@code limits}. Equal to {@link #GENESIS} today, free to change later.
     */
    public static final Config RECOMMENDED = new Config(LockLimits.DEFAULT_MAX_WAITERS_PER_LOCK,
        LockLimits.DEFAULT_DEDUPE_RETENTION_MS, LockLimits.DEFAULT_DEDUPE_MAX_ENTRIES,
        LockLimits.DEFAULT_SESSION_DEDUPE_MAX_ENTRIES);

    public Config {
      if (maxWaitersPerLock < 0 || dedupeMaxEntries < 0 || dedupeRetentionMs < 0
          || dedupeRetentionMs > MAX_DEDUPE_RETENTION_MS || sessionDedupeMaxEntries < 0) {
        throw new IllegalArgumentException("bad lock state machine config");
      }
    }

    /** The default per-session bound ({@link LockLimits#DEFAULT_SESSION_DEDUPE_MAX_ENTRIES}). */
    public Config(int maxWaitersPerLock, long dedupeRetentionMs, int dedupeMaxEntries) {
      this(maxWaitersPerLock, dedupeRetentionMs, dedupeMaxEntries,
          LockLimits.DEFAULT_SESSION_DEDUPE_MAX_ENTRIES);
    }
  }

  /** The settings in force: {@link Config#GENESIS}, then each applied Configure's. */
  Config config;
  final LockTable table;
  final DedupeTable dedupe;
  final SessionTable sessions = new SessionTable();
  /** The committed access-control state; replaced (never mutated) by each ACL change. */
  AclState acl = AclState.EMPTY;
  long smTimeMs;

  /** A replica of a log, at its start: {@link Config#GENESIS} (every replica must start so). */
  public LockStateMachine() {
    this(Config.GENESIS);
  }

  /**
   * A state machine starting from other settings: for tests and models only, since a replica
   * that starts anywhere but {@link Config#GENESIS} applies a real log differently.
   */
  public LockStateMachine(Config config) {
    this(config, new LockTable());
  }

  LockStateMachine(Config config, LockTable table) {
    this.config = config;
    this.table = table;
    this.dedupe = new DedupeTable(config.dedupeRetentionMs(), config.dedupeMaxEntries());
  }

  /**
   * Decodes and applies one committed entry. Bytes that do not decode give an
   * {@code INTERNAL_ERROR} reply and change nothing; this method does not throw for any input.
   */
  public ApplyResult apply(long index, byte[] command) {
    LockCommand cmd;
    try {
      cmd = LockCommandCodec.decode(command);
    } catch (LockCodecException e) {
      return ApplyResult.of(LockReply.Error.of(ErrorCode.INTERNAL_ERROR,
          "undecodable lock command: " + e.getMessage()));
    }
    return apply(index, cmd);
  }

  /** Applies one committed command at log {@code index} (≥ 1, increasing across calls). */
  public ApplyResult apply(long index, LockCommand cmd) {
    if (index < 1) {
      throw new IllegalArgumentException("log indexes start at 1: " + index);
    }
    LockReply.Error invalid = CommandValidator.validate(cmd);
    if (invalid != null) {
      return ApplyResult.of(invalid);
    }
    String keyId = cmd instanceof LockCommand.Authenticated a ? a.keyId() : null;
    LockCommand inner = cmd instanceof LockCommand.Authenticated a ? a.command() : cmd;
    LockCommand.Sequenced sequenced = inner instanceof LockCommand.Sequenced q ? q : null;
    if (sequenced != null) {
      inner = sequenced.command();
    }
    LockReply.Error denied = AccessRules.check(acl, keyId, inner);
    if (denied != null) {
      return ApplyResult.of(denied);
    }
    return applyAllowed(index, inner, sequenced, AccessRules.caller(acl, keyId));
  }

  /**
   * The rest of the pipeline, for a valid command its caller may make; {@code sequenced} is its
   * numbered wrapper, if it came in one.
   */
  private ApplyResult applyAllowed(long index, LockCommand cmd, LockCommand.Sequenced sequenced,
      Caller caller) {
    long sessionId = sessionIdOf(cmd);
    Session session = sessionId == 0 ? null : sessions.get(sessionId);
    if (sessionId != 0 && session == null) {
      return ApplyResult.of(LockReply.Error.of(ErrorCode.SESSION_NOT_FOUND,
          "session " + sessionId + " does not exist (never opened, closed or expired)"));
    }
    if (session != null && !LockState.samePrincipal(session.principal, caller.principal())) {
      return ApplyResult.of(LockReply.Error.of(ErrorCode.PERMISSION_DENIED, "session " + sessionId
          + " belongs to principal " + session.principal + ", not " + caller.principal()));
    }
    if (sequenced != null && !session.acknowledge(sequenced.seq(), sequenced.answeredBelow())) {
      // A late copy of a request whose answer the client already has (or gave up on): applying
      // it as new could take a lock nobody waits for, and its remembered reply is gone.
      return ApplyResult.of(LockReply.Error.of(ErrorCode.INVALID_ARGUMENT, "request " + sequenced.seq()
          + " of session " + sessionId + " is below answered_below " + session.answeredBelow
          + ": a late copy of an answered request, not applied"));
    }
    LockCommand.SessionOwned keyed = cmd instanceof LockCommand.SessionOwned c
        && !c.requestId().isEmpty() ? c : null;
    long fingerprint = 0;
    if (keyed != null) {
      fingerprint = CommandFingerprint.of(keyed);
      LockReply first = remembered(keyed, session, fingerprint, caller);
      if (first != null) {
        return ApplyResult.of(first);
      }
    }
    smTimeMs = Math.max(smTimeMs, cmd.timeMs());
    dedupe.evictExpired(smTimeMs);
    if (cmd instanceof LockCommand.Configure c) {
      return ApplyResult.of(configure(c.config()));
    }
    if (cmd instanceof LockCommand.Acl c) {
      AclState.Result changed = acl.apply(c.op());
      acl = changed.state();
      return ApplyResult.of(changed.problem() == null ? new LockReply.AuthChanged()
          : LockReply.Error.of(ErrorCode.INVALID_ARGUMENT, changed.problem()));
    }
    List<LockEvent> events = new ArrayList<>(2);
    LockReply reply = new CommandExecutor(this, index, events, session, caller).execute(cmd);
    if (keyed != null) {
      remember(keyed, sequenced == null ? 0 : sequenced.seq(), session, fingerprint, reply, caller);
    }
    return new ApplyResult(reply, events);
  }

  /**
   * Puts {@code next} in force from this entry on. Lowering a bound breaks nothing that exists:
   * waiters already queued stay (only new ones are refused beyond the cap), and remembered
   * request ids beyond a lowered size, or older than a shortened retention, are evicted now,
   * oldest first (client-owned, then session by session in id order), as later entries would
   * have evicted them.
   */
  private LockReply configure(Config next) {
    config = next;
    int evicted = dedupe.reconfigure(next.dedupeRetentionMs(), next.dedupeMaxEntries(), smTimeMs);
    for (Session s : sessions.all()) {
      evicted += s.trimRemembered(next.sessionDedupeMaxEntries());
    }
    return new LockReply.Configured(evicted);
  }

  /** The session a command names (0: none): lock commands of a session, keep-alive, close. */
  private static long sessionIdOf(LockCommand cmd) {
    if (cmd instanceof LockCommand.SessionOwned c) {
      return c.sessionId();
    } else if (cmd instanceof LockCommand.KeepAlive c) {
      return c.sessionId();
    } else if (cmd instanceof LockCommand.CloseSession c) {
      return c.sessionId();
    }
    return 0;
  }

  /**
   * The first reply to this request id if it was used before for the same command; a refusal if
   * it was used for another command; {@code null} if it is new.
   */
  private LockReply remembered(LockCommand.SessionOwned cmd, Session session, long fingerprint,
      Caller caller) {
    long firstFingerprint;
    LockReply firstReply;
    if (session != null) {
      Session.Remembered r = session.lookup(cmd.requestId());
      if (r == null) {
        return null;
      }
      firstFingerprint = r.fingerprint();
      firstReply = r.reply();
    } else {
      DedupeTable.Entry e = dedupe.lookup(dedupeOwner(cmd, caller), cmd.requestId());
      if (e == null) {
        return null;
      }
      firstFingerprint = e.fingerprint();
      firstReply = e.reply();
    }
    if (CommandFingerprint.matches(firstFingerprint, fingerprint)) {
      return firstReply;
    }
    return LockReply.Error.of(ErrorCode.INVALID_ARGUMENT, "request_id " + cmd.requestId()
        + " was already used for a different command; use a new request_id per command");
  }

  /**
   * The owner a client-owned request id is remembered under: the client id, qualified by the
   * caller's principal once auth is on, so that one principal can neither read nor block
   * another's replies by naming its client id. Principal names have no control characters, so
   * the NUL separates the two unambiguously.
   */
  private static String dedupeOwner(LockCommand.SessionOwned cmd, Caller caller) {
    return caller.principal().isEmpty() ? cmd.clientId() : caller.principal() + '\0' + cmd.clientId();
  }

  private void remember(LockCommand.SessionOwned cmd, long seq, Session session, long fingerprint,
      LockReply reply, Caller caller) {
    if (session != null) {
      session.remember(new Session.Remembered(cmd.requestId(), seq, fingerprint, reply),
          config.sessionDedupeMaxEntries());
    } else {
      dedupe.record(dedupeOwner(cmd, caller), cmd.requestId(), fingerprint, reply, smTimeMs);
    }
  }

  /** The committed access-control state (immutable; safe to publish to other threads). */
  public AclState acl() {
    return acl;
  }

  /** The settings in force (replicated; see {@link Config}). */
  public Config config() {
    return config;
  }

  /** State-machine time: the largest leader time applied so far. */
  public long smTimeMs() {
    return smTimeMs;
  }

  /**
   * Earliest lock expiry or wait timeout, or {@link Long#MAX_VALUE} when nothing is pending. The
   * leader proposes {@code Expire(t)} once its clock reaches {@code t >= nextDeadlineMs()}.
   */
  public long nextDeadlineMs() {
    LockState lease = table.leases.peek();
    Waiter wait = table.waits.peek();
    Session session = sessions.deadlines.peek();
    long next = lease == null ? Long.MAX_VALUE : lease.expiresAtMs;
    next = wait == null ? next : Math.min(next, wait.waitDeadlineMs);
    return session == null ? next : Math.min(next, session.expiresAtMs);
  }

  public Optional<LockInfo> lockInfo(String lockId) {
    return LockQueries.lockInfo(table, lockId);
  }

  public LockPage listLocks(LockFilter filter, int limit, int offset) {
    return LockQueries.listLocks(table, filter, limit, offset);
  }

  public BackoffAdvice backoffAdvice(String lockId) {
    return LockQueries.backoffAdvice(table, lockId, smTimeMs);
  }

  public LockStats stats() {
    int remembered = dedupe.size();
    for (Session s : sessions.all()) {
      remembered += s.rememberedCount();
    }
    return LockQueries.stats(table, remembered, smTimeMs, sessions.size());
  }

  /** The live session {@code sessionId}, if any. */
  public Optional<SessionInfo> sessionInfo(long sessionId) {
    Session s = sessions.get(sessionId);
    return s == null ? Optional.empty() : Optional.of(SessionInfo.of(s));
  }

  /**
   * Live sessions by id, {@code limit} (clamped by {@link LockLimits#pageLimit}) from
   * {@code offset}.
   */
  public SessionPage listSessions(int limit, int offset) {
    return SessionInfo.page(sessions.all(), limit, offset);
  }

  /** Versioned binary snapshot of the full logical state (see {@link SnapshotCodec}). */
  public byte[] snapshot() {
    return SnapshotCodec.write(this);
  }

  /** The state machine a snapshot describes; throws {@link LockCodecException} if malformed. */
  public static LockStateMachine restore(byte[] snapshot) {
    return SnapshotCodec.read(snapshot);
  }

  /**
   * Deterministic 64-bit hash of the full logical state (locks, waiters, counters, idempotency
   * table, time, config): equal on replicas that applied the same log. Computed over the snapshot
   * encoding, which is canonical; costs a full serialization, so it is for tests and checkers.
   */
  public long stateHash() {
    return SnapshotCodec.hash(snapshot());
  }
}
