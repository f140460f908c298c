package io.raftlock.lock;

/**
 * What makes two requests "the same command" for idempotency: everything a client chose except
 * the ids that key the memory (client id or session, request id) and the leader's time stamp —
 * kind, lock id, token, TTL, wait flag, wait timeout, priority, metadata.
 *
 * <p>It is the 64-bit hash of the command's canonical encoding ({@link LockCommandCodec}) with
 * client id, request id, session id and time blanked. The encoding is persisted and never
 * changes, so neither does the fingerprint: it is replicated state (snapshots carry it). Never 0:
 * 0 stands for "not recorded" (entries restored from snapshots older than fingerprints), which
 * matches any command, as before fingerprints existed.
 */
final class CommandFingerprint {
  static final long UNKNOWN = 0;

  private CommandFingerprint() {}

  static long of(LockCommand.SessionOwned cmd) {
    long h = SnapshotCodec.hash(LockCommandCodec.encode(blanked(cmd)));
    return h == UNKNOWN ? 1 : h;
  }

  /** Whether a remembered {@code fingerprint} allows answering {@code current} with its reply. */
  static boolean matches(long fingerprint, long current) {
    return fingerprint == UNKNOWN || fingerprint == current;
  }

  private static LockCommand blanked(LockCommand.SessionOwned cmd) {
    if (cmd instanceof LockCommand.Acquire c) {
      return new LockCommand.Acquire(c.lockId(), "", c.ttlMs(), c.waitForLock(),
          c.waitTimeoutMs(), c.priority(), c.metadata(), "", 0);
    } else if (cmd instanceof LockCommand.Release c) {
      return new LockCommand.Release(c.lockId(), "", c.token(), "", 0);
    } else if (cmd instanceof LockCommand.Renew c) {
      return new LockCommand.Renew(c.lockId(), "", c.token(), c.ttlMs(), "", 0);
    } else if (cmd instanceof LockCommand.EnqueueWaiter c) {
      return new LockCommand.EnqueueWaiter(c.lockId(), "", c.waitTimeoutMs(), c.priority(), "", 0);
    }
    return new LockCommand.CancelWait(cmd.lockId(), "", "", 0);
  }
}
