package io.raftlock.nemesis;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Collection;
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
 *
 * <p><b>Client partitions.</b> All clients share 127.0.0.1, so they are told apart by process: each
 * client JVM runs with its own group id ({@link #clientGid}, set with {@code setpriv}), and a
 * second table, {@code inet raftlock_nemesis_clients}, present for the whole run, marks every new
 * connection with the group id of the process that opens it ({@code ct mark}, kept by conntrack for
 * both directions). A client cut then drops, on the client port of the cut nodes, the packets of
 * connections carrying the marks of the cut clients, in both directions; peer traffic and the
 * harness's own requests (group 0) pass. The cut lives in the fault table, so {@link #heal} ends it.
 */
final class Firewall {
  static final String TABLE = "raftlock_nemesis";
  static final String CLIENT_MARK_TABLE = "raftlock_nemesis_clients";
  /** Client {@code ci} runs with group id CLIENT_GID_BASE + i. */
  static final int CLIENT_GID_BASE = 42_000;

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

  /** The group id client {@code ci} runs with (its connections' mark). */
  static int clientGid(int i) {
    return CLIENT_GID_BASE + i;
  }

  /** The group id of the client named {@code "c" + i}. */
  static int clientGid(String clientId) {
    return clientGid(Integer.parseInt(clientId.substring(1)));
  }

  /**
   * Creates the table that marks each new connection of a client process with its group id; it
   * must exist before the clients connect (connections opened before it are not marked).
   */
  void markClients(List<Integer> gids) {
    if (gids.isEmpty()) {
      return;
    }
    runScript("client-marks.nft", clientMarkScript(gids));
  }

  static String clientMarkScript(List<Integer> gids) {
    String map = String.join(", ", gids.stream().map(g -> g + " : " + g).toList());
    return "table inet " + CLIENT_MARK_TABLE + " {}\n"
        + "delete table inet " + CLIENT_MARK_TABLE + "\n"
        + "table inet " + CLIENT_MARK_TABLE + " {\n"
        + "  chain output {\n    type filter hook output priority -10; policy accept;\n"
        + "    ct state new ct mark set meta skgid map { " + map + " }\n  }\n}\n";
  }

  /**
   * Cuts the clients with group ids {@code gids} off the client port of the nodes at
   * {@code hosts}, both directions; the previous rules are replaced.
   */
  void cutClients(Collection<Integer> gids, Collection<String> hosts) {
    apply(clientCutRules(gids, hosts, clientPort));
  }

  static List<String> clientCutRules(Collection<Integer> gids, Collection<String> hosts, int clientPort) {
    if (gids.isEmpty() || hosts.isEmpty()) {
      throw new IllegalArgumentException("a client cut needs clients and nodes: " + gids + ", " + hosts);
    }
    String marks = "{ " + String.join(", ", gids.stream().sorted().map(String::valueOf).toList()) + " }";
    List<String> rules = new ArrayList<>();
    for (String host : hosts) {
      rules.add("ct mark " + marks + " ip daddr " + host + " tcp dport " + clientPort + " counter drop");
      rules.add("ct mark " + marks + " ip saddr " + host + " tcp sport " + clientPort + " counter drop");
    }
    return rules;
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
    runScript("nft-rules.nft", script.toString());
  }

  private void runScript(String name, String script) {
    try {
      Path file = scratch.resolve(name);
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

  /** Packets dropped so far by the fault table's counting rules (0 when there are none). */
  static long droppedPackets() {
    Shell.Result r = Shell.run("nft", "list", "table", "inet", TABLE);
    return r.ok() ? countedPackets(r.output()) : 0;
  }

  /** The sum of the {@code counter packets N} of an {@code nft list} output. */
  static long countedPackets(String listing) {
    long n = 0;
    java.util.regex.Matcher m = java.util.regex.Pattern.compile("counter packets (\\d+)").matcher(listing);
    while (m.find()) {
      n += Long.parseLong(m.group(1));
    }
    return n;
  }

  /** Removes the client marks' table too (the end of a run). */
  static void removeAll() {
    heal();
    Shell.run("sh", "-c", "nft list table inet " + CLIENT_MARK_TABLE + " >/dev/null 2>&1 && nft delete table inet "
        + CLIENT_MARK_TABLE);
  }

  static boolean tablePresent() {
    return Shell.run("nft", "list", "table", "inet", TABLE).ok();
  }
}
