package io.raftlock.nemesis.check;

import io.raftlock.lock.LockCommand;
import io.raftlock.lock.LockLimits;
import java.util.Map;

/**
 * The documented limits of the {@link ReferenceModel}, written from docs/lock-state-machine.md
 * ("Apply pipeline", "Sessions"): a command outside them is refused and changes nothing, not
 * even time. Also which commands name a session and which carry an idempotency key.
 */
final class ModelRules {
  private ModelRules() {}

  /** The session a command names: lock commands of a session, keep-alive, close; 0 for none. */
  static long sessionOf(LockCommand cmd) {
    if (cmd instanceof LockCommand.SessionOwned c) {
      return c.sessionId();
    } else if (cmd instanceof LockCommand.KeepAlive c) {
      return c.sessionId();
    } else if (cmd instanceof LockCommand.CloseSession c) {
      return c.sessionId();
    }
    return 0;
  }

  /** The idempotency key of a lock command with a request id, {@code null} without one. */
  static String requestId(LockCommand cmd) {
    return cmd instanceof LockCommand.SessionOwned c && !c.requestId().isEmpty()
        ? c.requestId() : null;
  }

  static boolean valid(LockCommand cmd) {
    if (cmd.timeMs() < 0 || cmd.timeMs() > LockLimits.MAX_TIME_MS) {
      return false;
    }
    if (cmd instanceof LockCommand.OpenSession c) {
      return id(c.name(), LockLimits.MAX_CLIENT_ID_LENGTH) && metadata(c.metadata())
          && c.ttlMs() >= LockLimits.MIN_SESSION_TTL_MS
          && c.ttlMs() <= LockLimits.MAX_SESSION_TTL_MS;
    } else if (cmd instanceof LockCommand.KeepAlive c) {
      return c.sessionId() >= 1;
    } else if (cmd instanceof LockCommand.CloseSession c) {
      return c.sessionId() >= 1;
    } else if (cmd instanceof LockCommand.SessionOwned c) {
      return c.sessionId() >= 0 && ids(c) && lockCommand(c);
    } else if (cmd instanceof LockCommand.CancelClientWaits c) {
      return id(c.clientId(), LockLimits.MAX_CLIENT_ID_LENGTH);
    }
    return true;
  }

  private static boolean lockCommand(LockCommand.SessionOwned cmd) {
    boolean session = cmd.sessionId() > 0;
    if (cmd instanceof LockCommand.Acquire c) {
      return ttl(c.ttlMs(), session) && (!c.waitForLock() || waitTimeout(c.waitTimeoutMs()))
          && priority(c.priority()) && metadata(c.metadata());
    } else if (cmd instanceof LockCommand.Release c) {
      return c.token() >= 1;
    } else if (cmd instanceof LockCommand.Renew c) {
      return c.token() >= 1 && ttl(c.ttlMs(), session);
    } else if (cmd instanceof LockCommand.EnqueueWaiter c) {
      return waitTimeout(c.waitTimeoutMs()) && priority(c.priority());
    }
    return true; // CancelWait: ids only
  }

  /** A session's command may leave its client id (only a label) empty. */
  private static boolean ids(LockCommand.SessionOwned c) {
    return id(c.lockId(), LockLimits.MAX_LOCK_ID_LENGTH)
        && (c.sessionId() > 0 && c.clientId().isEmpty()
            || id(c.clientId(), LockLimits.MAX_CLIENT_ID_LENGTH))
        && c.requestId().length() <= LockLimits.MAX_REQUEST_ID_LENGTH;
  }

  private static boolean id(String value, int max) {
    return !value.isEmpty() && value.length() <= max;
  }

  /** A session-owned hold has no lease: TTL 0 is accepted, any other must be in range. */
  private static boolean ttl(long ms, boolean session) {
    return session && ms == 0 || ms >= LockLimits.MIN_TTL_MS && ms <= LockLimits.MAX_TTL_MS;
  }

  private static boolean waitTimeout(long ms) {
    return ms >= LockLimits.MIN_WAIT_TIMEOUT_MS && ms <= LockLimits.MAX_WAIT_TIMEOUT_MS;
  }

  private static boolean priority(int p) {
    return p >= LockLimits.MIN_PRIORITY && p <= LockLimits.MAX_PRIORITY;
  }

  private static boolean metadata(Map<String, String> md) {
    if (md.size() > LockLimits.MAX_METADATA_ENTRIES) {
      return false;
    }
    for (Map.Entry<String, String> e : md.entrySet()) {
      if (e.getKey().isEmpty() || e.getKey().length() > LockLimits.MAX_METADATA_KEY_LENGTH
          || e.getValue().length() > LockLimits.MAX_METADATA_VALUE_LENGTH) {
        return false;
      }
    }
    return true;
  }
}
