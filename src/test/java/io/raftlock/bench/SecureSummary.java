package io.raftlock.bench;

import com.fasterxml.jackson.databind.JsonNode;
import java.util.List;

/**
 * The section of docs/benchmarks.md that sets RaftLock with TLS and auth ({@code scripts/bench.sh
 * --secure}: {@code raftlock-secure-run*.json}) beside plaintext RaftLock of the same session:
 * the same workloads through {@code RaftLockClient}, per figure the median of the runs with
 * min–max, and the secure / plaintext ratio. Nothing is written without secure runs.
 */
final class SecureSummary {
  private SecureSummary() {}

  static void append(StringBuilder s, List<JsonNode> plain, List<JsonNode> secure) {
    if (secure.isEmpty()) {
      return;
    }
    s.append("\n## TLS + auth against plaintext (`--secure`, same session)\n\n");
    s.append("A second 3-process RaftLock cluster with TLS 1.3 on the client port, mutual TLS between members and ")
        .append("auth on; its clients trust the cluster's CA and send the API key of a principal whose role grants ")
        .append("`lock` on the benchmark's lock names, so every call is checked on the receiving node and at apply. ")
        .append("Its runs follow each plaintext RaftLock run (").append(secure.size()).append(" run(s)). Connections ")
        .append("are long-lived: the handshakes are in the warm-up, the figures show encryption and the ACL checks.\n\n");
    s.append("| clients | figure | plaintext | TLS + auth | TLS + auth / plaintext |\n|---:|---|---:|---:|---:|\n");
    for (int c : CompareSummary.clientCounts(secure)) {
      for (CompareSummary.Field f : CompareSummary.PAIR_FIELDS) {
        row(s, String.valueOf(c), f, f.of(j -> CompareSummary.w1(j, c)), plain, secure);
      }
    }
    for (CompareSummary.Field f : CompareSummary.PAIR_FIELDS.subList(0, 3)) {
      row(s, "shared", f, f.of(j -> j.path("w1Shared")), plain, secure);
    }
    for (CompareSummary.Field f : CompareSummary.HANDOFF_FIELDS.subList(0, 3)) {
      row(s, "W2", f, f.of(j -> j.path("w2")), plain, secure);
    }
    long[] counts = new long[3]; // grants checked, occupancy and token violations
    for (JsonNode run : secure) {
      List<JsonNode> parts = new java.util.ArrayList<>();
      run.path("w1").forEach(parts::add);
      parts.add(run.path("w1Shared"));
      parts.add(run.path("w2"));
      for (JsonNode p : parts) {
        counts[0] += p.path("safety").path("grantsChecked").asLong();
        counts[1] += p.path("safety").path("occupancyViolations").asLong();
        counts[2] += p.path("safety").path("tokenViolations").asLong();
      }
    }
    s.append("\nSafety with TLS + auth: ").append(counts[1]).append(" occupancy and ").append(counts[2])
        .append(" token violations over ").append(counts[0]).append(" grants.\n");
  }

  private static void row(StringBuilder s, String first, CompareSummary.Field field, CompareSummary.Figure f,
      List<JsonNode> plain, List<JsonNode> secure) {
    s.append("| ").append(first).append(" | ").append(field.name()).append(" | ")
        .append(CompareSummary.cell(plain, f)).append(" | ").append(CompareSummary.cell(secure, f)).append(" | ")
        .append(CompareSummary.ratio(secure, f, plain, f, field)).append(" |\n");
  }
}
