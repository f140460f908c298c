package io.raftlock.cli;

import java.io.PrintStream;
import java.io.PrintWriter;
import java.io.Writer;

/**
 * Text for a terminal, made harmless: lock ids, owners and metadata come from any client, and
 * printed raw an escape sequence in them (e.g. {@code note=$'\e[2J\e[31m'}) would clear the
 * operator's screen, recolour it or set the window title; a bidi override would reorder what is
 * read. Every control character except line feed and tab is written as {@code \\uXXXX}: C0 (also
 * ESC and a carriage return not followed by a line feed), DEL, C1 (U+0080..U+009F, which some
 * terminals obey as 8-bit escapes), and the bidi controls (U+061C, U+200E, U+200F, U+202A..U+202E,
 * U+2066..U+2069). The escape is JSON's, so the same text pasted into a JSON string means the
 * original again.
 *
 * <p>The CLI wraps its human-readable streams with {@link #wrap}, so no output path can forget
 * it; {@code --json} output is left alone (JSON escapes control characters itself).
 */
final class TerminalSafe {
  private TerminalSafe() {}

  /** {@code s} with every unsafe character escaped; the same instance when there is none. */
  static String escape(String s) {
    int n = s.length();
    int i = 0;
    while (i < n && !unsafe(s, i)) {
      i++;
    }
    if (i == n) {
      return s;
    }
    StringBuilder sb = new StringBuilder(n + 16).append(s, 0, i);
    for (; i < n; i++) {
      char c = s.charAt(i);
      if (unsafe(s, i)) {
        sb.append(String.format("\\u%04x", (int) c));
      } else {
        sb.append(c);
      }
    }
    return sb.toString();
  }

  private static boolean unsafe(String s, int i) {
    char c = s.charAt(i);
    if (c == '\n' || c == '\t') {
      return false;
    }
    if (c == '\r') {
      return i + 1 >= s.length() || s.charAt(i + 1) != '\n'; // a line end written as CR LF is fine
    }
    return c < 0x20 || (c >= 0x7f && c <= 0x9f) || c == 0x061c || c == 0x200e || c == 0x200f
        || (c >= 0x202a && c <= 0x202e) || (c >= 0x2066 && c <= 0x2069);
  }

  /** A stream that escapes everything printed to it before it reaches {@code raw}. */
  static PrintStream wrap(PrintStream raw) {
    return raw instanceof Escaping ? raw : new Escaping(raw);
  }

  /** A writer (for picocli's help and messages) whose text goes through {@code stream}'s {@code print}. */
  static PrintWriter writer(PrintStream stream) {
    return new PrintWriter(new Writer() {
      @Override
      public void write(char[] cbuf, int off, int len) {
        stream.print(new String(cbuf, off, len));
      }

      @Override
      public void flush() {
        stream.flush();
      }

      @Override
      public void close() {
        stream.flush();
      }
    }, true);
  }

  /**
   * Every text path of {@link PrintStream} ends in one of these overrides: {@code println},
   * {@code printf}/{@code format} and {@code append} of a subclass go through {@code print}.
   */
  private static final class Escaping extends PrintStream {
    private final PrintStream raw;

    Escaping(PrintStream raw) {
      super(raw, true);
      this.raw = raw;
    }

    /** Printed by {@code raw}, so in its charset; what this stream encodes itself is ASCII (digits, line ends). */
    @Override
    public void print(String s) {
      raw.print(escape(String.valueOf(s)));
    }

    @Override
    public void print(Object obj) {
      print(String.valueOf(obj));
    }

    @Override
    public void print(char[] s) {
      print(new String(s));
    }

    @Override
    public void print(char c) {
      print(String.valueOf(c));
    }
  }
}
