package io.raftlock.lock;

/**
 * Monotonic counters of what the state machine did. They are replicated state (in the snapshot
 * and the state hash), so every replica reports the same figures at the same applied index.
 */
final class LockCounters {
  /** Holdings started: fresh grants and promotions. */
  long grants;
  long releases;
  long expirations;
  long waitTimeouts;
  long waitCancels;
  /** Holdings ended (release or expiry) and their total duration, for the average hold time. */
  long holdsEnded;
  long totalHoldMs;
}
