package io.raftlock.lock;

import java.util.Map;

/**
 * Defensive re-check of the API limits when a command is applied. The API layer validates first,
 * so a failure here means a buggy or foreign proposer; the command is rejected and changes
 * nothing. TTLs out of range give {@link ErrorCode#INVALID_TTL}, everything else
 * {@link ErrorCode#INVALID_ARGUMENT}; the message names the field.
 */
final class CommandValidator {
  private CommandValidator() {}

  /** The rejection for {@code cmd}, or {@code null} when it is within all limits. */
  static LockReply.Error validate(LockCommand cmd) {
    String problem = problem(cmd);
    if (problem != null) {
      return LockReply.Error.of(ErrorCode.INVALID_ARGUMENT, problem);
    }
    if (cmd instanceof LockCommand.OpenSession c) {
      return sessionTtl(c.ttlMs());
    }
    long ttl = LockLimits.MIN_TTL_MS;
    if (cmd instanceof LockCommand.Acquire c) {
      ttl = c.ttlMs();
    } else if (cmd instanceof LockCommand.Renew c) {
      ttl = c.ttlMs();
    }
    if (ttl == 0 && cmd instanceof LockCommand.SessionOwned c && c.sessionId() > 0) {
      return null; // a session-owned holding lives on the session's lease: no TTL of its own
    }
    if (ttl < LockLimits.MIN_TTL_MS || ttl > LockLimits.MAX_TTL_MS) {
      return LockReply.Error.of(ErrorCode.INVALID_TTL, "ttl must be between "
          + LockLimits.MIN_TTL_MS + " ms and " + LockLimits.MAX_TTL_MS + " ms: " + ttl);
    }
    return null;
  }

  private static LockReply.Error sessionTtl(long ttl) {
    if (ttl < LockLimits.MIN_SESSION_TTL_MS || ttl > LockLimits.MAX_SESSION_TTL_MS) {
      return LockReply.Error.of(ErrorCode.INVALID_TTL, "session ttl must be between "
          + LockLimits.MIN_SESSION_TTL_MS + " ms and " + LockLimits.MAX_SESSION_TTL_MS + " ms: "
          + ttl);
    }
    return null;
  }

  private static String problem(LockCommand cmd) {
    if (cmd.timeMs() < 0 || cmd.timeMs() > LockLimits.MAX_TIME_MS) {
      return "time_ms must be between 0 and " + LockLimits.MAX_TIME_MS + ": " + cmd.timeMs();
    }
    if (cmd instanceof LockCommand.SessionOwned c && c.sessionId() < 0) {
      return "session_id must be 0 (no session) or a session id: " + c.sessionId();
    }
    if (cmd instanceof LockCommand.OpenSession c) {
      return firstOf(id("name", c.name(), LockLimits.MAX_CLIENT_ID_LENGTH),
          metadata(c.metadata()));
    } else if (cmd instanceof LockCommand.KeepAlive c) {
      return sessionId(c.sessionId());
    } else if (cmd instanceof LockCommand.CloseSession c) {
      return sessionId(c.sessionId());
    }
    return lockCommandProblem(cmd);
  }

  private static String lockCommandProblem(LockCommand cmd) {
    if (cmd instanceof LockCommand.Acquire c) {
      return acquire(c);
    } else if (cmd instanceof LockCommand.Release c) {
      return firstOf(ids(c), token(c.token()));
    } else if (cmd instanceof LockCommand.Renew c) {
      return firstOf(ids(c), token(c.token()));
    } else if (cmd instanceof LockCommand.EnqueueWaiter c) {
      return firstOf(
          ids(c),
          waitTimeout(c.waitTimeoutMs()),
          priority(c.priority()));
    } else if (cmd instanceof LockCommand.CancelWait c) {
      return ids(c);
    } else if (cmd instanceof LockCommand.CancelClientWaits c) {
      return firstOf(id("client_id", c.clientId(), LockLimits.MAX_CLIENT_ID_LENGTH),
          c.principal().length() > LockLimits.MAX_CLIENT_ID_LENGTH
              ? "principal length cannot exceed " + LockLimits.MAX_CLIENT_ID_LENGTH + " characters" : null);
    } else if (cmd instanceof LockCommand.Expire || cmd instanceof LockCommand.Promote) {
      return null; // they carry only their time
    } else if (cmd instanceof LockCommand.Acl) {
      return null; // checked against the ACL state it changes (AclChanges)
    } else if (cmd instanceof LockCommand.Configure) {
      return null; // a Config is in range by construction (and out-of-range bytes do not decode)
    } else if (cmd instanceof LockCommand.Sequenced c) {
      return c.seq() < 1 || c.answeredBelow() < 0 || c.answeredBelow() > c.seq()
          ? "seq must be positive and answered_below in 0..seq: seq " + c.seq() + ", answered_below "
              + c.answeredBelow()
          : problem(c.command());
    } else if (cmd instanceof LockCommand.Authenticated c) {
      return c.keyId().isEmpty() || c.keyId().length() > AclState.MAX_KEY_ID_LENGTH
          ? "key_id must have 1.." + AclState.MAX_KEY_ID_LENGTH + " characters" : problem(c.command());
    }
    // A command type added without its checks must not pass unchecked.
    throw new IllegalStateException("no validation for command type " + cmd.getClass().getSimpleName());
  }

  private static String sessionId(long sessionId) {
    return sessionId < 1 ? "session_id must be a positive session id: " + sessionId : null;
  }

  private static String acquire(LockCommand.Acquire c) {
    return firstOf(
        ids(c),
        c.waitForLock() ? waitTimeout(c.waitTimeoutMs()) : null,
        priority(c.priority()),
        metadata(c.metadata()));
  }

  /** Ids of a lock command; a session-owned one may leave its client id (label) empty. */
  private static String ids(LockCommand.SessionOwned c) {
    String p = id("lock_id", c.lockId(), LockLimits.MAX_LOCK_ID_LENGTH);
    if (p == null && !(c.sessionId() > 0 && c.clientId().isEmpty())) {
      p = id("client_id", c.clientId(), LockLimits.MAX_CLIENT_ID_LENGTH);
    }
    if (p == null && c.requestId().length() > LockLimits.MAX_REQUEST_ID_LENGTH) {
      p = "request_id length cannot exceed " + LockLimits.MAX_REQUEST_ID_LENGTH + " characters";
    }
    return p;
  }

  private static String id(String field, String value, int max) {
    if (value.isEmpty() || value.length() > max) {
      return field + " must be a non-empty string with length <= " + max + " characters";
    }
    return null;
  }

  private static String token(long token) {
    return token < 1 ? "token must be a positive fencing token: " + token : null;
  }

  private static String waitTimeout(long ms) {
    if (ms < LockLimits.MIN_WAIT_TIMEOUT_MS || ms > LockLimits.MAX_WAIT_TIMEOUT_MS) {
      return "wait_timeout must be between " + LockLimits.MIN_WAIT_TIMEOUT_MS + " ms and "
          + LockLimits.MAX_WAIT_TIMEOUT_MS + " ms: " + ms;
    }
    return null;
  }

  private static String priority(int p) {
    if (p < LockLimits.MIN_PRIORITY || p > LockLimits.MAX_PRIORITY) {
      return "priority must be between " + LockLimits.MIN_PRIORITY + " and "
          + LockLimits.MAX_PRIORITY + ": " + p;
    }
    return null;
  }

  private static String metadata(Map<String, String> metadata) {
    if (metadata.size() > LockLimits.MAX_METADATA_ENTRIES) {
      return "metadata cannot have more than " + LockLimits.MAX_METADATA_ENTRIES + " entries";
    }
    for (Map.Entry<String, String> e : metadata.entrySet()) {
      if (e.getKey().isEmpty() || e.getKey().length() > LockLimits.MAX_METADATA_KEY_LENGTH) {
        return "metadata key must be non-empty with length <= "
            + LockLimits.MAX_METADATA_KEY_LENGTH + " characters";
      }
      if (e.getValue().length() > LockLimits.MAX_METADATA_VALUE_LENGTH) {
        return "metadata value length cannot exceed " + LockLimits.MAX_METADATA_VALUE_LENGTH
            + " characters";
      }
    }
    return null;
  }

  private static String firstOf(String... problems) {
    for (String p : problems) {
      if (p != null) {
        return p;
      }
    }
    return null;
  }
}
