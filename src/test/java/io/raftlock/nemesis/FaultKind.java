package io.raftlock.nemesis;

/** The node faults the harness schedules, one at a time; the name is the nemesis log's "fault". */
public enum FaultKind {
  KILL("kill"),
  PAUSE("pause"),
  PARTITION("partition"),
  LOSS("loss"),
  CLOCK("clock"),
  POWER("power"),
  DISKFULL("diskfull"),
  /** Some or all clients cut off the client port of one or more nodes; the members still talk. */
  CLIENT_PARTITION("client-partition"),
  /** A power loss that also tears the node's unacknowledged log writes ({@link NodeDisk#tornPowerLoss}). */
  TORN_POWER("torn-power"),
  /** A client process flooding the leader with acquire requests (issue 18): costs latency, never the leader. */
  FLOOD("flood");

  final String logName;

  FaultKind(String logName) {
    this.logName = logName;
  }
}
