package io.raftlock.lock;

import java.util.HashSet;
import java.util.Set;
import java.util.zip.CRC32C;

/**
 * Versioned binary snapshot of a {@link LockStateMachine}: the full logical state, in replicated
 * order, so that equal states have equal bytes and a restored machine behaves exactly like the
 * original.
 *
 * <pre>
 * snapshot = magic:u32 "RLSM" version:u8 (=5; 4, 3, 2 and 1 are still read)
 *            config(maxWaitersPerLock:v dedupeRetentionMs:v dedupeMaxEntries:v
 *                   sessionDedupeMaxEntries:v)
 *            smTimeMs:s counters(grants releases expirations waitTimeouts waitCancels
 *                                holdsEnded totalHoldMs):s*7
 *            acl                          (see {@link AclCodec})
 *            sessionCount:v session*      (id order)
 *            lockCount:v lock*            (lock creation order)
 *            dedupeCount:v dedupe*        (oldest first)
 *            crc32c:u32                   (of every byte before it)
 * session  = id:s name ttlMs:s expiresAtMs:s metadata principal answeredBelow:s
 *            requestCount:v (requestId seq:s fingerprint:s reply)*   (oldest first)
 * lock     = lockId holder sessionId:s principal token:s acquiredAtMs:s expiresAtMs:s leaseTtlMs:s metadata
 *            waiterCount:v waiter*        (grant order)
 * waiter   = clientId sessionId:s principal priority:s ttlMs:s enqueuedAtMs:s waitDeadlineMs:s seq:s
 *            metadata
 * dedupe   = clientId requestId recordedAtMs:s fingerprint:s reply (reply: see {@link ReplyCodec})
 *
 * Version 4 has no answeredBelow and no seq (0: nothing numbered).
 * Version 3 has no acl (auth off, nothing defined) and no principals (all empty).
 * Version 2 has no sessionDedupeMaxEntries (default), no sessions, no sessionId fields (0) and
 * no fingerprints ({@link CommandFingerprint#UNKNOWN}); version 1 moreover has no leaseTtlMs
 * (see {@link #v1LeaseTtlMs}).
 * v = varint, s = zigzag varint, strings and metadata as in {@link LockCommandCodec}
 * </pre>
 *
 * Heap layouts are not stored: they are rebuilt, and only their (total) order matters.
 */
final class SnapshotCodec {
  static final int MAGIC = 0x524C534D;
  static final int VERSION = 5;
  /** Before numbered session requests: restored with none numbered, never written. */
  static final int VERSION_WITHOUT_ACKS = 4;
  /** Before access control: restored with auth off and no principals, never written. */
  static final int VERSION_WITHOUT_ACL = 3;
  /** Before {@code leaseTtlMs}: restored with a derived TTL, never written. */
  static final int VERSION_WITHOUT_LEASE_TTL = 1;
  /** Before sessions and fingerprints: restored without them, never written. */
  static final int VERSION_WITHOUT_SESSIONS = 2;

  private SnapshotCodec() {}

  static byte[] write(LockStateMachine sm) {
    LockTable t = sm.table;
    ByteWriter w = new ByteWriter(64 + t.locks.size() * 48 + t.waits.size() * 32);
    w.writeFixedInt(MAGIC);
    w.writeByte(VERSION);
    w.writeVarLong(sm.config.maxWaitersPerLock());
    w.writeVarLong(sm.config.dedupeRetentionMs());
    w.writeVarLong(sm.config.dedupeMaxEntries());
    w.writeVarLong(sm.config.sessionDedupeMaxEntries());
    w.writeSignedVarLong(sm.smTimeMs);
    LockCounters c = t.counters;
    for (long v : new long[] {c.grants, c.releases, c.expirations, c.waitTimeouts,
        c.waitCancels, c.holdsEnded, c.totalHoldMs}) {
      w.writeSignedVarLong(v);
    }
    AclCodec.writeState(w, sm.acl);
    w.writeVarLong(sm.sessions.size());
    for (Session s : sm.sessions.all()) {
      writeSession(w, s);
    }
    w.writeVarLong(t.locks.size());
    for (LockState l : t.locks.values()) {
      writeLock(w, l);
    }
    w.writeVarLong(sm.dedupe.size());
    sm.dedupe.forEach(e -> {
      w.writeString(e.key().clientId());
      w.writeString(e.key().requestId());
      w.writeSignedVarLong(e.recordedAtMs());
      w.writeSignedVarLong(e.fingerprint());
      ReplyCodec.write(w, e.reply());
    });
    return sealed(w);
  }

  /** The bytes written so far, followed by their CRC32C, which {@link #read} checks first. */
  static byte[] sealed(ByteWriter w) {
    CRC32C crc = new CRC32C();
    crc.update(w.buffer(), 0, w.position());
    w.writeFixedInt((int) crc.getValue());
    return w.toByteArray();
  }

  private static void writeSession(ByteWriter w, Session s) {
    w.writeSignedVarLong(s.id);
    w.writeString(s.name);
    w.writeSignedVarLong(s.ttlMs);
    w.writeSignedVarLong(s.expiresAtMs);
    writeFlat(w, s.metadata);
    w.writeString(s.principal);
    w.writeSignedVarLong(s.answeredBelow);
    w.writeVarLong(s.rememberedCount());
    for (Session.Remembered r : s.remembered()) {
      w.writeString(r.requestId());
      w.writeSignedVarLong(r.seq());
      w.writeSignedVarLong(r.fingerprint());
      ReplyCodec.write(w, r.reply());
    }
  }

  private static void writeLock(ByteWriter w, LockState l) {
    w.writeString(l.lockId);
    w.writeString(l.holder);
    w.writeSignedVarLong(l.sessionId());
    w.writeString(l.principal);
    w.writeSignedVarLong(l.token);
    w.writeSignedVarLong(l.acquiredAtMs);
    w.writeSignedVarLong(l.expiresAtMs);
    w.writeSignedVarLong(l.leaseTtlMs);
    writeFlat(w, l.metadata);
    w.writeVarLong(l.waiters.size());
    for (int i = 0; i < l.waiters.size(); i++) {
      Waiter x = l.waiters.get(i);
      w.writeString(x.clientId);
      w.writeSignedVarLong(x.sessionId());
      w.writeString(x.principal);
      w.writeSignedVarLong(x.priority);
      w.writeSignedVarLong(x.ttlMs);
      w.writeSignedVarLong(x.enqueuedAtMs);
      w.writeSignedVarLong(x.waitDeadlineMs);
      w.writeSignedVarLong(x.seq);
      writeFlat(w, x.metadata);
    }
  }

  private static void writeFlat(ByteWriter w, String[] flat) {
    int n = flat == null ? 0 : flat.length / 2;
    w.writeVarLong(n);
    for (int i = 0; i < 2 * n; i++) {
      w.writeString(flat[i]);
    }
  }

  static LockStateMachine read(byte[] bytes) {
    if (bytes == null || bytes.length < 9) {
      throw new LockCodecException("snapshot too short");
    }
    int body = bytes.length - 4;
    CRC32C crc = new CRC32C();
    crc.update(bytes, 0, body);
    int stored = new ByteReader(bytes, body, bytes.length).readFixedInt();
    if (stored != (int) crc.getValue()) {
      throw new LockCodecException("snapshot checksum mismatch");
    }
    ByteReader r = new ByteReader(bytes, 0, body);
    if (r.readFixedInt() != MAGIC) {
      throw new LockCodecException("not a lock snapshot");
    }
    int version = r.readByte();
    if (version < VERSION_WITHOUT_LEASE_TTL || version > VERSION) {
      throw new LockCodecException("unsupported snapshot version " + version);
    }
    LockStateMachine.Config config = readConfig(r, version);
    long smTimeMs = r.readSignedVarLong();
    LockCounters counters = new LockCounters();
    readCounters(r, counters);
    AclState acl = version > VERSION_WITHOUT_ACL ? AclCodec.readState(r) : AclState.EMPTY;
    SnapshotSessions sessions = version >= VERSION_WITHOUT_ACL
        ? SnapshotSessions.read(r, version > VERSION_WITHOUT_ACL, version > VERSION_WITHOUT_ACKS)
        : SnapshotSessions.NONE;
    // A lock takes at least 7 bytes: this bound keeps presizing proportional to the input.
    int lockCount = r.readCount(r.remaining() / 7, "lock count");
    LockStateMachine sm = new LockStateMachine(config, new LockTable(lockCount, counters));
    sm.smTimeMs = smTimeMs;
    sm.acl = acl;
    try {
      sessions.restoreInto(sm.sessions);
      readLocks(r, sm, lockCount, version);
    } catch (IllegalArgumentException e) {
      throw new LockCodecException("inconsistent snapshot: " + e.getMessage());
    }
    readDedupe(r, sm, version);
    r.expectEnd();
    return sm;
  }

  private static LockStateMachine.Config readConfig(ByteReader r, int version) {
    int maxWaiters = r.readCount(Integer.MAX_VALUE, "maxWaitersPerLock");
    long retention = r.readVarLong();
    int maxEntries = r.readCount(Integer.MAX_VALUE, "dedupeMaxEntries");
    int sessionMaxEntries = version >= VERSION_WITHOUT_ACL
        ? r.readCount(Integer.MAX_VALUE, "sessionDedupeMaxEntries")
        : LockStateMachine.Config.GENESIS.sessionDedupeMaxEntries();
    try {
      return new LockStateMachine.Config(maxWaiters, retention, maxEntries, sessionMaxEntries);
    } catch (IllegalArgumentException e) {
      throw new LockCodecException("bad config in snapshot");
    }
  }

  private static void readCounters(ByteReader r, LockCounters c) {
    c.grants = r.readSignedVarLong();
    c.releases = r.readSignedVarLong();
    c.expirations = r.readSignedVarLong();
    c.waitTimeouts = r.readSignedVarLong();
    c.waitCancels = r.readSignedVarLong();
    c.holdsEnded = r.readSignedVarLong();
    c.totalHoldMs = r.readSignedVarLong();
  }

  private static void readLocks(ByteReader r, LockStateMachine sm, int count, int version) {
    LockTable t = sm.table;
    for (int i = 0; i < count; i++) {
      LockState l = new LockState(r.readString());
      l.holder = r.readString();
      l.session = readSession(r, sm, version);
      l.principal = readPrincipal(r, version);
      l.token = r.readSignedVarLong();
      l.acquiredAtMs = r.readSignedVarLong();
      l.expiresAtMs = r.readSignedVarLong();
      l.leaseTtlMs = version == VERSION_WITHOUT_LEASE_TTL
          ? v1LeaseTtlMs(l.acquiredAtMs, l.expiresAtMs) : r.readSignedVarLong();
      l.metadata = readFlat(r);
      if (t.locks.putIfAbsent(l.lockId, l) != null) {
        throw new LockCodecException("duplicate lock " + l.lockId);
      }
      if (l.session == null) {
        t.leases.addUnordered(l);
      } else {
        l.session.holds.add(l);
      }
      readWaiters(r, sm, l, version);
    }
    t.leases.heapify();
    t.waits.heapify();
    sm.sessions.deadlines.heapify();
  }

  /** The principal of a lock or waiter (version 4), else none. */
  private static String readPrincipal(ByteReader r, int version) {
    return version > VERSION_WITHOUT_ACL ? r.readString() : "";
  }

  /** The session a lock or waiter names (version 3 on), or {@code null} for none. */
  private static Session readSession(ByteReader r, LockStateMachine sm, int version) {
    if (version < VERSION_WITHOUT_ACL) {
      return null;
    }
    long id = r.readSignedVarLong();
    if (id == 0) {
      return null;
    }
    Session s = sm.sessions.get(id);
    if (s == null) {
      throw new LockCodecException("snapshot names unknown session " + id);
    }
    return s;
  }

  /**
   * A version-1 snapshot does not say with which TTL a lease was last set. Every TTL was at most
   * {@link LockLimits#MAX_TTL_MS} and the lease was last set at or after its acquisition, so
   * {@code min(expiresAt - acquiredAt, MAX_TTL_MS)} is an upper bound of it: after a restore from
   * version 1, {@code Promote} may give more grace than the true TTL, never less (a renewed
   * lease may get its whole span from acquisition to expiry, at most a day). Negative spans (only
   * in malformed input) give 0: no grace, and no overflow.
   */
  static long v1LeaseTtlMs(long acquiredAtMs, long expiresAtMs) {
    long spanMs = expiresAtMs - acquiredAtMs;
    return spanMs < 0 ? 0 : Math.min(spanMs, LockLimits.MAX_TTL_MS);
  }

  private static void readWaiters(ByteReader r, LockStateMachine sm, LockState l, int version) {
    int count = r.readCount(r.remaining(), "waiter count");
    if (count == 0) {
      return; // the common case: no per-lock allocation
    }
    Set<Object> owners = new HashSet<>(); // membership only; never iterated
    owners.add(owner(l.session, l.principal, l.holder));
    for (int j = 0; j < count; j++) {
      String clientId = r.readString();
      Session session = readSession(r, sm, version);
      String principal = readPrincipal(r, version);
      Waiter w = new Waiter(l, clientId, session, r.readInt32(), r.readSignedVarLong(),
          r.readSignedVarLong(), r.readSignedVarLong(), r.readSignedVarLong(), readFlat(r));
      w.principal = principal;
      if (!owners.add(owner(session, principal, clientId))) {
        throw new LockCodecException("owner twice in the queue of " + l.lockId);
      }
      l.waiters = l.waiters.add(w);
      sm.table.waits.addUnordered(w);
      if (session != null) {
        session.waits.add(w);
      }
    }
  }

  /** The identity of an owner: its session, or its principal and client id when it has none. */
  private static Object owner(Session session, String principal, String clientId) {
    return session != null ? session : java.util.List.of(principal, clientId);
  }

  private static String[] readFlat(ByteReader r) {
    var map = LockCommandCodec.readMetadata(r);
    return LockState.flatten(map);
  }

  private static void readDedupe(ByteReader r, LockStateMachine sm, int version) {
    int count = r.readCount(r.remaining(), "dedupe count");
    for (int i = 0; i < count; i++) {
      String clientId = r.readString();
      String requestId = r.readString();
      long recordedAtMs = r.readSignedVarLong();
      long fingerprint = version >= VERSION_WITHOUT_ACL ? r.readSignedVarLong() : CommandFingerprint.UNKNOWN;
      LockReply reply = ReplyCodec.read(r);
      if (sm.dedupe.lookup(clientId, requestId) != null) {
        throw new LockCodecException("duplicate request id in snapshot");
      }
      sm.dedupe.restore(clientId, requestId, reply, recordedAtMs, fingerprint);
    }
  }

  /** 64-bit hash of a byte array (8-byte lanes, murmur3 finalizer mixing). */
  static long hash(byte[] bytes) {
    long h = 0x9E3779B97F4A7C15L ^ bytes.length;
    int i = 0;
    for (; i + 8 <= bytes.length; i += 8) {
      long k = 0;
      for (int j = 0; j < 8; j++) {
        k = (k << 8) | (bytes[i + j] & 0xFFL);
      }
      h = Long.rotateLeft(h ^ mix(k), 27) * 0x9E3779B97F4A7C15L + 0x52DCE729L;
    }
    long tail = 0;
    for (; i < bytes.length; i++) {
      tail = (tail << 8) | (bytes[i] & 0xFFL);
    }
    return mix(h ^ mix(tail));
  }

  private static long mix(long k) {
    k ^= k >>> 33;
    k *= 0xFF51AFD7ED558CCDL;
    k ^= k >>> 33;
    k *= 0xC4CEB9FE1A85EC53L;
    return k ^ (k >>> 33);
  }
}
