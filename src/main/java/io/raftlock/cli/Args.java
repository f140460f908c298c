package io.raftlock.cli;

import java.time.Duration;
import java.time.Instant;
import java.time.format.DateTimeParseException;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;

/**
 * Parsed arguments of one subcommand: {@code --name value} or {@code --name=value} options,
 * boolean flags, positionals, and everything after {@code --} kept verbatim (the command of
 * {@code lock}). Unknown options, missing values and repeated single options are usage errors.
 */
final class Args {
  final Map<String, List<String>> options = new LinkedHashMap<>();
  final List<String> positionals = new ArrayList<>();
  final List<String> afterDashDash = new ArrayList<>();
  boolean dashDash;

  /**
   * @param valued options that take a value (without the leading dashes)
   * @param repeatable the valued options that may be given more than once
   * @param flags options without a value
   */
  static Args parse(List<String> args, Set<String> valued, Set<String> repeatable, Set<String> flags) {
    Args a = new Args();
    for (int i = 0; i < args.size(); i++) {
      String arg = args.get(i);
      if (arg.equals("--")) {
        a.dashDash = true;
        a.afterDashDash.addAll(args.subList(i + 1, args.size()));
        break;
      }
      if (arg.equals("-h")) {
        arg = "--help";
      }
      if (arg.startsWith("--") && arg.length() > 2) {
        String name = arg.substring(2);
        String value = null;
        int eq = name.indexOf('=');
        if (eq >= 0) {
          value = name.substring(eq + 1);
          name = name.substring(0, eq);
        }
        if (flags.contains(name)) {
          if (value != null) {
            throw new UsageException("--" + name + " takes no value");
          }
          a.options.computeIfAbsent(name, k -> new ArrayList<>()).add("true");
        } else if (valued.contains(name)) {
          if (value == null) {
            if (i + 1 >= args.size()) {
              throw new UsageException("--" + name + " needs a value");
            }
            value = args.get(++i);
          }
          List<String> vs = a.options.computeIfAbsent(name, k -> new ArrayList<>());
          if (!vs.isEmpty() && !repeatable.contains(name)) {
            throw new UsageException("--" + name + " given twice");
          }
          vs.add(value);
        } else {
          throw new UsageException("unknown option --" + name);
        }
      } else if (arg.startsWith("-") && arg.length() > 1 && !isNumber(arg)) {
        throw new UsageException("unknown option " + arg);
      } else {
        a.positionals.add(arg);
      }
    }
    return a;
  }

  private static boolean isNumber(String s) {
    try {
      Long.parseLong(s);
      return true;
    } catch (NumberFormatException e) {
      return false;
    }
  }

  boolean flag(String name) {
    return options.containsKey(name);
  }

  String value(String name) {
    List<String> vs = options.get(name);
    return vs == null ? null : vs.get(0);
  }

  List<String> values(String name) {
    return options.getOrDefault(name, List.of());
  }

  String value(String name, String fallback) {
    String v = value(name);
    return v == null ? fallback : v;
  }

  /** All positionals as given (for commands whose arity depends on the first one). */
  List<String> allPositionals() {
    return List.copyOf(positionals);
  }

  /** Exactly {@code n} positionals, named for the error message. */
  List<String> positionals(String... names) {
    if (positionals.size() < names.length) {
      throw new UsageException("missing " + names[positionals.size()]);
    }
    if (positionals.size() > names.length) {
      throw new UsageException("unexpected argument " + positionals.get(names.length));
    }
    return positionals;
  }

  long longValue(String name, long fallback, long min, long max) {
    String v = value(name);
    if (v == null) {
      return fallback;
    }
    long n;
    try {
      n = Long.parseLong(v.trim());
    } catch (NumberFormatException e) {
      throw new UsageException("--" + name + " must be a whole number, got '" + v + "'");
    }
    if (n < min || n > max) {
      throw new UsageException("--" + name + " must be between " + min + " and " + max + ", got " + n);
    }
    return n;
  }

  Duration duration(String name, Duration fallback) {
    String v = value(name);
    return v == null ? fallback : parseDuration("--" + name, v);
  }

  /** {@code 500ms}, {@code 30s}, {@code 5m}, {@code 1h}; a bare number is seconds. */
  static Duration parseDuration(String what, String text) {
    String s = text.trim().toLowerCase(java.util.Locale.ROOT);
    try {
      if (s.endsWith("ms")) {
        return nonNegative(what, Duration.ofMillis(Long.parseLong(s.substring(0, s.length() - 2))));
      }
      if (s.endsWith("s")) {
        return nonNegative(what, Duration.ofMillis(Math.round(Double.parseDouble(s.substring(0, s.length() - 1)) * 1000)));
      }
      if (s.endsWith("m")) {
        return nonNegative(what, Duration.ofSeconds(Math.round(Double.parseDouble(s.substring(0, s.length() - 1)) * 60)));
      }
      if (s.endsWith("h")) {
        return nonNegative(what, Duration.ofSeconds(Math.round(Double.parseDouble(s.substring(0, s.length() - 1)) * 3600)));
      }
      return nonNegative(what, Duration.ofMillis(Math.round(Double.parseDouble(s) * 1000)));
    } catch (NumberFormatException e) {
      throw new UsageException(what + " must be a duration like 500ms, 30s, 5m or 1h, got '" + text + "'");
    }
  }

  private static Duration nonNegative(String what, Duration d) {
    if (d.isNegative()) {
      throw new UsageException(what + " must not be negative");
    }
    return d;
  }

  /** An ISO-8601 instant ({@code 2030-01-01T00:00:00Z}) or a duration from now ({@code 5m}). */
  static Instant parseTime(String what, String text, Instant now) {
    try {
      return Instant.parse(text.trim());
    } catch (DateTimeParseException e) {
      try {
        return now.plus(parseDuration(what, text));
      } catch (UsageException u) {
        throw new UsageException(what + " must be an ISO-8601 instant or a duration from now (e.g. 5m), got '" + text + "'");
      }
    }
  }

  /** {@code key=value} pairs of a repeatable option. */
  Map<String, String> pairs(String name) {
    Map<String, String> out = new LinkedHashMap<>();
    for (String kv : values(name)) {
      int eq = kv.indexOf('=');
      if (eq <= 0) {
        throw new UsageException("--" + name + " must be key=value, got '" + kv + "'");
      }
      out.put(kv.substring(0, eq), kv.substring(eq + 1));
    }
    return out;
  }
}
