package io.raftlock.nemesis.check;

import com.fasterxml.jackson.databind.JsonNode;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.stream.Stream;

/**
 * Everything a run directory holds (spec §1–§4), parsed: the histories, the fenced resource's
 * decisions, the nemesis log and the node dumps. Missing optional files give empty lists.
 */
final class RunData {
  /** One decision of the fenced resource (spec §3), in decision order. */
  record ResourceWrite(String lock, long token, String process, boolean accepted, long t,
      String line) {}

  /** One nemesis log line (spec §4). */
  record NemesisEvent(String fault, String phase, long t, String line) {}

  final List<Op> ops = new ArrayList<>();
  final List<History.Problem> historyProblems = new ArrayList<>();
  final List<ResourceWrite> writes = new ArrayList<>();
  final List<String> resourceProblems = new ArrayList<>();
  final List<NemesisEvent> nemesis = new ArrayList<>();
  final List<NodeDump> dumps = new ArrayList<>();
  int historyFiles;
  boolean hasResourceLog;
  boolean hasNemesisLog;

  static RunData read(Path runDir) {
    if (!Files.isDirectory(runDir)) {
      throw new IllegalArgumentException("not a run directory: " + runDir);
    }
    RunData run = new RunData();
    for (Path file : list(runDir, "history-")) {
      History h = History.parse(file.getFileName().toString(), Jsonl.lines(file));
      run.ops.addAll(h.ops());
      run.historyProblems.addAll(h.problems());
      run.historyFiles++;
    }
    for (Path file : list(runDir, "dump-")) {
      run.dumps.add(NodeDump.parse(file.getFileName().toString(), Jsonl.lines(file)));
    }
    Path resource = runDir.resolve("resource.jsonl");
    if (Files.exists(resource)) {
      run.hasResourceLog = true;
      run.readResource(Jsonl.lines(resource));
    }
    Path nemesis = runDir.resolve("nemesis.jsonl");
    if (Files.exists(nemesis)) {
      run.hasNemesisLog = true;
      for (String line : Jsonl.lines(nemesis)) {
        JsonNode n = line.isBlank() ? null : Jsonl.parse(line);
        if (n != null) {
          run.nemesis.add(new NemesisEvent(n.path("fault").asText(""),
              n.path("phase").asText(""), n.path("t").asLong(), line));
        }
      }
    }
    return run;
  }

  private void readResource(List<String> lines) {
    for (int i = 0; i < lines.size(); i++) {
      String line = lines.get(i);
      if (line.isBlank()) {
        continue;
      }
      JsonNode n = Jsonl.parse(line);
      if (n == null || !n.hasNonNull("lock") || !n.hasNonNull("token")
          || !n.hasNonNull("accepted")) {
        resourceProblems.add("resource.jsonl:" + (i + 1) + ": malformed line: " + line);
        continue;
      }
      writes.add(new ResourceWrite(n.get("lock").asText(), n.get("token").asLong(),
          n.path("process").asText(""), n.get("accepted").asBoolean(), n.path("t").asLong(),
          line));
    }
  }

  /** The {@code prefix*.jsonl} files of the directory, sorted by name. */
  private static List<Path> list(Path dir, String prefix) {
    try (Stream<Path> files = Files.list(dir)) {
      return files
          .filter(p -> {
            String name = p.getFileName().toString();
            return name.startsWith(prefix) && name.endsWith(".jsonl");
          })
          .sorted()
          .toList();
    } catch (IOException e) {
      throw new UncheckedIOException("cannot list " + dir, e);
    }
  }
}
