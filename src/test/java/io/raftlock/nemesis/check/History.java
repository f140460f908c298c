package io.raftlock.nemesis.check;

import com.fasterxml.jackson.databind.JsonNode;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * Pairs the lines of one process's history file (spec §2) into {@link Op}s. Malformed input is
 * reported as {@link Problem}s, never thrown: a kill -9 may cut the last line short (tolerated),
 * anything else malformed is an input violation.
 */
final class History {
  /** A line the parser could not use; {@code tolerated} ones are notes, others violations. */
  record Problem(String message, String line, boolean tolerated) {}

  private final List<Op> ops = new ArrayList<>();
  private final List<Problem> problems = new ArrayList<>();
  /** The outstanding invoke of each lane ("" is the workload's), with its raw line. */
  private final Map<String, JsonNode> pending = new LinkedHashMap<>();
  private final Map<String, String> pendingLine = new HashMap<>();

  private History() {}

  List<Op> ops() {
    return ops;
  }

  List<Problem> problems() {
    return problems;
  }

  /** Parses one process's lines, in file order. */
  static History parse(String fileName, List<String> lines) {
    History h = new History();
    for (int i = 0; i < lines.size(); i++) {
      String line = lines.get(i);
      if (line.isBlank()) {
        continue;
      }
      boolean last = i == lines.size() - 1;
      JsonNode node = Jsonl.parse(line);
      if (node == null || !node.hasNonNull("type") || !node.hasNonNull("f")
          || !node.hasNonNull("t")) {
        h.problems.add(new Problem(fileName + ":" + (i + 1) + ": malformed line"
            + (last ? " at the end (cut by a kill)" : ""), line, last));
        continue;
      }
      h.accept(fileName + ":" + (i + 1), node, line);
    }
    h.closeDangling();
    return h;
  }

  private void accept(String where, JsonNode node, String line) {
    String type = node.get("type").asText();
    String lane = text(node, "lane");
    if (type.equals("invoke")) {
      if (pending.containsKey(lane)) {
        problems.add(new Problem(where + ": invoke while an operation is outstanding; "
            + "the earlier one is treated as info", pendingLine.get(lane), true));
        closeDangling(lane);
      }
      pending.put(lane, node);
      pendingLine.put(lane, line);
      return;
    }
    Op.Outcome outcome = switch (type) {
      case "ok" -> Op.Outcome.OK;
      case "fail" -> Op.Outcome.FAIL;
      case "info" -> Op.Outcome.INFO;
      default -> null;
    };
    JsonNode invoke = pending.get(lane);
    if (outcome == null) {
      problems.add(new Problem(where + ": unknown type " + type, line, false));
    } else if (invoke == null) {
      problems.add(new Problem(where + ": completion without invoke", line, false));
    } else if (!text(invoke, "f").equals(text(node, "f"))
        || !text(invoke, "lock").equals(text(node, "lock"))) {
      problems.add(new Problem(where + ": completion does not match its invoke "
          + pendingLine.get(lane), line, false));
      closeDangling(lane);
    } else {
      ops.add(op(invoke, pendingLine.get(lane), outcome, node, line));
      pending.remove(lane);
      pendingLine.remove(lane);
    }
  }

  /** A killed process's last invoke of each lane: info, never returned. */
  private void closeDangling() {
    new ArrayList<>(pending.keySet()).forEach(this::closeDangling);
  }

  private void closeDangling(String lane) {
    JsonNode invoke = pending.remove(lane);
    if (invoke != null) {
      ops.add(op(invoke, pendingLine.remove(lane), Op.Outcome.INFO, null, null));
    }
  }

  private static Op op(JsonNode invoke, String invokeLine, Op.Outcome outcome,
      JsonNode completion, String completionLine) {
    long token = 0;
    if (completion != null && completion.hasNonNull("token")) {
      token = completion.get("token").asLong();
    } else if (invoke.hasNonNull("token")) {
      token = invoke.get("token").asLong();
    }
    String holder = completion != null && completion.hasNonNull("holder")
        ? completion.get("holder").asText() : null;
    String error = completion != null && completion.hasNonNull("error")
        ? completion.get("error").asText() : null;
    long returnT = completion == null ? Long.MAX_VALUE : completion.get("t").asLong();
    long session = completion != null && completion.hasNonNull("session")
        ? completion.get("session").asLong() : invoke.path("session").asLong(0);
    return new Op(text(invoke, "process"), text(invoke, "f"), text(invoke, "lock"), outcome,
        invoke.get("t").asLong(), returnT, token, holder, error, invokeLine, completionLine,
        session);
  }

  private static String text(JsonNode node, String field) {
    return node.hasNonNull(field) ? node.get(field).asText() : "";
  }
}
