package io.raftlock.nemesis;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Set;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** The client-partition rules: the right ports and addresses, both directions, valid for nft. */
class FirewallClientCutTest {
  @TempDir Path dir;

  @Test
  void cutsTheClientPortOfEachNodeBothWaysForTheMarkedClientsOnly() {
    List<String> rules = Firewall.clientCutRules(Set.of(42_005, 42_002), List.of("127.0.0.1", "127.0.0.3"), 20_001);
    assertEquals(List.of(
        "ct mark { 42002, 42005 } ip daddr 127.0.0.1 tcp dport 20001 counter drop",
        "ct mark { 42002, 42005 } ip saddr 127.0.0.1 tcp sport 20001 counter drop",
        "ct mark { 42002, 42005 } ip daddr 127.0.0.3 tcp dport 20001 counter drop",
        "ct mark { 42002, 42005 } ip saddr 127.0.0.3 tcp sport 20001 counter drop"), rules);
  }

  @Test
  void droppedPacketsAreTheSumOfTheCounters() {
    assertEquals(12, Firewall.countedPackets("ct mark 0x0000a411 ip daddr 127.0.0.2 tcp dport 1 counter packets 5 bytes 300 drop\n"
        + "ct mark 0x0000a411 ip saddr 127.0.0.2 tcp sport 1 counter packets 7 bytes 448 drop\n"));
    assertEquals(0, Firewall.countedPackets("table inet raftlock_nemesis {\n}\n"));
  }

  @Test
  void aCutWithoutClientsOrNodesIsRefused() {
    assertThrows(IllegalArgumentException.class, () -> Firewall.clientCutRules(Set.of(), List.of("127.0.0.1"), 1));
    assertThrows(IllegalArgumentException.class, () -> Firewall.clientCutRules(Set.of(42_001), List.of(), 1));
  }

  @Test
  void eachClientIsMarkedWithItsOwnGroupId() {
    assertEquals(42_007, Firewall.clientGid(7));
    assertEquals(42_010, Firewall.clientGid("c10"));
    String script = Firewall.clientMarkScript(List.of(42_001, 42_002));
    assertTrue(script.contains("ct state new ct mark set meta skgid map { 42001 : 42001, 42002 : 42002 }"), script);
    assertTrue(script.contains("table inet " + Firewall.CLIENT_MARK_TABLE + " {"), script);
  }

  /** nft's own parser accepts both rule sets (check mode: nothing is applied). Needs nft and root. */
  @Test
  void nftAcceptsTheRuleSets() throws Exception {
    assumeTrue(Shell.onPath("nft") && Shell.isRoot(), "nft or root missing: the rule text is checked above");
    Path marks = dir.resolve("marks.nft");
    Files.writeString(marks, Firewall.clientMarkScript(List.of(42_001, 42_002)));
    Shell.Result r = Shell.run("nft", "--check", "-f", marks.toString());
    assertTrue(r.ok(), r.output());
    StringBuilder cut = new StringBuilder("table inet raftlock_nemesis_check {\n  chain output {\n"
        + "    type filter hook output priority 0; policy accept;\n");
    Firewall.clientCutRules(Set.of(42_001), List.of("127.0.0.2"), 20_001).forEach(x -> cut.append("    ").append(x).append('\n'));
    Path cuts = dir.resolve("cut.nft");
    Files.writeString(cuts, cut.append("  }\n}\n").toString());
    r = Shell.run("nft", "--check", "-f", cuts.toString());
    assertTrue(r.ok(), r.output());
  }
}
