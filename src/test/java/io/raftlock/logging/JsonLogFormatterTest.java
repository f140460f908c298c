package io.raftlock.logging;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.JsonNodeType;
import java.io.IOException;
import java.time.Instant;
import java.util.logging.Level;
import java.util.logging.LogRecord;
import org.junit.jupiter.api.Test;

class JsonLogFormatterTest {
  static final ObjectMapper JSON = new ObjectMapper();
  final JsonLogFormatter formatter = new JsonLogFormatter();

  static LogRecord record(Level level, String message) {
    LogRecord r = new LogRecord(level, message);
    r.setLoggerName("io.raftlock.node.RaftVerticle");
    r.setInstant(Instant.parse("2026-01-02T03:04:05.678Z"));
    return r;
  }

  /** One line, ending in a newline, that parses as a JSON object. */
  JsonNode parseLine(String line) throws IOException {
    assertTrue(line.endsWith("\n"), "ends the line");
    assertEquals(-1, line.substring(0, line.length() - 1).indexOf('\n'), "one line: " + line);
    assertFalse(line.contains("\r"));
    JsonNode n = JSON.readTree(line);
    assertEquals(JsonNodeType.OBJECT, n.getNodeType());
    return n;
  }

  @Test
  void aRecordIsOneJsonObjectWithTimeLevelLoggerThreadAndMessage() throws IOException {
    JsonNode n = parseLine(formatter.format(record(Level.INFO, "node-1 won the election, leads: term 3")));
    assertEquals("2026-01-02T03:04:05.678Z", n.get("time").asText());
    assertEquals("INFO", n.get("level").asText());
    assertEquals("io.raftlock.node.RaftVerticle", n.get("logger").asText());
    assertEquals(Thread.currentThread().getName(), n.get("thread").asText());
    assertEquals("node-1 won the election, leads: term 3", n.get("message").asText());
    assertFalse(n.has("error"));
  }

  @Test
  void quotesBackslashesLineBreaksAndControlCharactersAreEscaped() throws IOException {
    String nasty = "say \"hi\" \\ path C:\\x\nsecond line\r\n\ttab \b\f \u0001\u001f \u007f \u2028 é 🔒 end";
    JsonNode n = parseLine(formatter.format(record(Level.WARNING, nasty)));
    assertEquals(nasty, n.get("message").asText(), "round-trips exactly");
  }

  @Test
  void anUnpairedSurrogateIsEscapedNotLost() {
    String line = formatter.format(record(Level.INFO, "lone \uD800 here"));
    assertTrue(line.contains("lone \\ud800 here"), line);
  }

  @Test
  void parametersAreFormattedAndAThrowableBecomesTheErrorMember() throws IOException {
    LogRecord r = record(Level.SEVERE, "{0} fail-stop at index {1}");
    r.setParameters(new Object[] {"node-2", "42"});
    r.setThrown(new java.io.IOException("disk \"gone\"\nreally"));
    JsonNode n = parseLine(formatter.format(r));
    assertEquals("node-2 fail-stop at index 42", n.get("message").asText());
    assertEquals("SEVERE", n.get("level").asText());
    String error = n.get("error").asText();
    assertTrue(error.startsWith("java.io.IOException: disk \"gone\"\nreally"), error);
    assertTrue(error.contains("\tat io.raftlock.logging.JsonLogFormatterTest"), "stack trace kept: " + error);
  }

  @Test
  void aNullMessageStillGivesValidJson() throws IOException {
    LogRecord r = record(Level.FINE, null);
    r.setLoggerName(null);
    JsonNode n = parseLine(formatter.format(r));
    assertEquals("FINE", n.get("level").asText());
    assertFalse(n.has("logger"));
  }
}
