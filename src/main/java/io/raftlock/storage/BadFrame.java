package io.raftlock.storage;

/**
 * One problem found while verifying the log on start.
 *
 * @param file the segment file (or other file) where it was found
 * @param position Chronicle index of the record, or -1 when unknown
 * @param index the Raft index the record claims, or -1 when unreadable
 * @param reason what check failed
 */
public record BadFrame(String file, long position, long index, String reason) {
  @Override
  public String toString() {
    String at = position < 0 ? "" : " at position 0x" + Long.toHexString(position);
    String idx = index < 0 ? "" : " index " + index;
    return file + at + idx + ": " + reason;
  }
}
