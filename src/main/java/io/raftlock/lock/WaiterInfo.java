package io.raftlock.lock;

/**
 * A waiting client, as shown by queries.
 *
 * @param position waiters ahead of this one (0 = next in line)
 * @param sessionId the owning session, 0 for a client-owned wait (owned by {@code clientId})
 */
public record WaiterInfo(
    String clientId, int priority, long enqueuedAtMs, long timeoutAtMs, int position,
    long sessionId) {
  public WaiterInfo(String clientId, int priority, long enqueuedAtMs, long timeoutAtMs,
      int position) {
    this(clientId, priority, enqueuedAtMs, timeoutAtMs, position, 0);
  }
}
