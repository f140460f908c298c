package io.raftlock.cli;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
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
import java.util.Set;
import org.junit.jupiter.api.Test;

/** Argument parsing, help and exit codes, without a cluster. */
class CliTest {
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

  @Test
  void everyCommandHasHelpWithItsUsageAndTheExitCodes() {
    for (String cmd : Cli.COMMANDS.keySet()) {
      outBytes.reset();
      assertEquals(0, run(cmd, "--help"), cmd);
      assertTrue(out().contains("usage: raftlock " + cmd), cmd + ": " + out());
      assertTrue(out().contains("exit codes:"), cmd);
      assertTrue(out().contains("--endpoints"), cmd);
      outBytes.reset();
      assertEquals(0, run(cmd, "-h"), cmd);
    }
  }

  @Test
  void usageErrorsExitWithTwoAndSayWhatIsWrong() {
    record Case(String expected, String... args) { }
    List<Case> cases = List.of(
        new Case("unknown option --frobnicate", "acquire", "x", "--frobnicate"),
        new Case("missing NAME", "acquire"),
        new Case("unexpected argument y", "info", "x", "y"),
        new Case("--ttl must be between 1s and 24h", "acquire", "x", "--ttl", "500ms"),
        new Case("--ttl must be a duration", "acquire", "x", "--ttl", "soon"),
        new Case("--ttl needs a value", "acquire", "x", "--ttl"),
        new Case("--ttl given twice", "acquire", "x", "--ttl", "5s", "--ttl", "6s"),
        new Case("--priority must be between -1000 and 1000", "acquire", "x", "--priority", "5000"),
        new Case("--meta must be key=value", "acquire", "x", "--meta", "novalue"),
        new Case("--wait-timeout needs --wait", "acquire", "x", "--wait-timeout", "5s"),
        new Case("--client-id is required", "release", "x", "--token", "5"),
        new Case("--token is required", "release", "x", "--client-id", "c"),
        new Case("--token must be between 1", "renew", "x", "--client-id", "c", "--token", "0"),
        new Case("endpoint must be host:port", "info", "x", "--endpoints", "localhost"),
        new Case("port out of range", "info", "x", "--endpoints", "h:99999"),
        new Case("--limit must be between 1 and 1000", "locks", "--limit", "5000"),
        new Case("--expires-before must be an ISO-8601 instant", "locks", "--expires-before", "tomorrow"),
        new Case("missing -- COMMAND", "lock", "x"),
        new Case("missing -- COMMAND", "lock", "x", "--"),
        new Case("--json takes no value", "status", "--json=yes"),
        new Case("unknown command", "frobnicate"));
    for (Case c : cases) {
      errBytes.reset();
      assertEquals(Cli.USAGE, run(c.args()), String.join(" ", c.args()));
      assertTrue(err().contains(c.expected()), String.join(" ", c.args()) + " → " + err());
    }
  }

  @Test
  void optionsParseInBothFormsAndTheCommandAfterDashDashIsKeptVerbatim() {
    Args a = Args.parse(List.of("name", "--ttl=5s", "--meta", "a=1", "--meta", "b=2=3", "--wait", "--", "sh", "-c", "--ttl x"),
        Set.of("ttl", "meta"), Set.of("meta"), Set.of("wait"));
    assertEquals(List.of("name"), a.positionals);
    assertEquals(Duration.ofSeconds(5), a.duration("ttl", null));
    assertEquals(Map.of("a", "1", "b", "2=3"), a.pairs("meta"));
    assertTrue(a.flag("wait"));
    assertEquals(List.of("sh", "-c", "--ttl x"), a.afterDashDash);
    assertEquals(Duration.ofMillis(1500), Args.parseDuration("d", "1.5s"));
    assertEquals(Duration.ofMillis(250), Args.parseDuration("d", "250ms"));
    assertEquals(Duration.ofMinutes(2), Args.parseDuration("d", "2m"));
    assertEquals(Duration.ofHours(1), Args.parseDuration("d", "1h"));
    assertEquals(Duration.ofSeconds(7), Args.parseDuration("d", "7"));
    assertThrows(UsageException.class, () -> Args.parseDuration("d", "-5s"));
    Instant now = Instant.parse("2030-01-01T00:00:00Z");
    assertEquals(Instant.parse("2030-01-01T00:05:00Z"), Args.parseTime("t", "5m", now));
    assertEquals(Instant.parse("2031-02-03T04:05:06Z"), Args.parseTime("t", "2031-02-03T04:05:06Z", now));
  }

  @Test
  void serverErrorsMapToDocumentedExitCodes() {
    assertEquals(Cli.REFUSED, Cli.exitCodeOf(ErrorCode.LOCK_HELD));
    assertEquals(Cli.REFUSED, Cli.exitCodeOf(ErrorCode.NOT_LOCK_OWNER));
    assertEquals(Cli.REFUSED, Cli.exitCodeOf(ErrorCode.VERSION_MISMATCH));
    assertEquals(Cli.REFUSED, Cli.exitCodeOf(ErrorCode.LOCK_NOT_FOUND));
    assertEquals(Cli.USAGE, Cli.exitCodeOf(ErrorCode.INVALID_ARGUMENT));
    assertEquals(Cli.USAGE, Cli.exitCodeOf(ErrorCode.INVALID_TTL));
    assertEquals(Cli.UNAVAILABLE, Cli.exitCodeOf(ErrorCode.NO_LEADER));
    assertEquals(Cli.UNAVAILABLE, Cli.exitCodeOf(ErrorCode.TIMEOUT));
    assertEquals(Cli.INTERNAL, Cli.exitCodeOf(ErrorCode.INTERNAL_ERROR));
    assertEquals(Cli.UNAVAILABLE, Cli.exitCodeOf(new RaftLockException(ErrorCode.INTERNAL_ERROR, "x", null, true, null)));
    assertEquals(Cli.USAGE, Cli.exitCodeOf(new IllegalArgumentException("x")));
  }

  @Test
  void anUnreachableClusterExitsWithThreeAndJsonSaysWhy() throws Exception {
    String dead = "127.0.0.1:" + FreePorts.next();
    assertEquals(Cli.UNAVAILABLE, run("info", "x", "--endpoints", dead, "--timeout", "1s"));
    assertTrue(err().contains("cluster unavailable"), err());
    outBytes.reset();
    assertEquals(Cli.UNAVAILABLE, run(Map.of("RAFTLOCK_ENDPOINTS", dead), "health", "--json"));
    JsonNode j = Cli.JSON.readTree(out());
    assertEquals(dead, j.get(0).get("endpoint").asText());
    assertEquals("UNREACHABLE", j.get(0).get("status").asText());
  }
}
