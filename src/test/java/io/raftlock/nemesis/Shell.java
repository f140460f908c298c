package io.raftlock.nemesis;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.util.List;
import java.util.concurrent.TimeUnit;

/** Runs short system commands (nft, mount, kill -STOP ...) with a bounded wait. */
final class Shell {
  private Shell() {}

  /** A finished command: its exit code (-1: did not start or timed out) and merged output. */
  record Result(int exitCode, String output) {
    boolean ok() {
      return exitCode == 0;
    }
  }

  static Result run(String... command) {
    return run(List.of(command), 60);
  }

  static Result run(List<String> command, long timeoutSeconds) {
    return run(command, timeoutSeconds, java.util.Map.of());
  }

  /** {@link #run(List, long)} with {@code env} added to the environment (secrets stay off argv). */
  static Result run(List<String> command, long timeoutSeconds, java.util.Map<String, String> env) {
    try {
      ProcessBuilder pb = new ProcessBuilder(command).redirectErrorStream(true);
      pb.environment().putAll(env);
      Process p = pb.start();
      p.getOutputStream().close();
      // The output is small (a few lines); read it fully, then the exit is near.
      byte[] out = p.getInputStream().readAllBytes();
      if (!p.waitFor(timeoutSeconds, TimeUnit.SECONDS)) {
        p.destroyForcibly();
        return new Result(-1, "timed out after " + timeoutSeconds + " s: " + String.join(" ", command));
      }
      return new Result(p.exitValue(), new String(out, StandardCharsets.UTF_8).trim());
    } catch (IOException e) {
      return new Result(-1, e.getMessage());
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      return new Result(-1, "interrupted");
    }
  }

  /** Runs a command that must succeed; the exception carries its output. */
  static String check(String... command) {
    Result r = run(command);
    if (!r.ok()) {
      throw new IllegalStateException(String.join(" ", command) + " failed (" + r.exitCode() + "): " + r.output());
    }
    return r.output();
  }

  static boolean isRoot() {
    Result r = run("id", "-u");
    return r.ok() && r.output().equals("0");
  }

  static boolean onPath(String tool) {
    return run("sh", "-c", "command -v " + tool).ok();
  }

  /** Sends a signal (STOP, CONT, TERM, KILL) to a process id; false when it is gone. */
  static boolean signal(long pid, String signal) {
    return run("kill", "-" + signal, Long.toString(pid)).ok();
  }
}
