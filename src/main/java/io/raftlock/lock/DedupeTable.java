package io.raftlock.lock;

import java.util.Iterator;
import java.util.LinkedHashMap;
import java.util.Map;
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
  private final long retentionMs;
  private final int maxEntries;

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

  /** Evicts entries recorded at or before {@code nowMs - retentionMs}. */
  void evictExpired(long nowMs) {
    Iterator<Entry> it = entries.values().iterator();
    while (it.hasNext()) {
      if (it.next().recordedAtMs() + retentionMs > nowMs) {
        return;
      }
      it.remove();
    }
  }

  /** Remembers a new request's reply (the key must be absent), then enforces the size bound. */
  void record(String clientId, String requestId, long fingerprint, LockReply reply, long nowMs) {
    Key key = new Key(clientId, requestId);
    entries.put(key, new Entry(key, reply, nowMs, fingerprint));
    if (entries.size() > maxEntries) {
      Iterator<Map.Entry<Key, Entry>> it = entries.entrySet().iterator();
      it.next();
      it.remove();
    }
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
