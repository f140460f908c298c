package io.raftlock.lock;

import java.util.Collections;
import java.util.Comparator;
import java.util.Map;
import java.util.SortedMap;
import java.util.TreeMap;

/**
 * One lock in memory. Invariant: a lock that exists is held ({@code holder != null}); a lock
 * whose holder leaves without a live waiter to promote is dropped from the table, so memory does
 * not grow with the number of locks ever used.
 *
 * <p>Kept lean on purpose (target ≤ 300 bytes per held lock including map entry and lease-heap
 * slot): primitive longs, metadata as a flat sorted key/value array ({@code null} when empty),
 * and the shared {@link WaitQueue#EMPTY} when nobody waits.
 */
final class LockState extends DeadlineHeap.Node {
  /** Lease-heap order: earliest expiry, then lock id (unique, so the order is total). */
  static final Comparator<LockState> LEASE_ORDER = (a, b) -> {
    int byExpiry = Long.compare(a.expiresAtMs, b.expiresAtMs);
    return byExpiry != 0 ? byExpiry : a.lockId.compareTo(b.lockId);
  };

  final String lockId;
  /** The holder's label: its client id, or for a session-owned holding the command's label. */
  String holder;
  /**
   * The owning session, or {@code null} for a client-owned holding (owned by {@link #holder}).
   * A session-owned holding has no lease of its own: it is not in the lease heap, its
   * {@link #expiresAtMs} and {@link #leaseTtlMs} are 0, and it lives as long as the session.
   */
  Session session;
  /**
   * The principal whose key granted the current holding ({@code ""}: none, auth was off). Only
   * it, or a principal with {@code release-any}, may renew or release the holding.
   */
  String principal = "";
  /** Fencing token: index of the entry that granted the current holding. */
  long token;
  long acquiredAtMs;
  long expiresAtMs;
  /**
   * TTL of the lease as last set: the grant's TTL (acquire or waiter promotion), replaced by the
   * TTL of each successful renew. {@link LockCommand.Promote} re-arms the lease with it after a
   * leader change. Always within the validated TTL range (commands that set it are validated).
   */
  long leaseTtlMs;
  String[] metadata;
  WaitQueue waiters = WaitQueue.EMPTY;

  LockState(String lockId) {
    this.lockId = lockId;
  }

  /** When the holding ends unless renewed: its own lease, or its session's. */
  long leaseExpiresAtMs() {
    return session == null ? expiresAtMs : session.expiresAtMs;
  }

  long sessionId() {
    return session == null ? 0 : session.id;
  }

  /** Whether the owner named by a command (session, or client id when none) holds this lock. */
  boolean heldBy(Session s, String clientId) {
    return s == null ? session == null && holder.equals(clientId) : session == s;
  }

  /**
   * Whether the owner named by a command of {@code callerPrincipal} holds this lock: the same
   * owner ({@link #heldBy}) and the same principal. A holding granted while auth was off
   * ({@code principal} empty) belongs to whoever names its owner, as it did then.
   */
  boolean heldBy(Session s, String callerPrincipal, String clientId) {
    return heldBy(s, clientId) && samePrincipal(principal, callerPrincipal);
  }

  /** Empty on either side means auth was off (when recorded) or is off (for the caller). */
  static boolean samePrincipal(String recorded, String caller) {
    return recorded.isEmpty() || caller.isEmpty() || recorded.equals(caller);
  }

  /** Flat sorted pairs {@code [k0, v0, k1, v1, ...]}, or {@code null} for no metadata. */
  static String[] flatten(Map<String, String> metadata) {
    if (metadata.isEmpty()) {
      return null;
    }
    String[] flat = new String[metadata.size() * 2];
    int i = 0;
    for (Map.Entry<String, String> e : new TreeMap<>(metadata).entrySet()) {
      flat[i++] = e.getKey();
      flat[i++] = e.getValue();
    }
    return flat;
  }

  static SortedMap<String, String> unflatten(String[] flat) {
    if (flat == null) {
      return Collections.emptySortedMap();
    }
    TreeMap<String, String> map = new TreeMap<>();
    for (int i = 0; i < flat.length; i += 2) {
      map.put(flat[i], flat[i + 1]);
    }
    return Collections.unmodifiableSortedMap(map);
  }
}
