package io.raftlock.lock;

/**
 * A waiting client, as shown by queries.
 *
 * @param position waiters ahead of this one (0 = next in line)
 */
public record WaiterInfo(
    String clientId, int priority, long enqueuedAtMs, long timeoutAtMs, int position) {}
