package io.raftlock.storage;

import java.io.IOException;

/** A backup file that {@link SnapshotFile} refuses to load, and why; nothing was written. */
public final class SnapshotFileException extends IOException {
  private static final long serialVersionUID = 1L;

  /** What is wrong with the file. */
  public enum Reason {
    /** Not a RaftLock snapshot file (no header line of this format). */
    NOT_A_SNAPSHOT,
    /** A RaftLock snapshot file of a format version this build does not read. */
    UNSUPPORTED_VERSION,
    /** The body is shorter than its header says: a copy cut short. */
    TRUNCATED,
    /** The body's checksum, length or encoding does not match: damaged bytes. */
    CORRUPT,
    /** The header's index, term or members differ from the body's. */
    HEADER_MISMATCH,
    /** The file cannot be read at all (missing, no permission). */
    UNREADABLE
  }

  private final Reason reason;

  public SnapshotFileException(Reason reason, String message) {
    super(message);
    this.reason = reason;
  }

  public SnapshotFileException(Reason reason, String message, Throwable cause) {
    super(message, cause);
    this.reason = reason;
  }

  public Reason reason() {
    return reason;
  }
}
