package io.raftlock.bench;

import java.io.IOException;
import java.nio.file.Path;
import java.time.Duration;
import java.util.HashMap;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import jdk.jfr.consumer.RecordedEvent;
import jdk.jfr.consumer.RecordedFrame;
import jdk.jfr.consumer.RecordedStackTrace;
import jdk.jfr.consumer.RecordingFile;

/**
 * Summarizes a JFR recording's CPU samples ({@code jdk.ExecutionSample}): by sampled thread, by
 * top frame (self time) per method, class and package, and by package anywhere on the stack
 * (inclusive time), plus CPU load and GC pauses. Usage: {@code ApiJfrSummary <file.jfr> [top]}.
 */
public final class ApiJfrSummary {
  private ApiJfrSummary() {}

  public static void main(String[] args) throws IOException {
    System.out.print(summarize(Path.of(args[0]), args.length > 1 ? Integer.parseInt(args[1]) : 20));
  }

  static String summarize(Path file, int top) throws IOException {
    Map<String, Integer> byThread = new HashMap<>();
    Map<String, Integer> selfMethod = new HashMap<>();
    Map<String, Integer> selfClass = new HashMap<>();
    Map<String, Integer> selfPackage = new HashMap<>();
    Map<String, Integer> inclusivePackage = new HashMap<>();
    Map<String, Integer> inclusiveClass = new HashMap<>();
    Map<String, Integer> nearestProject = new HashMap<>();
    int samples = 0;
    double jvmUser = 0;
    double jvmSystem = 0;
    double machine = 0;
    int loads = 0;
    Duration gc = Duration.ZERO;
    int gcs = 0;
    for (RecordedEvent e : RecordingFile.readAllEvents(file)) {
      switch (e.getEventType().getName()) {
        case "jdk.ExecutionSample" -> {
          samples++;
          String thread = e.getThread("sampledThread") == null ? "?" : e.getThread("sampledThread").getJavaName();
          byThread.merge(threadGroup(thread), 1, Integer::sum);
          RecordedStackTrace st = e.getStackTrace();
          if (st == null || st.getFrames().isEmpty()) {
            continue;
          }
          List<RecordedFrame> frames = st.getFrames();
          RecordedFrame f = frames.get(0);
          String cls = f.getMethod().getType().getName();
          selfMethod.merge(cls + "." + f.getMethod().getName(), 1, Integer::sum);
          selfClass.merge(cls, 1, Integer::sum);
          selfPackage.merge(pkg(cls), 1, Integer::sum);
          Set<String> pkgs = new HashSet<>();
          Set<String> classes = new HashSet<>();
          String nearest = null;
          for (RecordedFrame fr : frames) {
            String c = lambdaOwner(fr.getMethod().getType().getName());
            if (nearest == null && c.startsWith("io.raftlock.") && !c.startsWith("io.raftlock.proto.")) {
              nearest = c + "." + fr.getMethod().getName();
            }
            pkgs.add(pkg(c));
            if (c.startsWith("io.raftlock.")) {
              classes.add(c);
            }
          }
          nearestProject.merge(nearest == null ? "(no io.raftlock frame: event-loop I/O, JDK, GC)" : nearest, 1, Integer::sum);
          pkgs.forEach(p -> inclusivePackage.merge(p, 1, Integer::sum));
          classes.forEach(c -> inclusiveClass.merge(c, 1, Integer::sum));
        }
        case "jdk.CPULoad" -> {
          jvmUser += e.getFloat("jvmUser");
          jvmSystem += e.getFloat("jvmSystem");
          machine += e.getFloat("machineTotal");
          loads++;
        }
        case "jdk.GarbageCollection" -> {
          gc = gc.plus(e.getDuration("sumOfPauses"));
          gcs++;
        }
        default -> { }
      }
    }
    StringBuilder out = new StringBuilder();
    out.append(String.format("%s: %d CPU samples%n", file.getFileName(), samples));
    if (loads > 0) {
      out.append(String.format("CPU load (share of all cores): this JVM user %.0f%% + system %.0f%%, machine total %.0f%%%n",
          100 * jvmUser / loads, 100 * jvmSystem / loads, 100 * machine / loads));
    }
    out.append(String.format("GC: %d collections, %d ms of pauses%n", gcs, gc.toMillis()));
    table(out, "samples by thread", byThread, samples, top);
    table(out, "self time by package (top frame)", selfPackage, samples, top);
    table(out, "inclusive time by package (anywhere on the stack)", inclusivePackage, samples, top);
    table(out, "inclusive time by io.raftlock class", inclusiveClass, samples, top);
    table(out, "samples by the nearest io.raftlock method on the stack (who caused the work)", nearestProject, samples, top);
    table(out, "self time by method (top frame)", selfMethod, samples, top);
    return out.toString();
  }

  /** Thread names; only ForkJoin-style pools are folded into one line. */
  private static String threadGroup(String name) {
    return name.replaceAll("worker-\\d+$", "worker-N");
  }

  /** A lambda's class name reduced to the class that declares it. */
  private static String lambdaOwner(String cls) {
    int i = cls.indexOf("$$Lambda");
    return i < 0 ? cls : cls.substring(0, i);
  }

  /** The package, shortened to at most four segments (io.netty.channel.epoll, ...). */
  private static String pkg(String cls) {
    int dot = cls.lastIndexOf('.');
    String p = dot < 0 ? "(default)" : cls.substring(0, dot);
    String[] parts = p.split("\\.");
    return parts.length <= 4 ? p : String.join(".", List.of(parts).subList(0, 4));
  }

  private static void table(StringBuilder out, String title, Map<String, Integer> counts, int total, int top) {
    out.append(String.format("%n%s%n", title));
    counts.entrySet().stream()
        .sorted(Map.Entry.<String, Integer>comparingByValue().reversed())
        .limit(top)
        .forEach(en -> out.append(String.format("  %5.1f%%  %6d  %s%n", 100.0 * en.getValue() / Math.max(1, total),
            en.getValue(), en.getKey())));
  }
}
