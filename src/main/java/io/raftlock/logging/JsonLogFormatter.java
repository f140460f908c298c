package io.raftlock.logging;

import java.io.PrintWriter;
import java.io.StringWriter;
import java.time.format.DateTimeFormatter;
import java.time.temporal.ChronoUnit;
import java.util.logging.Formatter;
import java.util.logging.LogRecord;

/**
 * java.util.logging records as JSON, one object per line (JSON Lines), for log shippers:
 * <pre>{"time":"2026-01-02T03:04:05.678Z","level":"INFO","logger":"io.raftlock.node.RaftVerticle",
 * "thread":"vert.x-eventloop-thread-1","message":"node-1 won the election, leads: term 3, ..."}</pre>
 * with an {@code "error"} member (the stack trace) when the record carries a throwable. Every
 * string is escaped per RFC 8259: quotes, backslashes and control characters (so a message with
 * line breaks stays on one line), and unpaired surrogates as {@code \}{@code uXXXX} rather than
 * lost in the encoder. Select it with {@code conf/logging-json.properties}.
 */
public final class JsonLogFormatter extends Formatter {
  @Override
  public String format(LogRecord record) {
    StringBuilder b = new StringBuilder(256);
    b.append("{\"time\":\"").append(DateTimeFormatter.ISO_INSTANT.format(record.getInstant().truncatedTo(ChronoUnit.MILLIS)))
        .append("\",\"level\":\"").append(record.getLevel().getName()).append('"');
    member(b, "logger", record.getLoggerName());
    // Handlers format on the logging thread, so this is the thread that logged.
    member(b, "thread", Thread.currentThread().getName());
    member(b, "message", formatMessage(record));
    if (record.getThrown() != null) {
      StringWriter trace = new StringWriter();
      record.getThrown().printStackTrace(new PrintWriter(trace));
      member(b, "error", trace.toString());
    }
    return b.append("}\n").toString();
  }

  private static void member(StringBuilder b, String name, String value) {
    if (value == null) {
      return;
    }
    b.append(",\"").append(name).append("\":\"");
    escape(b, value);
    b.append('"');
  }

  /** Appends {@code s} escaped as the inside of a JSON string. */
  static void escape(StringBuilder b, String s) {
    for (int i = 0; i < s.length(); i++) {
      char c = s.charAt(i);
      switch (c) {
        case '"' -> b.append("\\\"");
        case '\\' -> b.append("\\\\");
        case '\n' -> b.append("\\n");
        case '\r' -> b.append("\\r");
        case '\t' -> b.append("\\t");
        case '\b' -> b.append("\\b");
        case '\f' -> b.append("\\f");
        default -> {
          if (c < 0x20 || c == '\u2028' || c == '\u2029' || c == 0x7f) {
            unicodeEscape(b, c);
          } else if (Character.isHighSurrogate(c) && i + 1 < s.length() && Character.isLowSurrogate(s.charAt(i + 1))) {
            b.append(c).append(s.charAt(++i)); // a valid pair: the handler encodes it as UTF-8
          } else if (Character.isSurrogate(c)) {
            unicodeEscape(b, c); // unpaired: not encodable, kept visible
          } else {
            b.append(c);
          }
        }
      }
    }
  }

  private static void unicodeEscape(StringBuilder b, char c) {
    b.append("\\u");
    String hex = Integer.toHexString(c);
    for (int pad = hex.length(); pad < 4; pad++) {
      b.append('0');
    }
    b.append(hex);
  }
}
