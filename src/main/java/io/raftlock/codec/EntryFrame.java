package io.raftlock.codec;

import io.raftlock.raft.Entry;
import io.raftlock.raft.EntryType;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.util.zip.CRC32C;

/**
 * The persisted frame of one log record. Layout (little endian):
 *
 * <pre>
 *   offset size field
 *   0      1    version (1)
 *   1      1    kind: an {@link EntryType} code (0..2) or {@link #KIND_TRUNCATE}
 *   2      8    term
 *   10     8    index
 *   18     4    payload length n (0 ≤ n ≤ {@link #MAX_PAYLOAD})
 *   22     n    payload
 *   22+n   4    CRC32C over bytes [0, 22+n)
 * </pre>
 *
 * <p>A frame is self-checking: {@link #decode} rejects anything whose length, kind, term, index or
 * checksum is not exactly what {@link #encode} would have produced, so a flipped bit, a zeroed
 * page or a torn tail is reported instead of being read back as data.
 */
public final class EntryFrame {
  public static final int VERSION = 1;
  public static final int HEADER_BYTES = 22;
  public static final int TRAILER_BYTES = 4;
  /** Upper bound on a payload; larger lengths in a header mean the header is corrupt. */
  public static final int MAX_PAYLOAD = 64 << 20;
  /**
   * Kind of a marker record (no payload): every entry written before it with index ≥ its index is
   * invalid. Written when an installed snapshot discards a conflicting log (Raft paper §7).
   */
  public static final int KIND_TRUNCATE = 0x7F;

  private static final ThreadLocal<CRC32C> CRC = ThreadLocal.withInitial(CRC32C::new);

  private EntryFrame() {}

  /** Encoded size of a frame carrying {@code payloadBytes} bytes. */
  public static int frameBytes(int payloadBytes) {
    return HEADER_BYTES + payloadBytes + TRAILER_BYTES;
  }

  public static void encode(Entry e, ByteBuffer out) {
    encode(e.type().code(), e.term(), e.index(), e.data(), out);
  }

  public static void encodeTruncate(long term, long index, ByteBuffer out) {
    encode(KIND_TRUNCATE, term, index, new byte[0], out);
  }

  /** Writes one frame at {@code out}'s position and advances it past the frame. */
  static void encode(int kind, long term, long index, byte[] payload, ByteBuffer out) {
    ByteBuffer b = out.duplicate().order(ByteOrder.LITTLE_ENDIAN);
    int start = b.position();
    b.put((byte) VERSION).put((byte) kind).putLong(term).putLong(index).putInt(payload.length);
    b.put(payload);
    CRC32C crc = CRC.get();
    crc.reset();
    crc.update(b.duplicate().position(start).limit(b.position()));
    b.putInt((int) crc.getValue());
    out.position(b.position());
  }

  /**
   * Decodes exactly one frame occupying {@code in}'s remaining bytes.
   *
   * @throws FrameException naming the first check that failed
   */
  public static Frame decode(ByteBuffer in) throws FrameException {
    ByteBuffer b = in.duplicate().order(ByteOrder.LITTLE_ENDIAN);
    int start = b.position();
    int size = b.remaining();
    if (size < HEADER_BYTES + TRAILER_BYTES) {
      throw new FrameException(-1, "frame too short: " + size + " bytes");
    }
    int version = b.get() & 0xFF;
    int kind = b.get() & 0xFF;
    long term = b.getLong();
    long index = b.getLong();
    int length = b.getInt();
    if (length < 0 || length > MAX_PAYLOAD || frameBytes(length) != size) {
      throw new FrameException(index, "bad payload length " + length + " in a " + size + "-byte frame");
    }
    CRC32C crc = CRC.get();
    crc.reset();
    crc.update(b.duplicate().position(start).limit(start + HEADER_BYTES + length));
    int stored = b.getInt(start + HEADER_BYTES + length);
    if (stored != (int) crc.getValue()) {
      throw new FrameException(index, "checksum mismatch");
    }
    // Checked after the CRC: with a matching checksum these can only be wrong by a writer bug.
    if (version != VERSION) {
      throw new FrameException(index, "unknown frame version " + version);
    }
    if (term < 1 || index < 1 || (kind > EntryType.CONFIG.code() && kind != KIND_TRUNCATE)) {
      throw new FrameException(index, "invalid kind/term/index " + kind + "/" + term + "/" + index);
    }
    byte[] payload = new byte[length];
    b.position(start + HEADER_BYTES).get(payload);
    return new Frame(kind, term, index, payload);
  }

  /** One decoded frame. {@link #toEntry()} is only valid when {@link #isEntry()}. */
  public record Frame(int kind, long term, long index, byte[] payload) {
    public boolean isEntry() {
      return kind != KIND_TRUNCATE;
    }

    public Entry toEntry() {
      return new Entry(term, index, EntryType.ofCode(kind), payload);
    }
  }

  /** A frame that failed verification; {@code index} is -1 when the header is unreadable. */
  public static final class FrameException extends Exception {
    private final long index;

    public FrameException(long index, String reason) {
      super(reason);
      this.index = index;
    }

    /** The index the header claims (untrusted unless the checksum matched), or -1. */
    public long index() {
      return index;
    }
  }
}
