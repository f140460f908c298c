package io.raftlock.lock;

import java.util.zip.CRC32C;

/** Snapshots of older versions, written field by field by tests that check they are still read. */
final class HandWrittenSnapshots {
  private HandWrittenSnapshots() {}

  /** The bytes written so far, sealed with their CRC32C as {@link SnapshotCodec} expects. */
  static byte[] sealed(ByteWriter w) {
    CRC32C crc = new CRC32C();
    crc.update(w.buffer(), 0, w.position());
    w.writeFixedInt((int) crc.getValue());
    return w.toByteArray();
  }
}
