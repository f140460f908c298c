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
   * A long-running load generator that stands for clients on other machines: both compilers and a
   * 1 GiB heap (not the short-lived settings of {@link #start}), its niceness raised by
   * {@code nice} above this JVM's ({@code nice -n}; 19: it gets a core only when nothing else
   * wants one). Its stdout is piped to the returned process; its stderr goes to {@code log}.
   */
  public static Process startLoadGenerator(int nice, Class<?> main, Path log, String... args) throws IOException {
    List<String> cmd = new ArrayList<>(List.of("nice", "-n", Integer.toString(nice)));
    cmd.addAll(command(main, List.of("-Xmx1g"), args));
    return new ProcessBuilder(cmd).redirectError(ProcessBuilder.Redirect.appendTo(log.toFile())).start();
  }

  /** The child's stdout and stderr both go to {@code log}. */
  public static Process startLogged(Class<?> main, Path log, String... args) throws IOException {
    return builder(main, args).redirectErrorStream(true)
        .redirectOutput(ProcessBuilder.Redirect.appendTo(log.toFile())).start();
  }

  private static ProcessBuilder builder(Class<?> main, String... args) {
    // short-lived: start fast rather than peak
    return new ProcessBuilder(command(main, List.of("-Xmx256m", "-XX:TieredStopAtLevel=1"), args));
  }

  private static List<String> command(Class<?> main, List<String> jvmOptions, String... args) {
    List<String> cmd = new ArrayList<>();
    cmd.add(Path.of(System.getProperty("java.home"), "bin", "java").toString());
    for (String a : ManagementFactory.getRuntimeMXBean().getInputArguments()) {
      if (a.startsWith("--add-opens") || a.startsWith("--add-exports")) {
        cmd.add(a);
      }
    }
    cmd.add("-Dchronicle.analytics.disable=true");
    cmd.addAll(jvmOptions);
    cmd.add("-cp");
    cmd.add(System.getProperty("java.class.path"));
    cmd.add(main.getName());
    cmd.addAll(List.of(args));
    return cmd;
  }
}
