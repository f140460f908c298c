package io.raftlock.sim;

import io.raftlock.lock.ApplyResult;
import io.raftlock.lock.LockCodecException;
import io.raftlock.lock.LockCommand;
import io.raftlock.lock.LockCommandCodec;
import io.raftlock.lock.LockEvent;
import io.raftlock.lock.LockReply;
import java.util.HashMap;
import java.util.Map;
import java.util.SplittableRandom;
import java.util.TreeMap;

/**
 * Lock clients for the simulator: a few clients contend for a few locks with short TTLs,
 * acquiring (waiting or not), releasing and renewing with the tokens they were granted (and
 * sometimes stale or foreign ones), waiting, cancelling, and retrying with the same request id.
 * Two clients abandon what they get, so leases expire and waiters are promoted.
 *
 * <p><b>Sessions.</b> Clients c4-c7 work on sessions (issue 17): each opens one (TTL 1-2.5 s),
 * learns its id when the opening entry is applied, and owns what it acquires and waits for
 * through it; now and then it sends a keep-alive or closes the session. c4 never keeps its
 * session alive and never releases (a crashed process), so its sessions expire with their locks
 * and waits in one entry. Releases and renews of a session-owned holding name the holder's
 * session, which may have ended meanwhile (refused, as for a stale token).
 *
 * <p>Commands are built unstamped: the leader stamps them with its lease time ({@link SimLeaseDriver}),
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
  /** Clients from c4 on work on sessions; c4 keeps none alive. */
  private static final String SESSIONS_FROM = "c4";
  private static final String SESSION_ABANDONER = "c4";
  /** A client's open that was not applied after this many commands is given up (sent again). */
  private static final int OPEN_GIVE_UP_COMMANDS = 200;

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
  /** A session client's live session (learnt from the applied log), by client. */
  private final Map<String, Long> sessionOf = new HashMap<>();
  /** A session client's open in flight: the command count when it was sent. */
  private final Map<String, Long> openSentAt = new HashMap<>();
  private long commands;
  private long openSeq;
  private long lastApplied;
  long sessionsOpened;
  long sessionsExpired;
  long sessionsClosed;

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

  /**
   * Entry {@code index} applied on some replica (only its first application counts): session
   * clients learn their session ids, and forget sessions that ended.
   */
  @Override
  public void applied(long index, byte[] command, ApplyResult result) {
    if (index <= lastApplied) {
      return;
    }
    lastApplied = index;
    LockCommand cmd = decode(command);
    if (cmd instanceof LockCommand.OpenSession o && result.reply() instanceof LockReply.SessionOpened opened) {
      sessionsOpened++;
      openSentAt.remove(o.name());
      sessionOf.put(o.name(), opened.sessionId());
    }
    for (LockEvent ev : result.events()) {
      if (ev instanceof LockEvent.SessionExpired x) {
        sessionsExpired++;
        sessionOf.remove(x.clientId(), x.sessionId());
      } else if (ev instanceof LockEvent.SessionClosed x) {
        sessionsClosed++;
        sessionOf.remove(x.clientId(), x.sessionId());
      }
    }
  }

  /** The next client command, unstamped (time 0): the leader stamps its lease time. */
  byte[] nextCommand() {
    commands++;
    if (lastCommand != null && random.nextInt(10) == 0) {
      return lastCommand; // a retry: same request id, must not apply twice
    }
    String client = "c" + random.nextInt(CLIENTS);
    LockCommand cmd = client.compareTo(SESSIONS_FROM) >= 0 ? sessionCommand(client) : null;
    if (cmd == null) {
      cmd = lockCommand(client, sessionOf.getOrDefault(client, LockCommand.SessionOwned.NO_SESSION));
    }
    lastCommand = LockCommandCodec.encode(cmd);
    return lastCommand;
  }

  /** A session client's own session command (open, keep-alive, close), or null for a lock command. */
  private LockCommand sessionCommand(String client) {
    Long sid = sessionOf.get(client);
    if (sid == null) {
      Long sentAt = openSentAt.get(client);
      if (sentAt != null && commands - sentAt < OPEN_GIVE_UP_COMMANDS) {
        return null; // the open is in flight: a lock command without session meanwhile
      }
      openSentAt.put(client, commands);
      // The nonce tells the lease checker which send an applied open came from.
      TreeMap<String, String> nonce = new TreeMap<>(Map.of("open", "o" + (++openSeq)));
      return new LockCommand.OpenSession(client, MIN_TTL_MS + random.nextInt(TTL_SPREAD_MS), nonce, 0);
    }
    int op = random.nextInt(100);
    if (op < 15 && !client.equals(SESSION_ABANDONER)) {
      return new LockCommand.KeepAlive(sid, 0);
    } else if (op < 17) {
      return new LockCommand.CloseSession(sid, 0);
    }
    return null;
  }

  /** A lock command by {@code client} (on {@code sessionId} if non-zero) or by a holder. */
  private LockCommand lockCommand(String client, long sessionId) {
    long nowMs = 0;
    String lock = "L" + random.nextInt(LOCKS);
    LockEvent.Granted g = latestGrant.get(lock);
    int op = random.nextInt(100);
    String rid = "r" + (++requestSeq);
    // A client that walks away renews its holding once at most (the confirming renew a client
    // sends for a grant pushed after a wait) and never releases it: it must expire.
    boolean abandoned = g != null && (g.clientId().compareTo(ABANDONING_BELOW) < 0
        || g.clientId().equals(SESSION_ABANDONER));
    boolean lastRenew = abandoned && op >= 70 && op < 85 && renewedOnce.add(lock + "#" + g.token());
    if (op < 40 || g == null || (abandoned && op < 85 && !lastRenew)) {
      return new LockCommand.Acquire(lock, client, MIN_TTL_MS + random.nextInt(TTL_SPREAD_MS), random.nextBoolean(),
          1_000 + random.nextInt(4_000), random.nextInt(-2, 3), new TreeMap<>(), rid, nowMs, sessionId);
    } else if (op < 70) {
      boolean honest = random.nextInt(5) != 0;
      return new LockCommand.Release(lock, honest ? g.clientId() : client,
          honest ? g.token() : g.token() - random.nextInt(3), rid, nowMs, honest ? g.sessionId() : sessionId);
    } else if (op < 85) {
      return new LockCommand.Renew(lock, g.clientId(), g.token(), MIN_TTL_MS + random.nextInt(TTL_SPREAD_MS), rid,
          nowMs, g.sessionId());
    } else if (op < 93) {
      return new LockCommand.EnqueueWaiter(lock, client, 1_000 + random.nextInt(4_000), 0, rid, nowMs, sessionId);
    }
    return new LockCommand.CancelWait(lock, client, rid, nowMs, sessionId);
  }

  private static LockCommand decode(byte[] command) {
    try {
      return LockCommandCodec.decode(command);
    } catch (LockCodecException e) {
      return null;
    }
  }
}
