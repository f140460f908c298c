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
 * Two clients abandon what they get, so leases expire and waiters are promoted.
 * Commands are built unstamped: the leader stamps them with its lease time ({@link SimLeaseDriver}),
 * as the production driver does. Each node's wall clock starts at an offset drawn here.
 */
final class LockWorkload implements LockSimStateMachine.GrantListener {
  private static final int CLIENTS = 8;
  private static final int LOCKS = 3;
  /** Lease TTLs: 1-2.5 s, short so that leases expire within the fault phase. */
  static final int MIN_TTL_MS = 1_000;
  static final int TTL_SPREAD_MS = 1_500;
  /** Clients c0 and c1 never renew or release what they hold (crashed or stuck holders). */
  private static final String ABANDONING_BELOW = "c2";

  private final SplittableRandom random;
  private final Map<String, Long> clockSkewMs = new HashMap<>();
  /** Latest grant seen per lock (committed state, identical on every replica). */
  private final Map<String, LockEvent.Granted> latestGrant = new HashMap<>();
  private byte[] lastCommand;
  /** Grants observed across all replicas (each checked by LockSimStateMachine). */
  long grantsChecked;
  private long requestSeq;
  /** Holdings ("lock#token") an abandoning client has renewed its one time. */
  private final java.util.Set<String> renewedOnce = new java.util.HashSet<>();

  LockWorkload(SplittableRandom random, Iterable<String> nodeIds, int maxSkewMs) {
    this.random = random;
    for (String id : nodeIds) {
      clockSkewMs.put(id, maxSkewMs == 0 ? 0L : (long) random.nextInt(-maxSkewMs, maxSkewMs + 1));
    }
  }

  /** Each node's initial wall-clock offset from true time. */
  Map<String, Long> clockOffsetsMs() {
    return clockSkewMs;
  }

  @Override
  public void granted(LockEvent.Granted g) {
    grantsChecked++;
    LockEvent.Granted prev = latestGrant.get(g.lockId());
    if (prev == null || g.token() > prev.token()) {
      latestGrant.put(g.lockId(), g);
    }
  }

  /** The next client command, unstamped (time 0): the leader stamps its lease time. */
  byte[] nextCommand() {
    long nowMs = 0;
    if (lastCommand != null && random.nextInt(10) == 0) {
      return lastCommand; // a retry: same request id, must not apply twice
    }
    String lock = "L" + random.nextInt(LOCKS);
    String client = "c" + random.nextInt(CLIENTS);
    LockEvent.Granted g = latestGrant.get(lock);
    int op = random.nextInt(100);
    String rid = "r" + (++requestSeq);
    LockCommand cmd;
    // A client that walks away renews its holding once at most (the confirming renew a client
    // sends for a grant pushed after a wait) and never releases it: it must expire.
    boolean abandoned = g != null && g.clientId().compareTo(ABANDONING_BELOW) < 0;
    boolean lastRenew = abandoned && op >= 70 && op < 85 && renewedOnce.add(lock + "#" + g.token());
    if (op < 40 || g == null || (abandoned && op < 85 && !lastRenew)) {
      cmd = new LockCommand.Acquire(lock, client, MIN_TTL_MS + random.nextInt(TTL_SPREAD_MS), random.nextBoolean(),
          1_000 + random.nextInt(4_000), random.nextInt(-2, 3), new TreeMap<>(), rid, nowMs);
    } else if (op < 70) {
      boolean honest = random.nextInt(5) != 0;
      cmd = new LockCommand.Release(lock, honest ? g.clientId() : client,
          honest ? g.token() : g.token() - random.nextInt(3), rid, nowMs);
    } else if (op < 85) {
      cmd = new LockCommand.Renew(lock, g.clientId(), g.token(), MIN_TTL_MS + random.nextInt(TTL_SPREAD_MS), rid, nowMs);
    } else if (op < 93) {
      cmd = new LockCommand.EnqueueWaiter(lock, client, 1_000 + random.nextInt(4_000), 0, rid, nowMs);
    } else {
      cmd = new LockCommand.CancelWait(lock, client, rid, nowMs);
    }
    lastCommand = LockCommandCodec.encode(cmd);
    return lastCommand;
  }
}
