package io.raftlock.nemesis;

import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import java.io.BufferedWriter;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Map;
import java.util.TreeMap;

/**
 * The nemesis log ({@code nemesis.jsonl}): one line per fault start and end, times on
 * {@code System.nanoTime()} (the clock the client histories use), flushed per line. Also counts
 * fault starts by kind and target class for the run summary.
 */
final class NemesisLog implements AutoCloseable {
  private static final ObjectMapper JSON = new ObjectMapper();

  private final BufferedWriter out;
  /** "kind" → starts; guarded by this. */
  private final Map<String, Integer> starts = new TreeMap<>();
  private boolean finalHealLogged;

  NemesisLog(Path file) throws IOException {
    this.out = Files.newBufferedWriter(file, StandardCharsets.UTF_8);
  }

  synchronized void start(String fault, String target, String detail) {
    // Client pauses are counted apart: the pause quota counts node pauses.
    String key = fault + (target != null && target.startsWith("c") ? "-client" : "");
    starts.merge(key, 1, Integer::sum);
    write(fault, "start", target, detail);
  }

  synchronized void end(String fault, String target, String detail) {
    write(fault, "end", target, detail);
  }

  /** The final heal: after its end line the cluster is healthy, and nothing follows it. */
  synchronized void finalHeal(String phase, String detail) {
    if (finalHealLogged) {
      return;
    }
    write("heal", phase, null, detail);
    finalHealLogged = "end".equals(phase);
  }

  private void write(String fault, String phase, String target, String detail) {
    if (finalHealLogged) {
      throw new IllegalStateException("the final heal is the last line of the nemesis log");
    }
    ObjectNode line = JSON.createObjectNode().put("t", System.nanoTime()).put("fault", fault).put("phase", phase);
    if (target != null) {
      line.put("target", target);
    }
    if (detail != null) {
      line.put("detail", detail);
    }
    try {
      out.write(line.toString());
      out.write('\n');
      out.flush();
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
  }

  synchronized Map<String, Integer> counts() {
    return new TreeMap<>(starts);
  }

  synchronized int count(String key) {
    return starts.getOrDefault(key, 0);
  }

  @Override
  public synchronized void close() throws IOException {
    out.close();
  }
}
