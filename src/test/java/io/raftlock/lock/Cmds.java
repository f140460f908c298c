package io.raftlock.lock;

import java.util.Map;
import java.util.TreeMap;

/** Short constructors for commands in tests. */
final class Cmds {
  static final long T0 = 1_700_000_000_000L;

  private Cmds() {}

  static LockCommand.Acquire acquire(String lock, String client, long ttlMs, long timeMs) {
    return new LockCommand.Acquire(lock, client, ttlMs, false, 0, 0, null, "", timeMs);
  }

  static LockCommand.Acquire acquireWait(String lock, String client, long ttlMs,
      long waitTimeoutMs, int priority, long timeMs) {
    return new LockCommand.Acquire(lock, client, ttlMs, true, waitTimeoutMs, priority, null, "",
        timeMs);
  }

  static LockCommand.Acquire acquireMeta(String lock, String client, Map<String, String> md,
      long timeMs) {
    return new LockCommand.Acquire(lock, client, 10_000, false, 0, 0, new TreeMap<>(md), "",
        timeMs);
  }

  static LockCommand.Release release(String lock, String client, long token, long timeMs) {
    return new LockCommand.Release(lock, client, token, "", timeMs);
  }

  static LockCommand.Renew renew(String lock, String client, long token, long ttlMs,
      long timeMs) {
    return new LockCommand.Renew(lock, client, token, ttlMs, "", timeMs);
  }

  static LockCommand.EnqueueWaiter enqueue(String lock, String client, long waitTimeoutMs,
      int priority, long timeMs) {
    return new LockCommand.EnqueueWaiter(lock, client, waitTimeoutMs, priority, "", timeMs);
  }

  static LockCommand.CancelWait cancel(String lock, String client, long timeMs) {
    return new LockCommand.CancelWait(lock, client, "", timeMs);
  }
}
