package io.raftlock.bench;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.LinkedHashMap;
import java.util.Map;

/**
 * CPU time of processes from {@code /proc/PID/stat} (user + system, in clock ticks of 10 ms).
 * Benchmarks report CPU per operation next to throughput: on a machine whose cores are shared by
 * the cluster, the driver and other work, CPU per operation moves far less with the load than
 * operations per second do, so it shows the effect of an efficiency change more reliably.
 */
final class ProcCpu {
  /** USER_HZ: the unit of utime/stime; 100 on every Linux configuration in practice. */
  private static final double MS_PER_TICK = 10.0;

  record Sample(long pid, long ticks) { }

  private ProcCpu() {
  }

  /** Current CPU ticks of each process (absent when it cannot be read, e.g. not Linux). */
  static Map<String, Sample> sample(Map<String, Long> pids) {
    Map<String, Sample> out = new LinkedHashMap<>();
    pids.forEach((id, pid) -> {
      long t = ticks(pid);
      if (t >= 0) {
        out.put(id, new Sample(pid, t));
      }
    });
    return out;
  }

  /** CPU milliseconds used by each process since {@code start}. */
  static Map<String, Double> since(Map<String, Sample> start) {
    Map<String, Double> out = new LinkedHashMap<>();
    start.forEach((id, s) -> {
      long t = ticks(s.pid());
      if (t >= 0) {
        out.put(id, (t - s.ticks()) * MS_PER_TICK);
      }
    });
    return out;
  }

  /** utime + stime of {@code pid}, or -1. Fields after the command name, which may hold spaces. */
  static long ticks(long pid) {
    try {
      String stat = Files.readString(Path.of("/proc", Long.toString(pid), "stat"));
      String[] f = stat.substring(stat.lastIndexOf(')') + 2).split(" ");
      return Long.parseLong(f[11]) + Long.parseLong(f[12]); // fields 14 and 15 of stat(5)
    } catch (IOException | RuntimeException e) {
      return -1;
    }
  }
}
