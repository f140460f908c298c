package io.raftlock.lock;

/**
 * The leader's lease time: the time it stamps into every command it proposes and compares with
 * {@link LockStateMachine#nextDeadlineMs()} to decide expiry (ARCHITECTURE.md, data path 4). Pure:
 * both clocks are inputs, read by the caller.
 *
 * <p><b>The rule.</b> The first reading in a term <em>anchors</em> the clock at
 * {@code max(smTimeMs, wallMs)} together with the monotonic reading of that moment; from then on
 * {@code lease time = anchor + monotonic elapsed since the anchor}, raised to the state machine's
 * time if that is ahead (and re-anchored there). The wall clock is read only at the anchor, so a
 * wall-clock step later in the term changes nothing; only the rate of the monotonic clock moves
 * lease time, and the client's safety margin ({@code docs/client.md}) covers rate differences.
 *
 * <p><b>Invariants</b> (what the callers and the simulator rely on):
 *
 * <ol>
 *   <li>Lease time never goes backwards within a term and is never below the state-machine time
 *       it was given, so a stamp never drags {@code smTimeMs} back and is never clamped away.
 *   <li>It jumps forward only at the anchor, or when the state machine's time overtakes it. The
 *       latter happens only while entries of earlier terms, stamped by an earlier leader, are still
 *       being applied: after this leader's own {@link LockCommand.Promote} has applied, every
 *       earlier entry has too, and every later entry carries a stamp of this clock, so from then on
 *       lease time advances by monotonic elapsed time alone.
 *   <li>Hence expiry is decided only after the term's Promote has applied ({@link #expiryCommand}):
 *       a lease stamped at lease time {@code s} with TTL {@code t} is expired no earlier than
 *       {@code t} of this leader's monotonic time after it stamped {@code s}, itself after the
 *       client sent the request. A jump at the anchor (a wall clock stepped forward when this node
 *       took over) cannot cut a lease short either: Promote extends every held lease to at least
 *       its TTL from the takeover, and leases granted later are stamped on the same clock.
 * </ol>
 *
 * <p>What a wall clock stepped forward at the anchor still moves: wait timeouts and idempotency
 * retention are measured in state-machine time, so they end early by the step, once. Time never
 * comes back, so a state machine pushed ahead stays ahead; durations measured on it stay right.
 *
 * <p>Owned by one thread (the Raft driver's); a node keeps one instance for its lifetime and a
 * restarted node starts with a fresh one.
 */
public final class LeaseClock {
  private static final long NANOS_PER_MS = 1_000_000L;

  private long anchorTerm = -1;
  private long anchorMs;
  private long anchorMonoNanos;

  /**
   * Lease time for a leader of {@code term}.
   *
   * @param term the current term of the leader asking
   * @param smTimeMs the state machine's time as applied on this node now
   * @param wallMs this node's wall clock (used only if this reading anchors the term)
   * @param monoNanos this node's monotonic clock (the JVM's monotonic nanosecond clock in production)
   */
  public long nowMs(long term, long smTimeMs, long wallMs, long monoNanos) {
    if (term != anchorTerm) {
      anchorTerm = term;
      anchorAt(Math.max(smTimeMs, wallMs), monoNanos);
      return anchorMs;
    }
    long elapsedMs = Math.max(0, monoNanos - anchorMonoNanos) / NANOS_PER_MS;
    long leaseMs = anchorMs + elapsedMs;
    if (smTimeMs > leaseMs) {
      anchorAt(smTimeMs, monoNanos);
      return smTimeMs;
    }
    return leaseMs;
  }

  /**
   * The leader's expiry decision at this reading: {@link LockCommand.Promote} while the term's
   * Promote has not applied yet, then {@link LockCommand.Expire} once lease time has reached
   * {@code nextDeadlineMs}, else null (nothing due).
   *
   * @param promotedInTerm whether this leader's Promote of {@code term} has applied
   */
  public LockCommand expiryCommand(long term, boolean promotedInTerm, long smTimeMs,
      long nextDeadlineMs, long wallMs, long monoNanos) {
    long now = nowMs(term, smTimeMs, wallMs, monoNanos);
    if (!promotedInTerm) {
      return new LockCommand.Promote(now);
    }
    return now >= nextDeadlineMs ? new LockCommand.Expire(now) : null;
  }

  /**
   * Everything a leader proposes on its own, in order: its term's {@link LockCommand.Promote}
   * first (as {@link #expiryCommand}), then, once that has applied, a
   * {@link LockCommand.Configure} while the committed settings differ from {@code desired} (this
   * node's), then {@link LockCommand.Expire} when due; null when nothing is due. Settings go
   * before expiry so that a new leader's limits are in force from its first decisions on.
   */
  public LockCommand leaderCommand(long term, boolean promotedInTerm, LockStateMachine sm,
      LockStateMachine.Config desired, long wallMs, long monoNanos) {
    LockCommand cmd = expiryCommand(term, promotedInTerm, sm.smTimeMs(), sm.nextDeadlineMs(),
        wallMs, monoNanos);
    if (cmd instanceof LockCommand.Promote || desired.equals(sm.config())) {
      return cmd;
    }
    return new LockCommand.Configure(desired, nowMs(term, sm.smTimeMs(), wallMs, monoNanos));
  }

  /** The term of the last anchor, or -1 before the first reading. */
  public long anchorTerm() {
    return anchorTerm;
  }

  private void anchorAt(long leaseMs, long monoNanos) {
    anchorMs = leaseMs;
    anchorMonoNanos = monoNanos;
  }
}
