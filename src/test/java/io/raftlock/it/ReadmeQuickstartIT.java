package io.raftlock.it;

import static org.awaitility.Awaitility.await;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.io.IOException;
import java.net.ServerSocket;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Follows the README literally: its first command, run in a fresh clone of this repository,
 * must build the jar and start a working local cluster with nothing else installed or
 * configured; its second command must be exactly what CI runs ({@code .ci/run}), which is how
 * the second command is exercised.
 */
class ReadmeQuickstartIT {
  private static final ObjectMapper JSON = new ObjectMapper();
  private static final HttpClient HTTP = HttpClient.newBuilder().connectTimeout(Duration.ofMillis(500)).build();
  /** The embedded default's ports: peers 7001–7003, client API 8001–8003. */
  private static final int[] DEFAULT_PORTS = {7001, 7002, 7003, 8001, 8002, 8003};

  @TempDir Path work;

  /** The fenced code blocks of the README's "Two commands" section, in order. */
  static List<String> twoCommands(String readme) {
    int section = readme.indexOf("## Two commands");
    assertTrue(section >= 0, "the README has a '## Two commands' section");
    int next = readme.indexOf("\n## ", section + 1);
    String body = readme.substring(section, next < 0 ? readme.length() : next);
    List<String> blocks = new ArrayList<>();
    Matcher m = Pattern.compile("```[a-z]*\\n(.*?)```", Pattern.DOTALL).matcher(body);
    while (m.find()) {
      blocks.add(m.group(1).strip());
    }
    return blocks;
  }

  @Test
  void theSecondCommandIsWhatCiRuns() throws IOException {
    List<String> commands = twoCommands(Files.readString(Path.of("README.md")));
    assertEquals(2, commands.size(), "exactly two commands: " + commands);
    String ci = Files.readString(Path.of(".ci/run"));
    assertTrue(ci.lines().map(String::strip).anyMatch(commands.get(1)::equals),
        ".ci/run runs '" + commands.get(1) + "':\n" + ci);
  }

  @Test
  void theFirstCommandBuildsAndStartsAWorkingClusterInAFreshClone() throws Exception {
    assumeTrue(Files.isDirectory(Path.of(".git")), "not a git checkout: nothing to clone");
    for (int port : DEFAULT_PORTS) {
      try (ServerSocket probe = new ServerSocket(port)) {
        probe.setReuseAddress(true);
      } catch (IOException e) {
        throw new AssertionError("port " + port + " is in use (a local cluster still running?); "
            + "the README's first command needs 7001-7003 and 8001-8003", e);
      }
    }
    String first = twoCommands(Files.readString(Path.of("README.md"))).get(0);
    Path clone = work.resolve("clone");
    Process git = new ProcessBuilder("git", "clone", "--quiet", Path.of("").toAbsolutePath().toString(), clone.toString())
        .inheritIO().start();
    assertTrue(git.waitFor(2, TimeUnit.MINUTES) && git.exitValue() == 0, "git clone");

    Path log = work.resolve("first-command.log");
    Process run = new ProcessBuilder("bash", "-c", first).directory(clone.toFile())
        .redirectErrorStream(true).redirectOutput(log.toFile()).start();
    try {
      await().atMost(Duration.ofMinutes(6)).pollInterval(Duration.ofSeconds(1))
          .failFast("the first command exited early; its output is printed below", () -> !run.isAlive())
          .until(() -> clusterHasOneLeaderSeenByAll(8001, 8002, 8003));
      assertTrue(Files.isDirectory(clone.resolve("data")), "data under ./data of the clone");
    } finally {
      System.err.println("--- last lines of the first command's output ---\n" + tail(log));
      // The command is `build && java -jar ...`: stop the JVM (graceful, SIGTERM) and the shell.
      run.descendants().forEach(ProcessHandle::destroy);
      run.destroy();
      assertTrue(run.waitFor(30, TimeUnit.SECONDS), "the cluster stops on SIGTERM");
      run.descendants().forEach(ProcessHandle::destroyForcibly);
    }
  }

  private static boolean clusterHasOneLeaderSeenByAll(int... clientPorts) {
    String leader = null;
    for (int port : clientPorts) {
      try {
        HttpResponse<String> r = HTTP.send(HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + port + "/status"))
            .timeout(Duration.ofSeconds(1)).build(), HttpResponse.BodyHandlers.ofString());
        JsonNode s = JSON.readTree(r.body());
        String l = s.path("leaderId").asText(null);
        if (r.statusCode() != 200 || l == null || (leader != null && !leader.equals(l))) {
          return false;
        }
        leader = l;
      } catch (IOException | InterruptedException e) {
        return false;
      }
    }
    return true;
  }

  private static String tail(Path log) {
    try {
      List<String> lines = Files.readAllLines(log);
      return String.join("\n", lines.subList(Math.max(0, lines.size() - 30), lines.size()));
    } catch (IOException e) {
      return "(no log: " + e + ")";
    }
  }
}
