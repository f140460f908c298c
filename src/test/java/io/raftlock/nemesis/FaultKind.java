package io.raftlock.nemesis;

/** The node faults the harness schedules, one at a time; the name is the nemesis log's "fault". */
public enum FaultKind {
  KILL("kill"),
  PAUSE("pause"),
  PARTITION("partition"),
  LOSS("loss"),
  CLOCK("clock"),
  POWER("power"),
  DISKFULL("diskfull");

  final String logName;

  FaultKind(String logName) {
    this.logName = logName;
  }
}
