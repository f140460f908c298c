package io.raftlock.nemesis;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;

/**
 * Network faults with {@code nft} in one dedicated table, {@code inet raftlock_nemesis}, which is
 * deleted at start, on heal and at the end, so nothing else on the machine is touched.
 *
 * <p>Each node listens on its own loopback address and binds its outbound peer connections to it,
 * so a rule "from address A to address B on the peer port" cuts exactly the traffic from node A to
 * node B: the packets of A's connection to B's peer server ({@code dport}) and the replies on B's
 * connection to A's peer server ({@code sport}). Clients (all from 127.0.0.1) talk to the client
 * port and are not cut by partitions; packet loss hits peer and client ports alike.
 */
final class Firewall {
  static final String TABLE = "raftlock_nemesis";

  private final int peerPort;
  private final int clientPort;
  private final Path scratch;

  Firewall(int peerPort, int clientPort, Path scratch) {
    this.peerPort = peerPort;
    this.clientPort = clientPort;
    this.scratch = scratch;
  }

  /** Why nft cannot be used here, or null when it can (probed by creating and deleting the table). */
  static String unavailableReason() {
    if (!Shell.onPath("nft")) {
      return "nft is not installed (scripts/install-nemesis-tools.sh installs it)";
    }
    Shell.Result r = Shell.run("nft", "add", "table", "inet", TABLE);
    if (!r.ok()) {
      return "nft cannot create a table (needs root / CAP_NET_ADMIN): " + r.output();
    }
    Shell.run("nft", "delete", "table", "inet", TABLE);
    return null;
  }

  /**
   * Drops every packet on the peer port from address {@code pair[0]} to address {@code pair[1]},
   * for each directed pair: the previous rules are replaced.
   */
  void cut(List<String[]> directedPairs) {
    List<String> rules = new ArrayList<>();
    for (String[] pair : directedPairs) {
      rules.add("ip saddr " + pair[0] + " ip daddr " + pair[1] + " tcp dport " + peerPort + " drop");
      rules.add("ip saddr " + pair[0] + " ip daddr " + pair[1] + " tcp sport " + peerPort + " drop");
    }
    apply(rules);
  }

  /** Drops {@code percent}% of packets, at random, on the peer and client ports. */
  void loss(int percent) {
    String ports = "{ " + peerPort + ", " + clientPort + " }";
    apply(List.of(
        "tcp dport " + ports + " numgen random mod 100 < " + percent + " drop",
        "tcp sport " + ports + " numgen random mod 100 < " + percent + " drop"));
  }

  /** Replaces the table's rules with {@code rules}, atomically (one nft transaction). */
  private void apply(List<String> rules) {
    StringBuilder script = new StringBuilder()
        .append("table inet ").append(TABLE).append(" {}\n")
        .append("delete table inet ").append(TABLE).append("\n")
        .append("table inet ").append(TABLE).append(" {\n")
        .append("  chain output {\n    type filter hook output priority 0; policy accept;\n");
    for (String rule : rules) {
      script.append("    ").append(rule).append("\n");
    }
    script.append("  }\n}\n");
    try {
      Path file = scratch.resolve("nft-rules.nft");
      Files.writeString(file, script);
      Shell.check("nft", "-f", file.toString());
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
  }

  /** Removes every rule: deletes the table (no error when it is already gone). */
  static void heal() {
    Shell.run("sh", "-c", "nft list table inet " + TABLE + " >/dev/null 2>&1 && nft delete table inet " + TABLE);
  }

  static boolean tablePresent() {
    return Shell.run("nft", "list", "table", "inet", TABLE).ok();
  }
}
