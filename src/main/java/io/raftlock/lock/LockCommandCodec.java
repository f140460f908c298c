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
 * string   = length:varint utf8-bytes
 * s        = zigzag varint (any long round-trips; range checks happen at apply)
 * metadata = count:varint (key value)*   keys strictly ascending (one canonical encoding)
 * </pre>
 *
 * <p>Decoding never throws anything but {@link LockCodecException}. Tags and the version byte are
 * persisted: never renumber; a new field means a new version.
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
  /** Decoding bound: far above {@link LockLimits#MAX_METADATA_ENTRIES} yet cheap to reject. */
  private static final int MAX_DECODED_METADATA = 1024;

  private LockCommandCodec() {}

  public static byte[] encode(LockCommand cmd) {
    ByteWriter w = new ByteWriter(64);
    w.writeByte(VERSION);
    if (cmd instanceof LockCommand.Acquire c) {
      w.writeByte(TAG_ACQUIRE);
      w.writeString(c.lockId());
      w.writeString(c.clientId());
      w.writeSignedVarLong(c.ttlMs());
      w.writeBoolean(c.waitForLock());
      w.writeSignedVarLong(c.waitTimeoutMs());
      w.writeSignedVarLong(c.priority());
      writeMetadata(w, c.metadata());
      w.writeString(c.requestId());
    } else if (cmd instanceof LockCommand.Release c) {
      w.writeByte(TAG_RELEASE);
      w.writeString(c.lockId());
      w.writeString(c.clientId());
      w.writeSignedVarLong(c.token());
      w.writeString(c.requestId());
    } else if (cmd instanceof LockCommand.Renew c) {
      w.writeByte(TAG_RENEW);
      w.writeString(c.lockId());
      w.writeString(c.clientId());
      w.writeSignedVarLong(c.token());
      w.writeSignedVarLong(c.ttlMs());
      w.writeString(c.requestId());
    } else {
      encodeWaitCommands(w, cmd);
    }
    w.writeSignedVarLong(cmd.timeMs());
    return w.toByteArray();
  }

  private static void encodeWaitCommands(ByteWriter w, LockCommand cmd) {
    if (cmd instanceof LockCommand.EnqueueWaiter c) {
      w.writeByte(TAG_ENQUEUE);
      w.writeString(c.lockId());
      w.writeString(c.clientId());
      w.writeSignedVarLong(c.waitTimeoutMs());
      w.writeSignedVarLong(c.priority());
      w.writeString(c.requestId());
    } else if (cmd instanceof LockCommand.CancelWait c) {
      w.writeByte(TAG_CANCEL_WAIT);
      w.writeString(c.lockId());
      w.writeString(c.clientId());
      w.writeString(c.requestId());
    } else if (cmd instanceof LockCommand.Expire) {
      w.writeByte(TAG_EXPIRE);
    } else if (cmd instanceof LockCommand.CancelClientWaits c) {
      w.writeByte(TAG_CANCEL_CLIENT);
      w.writeString(c.clientId());
    } else if (cmd instanceof LockCommand.Promote) {
      w.writeByte(TAG_PROMOTE);
    } else {
      throw new IllegalArgumentException("unknown command " + cmd);
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
    int tag = r.readByte();
    LockCommand cmd = switch (tag) {
      case TAG_ACQUIRE -> new LockCommand.Acquire(r.readString(), r.readString(),
          r.readSignedVarLong(), r.readBoolean(), r.readSignedVarLong(), r.readInt32(),
          readMetadata(r), r.readString(), r.readSignedVarLong());
      case TAG_RELEASE -> new LockCommand.Release(r.readString(), r.readString(),
          r.readSignedVarLong(), r.readString(), r.readSignedVarLong());
      case TAG_RENEW -> new LockCommand.Renew(r.readString(), r.readString(),
          r.readSignedVarLong(), r.readSignedVarLong(), r.readString(), r.readSignedVarLong());
      case TAG_ENQUEUE -> new LockCommand.EnqueueWaiter(r.readString(), r.readString(),
          r.readSignedVarLong(), r.readInt32(), r.readString(), r.readSignedVarLong());
      case TAG_CANCEL_WAIT -> new LockCommand.CancelWait(r.readString(), r.readString(),
          r.readString(), r.readSignedVarLong());
      case TAG_EXPIRE -> new LockCommand.Expire(r.readSignedVarLong());
      case TAG_CANCEL_CLIENT -> new LockCommand.CancelClientWaits(r.readString(),
          r.readSignedVarLong());
      case TAG_PROMOTE -> new LockCommand.Promote(r.readSignedVarLong());
      default -> throw new LockCodecException("unknown command tag " + tag);
    };
    r.expectEnd();
    return cmd;
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
