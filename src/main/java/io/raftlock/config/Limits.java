package io.raftlock.config;

import com.fasterxml.jackson.annotation.JsonCreator;
import com.fasterxml.jackson.annotation.JsonProperty;
import io.raftlock.lock.LockStateMachine;

/**
 * The lock limits this node puts in force when it leads (JSON object {@code "limits"}; every
 * field optional, defaults: the code's recommended values). They are replicated settings of the
 * state machine: they take effect only when the leader commits them (a {@code Configure} entry,
 * after each election in which they differ from the committed ones), on every replica at the
 * same index. Nodes configured differently: the latest leader's limits are in force, and the
 * others log a warning; configure every node alike.
 *
 * @param maxWaitersPerLock waiters one lock may queue (0 to {@value #MAX_WAITERS}; 0: no
 *     waiting); lowering it keeps the waiters already queued and refuses new ones beyond it
 * @param dedupeRetentionMs how long a client-owned request id is remembered for retries
 *     ({@value #MIN_DEDUPE_RETENTION_MS} ms to 366 days)
 * @param dedupeMaxEntries client-owned request ids remembered in all (1 to
 *     {@value #MAX_DEDUPE_ENTRIES}); the oldest are evicted first
 * @param sessionDedupeMaxEntries request ids remembered per session (1 to
 *     {@value #MAX_SESSION_DEDUPE_ENTRIES})
 */
public record Limits(int maxWaitersPerLock, long dedupeRetentionMs, int dedupeMaxEntries,
    int sessionDedupeMaxEntries) {
  public static final int MAX_WAITERS = 100_000;
  public static final long MIN_DEDUPE_RETENTION_MS = 1_000;
  public static final int MAX_DEDUPE_ENTRIES = 10_000_000;
  public static final int MAX_SESSION_DEDUPE_ENTRIES = 100_000;
  public static final Limits RECOMMENDED = of(LockStateMachine.Config.RECOMMENDED);

  @JsonCreator
  public static Limits fromJson(
      @JsonProperty("maxWaitersPerLock") Integer maxWaitersPerLock,
      @JsonProperty("dedupeRetentionMs") Long dedupeRetentionMs,
      @JsonProperty("dedupeMaxEntries") Integer dedupeMaxEntries,
      @JsonProperty("sessionDedupeMaxEntries") Integer sessionDedupeMaxEntries) {
    LockStateMachine.Config d = LockStateMachine.Config.RECOMMENDED;
    return new Limits(or(maxWaitersPerLock, d.maxWaitersPerLock()), or(dedupeRetentionMs, d.dedupeRetentionMs()),
        or(dedupeMaxEntries, d.dedupeMaxEntries()), or(sessionDedupeMaxEntries, d.sessionDedupeMaxEntries()));
  }

  public static Limits of(LockStateMachine.Config c) {
    return new Limits(c.maxWaitersPerLock(), c.dedupeRetentionMs(), c.dedupeMaxEntries(),
        c.sessionDedupeMaxEntries());
  }

  public Limits {
    within("limits.maxWaitersPerLock", maxWaitersPerLock, 0, MAX_WAITERS);
    within("limits.dedupeRetentionMs", dedupeRetentionMs, MIN_DEDUPE_RETENTION_MS,
        LockStateMachine.Config.MAX_DEDUPE_RETENTION_MS);
    within("limits.dedupeMaxEntries", dedupeMaxEntries, 1, MAX_DEDUPE_ENTRIES);
    within("limits.sessionDedupeMaxEntries", sessionDedupeMaxEntries, 1, MAX_SESSION_DEDUPE_ENTRIES);
  }

  private static <T> T or(T value, T dflt) {
    return value == null ? dflt : value;
  }

  private static void within(String field, long value, long min, long max) {
    if (value < min || value > max) {
      throw new ConfigException(field, "must be between " + min + " and " + max + ", was " + value);
    }
  }

  /** The state machine's settings these limits ask for. */
  public LockStateMachine.Config toStateMachineConfig() {
    return new LockStateMachine.Config(maxWaitersPerLock, dedupeRetentionMs, dedupeMaxEntries,
        sessionDedupeMaxEntries);
  }
}
