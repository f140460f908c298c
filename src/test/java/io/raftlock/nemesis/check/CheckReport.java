package io.raftlock.nemesis.check;

import java.util.ArrayList;
import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * What the checker found: violations (each naming its check and the offending raw lines), the
 * counts for docs/reliability.md, and notes on checks that could not be decided.
 */
public final class CheckReport {

  /** The checks, in the order of the issue. */
  public enum Check {
    INPUT("run directory readable and well-formed"),
    TOKENS("fencing tokens unique per lock and in real-time order"),
    LOG_AGREEMENT("committed logs agree on their common prefix"),
    MODEL("at most one holder per lock in the replayed log; acknowledged grants match it"),
    LOST_ACK("no acknowledged acquire/release/renew missing from the committed log"),
    FAIL_APPLIED("no failed operation took effect (where decidable)"),
    LINEARIZABILITY("per-lock linearizability of acquire/release/renew/read"),
    FENCING("the fenced resource never accepted a stale token"),
    LEASE_PROMISE("no lease or session expired before its holder's local deadline "
        + "(RaftLockClient.localDeadline of the acknowledged request that last started it)"),
    SESSIONS("acknowledged session opens, keep-alives and closes are in the log; no session "
        + "refused as gone while the log has it live; acks name the session that holds"),
    CONVERGENCE("replicas at the same applied index have the same state hash"),
    LIVENESS("an acquire succeeds within 15 s of the final heal");

    private final String description;

    Check(String description) {
      this.description = description;
    }

    public String description() {
      return description;
    }
  }

  /** One violation: which check, what is wrong, and the raw lines that show it. */
  public record Violation(Check check, String message, List<String> lines) {
    @Override
    public String toString() {
      StringBuilder sb = new StringBuilder("[").append(check).append("] ").append(message);
      for (String line : lines) {
        sb.append("\n    ").append(line);
      }
      return sb.toString();
    }
  }

  private final List<Violation> violations = new ArrayList<>();
  private final Map<String, Long> counts = new LinkedHashMap<>();
  private final List<String> notes = new ArrayList<>();

  void violation(Check check, String message, List<String> lines) {
    violations.add(new Violation(check, message, List.copyOf(lines)));
  }

  void count(String name, long value) {
    counts.put(name, value);
  }

  void add(String name, long delta) {
    counts.merge(name, delta, Long::sum);
  }

  void note(String note) {
    notes.add(note);
  }

  public boolean ok() {
    return violations.isEmpty();
  }

  public List<Violation> violations() {
    return Collections.unmodifiableList(violations);
  }

  /** Violations of one check. */
  public List<Violation> violations(Check check) {
    return violations.stream().filter(v -> v.check() == check).toList();
  }

  /** Counts by name (ops by function and outcome, grants, stale writes caught, entries...). */
  public Map<String, Long> counts() {
    return Collections.unmodifiableMap(counts);
  }

  /** Checks that could not be decided, and inputs tolerated (a line cut by a kill). */
  public List<String> notes() {
    return Collections.unmodifiableList(notes);
  }

  /** Counts, then per-check results, then notes: one item per line. */
  public String summary() {
    StringBuilder sb = new StringBuilder();
    counts.forEach((k, v) -> sb.append(k).append(": ").append(v).append('\n'));
    for (Check c : Check.values()) {
      int n = violations(c).size();
      sb.append("check ").append(c).append(" (").append(c.description()).append("): ")
          .append(n == 0 ? "ok" : n + " violation(s)").append('\n');
    }
    for (String note : notes) {
      sb.append("note: ").append(note).append('\n');
    }
    return sb.toString();
  }

  @Override
  public String toString() {
    StringBuilder sb = new StringBuilder(summary());
    violations.forEach(v -> sb.append(v).append('\n'));
    return sb.toString();
  }
}
