package io.raftlock.storage;

import java.util.List;

/**
 * What {@link ChronicleRaftStorage#recover()} found, for logging and for operators.
 *
 * @param problems damaged records, damaged snapshots and gaps, in the order found
 * @param snapshotIndex index of the snapshot recovery started from (0 when none)
 * @param lastTerm term of the last entry of the verified log (or of the snapshot)
 * @param lastIndex last index of the verified log (or the snapshot when the log is empty)
 * @param durableLastTerm term of the durable mark: the most up-to-date point the log ever reached
 * @param durableLastIndex index of the durable mark
 */
public record RecoveryReport(List<BadFrame> problems, long snapshotIndex, long lastTerm,
    long lastIndex, long durableLastTerm, long durableLastIndex) {
  public RecoveryReport {
    problems = List.copyOf(problems);
  }

  /**
   * True when the verified log is less up-to-date (Raft §5.4.1 order) than the durable mark:
   * entries the node may have acknowledged are missing, and it must not campaign until repaired.
   */
  public boolean needsRepair() {
    return durableLastTerm > lastTerm || (durableLastTerm == lastTerm && durableLastIndex > lastIndex);
  }

  public boolean clean() {
    return problems.isEmpty() && !needsRepair();
  }

  @Override
  public String toString() {
    StringBuilder s = new StringBuilder("recovered log ")
        .append(snapshotIndex).append("..").append(lastIndex).append(" (last term ")
        .append(lastTerm).append("), durable mark ").append(durableLastTerm).append("/")
        .append(durableLastIndex);
    if (needsRepair()) {
      s.append(": NEEDS REPAIR, the log is below what it once held durably (missing or damaged "
          + "entries the node may have acknowledged)");
    }
    for (BadFrame p : problems) {
      s.append("\n  ").append(p);
    }
    return s.toString();
  }
}
