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
 * leader proposes {@link LockCommand.Expire} when its clock passes {@link #nextDeadlineMs()}.
 * A new leader first proposes {@link LockCommand.Promote}, so that no lease is cut short by the
 * change of clock that comes with a change of leader.
 *
 * <p>Apply pipeline (each step may end it):
 *
 * <ol>
 *   <li>validate limits ({@link CommandValidator}) → {@code INVALID_ARGUMENT}/{@code INVALID_TTL},
 *       nothing changes (not even time);
 *   <li>idempotency: a remembered (client, request id) returns the first reply, no events,
 *       nothing changes;
 *   <li>advance time, evict stale idempotency entries;
 *   <li>execute; remember the reply under (client, request id) if the command has one.
 * </ol>
 *
 * <p>Fencing: the token of a holding is the index of the entry that granted it, so tokens of a
 * lock strictly increase and are never reused (log indexes do). Not thread-safe: owned by the
 * Raft driver's thread.
 */
public final class LockStateMachine {

  /**
   * Tunables. They are replicated: carried in snapshots, and must be equal on all replicas.
   *
   * @param maxWaitersPerLock enqueue beyond this gives {@code WAIT_QUEUE_FULL}
   * @param dedupeRetentionMs how long (state-machine time) a request id is remembered
   * @param dedupeMaxEntries bound on remembered request ids (oldest evicted first)
   */
  public record Config(int maxWaitersPerLock, long dedupeRetentionMs, int dedupeMaxEntries) {
    public static final Config DEFAULT = new Config(LockLimits.DEFAULT_MAX_WAITERS_PER_LOCK,
        LockLimits.DEFAULT_DEDUPE_RETENTION_MS, LockLimits.DEFAULT_DEDUPE_MAX_ENTRIES);

    public Config {
      if (maxWaitersPerLock < 0 || dedupeMaxEntries < 0 || dedupeRetentionMs < 0
          || dedupeRetentionMs > 366L * 24 * 3_600_000) {
        throw new IllegalArgumentException("bad lock state machine config");
      }
    }
  }

  final Config config;
  final LockTable table;
  final DedupeTable dedupe;
  long smTimeMs;

  public LockStateMachine() {
    this(Config.DEFAULT);
  }

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
    String clientId = cmd.clientId();
    String requestId = cmd.requestId();
    if (!requestId.isEmpty()) {
      LockReply first = dedupe.lookup(clientId, requestId);
      if (first != null) {
        return ApplyResult.of(first);
      }
    }
    smTimeMs = Math.max(smTimeMs, cmd.timeMs());
    dedupe.evictExpired(smTimeMs);
    List<LockEvent> events = new ArrayList<>(2);
    LockReply reply = new CommandExecutor(this, index, events).execute(cmd);
    if (!requestId.isEmpty()) {
      dedupe.record(clientId, requestId, reply, smTimeMs);
    }
    return new ApplyResult(reply, events);
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
    long next = lease == null ? Long.MAX_VALUE : lease.expiresAtMs;
    return wait == null ? next : Math.min(next, wait.waitDeadlineMs);
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
    return LockQueries.stats(table, dedupe.size(), smTimeMs);
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
