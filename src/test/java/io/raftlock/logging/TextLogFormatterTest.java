package io.raftlock.logging;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.time.Instant;
import java.util.logging.Level;
import java.util.logging.LogRecord;
import org.junit.jupiter.api.Test;

class TextLogFormatterTest {
  final TextLogFormatter formatter = new TextLogFormatter();

  static LogRecord record(Level level, String message) {
    LogRecord r = new LogRecord(level, message);
    r.setLoggerName("io.raftlock.app.Node");
    r.setInstant(Instant.parse("2026-01-02T03:04:05.678Z"));
    return r;
  }

  @Test
  void oneLineWithTimestampLevelLoggerThreadAndMessage() {
    assertEquals("2026-01-02T03:04:05.678Z INFO    io.raftlock.app.Node [" + Thread.currentThread().getName()
        + "] node-1 started\n", formatter.format(record(Level.INFO, "node-1 started")));
  }

  @Test
  void lineBreaksInsideAMessageDoNotSplitTheRecord() {
    String line = formatter.format(record(Level.WARNING, "first\r\nsecond\nthird"));
    assertTrue(line.endsWith("first\\nsecond\\nthird\n"), line);
    assertEquals(line.length() - 1, line.indexOf('\n'), "one line");
  }

  @Test
  void aThrowableIsSummarizedOnTheLineAndItsTraceFollowsIndented() {
    LogRecord r = record(Level.SEVERE, "node-2 fail-stop");
    r.setThrown(new IllegalStateException("boom\nagain", new java.io.IOException("disk")));
    String[] lines = formatter.format(r).split("\n");
    assertTrue(lines[0].endsWith("node-2 fail-stop | java.lang.IllegalStateException: boom\\nagain"), lines[0]);
    assertTrue(lines.length > 1);
    for (int i = 1; i < lines.length; i++) {
      assertTrue(lines[i].startsWith("\t") || lines[i].startsWith("Caused by: java.io.IOException: disk"), lines[i]);
    }
    assertTrue(lines[1].startsWith("\tat io.raftlock.logging.TextLogFormatterTest"), lines[1]);
  }
}
