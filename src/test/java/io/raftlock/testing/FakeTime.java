package io.raftlock.testing;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.util.Map;

/**
 * libfaketime for node processes (TESTING.md, clock faults): the wall clock of a JVM started with
 * {@link #configure} follows the spec in its control file ("+0", "+600", "-2.5", "+0 x1.5"),
 * re-read at most once a second; the monotonic clock is never faked, so Raft timers, lease time
 * and the tests' own clock stay true. {@code scripts/install-nemesis-tools.sh} installs it.
 */
public final class FakeTime {
  public static final Path LIBFAKETIME = Path.of("/usr/lib/x86_64-linux-gnu/faketime/libfaketime.so.1");

  private FakeTime() {}

  public static boolean available() {
    return Files.exists(LIBFAKETIME);
  }

  /** Sets up {@code env} of a process to be started so that its wall clock follows {@code controlFile}. */
  public static void configure(Map<String, String> env, Path controlFile) {
    env.put("LD_PRELOAD", LIBFAKETIME.toString());
    env.put("FAKETIME_DONT_FAKE_MONOTONIC", "1");
    // libfaketime 0.9.10's "monotonic fix" for pthread_cond_timedwait makes the JVM's timed
    // waits (VM thread, cleaners, sweeper) return at once: every JVM thread spins, and a node
    // takes minutes to start. The JVM's timed waits use CLOCK_MONOTONIC, which stays true.
    env.put("FAKETIME_FORCE_MONOTONIC_FIX", "0");
    env.put("FAKETIME_TIMESTAMP_FILE", controlFile.toString());
    // The file is re-read at most once a second: a clock change takes effect within 1 s.
    env.put("FAKETIME_CACHE_DURATION", "1");
  }

  /** Writes a libfaketime spec to {@code controlFile} atomically; the process reads it within 1 s. */
  public static void write(Path controlFile, String spec) throws IOException {
    Path tmp = controlFile.resolveSibling(controlFile.getFileName() + ".tmp");
    Files.writeString(tmp, spec + "\n");
    Files.move(tmp, controlFile, StandardCopyOption.REPLACE_EXISTING, StandardCopyOption.ATOMIC_MOVE);
  }
}
