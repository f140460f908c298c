package io.raftlock.raft.transcript;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.stream.Stream;
import org.junit.jupiter.api.DynamicTest;
import org.junit.jupiter.api.TestFactory;

/**
 * Transcript tests of the Raft core: each {@code src/test/resources/raft-transcripts/*.txt} is a
 * script of commands (messages in, Readys out) with the output each must print, in the
 * datadriven format of etcd-io/raft's {@code testdata/*.txt}. A file passes when every command
 * prints exactly what is recorded under it; the commands are listed in
 * {@link TranscriptInterpreter}.
 *
 * <p>After a deliberate change of behaviour, rewrite the recorded output and review the diff:
 *
 * <pre>
 * mvn -B -q test -Dtest=TranscriptTest -Draftlock.transcript.rewrite=true
 * git diff src/test/resources/raft-transcripts
 * </pre>
 */
class TranscriptTest {
  static final Path DIR = Path.of("src/test/resources/raft-transcripts");
  private static final boolean REWRITE = Boolean.getBoolean("raftlock.transcript.rewrite");

  @TestFactory
  Stream<DynamicTest> transcripts() throws IOException {
    List<Path> files;
    try (Stream<Path> listing = Files.list(DIR)) {
      files = listing.filter(p -> p.toString().endsWith(".txt")).sorted().toList();
    }
    assertFalse(files.isEmpty(), "no transcripts in " + DIR.toAbsolutePath());
    return files.stream().map(f -> DynamicTest.dynamicTest(f.getFileName().toString(), () -> run(f)));
  }

  private static void run(Path file) throws IOException {
    String name = file.getFileName().toString();
    TranscriptScript script = TranscriptScript.parse(name, Files.readAllLines(file, StandardCharsets.UTF_8));
    TranscriptInterpreter interpreter = new TranscriptInterpreter();
    Map<TranscriptScript.Case, List<String>> actual = new HashMap<>();
    for (TranscriptScript.Case c : script.cases()) {
      List<String> out = runCommand(interpreter, name, c);
      actual.put(c, out);
      if (!REWRITE && !out.equals(c.expected())) {
        // The first difference is reported: later output follows from it.
        assertEquals(String.join("\n", c.expected()), String.join("\n", out),
            name + ":" + c.line() + ": " + c.command());
      }
    }
    if (REWRITE) {
      Files.writeString(file, script.render(actual::get), StandardCharsets.UTF_8);
    }
  }

  /** A command the interpreter cannot run is an error in the transcript: say where it is. */
  private static List<String> runCommand(
      TranscriptInterpreter interpreter, String name, TranscriptScript.Case c) {
    try {
      return interpreter.run(c.command());
    } catch (IllegalArgumentException e) {
      throw new IllegalArgumentException(name + ":" + c.line() + ": " + c.command() + ": " + e.getMessage(), e);
    }
  }
}
