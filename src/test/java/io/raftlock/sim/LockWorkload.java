package io.raftlock.sim;

import io.raftlock.lock.LockCommand;
import io.raftlock.lock.LockCommandCodec;
import io.raftlock.lock.LockEvent;
import java.util.HashMap;
import java.util.Map;
import java.util.SplittableRandom;
import java.util.TreeMap;

/**
 * Lock clients for the simulator: a few clients contend for a few locks with short TTLs,
 * acquiring (waiting or not), releasing and renewing with the tokens they were granted (and
 * sometimes stale or foreign ones), waiting, cancelling, and retrying with the same request id.
 * Every command is stamped with the proposing node's clock — each node's clock is skewed — and
 * the leader proposes the committed expiry when its clock passes the next deadline.
 */
final class LockWorkload implements LockSimStateMachine.GrantListener {
  static final long EPOCH_MS = 1_700_000_000_000L;
  private static final int CLIENTS = 8;
  private static final int LOCKS = 3;

  private final SplittableRandom random;
  private final Map<String, Long> clockSkewMs = new HashMap<>();
  /** Latest grant seen per lock (committed state, identical on every replica). */
  private final Map<String, LockEvent.Granted> latestGrant = new HashMap<>();
  private byte[] lastCommand;
  /** Grants observed across all replicas (each checked by LockSimStateMachine). */
  long grantsChecked;
  private long requestSeq;
  private final Map<String, Long> lastExpireProposalMs = new HashMap<>();

  LockWorkload(SplittableRandom random, Iterable<String> nodeIds, int maxSkewMs) {
    this.random = random;
    for (String id : nodeIds) {
      clockSkewMs.put(id, maxSkewMs == 0 ? 0L : (long) random.nextInt(-maxSkewMs, maxSkewMs + 1));
    }
  }

  /** The wall clock of node {@code id} at simulated time {@code simMs}. */
  long clockMs(String id, long simMs) {
    return EPOCH_MS + simMs + clockSkewMs.get(id);
  }

  @Override
  public void granted(LockEvent.Granted g) {
    grantsChecked++;
    LockEvent.Granted prev = latestGrant.get(g.lockId());
    if (prev == null || g.token() > prev.token()) {
      latestGrant.put(g.lockId(), g);
    }
  }

  /** The next client command, stamped with {@code nowMs}. */
  byte[] nextCommand(long nowMs) {
    if (lastCommand != null && random.nextInt(10) == 0) {
      return lastCommand; // a retry: same request id, must not apply twice
    }
    String lock = "L" + random.nextInt(LOCKS);
    String client = "c" + random.nextInt(CLIENTS);
    LockEvent.Granted g = latestGrant.get(lock);
    int op = random.nextInt(100);
    String rid = "r" + (++requestSeq);
    LockCommand cmd;
    if (op < 40 || g == null) {
      cmd = new LockCommand.Acquire(lock, client, 1_000 + random.nextInt(4_000), random.nextBoolean(),
          1_000 + random.nextInt(4_000), random.nextInt(-2, 3), new TreeMap<>(), rid, nowMs);
    } else if (op < 70) {
      boolean honest = random.nextInt(5) != 0;
      cmd = new LockCommand.Release(lock, honest ? g.clientId() : client,
          honest ? g.token() : g.token() - random.nextInt(3), rid, nowMs);
    } else if (op < 85) {
      cmd = new LockCommand.Renew(lock, g.clientId(), g.token(), 1_000 + random.nextInt(4_000), rid, nowMs);
    } else if (op < 93) {
      cmd = new LockCommand.EnqueueWaiter(lock, client, 1_000 + random.nextInt(4_000), 0, rid, nowMs);
    } else {
      cmd = new LockCommand.CancelWait(lock, client, rid, nowMs);
    }
    lastCommand = LockCommandCodec.encode(cmd);
    return lastCommand;
  }

  /**
   * Called after each tick of a leader: proposes {@code Expire(now)} once the leader's clock has
   * passed the state machine's next deadline (at most every 50 ms while it is not applied).
   */
  byte[] expiryDue(String leaderId, long simMs, long nextDeadlineMs) {
    long now = clockMs(leaderId, simMs);
    Long last = lastExpireProposalMs.get(leaderId);
    if (now < nextDeadlineMs || (last != null && simMs - last < 50)) {
      return null;
    }
    lastExpireProposalMs.put(leaderId, simMs);
    return LockCommandCodec.encode(new LockCommand.Expire(now));
  }
}
