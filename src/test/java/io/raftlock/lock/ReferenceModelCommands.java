package io.raftlock.lock;

import java.util.List;

/** Field access of commands for {@link ReferenceModel}, written independently of the codec. */
final class ReferenceModelCommands {
  private ReferenceModelCommands() {}

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

  static String field(LockCommand cmd, boolean client) {
    if (cmd instanceof LockCommand.SessionOwned c) {
      return client ? c.clientId() : c.requestId();
    }
    return "";
  }

  /** Kind, lock id, token, TTL, wait flag, wait timeout, priority, metadata: what must match. */
  static List<Object> sameness(LockCommand cmd) {
    if (cmd instanceof LockCommand.Acquire c) {
      return List.of("acquire", c.lockId(), c.ttlMs(), c.waitForLock(), c.waitTimeoutMs(),
          c.priority(), c.metadata());
    } else if (cmd instanceof LockCommand.Release c) {
      return List.of("release", c.lockId(), c.token());
    } else if (cmd instanceof LockCommand.Renew c) {
      return List.of("renew", c.lockId(), c.token(), c.ttlMs());
    } else if (cmd instanceof LockCommand.EnqueueWaiter c) {
      return List.of("enqueue", c.lockId(), c.waitTimeoutMs(), c.priority());
    } else if (cmd instanceof LockCommand.CancelWait c) {
      return List.of("cancel", c.lockId());
    }
    return List.of();
  }
}
