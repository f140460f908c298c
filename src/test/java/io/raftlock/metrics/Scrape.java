package io.raftlock.metrics;

import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;

/** A parsed Prometheus text exposition: series by name and labels (tests). */
public record Scrape(String text, List<Series> series) {
  public record Series(String name, Map<String, String> labels, double value) {}

  public Scrape(String text) {
    this(text, parse(text));
  }

  static List<Series> parse(String text) {
    List<Series> all = new ArrayList<>();
    for (String line : text.split("\n")) {
      if (line.isBlank() || line.startsWith("#")) {
        continue;
      }
      int brace = line.indexOf('{');
      int space = line.lastIndexOf(' ');
      Map<String, String> labels = new HashMap<>();
      String name;
      if (brace >= 0 && brace < space) {
        name = line.substring(0, brace);
        String body = line.substring(brace + 1, line.lastIndexOf('}'));
        int i = 0;
        while (i < body.length()) {
          int eq = body.indexOf('=', i);
          int open = body.indexOf('"', eq);
          int close = open + 1;
          while (body.charAt(close) != '"' || body.charAt(close - 1) == '\\') {
            close++;
          }
          labels.put(body.substring(i, eq).trim(), body.substring(open + 1, close));
          i = close + 1;
          if (i < body.length() && body.charAt(i) == ',') {
            i++;
          }
        }
      } else {
        name = line.substring(0, space);
      }
      all.add(new Series(name, labels, Double.parseDouble(line.substring(space + 1))));
    }
    return all;
  }

  private List<Series> matching(String name, String... labels) {
    List<Series> out = new ArrayList<>();
    next:
    for (Series s : series) {
      if (!s.name().equals(name)) {
        continue;
      }
      for (int i = 0; i < labels.length; i += 2) {
        if (!labels[i + 1].equals(s.labels().get(labels[i]))) {
          continue next;
        }
      }
      out.add(s);
    }
    return out;
  }

  boolean has(String name, String... labels) {
    return !matching(name, labels).isEmpty();
  }

  /** The sum of the matching series; fails when there is none. */
  public double value(String name, String... labels) {
    List<Series> m = matching(name, labels);
    if (m.isEmpty()) {
      throw new AssertionError("no series " + name + " " + String.join(",", labels));
    }
    return m.stream().mapToDouble(Series::value).sum();
  }

  public double valueOrZero(String name, String... labels) {
    return matching(name, labels).stream().mapToDouble(Series::value).sum();
  }
}
