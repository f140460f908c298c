package io.raftlock.lock;

import java.util.Iterator;
import java.util.LinkedHashMap;
import java.util.function.Consumer;

/**
 * Idempotency table of client-owned commands: (client id, request id) → the first reply and the
 * {@link CommandFingerprint} of the command it answered. Bounded two ways, both
 * deterministic: entries older than {@code retentionMs} of state-machine time are evicted when a
 * command advances the time, and beyond {@code maxEntries} the oldest entry goes first.
 *
 * <p>Invariant: insertion order is also non-decreasing {@code recordedAtMs} order (state-machine
 * time never goes backwards and a key is only inserted when absent), so both evictions only ever
 * look at the head of the {@link LinkedHashMap}. That order is replicated state: snapshots keep it.
 */
final class DedupeTable {
  record Key(String clientId, String requestId) {}

  record Entry(Key key, LockReply reply, long recordedAtMs, long fingerprint) {}

  private final LinkedHashMap<Key, Entry> entries = new LinkedHashMap<>();
  private long retentionMs;
  private int maxEntries;

  DedupeTable(long retentionMs, int maxEntries) {
    this.retentionMs = retentionMs;
    this.maxEntries = maxEntries;
  }

  int size() {
    return entries.size();
  }

  /** The remembered request, or {@code null} if it is not (or no longer) remembered. */
  Entry lookup(String clientId, String requestId) {
    return entries.get(new Key(clientId, requestId));
  }

  /** Evicts entries recorded at or before {@code nowMs - retentionMs}; returns how many. */
  int evictExpired(long nowMs) {
    int evicted = 0;
    Iterator<Entry> it = entries.values().iterator();
    while (it.hasNext() && it.next().recordedAtMs() + retentionMs <= nowMs) {
      it.remove();
      evicted++;
    }
    return evicted;
  }

  /**
   * New bounds from now on; entries beyond them are evicted at once, oldest first (expired ones,
   * then the oldest beyond {@code maxEntries}). Returns how many were evicted.
   */
  int reconfigure(long newRetentionMs, int newMaxEntries, long nowMs) {
    retentionMs = newRetentionMs;
    maxEntries = newMaxEntries;
    return evictExpired(nowMs) + evictBeyondMax();
  }

  private int evictBeyondMax() {
    int evicted = 0;
    Iterator<Entry> it = entries.values().iterator();
    while (entries.size() > maxEntries) {
      it.next();
      it.remove();
      evicted++;
    }
    return evicted;
  }

  /** Remembers a new request's reply (the key must be absent), then enforces the size bound. */
  void record(String clientId, String requestId, long fingerprint, LockReply reply, long nowMs) {
    Key key = new Key(clientId, requestId);
    entries.put(key, new Entry(key, reply, nowMs, fingerprint));
    evictBeyondMax();
  }

  /** Appends an entry read from a snapshot (which lists them oldest first). */
  void restore(String clientId, String requestId, LockReply reply, long recordedAtMs,
      long fingerprint) {
    Key key = new Key(clientId, requestId);
    entries.put(key, new Entry(key, reply, recordedAtMs, fingerprint));
  }

  /** Visits entries oldest first (the replicated order). */
  void forEach(Consumer<Entry> visitor) {
    entries.values().forEach(visitor);
  }
}
