package io.raftlock.lock;

import java.nio.charset.StandardCharsets;
import java.util.Arrays;

/**
 * Growable little buffer with the primitives of the lock encodings: LEB128 varints, zigzag
 * varlongs for signed values, length-prefixed UTF-8 strings.
 */
final class ByteWriter {
  private byte[] buf;
  private int pos;

  ByteWriter(int initialCapacity) {
    buf = new byte[Math.max(16, initialCapacity)];
  }

  int position() {
    return pos;
  }

  byte[] toByteArray() {
    return Arrays.copyOf(buf, pos);
  }

  /** The internal buffer; only the first {@link #position()} bytes are meaningful. */
  byte[] buffer() {
    return buf;
  }

  void writeByte(int b) {
    ensure(1);
    buf[pos++] = (byte) b;
  }

  void writeBoolean(boolean b) {
    writeByte(b ? 1 : 0);
  }

  /** Unsigned LEB128. */
  void writeVarLong(long v) {
    ensure(10);
    while ((v & ~0x7FL) != 0) {
      buf[pos++] = (byte) ((v & 0x7F) | 0x80);
      v >>>= 7;
    }
    buf[pos++] = (byte) v;
  }

  /** Zigzag then LEB128: small magnitudes of either sign stay short. */
  void writeSignedVarLong(long v) {
    writeVarLong((v << 1) ^ (v >> 63));
  }

  void writeFixedInt(int v) {
    ensure(4);
    buf[pos++] = (byte) (v >>> 24);
    buf[pos++] = (byte) (v >>> 16);
    buf[pos++] = (byte) (v >>> 8);
    buf[pos++] = (byte) v;
  }

  void writeDouble(double d) {
    long bits = Double.doubleToLongBits(d);
    writeFixedInt((int) (bits >>> 32));
    writeFixedInt((int) bits);
  }

  void writeString(String s) {
    int n = s.length();
    if (isAscii(s, n)) {
      writeVarLong(n);
      ensure(n);
      for (int i = 0; i < n; i++) {
        buf[pos++] = (byte) s.charAt(i);
      }
      return;
    }
    byte[] utf8 = s.getBytes(StandardCharsets.UTF_8);
    writeVarLong(utf8.length);
    ensure(utf8.length);
    System.arraycopy(utf8, 0, buf, pos, utf8.length);
    pos += utf8.length;
  }

  private static boolean isAscii(String s, int n) {
    for (int i = 0; i < n; i++) {
      if (s.charAt(i) >= 0x80) {
        return false;
      }
    }
    return true;
  }

  private void ensure(int extra) {
    if (pos + extra > buf.length) {
      long wanted = Math.max((long) buf.length * 2, (long) pos + extra);
      if (wanted > Integer.MAX_VALUE - 16) {
        throw new IllegalStateException("encoding larger than 2 GiB");
      }
      buf = Arrays.copyOf(buf, (int) wanted);
    }
  }
}
