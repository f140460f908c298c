package io.raftlock.lock;

import java.nio.ByteBuffer;
import java.nio.charset.CharacterCodingException;
import java.nio.charset.CodingErrorAction;
import java.nio.charset.StandardCharsets;

/**
 * Bounds-checked reader for {@link ByteWriter} encodings. Every malformation (truncation,
 * over-long varint, bad boolean, length beyond the input, malformed UTF-8) is reported as a
 * {@link LockCodecException}, never as another exception.
 */
final class ByteReader {
  private final byte[] buf;
  private final int end;
  private int pos;

  ByteReader(byte[] buf, int offset, int end) {
    this.buf = buf;
    this.pos = offset;
    this.end = end;
  }

  int position() {
    return pos;
  }

  int remaining() {
    return end - pos;
  }

  int readByte() {
    if (pos >= end) {
      throw new LockCodecException("truncated input at byte " + pos);
    }
    return buf[pos++] & 0xFF;
  }

  boolean readBoolean() {
    int b = readByte();
    if (b > 1) {
      throw new LockCodecException("bad boolean " + b + " at byte " + (pos - 1));
    }
    return b == 1;
  }

  long readVarLong() {
    long v = 0;
    for (int shift = 0; shift < 64; shift += 7) {
      int b = readByte();
      v |= (long) (b & 0x7F) << shift;
      if ((b & 0x80) == 0) {
        return v;
      }
    }
    throw new LockCodecException("varint longer than 10 bytes at byte " + pos);
  }

  long readSignedVarLong() {
    long v = readVarLong();
    return (v >>> 1) ^ -(v & 1);
  }

  /** A varint that must fit in [0, max] ({@code max} is evaluated before the varint is read). */
  int readCount(int max, String what) {
    long v = readVarLong();
    if (v < 0 || v > max) {
      throw new LockCodecException(what + " out of range: " + v);
    }
    return (int) v;
  }

  int readInt32() {
    long v = readSignedVarLong();
    if (v < Integer.MIN_VALUE || v > Integer.MAX_VALUE) {
      throw new LockCodecException("int out of range: " + v);
    }
    return (int) v;
  }

  int readFixedInt() {
    return (readByte() << 24) | (readByte() << 16) | (readByte() << 8) | readByte();
  }

  double readDouble() {
    long hi = readFixedInt() & 0xFFFFFFFFL;
    long lo = readFixedInt() & 0xFFFFFFFFL;
    return Double.longBitsToDouble((hi << 32) | lo);
  }

  String readString() {
    long length = readVarLong(); // read before comparing: the varint itself consumes bytes
    if (length < 0 || length > remaining()) {
      throw new LockCodecException("string length " + length + " beyond the input");
    }
    int n = (int) length;
    int start = pos;
    pos += n;
    boolean ascii = true;
    for (int i = start; i < pos; i++) {
      if (buf[i] < 0) {
        ascii = false;
        break;
      }
    }
    if (ascii) {
      return new String(buf, start, n, StandardCharsets.ISO_8859_1);
    }
    try {
      return StandardCharsets.UTF_8.newDecoder()
          .onMalformedInput(CodingErrorAction.REPORT)
          .onUnmappableCharacter(CodingErrorAction.REPORT)
          .decode(ByteBuffer.wrap(buf, start, n))
          .toString();
    } catch (CharacterCodingException e) {
      throw new LockCodecException("malformed UTF-8 string at byte " + start);
    }
  }

  void expectEnd() {
    if (pos != end) {
      throw new LockCodecException((end - pos) + " trailing bytes");
    }
  }
}
