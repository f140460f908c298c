package io.raftlock.raft.transcript;

import java.util.ArrayList;
import java.util.List;
import java.util.function.Function;

/**
 * A transcript file in the datadriven format of etcd-io/raft's {@code testdata/*.txt}: a command
 * line, a {@code ----} line, the expected output, a blank line. Lines starting with {@code #} and
 * blank lines between cases are commentary. Expected output must not contain a blank line (the
 * interpreter never prints one), so a blank line always ends a case.
 */
final class TranscriptScript {
  static final String SEPARATOR = "----";

  /** One command and the output recorded for it; {@code line} is 1-based, for error messages. */
  record Case(int line, String command, List<String> expected) {}

  /** Commentary lines keep their place; a case is rewritten in place. */
  private sealed interface Part permits Text, CasePart {}

  private record Text(String line) implements Part {}

  private record CasePart(Case c) implements Part {}

  private final List<Part> parts;

  private TranscriptScript(List<Part> parts) {
    this.parts = parts;
  }

  static TranscriptScript parse(String name, List<String> lines) {
    List<Part> parts = new ArrayList<>();
    int i = 0;
    while (i < lines.size()) {
      String line = lines.get(i);
      if (line.isBlank() || line.startsWith("#")) {
        parts.add(new Text(line));
        i++;
        continue;
      }
      if (i + 1 >= lines.size() || !lines.get(i + 1).equals(SEPARATOR)) {
        throw new IllegalArgumentException(
            name + ":" + (i + 1) + ": command '" + line + "' is not followed by " + SEPARATOR);
      }
      int start = i;
      i += 2;
      List<String> expected = new ArrayList<>();
      while (i < lines.size() && !lines.get(i).isEmpty()) {
        expected.add(lines.get(i++));
      }
      parts.add(new CasePart(new Case(start + 1, line.strip(), List.copyOf(expected))));
      if (i < lines.size()) {
        i++; // the blank line that ends the case
      }
    }
    return new TranscriptScript(parts);
  }

  List<Case> cases() {
    return parts.stream().filter(p -> p instanceof CasePart).map(p -> ((CasePart) p).c()).toList();
  }

  /** The file with every case's expected output replaced by {@code actual}. */
  String render(Function<Case, List<String>> actual) {
    StringBuilder out = new StringBuilder();
    for (Part p : parts) {
      if (p instanceof Text t) {
        out.append(t.line()).append('\n');
      } else {
        Case c = ((CasePart) p).c();
        out.append(c.command()).append('\n').append(SEPARATOR).append('\n');
        actual.apply(c).forEach(l -> out.append(l).append('\n'));
        out.append('\n');
      }
    }
    return out.toString();
  }
}
