package io.raftlock.app;

import static org.awaitility.Awaitility.await;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.raftlock.config.NodeConfig;
import io.raftlock.raft.Role;
import io.raftlock.testing.FreePorts;
import java.io.IOException;
import java.net.ServerSocket;
import java.nio.file.Path;
import java.time.Duration;
import java.util.Map;
import java.util.TreeMap;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** The jar's no-flags default: three real members in one process. */
class EmbeddedClusterTest {
  @TempDir Path data;

  /** Members node-1..3 with the given client ports and fresh peer ports. */
  private Map<String, NodeConfig> configs(int... clientPorts) {
    Map<String, NodeConfig.Member> members = new TreeMap<>();
    for (int i = 1; i <= clientPorts.length; i++) {
      members.put("node-" + i, new NodeConfig.Member("127.0.0.1:" + FreePorts.next(), "127.0.0.1:" + clientPorts[i - 1]));
    }
    Map<String, NodeConfig> configs = new TreeMap<>();
    members.keySet().forEach(id -> configs.put(id, NodeConfig.fromJson(id, data.resolve(id).toString(), members,
        10L, null, null, null, null, null, null, null, null, null)));
    return configs;
  }

  @Test
  void theDefaultsDescribeThreeLoopbackMembersUnderData() {
    Map<String, NodeConfig> defaults = NodeConfig.localClusterDefaults();
    assertEquals(3, defaults.size());
    defaults.forEach((id, c) -> {
      assertEquals(Path.of("data", id), c.dataDir());
      assertEquals(3, c.members().size());
      assertEquals(2, c.clusterConfig().quorum());
    });
    assertEquals(8002, defaults.get("node-2").members().get("node-2").clientAddress().port());
  }

  @Test
  void threeMembersElectOneLeaderAndStop() {
    System.setProperty("chronicle.analytics.disable", "true");
    EmbeddedCluster cluster = EmbeddedCluster.start(configs(FreePorts.next(), FreePorts.next(), FreePorts.next()), Main.transports()).await();
    try {
      await().atMost(Duration.ofSeconds(20)).until(() ->
          cluster.nodes().stream().filter(n -> n.status().role() == Role.LEADER).count() == 1
              && cluster.nodes().stream().allMatch(n -> n.status().leaderId() != null));
      assertEquals(3, cluster.nodes().size());
    } finally {
      cluster.stop(Duration.ofSeconds(2)).await();
    }
  }

  @Test
  void aMemberThatCannotStartFailsTheWholeStartWithItsName() throws IOException {
    System.setProperty("chronicle.analytics.disable", "true");
    int port1 = FreePorts.next();
    int port2 = FreePorts.next();
    try (ServerSocket taken = new ServerSocket(0)) {
      Map<String, NodeConfig> configs = configs(port1, port2, taken.getLocalPort());
      // Bounded: a start failure that never reaches the caller must fail this test, not hang it.
      RuntimeException e = assertThrows(RuntimeException.class,
          () -> EmbeddedCluster.start(configs, Main.transports()).await(30, TimeUnit.SECONDS));
      String message = e.getMessage() + " / " + e.getCause();
      assertTrue(message.contains("node-3"), message);
    }
    // The members that did start were stopped again: their client ports are free.
    for (int port : new int[] {port1, port2}) {
      try (ServerSocket again = new ServerSocket(port)) {
        assertEquals(port, again.getLocalPort());
      }
    }
  }
}
