package io.raftlock.api;

import com.google.protobuf.Duration;
import com.google.protobuf.Timestamp;
import io.raftlock.lock.ErrorCode;
import java.util.Map;

/**
 * Checks of single request fields. Each returns the {@link ValidationError} for the field, or
 * {@code null} when the field is acceptable. Lengths count UTF-16 chars, as
 * {@link io.raftlock.lock.LockLimits} and the state machine's own check do, so that a value
 * accepted here is never refused by the state machine.
 */
final class FieldChecks {
  /** protobuf's Duration range: +-10,000 years. */
  private static final long MAX_DURATION_SECONDS = 315_576_000_000L;
  /** protobuf's Timestamp range: 0001-01-01 .. 9999-12-31. */
  private static final long MIN_TIMESTAMP_SECONDS = -62_135_596_800L;
  private static final long MAX_TIMESTAMP_SECONDS = 253_402_300_799L;

  private FieldChecks() {}

  /** A required identifier: 1..max chars, well-formed, no control characters. */
  static ValidationError id(String field, String value, int max) {
    if (value.isEmpty()) {
      return ValidationError.invalid(field, "must not be empty");
    }
    return text(field, value, max, false);
  }

  /**
   * Text of at most {@code max} chars (possibly empty) that encodes to valid UTF-8 (no unpaired
   * surrogate) and, unless {@code allowControl}, has no ISO control character.
   */
  static ValidationError text(String field, String value, int max, boolean allowControl) {
    if (value.length() > max) {
      return ValidationError.invalid(
          field, "must be at most " + max + " characters long, got " + value.length());
    }
    for (int i = 0; i < value.length(); i++) {
      char c = value.charAt(i);
      if (Character.isHighSurrogate(c)
          && i + 1 < value.length()
          && Character.isLowSurrogate(value.charAt(i + 1))) {
        i++; // a well-formed pair: one supplementary code point
      } else if (Character.isSurrogate(c)) {
        return ValidationError.invalid(field, "must be valid UTF-8 (unpaired surrogate at " + i + ")");
      } else if (!allowControl && Character.isISOControl(c)) {
        return ValidationError.invalid(field, "must not contain control characters (at " + i + ")");
      }
    }
    return null;
  }

  /** A duration of {@code [minMs, maxMs]} whole milliseconds (finer parts are truncated). */
  static ValidationError duration(String field, Duration d, long minMs, long maxMs, ErrorCode code) {
    if (!isValid(d)) {
      return ValidationError.invalid(field, "is not a valid duration");
    }
    long ms = millis(d);
    if (ms < minMs || ms > maxMs) {
      return new ValidationError(field, code,
          field + " must be between " + minMs + " ms and " + maxMs + " ms, got " + ms + " ms");
    }
    return null;
  }

  static ValidationError range(String field, long value, long min, long max) {
    if (value < min || value > max) {
      return ValidationError.invalid(field, "must be between " + min + " and " + max + ", got " + value);
    }
    return null;
  }

  static ValidationError timestamp(String field, Timestamp t) {
    boolean ok = t.getSeconds() >= MIN_TIMESTAMP_SECONDS && t.getSeconds() <= MAX_TIMESTAMP_SECONDS
        && t.getNanos() >= 0 && t.getNanos() <= 999_999_999;
    return ok ? null : ValidationError.invalid(field, "is not a valid timestamp");
  }

  /**
   * A metadata map: at most {@code maxEntries}; keys 1..maxKey chars without control characters;
   * values at most maxValue chars of valid text. Entries are reported as {@code field[key]}.
   */
  static ValidationError metadata(
      String field, Map<String, String> map, int maxEntries, int maxKey, int maxValue) {
    if (map.size() > maxEntries) {
      return ValidationError.invalid(
          field, "cannot have more than " + maxEntries + " entries, got " + map.size());
    }
    for (Map.Entry<String, String> e : map.entrySet()) {
      String name = field + "[" + printable(e.getKey(), maxKey) + "]";
      ValidationError err = id(name, e.getKey(), maxKey);
      if (err == null) {
        err = text(name, e.getValue(), maxValue, true);
      }
      if (err != null) {
        return err;
      }
    }
    return null;
  }

  /** Whether {@code d} is a well-formed protobuf Duration (range and sign of the nanos). */
  static boolean isValid(Duration d) {
    long s = d.getSeconds();
    int n = d.getNanos();
    return s >= -MAX_DURATION_SECONDS && s <= MAX_DURATION_SECONDS
        && n > -1_000_000_000 && n < 1_000_000_000
        && !(s > 0 && n < 0) && !(s < 0 && n > 0);
  }

  /** Whole milliseconds of a valid Duration, truncated toward zero (cannot overflow). */
  static long millis(Duration d) {
    return d.getSeconds() * 1000 + d.getNanos() / 1_000_000;
  }

  /** Milliseconds since the epoch of a valid Timestamp, rounded down. */
  static long millis(Timestamp t) {
    return t.getSeconds() * 1000 + t.getNanos() / 1_000_000;
  }

  /**
   * A key as it may appear inside a field name: control characters and surrogates escaped as
   * {@code \\uXXXX}, cut after {@code max} chars, so an error message stays printable and short.
   */
  static String printable(String key, int max) {
    StringBuilder sb = new StringBuilder(Math.min(key.length(), max) + 8);
    for (int i = 0; i < key.length() && i < max; i++) {
      char c = key.charAt(i);
      if (Character.isISOControl(c) || Character.isSurrogate(c)) {
        sb.append(String.format("\\u%04x", (int) c));
      } else {
        sb.append(c);
      }
    }
    return key.length() > max ? sb.append("...").toString() : sb.toString();
  }

  static ValidationError firstOf(ValidationError... errors) {
    for (ValidationError e : errors) {
      if (e != null) {
        return e;
      }
    }
    return null;
  }
}
