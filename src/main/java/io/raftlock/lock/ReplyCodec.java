package io.raftlock.lock;

/**
 * Encoding of {@link LockReply} inside snapshots (the idempotency table remembers replies).
 *
 * <pre>
 * reply = tag:u8 fields
 *   1 Granted   token:s acquiredAtMs:s expiresAtMs:s
 *   2 Queued    position:s estimatedWaitMs:s
 *   3 Released  waiterPromoted:bool
 *   4 Renewed   expiresAtMs:s
 *   5 Cancelled waitsCancelled:s
 *   6 Expired   locksExpired:s waitsTimedOut:s
 *   7 Error     code:v message hasBackoff:bool [initial:s max:s multiplier:f64 jitter:f64
 *               estimatedAvailabilityIn:s]
 *   8 Promoted  leasesExtended:s
 *   9 Granted with alreadyHeld = true: the fields of tag 1 (tag 1 means alreadyHeld = false)
 *  10 SessionOpened sessionId:s ttlMs:s expiresAtMs:s
 *  11 KeptAlive expiresAtMs:s
 *  12 SessionClosed locksReleased:s waitsCancelled:s
 *  13 Expired with sessionsExpired > 0: locksExpired:s waitsTimedOut:s sessionsExpired:s
 *     (tag 6 means sessionsExpired = 0)
 *  14 AuthChanged (no fields)
 *  15 Configured requestIdsEvicted:s
 * </pre>
 *
 * <p>A reply that existed before sessions keeps its old bytes, so old snapshots and old nodes'
 * replies read unchanged.
 *
 * <p>Tags are persisted (snapshots, forwarded replies): never renumber, only add.
 */
final class ReplyCodec {
  private ReplyCodec() {}

  static void write(ByteWriter w, LockReply reply) {
    if (reply instanceof LockReply.Granted g) {
      w.writeByte(g.alreadyHeld() ? 9 : 1);
      w.writeSignedVarLong(g.token());
      w.writeSignedVarLong(g.acquiredAtMs());
      w.writeSignedVarLong(g.expiresAtMs());
    } else if (reply instanceof LockReply.Queued q) {
      w.writeByte(2);
      w.writeSignedVarLong(q.position());
      w.writeSignedVarLong(q.estimatedWaitMs());
    } else if (reply instanceof LockReply.Released r) {
      w.writeByte(3);
      w.writeBoolean(r.waiterPromoted());
    } else if (reply instanceof LockReply.Renewed r) {
      w.writeByte(4);
      w.writeSignedVarLong(r.expiresAtMs());
    } else if (reply instanceof LockReply.Cancelled c) {
      w.writeByte(5);
      w.writeSignedVarLong(c.waitsCancelled());
    } else if (reply instanceof LockReply.Expired e) {
      w.writeByte(e.sessionsExpired() == 0 ? 6 : 13);
      w.writeSignedVarLong(e.locksExpired());
      w.writeSignedVarLong(e.waitsTimedOut());
      if (e.sessionsExpired() != 0) {
        w.writeSignedVarLong(e.sessionsExpired());
      }
    } else if (reply instanceof LockReply.Promoted p) {
      w.writeByte(8);
      w.writeSignedVarLong(p.leasesExtended());
    } else {
      writeSessionReplies(w, reply);
    }
  }

  private static void writeSessionReplies(ByteWriter w, LockReply reply) {
    if (reply instanceof LockReply.SessionOpened o) {
      w.writeByte(10);
      w.writeSignedVarLong(o.sessionId());
      w.writeSignedVarLong(o.ttlMs());
      w.writeSignedVarLong(o.expiresAtMs());
    } else if (reply instanceof LockReply.KeptAlive k) {
      w.writeByte(11);
      w.writeSignedVarLong(k.expiresAtMs());
    } else if (reply instanceof LockReply.SessionClosed c) {
      w.writeByte(12);
      w.writeSignedVarLong(c.locksReleased());
      w.writeSignedVarLong(c.waitsCancelled());
    } else if (reply instanceof LockReply.Error e) {
      writeError(w, e);
    } else if (reply instanceof LockReply.AuthChanged) {
      w.writeByte(14);
    } else if (reply instanceof LockReply.Configured c) {
      w.writeByte(15);
      w.writeSignedVarLong(c.requestIdsEvicted());
    } else {
      throw new IllegalArgumentException("no encoding for reply type " + reply.getClass().getSimpleName());
    }
  }

  private static void writeError(ByteWriter w, LockReply.Error e) {
    w.writeByte(7);
    w.writeVarLong(e.code().code());
    w.writeString(e.message());
    BackoffAdvice b = e.backoff();
    w.writeBoolean(b != null);
    if (b != null) {
      w.writeSignedVarLong(b.initialBackoffMs());
      w.writeSignedVarLong(b.maxBackoffMs());
      w.writeDouble(b.multiplier());
      w.writeDouble(b.jitterFactor());
      w.writeSignedVarLong(b.estimatedAvailabilityInMs());
    }
  }

  static LockReply read(ByteReader r) {
    int tag = r.readByte();
    return switch (tag) {
      case 1 -> new LockReply.Granted(
          r.readSignedVarLong(), r.readSignedVarLong(), r.readSignedVarLong());
      case 2 -> new LockReply.Queued(r.readInt32(), r.readSignedVarLong());
      case 3 -> new LockReply.Released(r.readBoolean());
      case 4 -> new LockReply.Renewed(r.readSignedVarLong());
      case 5 -> new LockReply.Cancelled(r.readInt32());
      case 6 -> new LockReply.Expired(r.readInt32(), r.readInt32());
      case 7 -> readError(r);
      case 8 -> new LockReply.Promoted(r.readInt32());
      case 9 -> new LockReply.Granted(
          r.readSignedVarLong(), r.readSignedVarLong(), r.readSignedVarLong(), true);
      case 10 -> new LockReply.SessionOpened(
          r.readSignedVarLong(), r.readSignedVarLong(), r.readSignedVarLong());
      case 11 -> new LockReply.KeptAlive(r.readSignedVarLong());
      case 12 -> new LockReply.SessionClosed(r.readInt32(), r.readInt32());
      case 13 -> readExpiredWithSessions(r);
      case 14 -> new LockReply.AuthChanged();
      case 15 -> new LockReply.Configured(r.readInt32());
      default -> throw new LockCodecException("unknown reply tag " + tag);
    };
  }

  /** Tag 13 carries a non-zero session count: a zero would have two encodings. */
  private static LockReply readExpiredWithSessions(ByteReader r) {
    LockReply.Expired e = new LockReply.Expired(r.readInt32(), r.readInt32(), r.readInt32());
    if (e.sessionsExpired() == 0) {
      throw new LockCodecException("expired reply with sessions but no session");
    }
    return e;
  }

  private static LockReply.Error readError(ByteReader r) {
    int code = r.readCount(Integer.MAX_VALUE, "error code");
    ErrorCode errorCode = ErrorCode.ofCode(code);
    if (errorCode == null) {
      throw new LockCodecException("unknown error code " + code);
    }
    String message = r.readString();
    BackoffAdvice backoff = null;
    if (r.readBoolean()) {
      backoff = new BackoffAdvice(r.readSignedVarLong(), r.readSignedVarLong(), r.readDouble(),
          r.readDouble(), r.readSignedVarLong());
    }
    return new LockReply.Error(errorCode, message, backoff);
  }
}
