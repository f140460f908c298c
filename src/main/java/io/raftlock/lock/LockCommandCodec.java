package io.raftlock.lock;

import java.util.Collections;
import java.util.Map;
import java.util.SortedMap;
import java.util.TreeMap;

/**
 * Binary encoding of {@link LockCommand}s for the Raft log.
 *
 * <pre>
 * command  = version:u8 (=1) tag:u8 fields...          (nothing may follow)
 * tag 1 Acquire        lockId clientId ttlMs:s wait:bool waitTimeoutMs:s priority:s metadata
 *                      requestId timeMs:s
 * tag 2 Release        lockId clientId token:s requestId timeMs:s
 * tag 3 Renew          lockId clientId token:s ttlMs:s requestId timeMs:s
 * tag 4 EnqueueWaiter  lockId clientId waitTimeoutMs:s priority:s requestId timeMs:s
 * tag 5 CancelWait     lockId clientId requestId timeMs:s
 * tag 6 Expire         timeMs:s
 * tag 7 CancelClientWaits clientId timeMs:s
 * tag 8 Promote        timeMs:s
 * tag 9 OpenSession    name ttlMs:s metadata timeMs:s
 * tag 10 KeepAlive     sessionId:s timeMs:s
 * tag 11 CloseSession  sessionId:s timeMs:s
 * tag 12 Acl          op (see {@link AclCodec}) timeMs:s
 * tag 13 Authenticated keyId, then the wrapped command from its tag on (never tag 13 again)
 * tag 14 CancelClientWaits of one principal: clientId principal timeMs:s (principal non-empty;
 *                      an empty one is tag 7, byte for byte what it was before principals)
 * tag 15 Configure     maxWaitersPerLock:s dedupeRetentionMs:s dedupeMaxEntries:s
 *                      sessionDedupeMaxEntries:s timeMs:s (out-of-range settings do not decode)
 * tag 16 Sequenced    seq:s answeredBelow:s, then the wrapped command from its tag on (always
 *                      one of tags 17..21)
 * tag 17..21           session-owned Acquire..CancelWait: tag 1..5 + 16, then sessionId:s (> 0
 *                      or never written), then the fields of tag 1..5
 * string   = length:varint utf8-bytes
 * s        = zigzag varint (any long round-trips; range checks happen at apply)
 * metadata = count:varint (key value)*   keys strictly ascending (one canonical encoding)
 * </pre>
 *
 * <p>Decoding never throws anything but {@link LockCodecException}. Tags and the version byte are
 * persisted: never renumber; a new field means a new version.
 * A command with session id 0 uses tags 1..5 and is byte for byte what it was before sessions;
 * a session tag with session id 0 is rejected, so each command has exactly one encoding.
 */
public final class LockCommandCodec {
  static final int VERSION = 1;
  static final int TAG_ACQUIRE = 1;
  static final int TAG_RELEASE = 2;
  static final int TAG_RENEW = 3;
  static final int TAG_ENQUEUE = 4;
  static final int TAG_CANCEL_WAIT = 5;
  static final int TAG_EXPIRE = 6;
  static final int TAG_CANCEL_CLIENT = 7;
  static final int TAG_PROMOTE = 8;
  static final int TAG_OPEN_SESSION = 9;
  static final int TAG_KEEP_ALIVE = 10;
  static final int TAG_CLOSE_SESSION = 11;
  static final int TAG_ACL = 12;
  static final int TAG_AUTHENTICATED = 13;
  static final int TAG_CANCEL_PRINCIPAL_CLIENT = 14;
  static final int TAG_CONFIGURE = 15;
  static final int TAG_SEQUENCED = 16;
  /** Added to tags 1..5 for a session-owned command; the session id follows the tag. */
  static final int SESSION_TAG_OFFSET = 16;
  /** Decoding bound: far above {@link LockLimits#MAX_METADATA_ENTRIES} yet cheap to reject. */
  private static final int MAX_DECODED_METADATA = 1024;

  private LockCommandCodec() {}

  public static byte[] encode(LockCommand cmd) {
    ByteWriter w = new ByteWriter(64);
    w.writeByte(VERSION);
    encodeBody(w, cmd);
    return w.toByteArray();
  }

  /** The command from its tag on; an authenticated one is its key id, then the wrapped body. */
  private static void encodeBody(ByteWriter w, LockCommand cmd) {
    if (cmd instanceof LockCommand.Authenticated a) {
      w.writeByte(TAG_AUTHENTICATED);
      w.writeString(a.keyId());
      encodeBody(w, a.command());
      return;
    }
    if (cmd instanceof LockCommand.Sequenced q) {
      w.writeByte(TAG_SEQUENCED);
      w.writeSignedVarLong(q.seq());
      w.writeSignedVarLong(q.answeredBelow());
      encodeBody(w, q.command());
      return;
    }
    if (cmd instanceof LockCommand.Acquire c) {
      writeTag(w, TAG_ACQUIRE, c);
      w.writeString(c.lockId());
      w.writeString(c.clientId());
      w.writeSignedVarLong(c.ttlMs());
      w.writeBoolean(c.waitForLock());
      w.writeSignedVarLong(c.waitTimeoutMs());
      w.writeSignedVarLong(c.priority());
      writeMetadata(w, c.metadata());
      w.writeString(c.requestId());
    } else if (cmd instanceof LockCommand.Release c) {
      writeTag(w, TAG_RELEASE, c);
      w.writeString(c.lockId());
      w.writeString(c.clientId());
      w.writeSignedVarLong(c.token());
      w.writeString(c.requestId());
    } else if (cmd instanceof LockCommand.Renew c) {
      writeTag(w, TAG_RENEW, c);
      w.writeString(c.lockId());
      w.writeString(c.clientId());
      w.writeSignedVarLong(c.token());
      w.writeSignedVarLong(c.ttlMs());
      w.writeString(c.requestId());
    } else {
      encodeWaitCommands(w, cmd);
    }
    w.writeSignedVarLong(cmd.timeMs());
  }

  private static void encodeWaitCommands(ByteWriter w, LockCommand cmd) {
    if (cmd instanceof LockCommand.EnqueueWaiter c) {
      writeTag(w, TAG_ENQUEUE, c);
      w.writeString(c.lockId());
      w.writeString(c.clientId());
      w.writeSignedVarLong(c.waitTimeoutMs());
      w.writeSignedVarLong(c.priority());
      w.writeString(c.requestId());
    } else if (cmd instanceof LockCommand.CancelWait c) {
      writeTag(w, TAG_CANCEL_WAIT, c);
      w.writeString(c.lockId());
      w.writeString(c.clientId());
      w.writeString(c.requestId());
    } else if (cmd instanceof LockCommand.Expire) {
      w.writeByte(TAG_EXPIRE);
    } else if (cmd instanceof LockCommand.CancelClientWaits c) {
      w.writeByte(c.principal().isEmpty() ? TAG_CANCEL_CLIENT : TAG_CANCEL_PRINCIPAL_CLIENT);
      w.writeString(c.clientId());
      if (!c.principal().isEmpty()) {
        w.writeString(c.principal());
      }
    } else if (cmd instanceof LockCommand.Promote) {
      w.writeByte(TAG_PROMOTE);
    } else {
      encodeSessionCommands(w, cmd);
    }
  }

  private static void encodeSessionCommands(ByteWriter w, LockCommand cmd) {
    if (cmd instanceof LockCommand.OpenSession c) {
      w.writeByte(TAG_OPEN_SESSION);
      w.writeString(c.name());
      w.writeSignedVarLong(c.ttlMs());
      writeMetadata(w, c.metadata());
    } else if (cmd instanceof LockCommand.KeepAlive c) {
      w.writeByte(TAG_KEEP_ALIVE);
      w.writeSignedVarLong(c.sessionId());
    } else if (cmd instanceof LockCommand.CloseSession c) {
      w.writeByte(TAG_CLOSE_SESSION);
      w.writeSignedVarLong(c.sessionId());
    } else if (cmd instanceof LockCommand.Acl c) {
      w.writeByte(TAG_ACL);
      AclCodec.writeOp(w, c.op());
    } else if (cmd instanceof LockCommand.Configure c) {
      w.writeByte(TAG_CONFIGURE);
      w.writeSignedVarLong(c.config().maxWaitersPerLock());
      w.writeSignedVarLong(c.config().dedupeRetentionMs());
      w.writeSignedVarLong(c.config().dedupeMaxEntries());
      w.writeSignedVarLong(c.config().sessionDedupeMaxEntries());
    } else {
      throw new IllegalArgumentException("unknown command " + cmd);
    }
  }

  /** Tag 1..5 for a client-owned command; tag + 16 and the session id for a session-owned one. */
  private static void writeTag(ByteWriter w, int tag, LockCommand.SessionOwned c) {
    if (c.sessionId() == LockCommand.SessionOwned.NO_SESSION) {
      w.writeByte(tag);
    } else {
      w.writeByte(tag + SESSION_TAG_OFFSET);
      w.writeSignedVarLong(c.sessionId());
    }
  }

  /** Decodes one command; throws {@link LockCodecException} (only) if the bytes are not one. */
  public static LockCommand decode(byte[] bytes) {
    if (bytes == null) {
      throw new LockCodecException("null command");
    }
    ByteReader r = new ByteReader(bytes, 0, bytes.length);
    int version = r.readByte();
    if (version != VERSION) {
      throw new LockCodecException("unsupported command version " + version);
    }
    LockCommand cmd = decodeTagged(r, true);
    r.expectEnd();
    return cmd;
  }

  private static LockCommand decodeTagged(ByteReader r, boolean outermost) {
    int tag = r.readByte();
    if (tag == TAG_AUTHENTICATED) {
      if (!outermost) {
        throw new LockCodecException("nested authenticated command");
      }
      return new LockCommand.Authenticated(r.readString(), decodeTagged(r, false));
    }
    if (tag == TAG_SEQUENCED) {
      long seq = r.readSignedVarLong();
      long answeredBelow = r.readSignedVarLong();
      int innerTag = r.readByte();
      if (innerTag <= SESSION_TAG_OFFSET || innerTag > SESSION_TAG_OFFSET + TAG_CANCEL_WAIT) {
        throw new LockCodecException("sequenced command wraps tag " + innerTag + ", not a session command");
      }
      return new LockCommand.Sequenced(seq, answeredBelow,
          (LockCommand.SessionOwned) decodeSessionOwned(r, innerTag));
    }
    if (tag > SESSION_TAG_OFFSET && tag <= SESSION_TAG_OFFSET + TAG_CANCEL_WAIT) {
      return decodeSessionOwned(r, tag);
    }
    return decodeBody(r, tag, LockCommand.SessionOwned.NO_SESSION);
  }

  /** A command of tags 17..21, after its tag: the session id, then the fields of tags 1..5. */
  private static LockCommand decodeSessionOwned(ByteReader r, int sessionTag) {
    long sessionId = r.readSignedVarLong();
    if (sessionId == LockCommand.SessionOwned.NO_SESSION) {
      throw new LockCodecException("session tag with session id 0");
    }
    return decodeBody(r, sessionTag - SESSION_TAG_OFFSET, sessionId);
  }

  private static LockCommand decodeBody(ByteReader r, int tag, long sessionId) {
    return switch (tag) {
      case TAG_ACQUIRE -> new LockCommand.Acquire(r.readString(), r.readString(),
          r.readSignedVarLong(), r.readBoolean(), r.readSignedVarLong(), r.readInt32(),
          readMetadata(r), r.readString(), r.readSignedVarLong(), sessionId);
      case TAG_RELEASE -> new LockCommand.Release(r.readString(), r.readString(),
          r.readSignedVarLong(), r.readString(), r.readSignedVarLong(), sessionId);
      case TAG_RENEW -> new LockCommand.Renew(r.readString(), r.readString(),
          r.readSignedVarLong(), r.readSignedVarLong(), r.readString(), r.readSignedVarLong(),
          sessionId);
      case TAG_ENQUEUE -> new LockCommand.EnqueueWaiter(r.readString(), r.readString(),
          r.readSignedVarLong(), r.readInt32(), r.readString(), r.readSignedVarLong(), sessionId);
      case TAG_CANCEL_WAIT -> new LockCommand.CancelWait(r.readString(), r.readString(),
          r.readString(), r.readSignedVarLong(), sessionId);
      case TAG_OPEN_SESSION -> new LockCommand.OpenSession(r.readString(),
          r.readSignedVarLong(), readMetadata(r), r.readSignedVarLong());
      case TAG_KEEP_ALIVE -> new LockCommand.KeepAlive(r.readSignedVarLong(),
          r.readSignedVarLong());
      case TAG_CLOSE_SESSION -> new LockCommand.CloseSession(r.readSignedVarLong(),
          r.readSignedVarLong());
      case TAG_EXPIRE -> new LockCommand.Expire(r.readSignedVarLong());
      case TAG_CANCEL_CLIENT -> new LockCommand.CancelClientWaits(r.readString(),
          r.readSignedVarLong());
      case TAG_CANCEL_PRINCIPAL_CLIENT -> cancelOfPrincipal(r.readString(), r.readString(),
          r.readSignedVarLong());
      case TAG_PROMOTE -> new LockCommand.Promote(r.readSignedVarLong());
      case TAG_ACL -> new LockCommand.Acl(AclCodec.readOp(r), r.readSignedVarLong());
      case TAG_CONFIGURE -> new LockCommand.Configure(readConfig(r), r.readSignedVarLong());
      default -> throw new LockCodecException("unknown command tag " + tag);
    };
  }

  /**
   * Settings of tag 15. A {@link LockStateMachine.Config} cannot hold out-of-range values, so
   * they are refused here: every replica refuses the same bytes alike (an undecodable entry).
   */
  private static LockStateMachine.Config readConfig(ByteReader r) {
    int maxWaiters = r.readInt32();
    long retentionMs = r.readSignedVarLong();
    int maxEntries = r.readInt32();
    int sessionMaxEntries = r.readInt32();
    try {
      return new LockStateMachine.Config(maxWaiters, retentionMs, maxEntries, sessionMaxEntries);
    } catch (IllegalArgumentException e) {
      throw new LockCodecException("configure with out-of-range settings");
    }
  }

  /** Tag 14: one encoding per command, so its principal is never empty. */
  private static LockCommand.CancelClientWaits cancelOfPrincipal(String clientId, String principal, long timeMs) {
    if (principal.isEmpty()) {
      throw new LockCodecException("tag 14 with an empty principal");
    }
    return new LockCommand.CancelClientWaits(clientId, principal, timeMs);
  }

  static void writeMetadata(ByteWriter w, Map<String, String> metadata) {
    w.writeVarLong(metadata.size());
    for (Map.Entry<String, String> e : metadata.entrySet()) {
      w.writeString(e.getKey());
      w.writeString(e.getValue());
    }
  }

  static SortedMap<String, String> readMetadata(ByteReader r) {
    int n = r.readCount(Math.min(MAX_DECODED_METADATA, r.remaining()), "metadata count");
    if (n == 0) {
      return Collections.emptySortedMap();
    }
    TreeMap<String, String> map = new TreeMap<>();
    String previous = null;
    for (int i = 0; i < n; i++) {
      String key = r.readString();
      if (previous != null && previous.compareTo(key) >= 0) {
        throw new LockCodecException("metadata keys not strictly ascending");
      }
      map.put(key, r.readString());
      previous = key;
    }
    return map;
  }
}
