package io.raftlock.lock;

/**
 * A {@link LockReply} as bytes on its own, for a reply that leaves the node that applied the
 * command: a follower forwards a client's command to the leader and gets the leader's reply back
 * (the events need not travel: every node publishes them from its own apply).
 *
 * <pre>
 * reply-message = version:u8 (=1) reply          (nothing may follow; reply: see ReplyCodec)
 * </pre>
 *
 * <p>The reply encoding is the one snapshots use for remembered replies, so the two never drift
 * apart. Decoding never throws anything but {@link LockCodecException}. Pure; safe anywhere.
 */
public final class LockReplyCodec {
  static final int VERSION = 1;

  private LockReplyCodec() {}

  public static byte[] encode(LockReply reply) {
    ByteWriter w = new ByteWriter(32);
    w.writeByte(VERSION);
    ReplyCodec.write(w, reply);
    return w.toByteArray();
  }

  public static LockReply decode(byte[] bytes) {
    if (bytes == null) {
      throw new LockCodecException("null reply");
    }
    ByteReader r = new ByteReader(bytes, 0, bytes.length);
    int version = r.readByte();
    if (version != VERSION) {
      throw new LockCodecException("unsupported reply version " + version);
    }
    LockReply reply = ReplyCodec.read(r);
    r.expectEnd();
    return reply;
  }
}
