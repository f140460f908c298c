package io.raftlock.cli;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.util.List;
import java.util.Map;

/** Runs the CLI in-process as a shell would, keeping what the last run printed on each stream. */
final class CliRun {
  private static final ObjectMapper JSON = new ObjectMapper();
  private final ByteArrayOutputStream outBytes = new ByteArrayOutputStream();
  private final ByteArrayOutputStream errBytes = new ByteArrayOutputStream();

  /** The exit code of {@code raftlock ARGS} with no environment. */
  int run(String... args) {
    outBytes.reset();
    errBytes.reset();
    return Cli.run(List.of(args), new PrintStream(outBytes, true, StandardCharsets.UTF_8),
        new PrintStream(errBytes, true, StandardCharsets.UTF_8), Map.of());
  }

  String out() {
    return outBytes.toString(StandardCharsets.UTF_8);
  }

  String err() {
    return errBytes.toString(StandardCharsets.UTF_8);
  }

  /** Standard output of the last run as one JSON document. */
  JsonNode json() throws Exception {
    return JSON.readTree(out());
  }
}
