package io.raftlock.cli;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.raftlock.client.RaftLockException;
import io.raftlock.proto.api.ErrorCode;
import io.raftlock.testing.FreePorts;
import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.time.Instant;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;
import picocli.CommandLine;
import picocli.CommandLine.TypeConversionException;

/** Argument parsing, help and exit codes, without a cluster. */
class CliTest {
  static final ObjectMapper JSON = new ObjectMapper();
  final ByteArrayOutputStream outBytes = new ByteArrayOutputStream();
  final ByteArrayOutputStream errBytes = new ByteArrayOutputStream();

  int run(String... args) {
    return run(Map.of(), args);
  }

  int run(Map<String, String> env, String... args) {
    return Cli.run(List.of(args), new PrintStream(outBytes, true, StandardCharsets.UTF_8),
        new PrintStream(errBytes, true, StandardCharsets.UTF_8), env);
  }

  String out() {
    return outBytes.toString(StandardCharsets.UTF_8);
  }

  String err() {
    return errBytes.toString(StandardCharsets.UTF_8);
  }

  @Test
  void terminalSafeEscapesC0DelC1AndBidiControlsButKeepsLinesTabsAndText() {
    assertEquals("a\\u001b[2Jb\\u0007\\u0000", TerminalSafe.escape("a\u001b[2Jb\u0007\u0000"));
    assertEquals("\\u007f\\u0085\\u009b", TerminalSafe.escape("\u007f\u0085\u009b"));
    assertEquals("\\u202e\\u2066\\u200f\\u061c", TerminalSafe.escape("\u202e\u2066\u200f\u061c"));
    assertEquals("over\\u000dwrite\r\n", TerminalSafe.escape("over\rwrite\r\n"));
    String text = "line 1\n\tcafé 日本 🔒";
    assertTrue(text == TerminalSafe.escape(text), "nothing to escape: the same string");
  }

  @Test
  void humanOutputIsEscapedOnEveryPrintPathAndJsonOutputIsNot() {
    PrintStream safe = TerminalSafe.wrap(new PrintStream(outBytes, true, StandardCharsets.UTF_8));
    safe.println("a\u001b");
    safe.printf("%s|%n", "b\u009b");
    safe.print((Object) "c\u202e");
    safe.print('\u0007');
    safe.append("d\u0000");
    safe.print(new char[] {'\u001b'});
    safe.flush();
    assertEquals("a\\u001b\nb\\u009b|\nc\\u202e\\u0007d\\u0000\\u001b", out());
    assertTrue(TerminalSafe.wrap(safe) == safe, "wrapped once");
  }

  CommandLine commandLine() {
    return Cli.commandLine(new Cli.Io(new PrintStream(outBytes, true, StandardCharsets.UTF_8),
        new PrintStream(errBytes, true, StandardCharsets.UTF_8), Map.of(), false));
  }

  /** The commands that talk to a cluster: every one but help and completion. */
  List<String> clientCommands() {
    return commandLine().getSubcommands().entrySet().stream()
        .filter(e -> e.getValue().getCommandSpec().findOption("--endpoints") != null).map(Map.Entry::getKey).toList();
  }

  @Test
  void everyCommandHasHelpWithItsUsageAndTheExitCodes() {
    List<String> commands = clientCommands();
    assertTrue(commands.containsAll(List.of("acquire", "release", "renew", "info", "locks", "status", "health", "lock",
        "members", "transfer-leader", "dump", "auth")), commands.toString());
    for (String cmd : commands) {
      outBytes.reset();
      assertEquals(0, run(cmd, "--help"), cmd);
      assertTrue(out().contains("usage: raftlock " + cmd), cmd + ": " + out());
      assertTrue(out().contains("exit codes:"), cmd);
      assertTrue(out().contains("--endpoints"), cmd);
      outBytes.reset();
      assertEquals(0, run(cmd, "-h"), cmd);
      outBytes.reset();
      assertEquals(0, run("help", cmd), cmd);
      assertTrue(out().contains("usage: raftlock " + cmd), cmd + ": " + out());
    }
    outBytes.reset();
    assertEquals(0, run("members", "promote", "--help"));
    assertTrue(out().contains("--min-index") && out().contains("--endpoints"), out());
    outBytes.reset();
    assertEquals(0, run("auth", "role", "grant", "--help"));
    assertTrue(out().contains("usage: raftlock auth role grant") && out().contains("--deny")
        && out().contains("--api-key"), out());
  }

  @Test
  void usageErrorsExitWithTwoAndSayWhatIsWrong() {
    record Case(String expected, String... args) { }
    List<Case> cases = List.of(
        new Case("Unknown option: '--frobnicate'", "acquire", "x", "--frobnicate"),
        new Case("Missing required parameter: 'NAME'", "acquire"),
        new Case("Unmatched argument at index 2: 'y'", "info", "x", "y"),
        new Case("--ttl must be between 1s and 24h", "acquire", "x", "--ttl", "500ms"),
        new Case("Invalid value for option '--ttl': must be a duration", "acquire", "x", "--ttl", "soon"),
        new Case("Missing required parameter for option '--ttl'", "acquire", "x", "--ttl"),
        new Case("option '--ttl' (DURATION) should be specified only once", "acquire", "x", "--ttl", "5s", "--ttl", "6s"),
        new Case("--priority must be between -1000 and 1000", "acquire", "x", "--priority", "5000"),
        new Case("should be in KEY=VALUE format but was novalue", "acquire", "x", "--meta", "novalue"),
        new Case("--wait-timeout needs --wait", "acquire", "x", "--wait-timeout", "5s"),
        new Case("--client-id is required", "release", "x", "--token", "5"),
        new Case("--token is required", "release", "x", "--client-id", "c"),
        new Case("--token must be between 1", "renew", "x", "--client-id", "c", "--token", "0"),
        new Case("endpoint must be host:port", "info", "x", "--endpoints", "localhost"),
        new Case("port out of range", "info", "x", "--endpoints", "h:99999"),
        new Case("--limit must be between 1 and 1000", "locks", "--limit", "5000"),
        new Case("Invalid value for option '--expires-before': must be an ISO-8601 instant", "locks",
            "--expires-before", "tomorrow"),
        new Case("missing -- COMMAND", "lock", "x"),
        new Case("missing -- COMMAND", "lock", "x", "--"),
        new Case("unexpected argument y (COMMAND goes after --)", "lock", "x", "y", "--", "true"),
        new Case("Invalid value for option '--json': 'yes' is not a boolean", "status", "--json=yes"),
        new Case("missing ACTION", "members"),
        new Case("missing ACTION (enable, disable, status, key, role or principal)", "auth"),
        new Case("missing ACTION (create, revoke or list)", "auth", "key"),
        new Case("Missing required parameter: 'PRINCIPAL'", "auth", "key", "create"),
        new Case("PERMISSION must be read, lock, release-any or admin, got 'write'", "auth", "role", "grant", "jobs",
            "write", "jobs/*"),
        new Case("Unmatched argument at index 4: 'x'", "auth", "principal", "delete", "bob", "x"),
        new Case("Invalid value for positional parameter at index 0 (SHELL)", "completion", "fish"),
        new Case("unknown command 'frobnicate'", "frobnicate"),
        new Case("missing COMMAND"));
    for (Case c : cases) {
      errBytes.reset();
      assertEquals(Cli.USAGE, run(c.args()), String.join(" ", c.args()));
      assertTrue(err().contains(c.expected()), String.join(" ", c.args()) + " → " + err());
    }
  }

  @Test
  void aTypoIsAnsweredWithSuggestions() {
    assertEquals(Cli.USAGE, run("aquire", "x"));
    assertTrue(err().contains("unknown command 'aquire'") && err().contains("Did you mean") && err().contains("acquire"),
        err());
    errBytes.reset();
    assertEquals(Cli.USAGE, run("acquire", "x", "--waitt"));
    assertTrue(err().contains("Unknown option: '--waitt'") && err().contains("Possible solutions: --wait"), err());
  }

  @Test
  void withJsonAUsageErrorIsAlsoAJsonDocument() throws Exception {
    assertEquals(Cli.USAGE, run("acquire", "x", "--ttl", "soon", "--json"));
    JsonNode j = JSON.readTree(out());
    assertEquals("USAGE", j.get("error").get("code").asText());
    assertEquals(Cli.USAGE, j.get("error").get("exitCode").asInt());
    assertTrue(j.get("error").get("message").asText().contains("must be a duration"), out());
  }

  @Test
  void completionScriptsNameEveryCommandAndSubcommand() {
    for (String shell : List.of("bash", "zsh")) {
      outBytes.reset();
      assertEquals(Cli.OK, run("completion", shell), shell);
      assertTrue(out().contains("complete -F"), shell);
      for (String word : List.of("acquire", "transfer-leader", "add-learner", "--wait-timeout", "--endpoints", "principal",
          "unassign", "release-any", "--api-key")) {
        assertTrue(out().contains(word), shell + " completion lacks " + word);
      }
    }
    assertTrue(out().contains("bashcompinit"), "the script loads bash completion into zsh");
  }

  @Test
  void optionsParseInBothFormsAndTheCommandAfterDashDashIsKeptVerbatim() {
    CommandLine cl = commandLine();
    var acquire = (LockCommands.Acquire) cl.parseArgs("acquire", "name", "--ttl=5s", "--meta", "a=1", "--meta", "b=2=3",
        "--wait").subcommand().commandSpec().userObject();
    assertEquals("name", acquire.name);
    assertEquals(Duration.ofSeconds(5), acquire.ttl);
    assertEquals(Map.of("a", "1", "b", "2=3"), acquire.meta);
    assertTrue(acquire.wait);
    var lock = (LockRunner) commandLine().parseArgs("lock", "name", "--ttl", "5s", "--", "sh", "-c", "--ttl x", "@file")
        .subcommand().commandSpec().userObject();
    assertEquals(List.of("sh", "-c", "--ttl x", "@file"), lock.command);
    var members = (MembersCommand) commandLine().parseArgs("members", "--endpoints", "h:1", "promote", "n4", "--json")
        .subcommand().commandSpec().userObject();
    assertEquals("h:1", members.common.endpoints);
    assertTrue(members.common.json, "an option after the action lands in the group's options too");
    var auth = (AuthCommand) commandLine().parseArgs("auth", "--endpoints", "h:1", "role", "grant", "r", "lock", "j/",
        "--api-key", "k1").subcommand().commandSpec().userObject();
    assertEquals("h:1", auth.common.endpoints);
    assertEquals("k1", auth.common.apiKey, "an option of a nested action lands in auth's options too");
    assertEquals(Duration.ofMillis(1500), Durations.parse("1.5s"));
    assertEquals(Duration.ofMillis(250), Durations.parse("250ms"));
    assertEquals(Duration.ofMinutes(2), Durations.parse("2m"));
    assertEquals(Duration.ofHours(1), Durations.parse("1h"));
    assertEquals(Duration.ofSeconds(7), Durations.parse("7"));
    assertThrows(TypeConversionException.class, () -> Durations.parse("-5s"));
    Instant now = Instant.parse("2030-01-01T00:00:00Z");
    assertEquals(Instant.parse("2030-01-01T00:05:00Z"), Durations.parseTime("5m", now));
    assertEquals(Instant.parse("2031-02-03T04:05:06Z"), Durations.parseTime("2031-02-03T04:05:06Z", now));
  }

  @Test
  void theQueuePositionIsCountedFromOneForPeople() {
    assertEquals("queued for a at position 1 of 1 (next; held by h)", QueueReporter.describe("a", 0, 1, "h"));
    assertEquals("queued for a at position 3 of 4 (2 ahead; held by h)", QueueReporter.describe("a", 2, 4, "h"));
  }

  @Test
  void serverErrorsMapToDocumentedExitCodes() {
    assertEquals(Cli.REFUSED, Cli.exitCodeOf(ErrorCode.LOCK_HELD));
    assertEquals(Cli.REFUSED, Cli.exitCodeOf(ErrorCode.NOT_LOCK_OWNER));
    assertEquals(Cli.REFUSED, Cli.exitCodeOf(ErrorCode.VERSION_MISMATCH));
    assertEquals(Cli.REFUSED, Cli.exitCodeOf(ErrorCode.LOCK_NOT_FOUND));
    assertEquals(Cli.REFUSED, Cli.exitCodeOf(ErrorCode.PERMISSION_DENIED));
    assertEquals(Cli.USAGE, Cli.exitCodeOf(ErrorCode.INVALID_ARGUMENT));
    assertEquals(Cli.USAGE, Cli.exitCodeOf(ErrorCode.INVALID_TTL));
    assertEquals(Cli.UNAVAILABLE, Cli.exitCodeOf(ErrorCode.NO_LEADER));
    assertEquals(Cli.UNAVAILABLE, Cli.exitCodeOf(ErrorCode.TIMEOUT));
    assertEquals(Cli.INTERNAL, Cli.exitCodeOf(ErrorCode.INTERNAL_ERROR));
    assertEquals(Cli.UNAVAILABLE, Cli.exitCodeOf(new RaftLockException(ErrorCode.INTERNAL_ERROR, "x", null, true, null)));
    assertEquals(Cli.USAGE, Cli.exitCodeOf(new IllegalArgumentException("x")));
  }

  @Test
  void theApiKeyComesFromTheOptionElseFromTheEnvironment() {
    CommonOptions none = new CommonOptions();
    CommonOptions given = new CommonOptions();
    given.apiKey = "from-option";
    PrintStream sink = new PrintStream(outBytes, true, StandardCharsets.UTF_8);
    Map<String, String> env = Map.of("RAFTLOCK_API_KEY", "from-env");
    assertEquals("from-env", new CliContext("auth status", none, new Cli.Io(sink, sink, env, false)).apiKey);
    assertEquals("from-option", new CliContext("auth status", given, new Cli.Io(sink, sink, env, false)).apiKey);
    assertNull(new CliContext("auth status", none, new Cli.Io(sink, sink, Map.of(), false)).apiKey);
  }

  @Test
  void anUnreachableClusterExitsWithThreeAndJsonSaysWhy() throws Exception {
    String dead = "127.0.0.1:" + FreePorts.next();
    assertEquals(Cli.UNAVAILABLE, run("info", "x", "--endpoints", dead, "--timeout", "1s"));
    assertTrue(err().contains("cluster unavailable"), err());
    outBytes.reset();
    assertEquals(Cli.UNAVAILABLE, run(Map.of("RAFTLOCK_ENDPOINTS", dead), "health", "--json"));
    JsonNode j = JSON.readTree(out());
    assertEquals(dead, j.get(0).get("endpoint").asText());
    assertEquals("UNREACHABLE", j.get(0).get("status").asText());
  }
}
