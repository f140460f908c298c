package io.raftlock.testing;

import java.io.IOException;
import java.lang.management.ManagementFactory;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;

/** Starts a test class's {@code main} in a fresh JVM with this JVM's classpath and Chronicle flags. */
public final class ChildJvm {
  private ChildJvm() {}

  /** The child's stdout is piped to the returned process; its stderr goes to {@code log}. */
  public static Process start(Class<?> main, Path log, String... args) throws IOException {
    return builder(main, args).redirectError(ProcessBuilder.Redirect.appendTo(log.toFile())).start();
  }

  /** As {@link #start}, with {@code env} added to the child's environment (secrets stay off its command line). */
  public static Process start(Class<?> main, Path log, java.util.Map<String, String> env, String... args)
      throws IOException {
    ProcessBuilder pb = builder(main, args).redirectError(ProcessBuilder.Redirect.appendTo(log.toFile()));
    pb.environment().putAll(env);
    return pb.start();
  }

  /**
   * As {@link #start}, at scheduling niceness {@code nice} (19: it gets a core only when nothing
   * else wants one), e.g. a load generator that stands for clients on other machines.
   */
  public static Process startNiced(int nice, Class<?> main, Path log, String... args) throws IOException {
    ProcessBuilder pb = builder(main, args);
    pb.command().addAll(0, List.of("nice", "-n", Integer.toString(nice)));
    return pb.redirectError(ProcessBuilder.Redirect.appendTo(log.toFile())).start();
  }

  /** The child's stdout and stderr both go to {@code log}. */
  public static Process startLogged(Class<?> main, Path log, String... args) throws IOException {
    return builder(main, args).redirectErrorStream(true)
        .redirectOutput(ProcessBuilder.Redirect.appendTo(log.toFile())).start();
  }

  private static ProcessBuilder builder(Class<?> main, String... args) {
    List<String> cmd = new ArrayList<>();
    cmd.add(Path.of(System.getProperty("java.home"), "bin", "java").toString());
    for (String a : ManagementFactory.getRuntimeMXBean().getInputArguments()) {
      if (a.startsWith("--add-opens") || a.startsWith("--add-exports")) {
        cmd.add(a);
      }
    }
    cmd.add("-Dchronicle.analytics.disable=true");
    cmd.add("-Xmx256m");
    cmd.add("-XX:TieredStopAtLevel=1"); // short-lived: start fast rather than peak
    cmd.add("-cp");
    cmd.add(System.getProperty("java.class.path"));
    cmd.add(main.getName());
    cmd.addAll(List.of(args));
    return new ProcessBuilder(cmd);
  }
}
