package io.raftlock.logging;

import java.io.PrintWriter;
import java.io.StringWriter;
import java.time.format.DateTimeFormatter;
import java.time.temporal.ChronoUnit;
import java.util.logging.Formatter;
import java.util.logging.LogRecord;

/**
 * The default text format: one line per record,
 * <pre>2026-01-02T03:04:05.678Z INFO    io.raftlock.node.RaftVerticle [vert.x-eventloop-thread-1] node-1 won the election, leads: term 3, ...</pre>
 * (UTC timestamp, level, logger, thread, message). Line breaks inside a message are written as
 * {@code \n} so a record never spans lines; a throwable's stack trace follows on lines that start
 * with a tab, as Java prints it. Selected by {@code conf/logging.properties}.
 */
public final class TextLogFormatter extends Formatter {
  @Override
  public String format(LogRecord record) {
    StringBuilder b = new StringBuilder(160);
    b.append(DateTimeFormatter.ISO_INSTANT.format(record.getInstant().truncatedTo(ChronoUnit.MILLIS))).append(' ');
    String level = record.getLevel().getName();
    b.append(level);
    for (int pad = level.length(); pad < 7; pad++) {
      b.append(' ');
    }
    b.append(' ').append(record.getLoggerName()).append(" [").append(Thread.currentThread().getName()).append("] ");
    oneLine(b, formatMessage(record));
    if (record.getThrown() != null) {
      StringWriter trace = new StringWriter();
      record.getThrown().printStackTrace(new PrintWriter(trace));
      // The throwable's own line (its message may hold line breaks) stays on the record's line.
      String summary = record.getThrown().toString();
      b.append(" | ");
      oneLine(b, summary);
      b.append('\n');
      String t = trace.toString().replace("\r", "");
      String frames = t.startsWith(summary) ? t.substring(summary.length()) : t;
      b.append(frames.startsWith("\n") ? frames.substring(1) : frames);
      return b.toString();
    }
    return b.append('\n').toString();
  }

  private static void oneLine(StringBuilder b, String message) {
    if (message == null) {
      return;
    }
    for (int i = 0; i < message.length(); i++) {
      char c = message.charAt(i);
      if (c == '\n') {
        b.append("\\n");
      } else if (c != '\r') {
        b.append(c);
      }
    }
  }
}
