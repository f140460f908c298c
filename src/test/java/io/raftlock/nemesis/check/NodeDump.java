package io.raftlock.nemesis.check;

import com.fasterxml.jackson.databind.JsonNode;
import java.util.ArrayList;
import java.util.List;

/**
 * One node's dump (spec §1): the header, then its committed entries in ascending index order.
 *
 * @param file the dump's file name, to name the node in messages
 * @param problems lines that could not be read (input violations)
 */
record NodeDump(
    String file,
    String node,
    long firstIndex,
    long commitIndex,
    long appliedIndex,
    String stateHash,
    List<Entry> entries,
    List<String> problems) {

  /** One committed entry; {@code data} is the base64 payload, kept as text for comparison. */
  record Entry(long index, long term, String type, String data, String line) {}

  /** Index of the last entry, 0 when the dump has none. */
  long lastIndex() {
    return entries.isEmpty() ? 0 : entries.get(entries.size() - 1).index();
  }

  static NodeDump parse(String file, List<String> lines) {
    List<String> problems = new ArrayList<>();
    List<Entry> entries = new ArrayList<>();
    JsonNode header = lines.isEmpty() ? null : Jsonl.parse(lines.get(0));
    if (header == null || !header.has("commitIndex") || !header.has("appliedIndex")) {
      problems.add(file + ": line 1 is not a dump header");
      header = Jsonl.parse("{}");
    }
    for (int i = 1; i < lines.size(); i++) {
      String line = lines.get(i);
      if (line.isBlank()) {
        continue;
      }
      JsonNode e = Jsonl.parse(line);
      if (e == null || !e.has("index") || !e.has("term") || !e.has("type")) {
        problems.add(file + ":" + (i + 1) + ": malformed entry line: " + line);
        continue;
      }
      entries.add(new Entry(e.get("index").asLong(), e.get("term").asLong(),
          e.get("type").asText(), e.hasNonNull("data") ? e.get("data").asText() : "", line));
    }
    return new NodeDump(file, header.path("node").asText(file),
        header.path("firstIndex").asLong(1), header.path("commitIndex").asLong(0),
        header.path("appliedIndex").asLong(0), header.path("stateHash").asText(""),
        entries, problems);
  }
}
