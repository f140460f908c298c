package io.raftlock.raft;

/** What a log entry carries. The numeric codes are persisted: never renumber. */
public enum EntryType {
  /** A state-machine command. */
  NORMAL(0),
  /** Appended by a new leader so it can commit entries from earlier terms (Raft paper §5.4.2). */
  NOOP(1),
  /** A cluster membership change; {@code data} is an encoded {@link ClusterConfig}. */
  CONFIG(2);

  private final int code;

  EntryType(int code) {
    this.code = code;
  }

  public int code() {
    return code;
  }

  public static EntryType ofCode(int code) {
    for (EntryType t : values()) {
      if (t.code == code) {
        return t;
      }
    }
    throw new IllegalArgumentException("unknown entry type code " + code);
  }
}
