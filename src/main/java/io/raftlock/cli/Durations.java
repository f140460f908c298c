package io.raftlock.cli;

import java.time.Duration;
import java.time.Instant;
import java.time.format.DateTimeParseException;
import java.util.Locale;
import picocli.CommandLine.ITypeConverter;
import picocli.CommandLine.TypeConversionException;

/**
 * Durations and times as the command line writes them: {@code 500ms}, {@code 30s}, {@code 5m},
 * {@code 1h}, a bare number of seconds; a time is an ISO-8601 instant or a duration from now.
 */
final class Durations {
  private Durations() {}

  /** {@code 500ms}, {@code 1.5s}, {@code 5m}, {@code 1h}; a bare number is seconds. Never negative. */
  static Duration parse(String text) {
    String s = text.trim().toLowerCase(Locale.ROOT);
    Duration d;
    try {
      if (s.endsWith("ms")) {
        d = Duration.ofMillis(Long.parseLong(s.substring(0, s.length() - 2)));
      } else if (s.endsWith("s")) {
        d = Duration.ofMillis(Math.round(Double.parseDouble(s.substring(0, s.length() - 1)) * 1000));
      } else if (s.endsWith("m")) {
        d = Duration.ofSeconds(Math.round(Double.parseDouble(s.substring(0, s.length() - 1)) * 60));
      } else if (s.endsWith("h")) {
        d = Duration.ofSeconds(Math.round(Double.parseDouble(s.substring(0, s.length() - 1)) * 3600));
      } else {
        d = Duration.ofMillis(Math.round(Double.parseDouble(s) * 1000));
      }
    } catch (NumberFormatException e) {
      throw new TypeConversionException("must be a duration like 500ms, 30s, 5m or 1h, got '" + text + "'");
    }
    if (d.isNegative()) {
      throw new TypeConversionException("must not be negative, got '" + text + "'");
    }
    return d;
  }

  /** An ISO-8601 instant ({@code 2030-01-01T00:00:00Z}) or a duration from {@code now} ({@code 5m}). */
  static Instant parseTime(String text, Instant now) {
    try {
      return Instant.parse(text.trim());
    } catch (DateTimeParseException e) {
      try {
        return now.plus(parse(text));
      } catch (TypeConversionException u) {
        throw new TypeConversionException("must be an ISO-8601 instant or a duration from now (e.g. 5m), got '"
            + text + "'");
      }
    }
  }

  /** For {@code @Option(converter = ...)} of a {@link Duration}. */
  static final class Converter implements ITypeConverter<Duration> {
    @Override
    public Duration convert(String value) {
      return parse(value);
    }
  }

  /** For {@code @Option(converter = ...)} of an {@link Instant}; a duration counts from the time of parsing. */
  static final class TimeConverter implements ITypeConverter<Instant> {
    @Override
    public Instant convert(String value) {
      return parseTime(value, Instant.now());
    }
  }

  /** {@code 750ms}, {@code 30s}, {@code 1.5s}, {@code 12m30s}: short, for messages. */
  static String human(Duration d) {
    long ms = d.toMillis();
    if (ms < 0) {
      return "-" + human(d.negated());
    }
    if (ms < 1000) {
      return ms + "ms";
    }
    if (ms % 1000 == 0 && ms < 120_000) {
      return ms / 1000 + "s";
    }
    if (ms < 120_000) {
      return String.format(Locale.ROOT, "%.1fs", ms / 1000.0);
    }
    return ms / 60_000 + "m" + (ms % 60_000 / 1000 > 0 ? ms % 60_000 / 1000 + "s" : "");
  }
}
