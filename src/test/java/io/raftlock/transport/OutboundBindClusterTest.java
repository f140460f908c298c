package io.raftlock.transport;

import static org.awaitility.Awaitility.await;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import io.raftlock.config.NodeConfig;
import io.raftlock.testing.LocalCluster;
import java.io.IOException;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.ServerSocket;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Set;
import java.util.TreeSet;
import java.util.function.UnaryOperator;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

/**
 * Each member of a cluster on its own loopback address (127.0.0.1/2/3) connects to the others
 * from that address, so firewall rules between the addresses partition members. Checked on the
 * sockets themselves: {@code /proc/net/tcp} lists, for each member's peer port, the addresses its
 * connections come from. Without the bind every one would come from 127.0.0.1, the kernel's
 * source for any loopback destination.
 */
@Timeout(90)
class OutboundBindClusterTest {
  @TempDir Path root;

  @Test
  void literalAddressesAreBoundWildcardsAndNamesAreNot() {
    assertEquals("127.0.0.2", OutboundBind.localAddressFor("127.0.0.2"));
    assertEquals("10.1.2.3", OutboundBind.localAddressFor("10.1.2.3"));
    assertEquals("0:0:0:0:0:0:0:1", OutboundBind.localAddressFor("[::1]"));
    assertEquals("0:0:0:0:0:0:0:1", OutboundBind.localAddressFor("::1"));
    assertNull(OutboundBind.localAddressFor("0.0.0.0"));
    assertNull(OutboundBind.localAddressFor("::"));
    assertNull(OutboundBind.localAddressFor("localhost"));
    assertNull(OutboundBind.localAddressFor("raft-1.example.com"));
    assertNull(OutboundBind.localAddressFor("1.2.3"));
    assertNull(OutboundBind.localAddressFor("256.1.1.1"));
    assertNull(OutboundBind.localAddressFor(null));
  }

  @Test
  void membersConnectFromTheirOwnAddresses() throws Exception {
    assumeTrue(Files.isReadable(Path.of("/proc/net/tcp")), "needs Linux /proc/net/tcp to see socket addresses");
    assumeTrue(canBind("127.0.0.2") && canBind("127.0.0.3"), "needs 127.0.0.2 and 127.0.0.3 on the loopback");
    try (LocalCluster cluster = new LocalCluster(3, root, UnaryOperator.identity(), i -> "127.0.0." + i)) {
      cluster.start();
      String leader = cluster.awaitLeader();
      List<String> ids = cluster.ids();
      for (String id : ids) {
        NodeConfig.HostPort peer = cluster.config(id).members().get(id).peerAddress();
        Set<String> others = new TreeSet<>();
        ids.stream().filter(o -> !o.equals(id)).forEach(o -> others.add(host(cluster, o)));
        // Every other member connects to this one's peer server, from its own address only.
        await().atMost(Duration.ofSeconds(20)).untilAsserted(() ->
            assertEquals(others, remoteHostsOf(peer), id + " (leader " + leader + ") sees connections from"));
      }

      // The cluster page of node-2 fetches the others' /status from node-2's address.
      String self = host(cluster, "node-2");
      HttpClient http = HttpClient.newBuilder().version(HttpClient.Version.HTTP_1_1).build();
      HttpResponse<String> page = http.send(HttpRequest.newBuilder(
          URI.create("http://" + cluster.clientAddress("node-2") + "/ui/snapshot")).build(),
          HttpResponse.BodyHandlers.ofString());
      assertEquals(200, page.statusCode(), page.body());
      for (String other : List.of("node-1", "node-3")) {
        NodeConfig.HostPort client = cluster.config(other).members().get(other).clientAddress();
        await().atMost(Duration.ofSeconds(10)).untilAsserted(() ->
            assertTrue(remoteHostsOf(client).contains(self), other + " client port sees " + remoteHostsOf(client)));
      }
    }
  }

  private static String host(LocalCluster cluster, String id) {
    return cluster.config(id).members().get(id).peerAddress().host();
  }

  private static boolean canBind(String host) {
    try (ServerSocket s = new ServerSocket()) {
      s.bind(new InetSocketAddress(InetAddress.getByName(host), 0));
      return true;
    } catch (IOException e) {
      return false;
    }
  }

  /** Remote IPv4 addresses of the established connections whose local end is {@code local}. */
  static Set<String> remoteHostsOf(NodeConfig.HostPort local) throws IOException {
    Set<String> hosts = new TreeSet<>();
    for (String[] s : sockets()) {
      if (s[0].equals(local.host()) && Integer.parseInt(s[1]) == local.port()) {
        hosts.add(s[2]);
      }
    }
    return hosts;
  }

  /** Established IPv4 (or IPv4-mapped) sockets: {local host, local port, remote host, remote port}. */
  static List<String[]> sockets() throws IOException {
    List<String[]> out = new ArrayList<>();
    for (String file : List.of("/proc/net/tcp", "/proc/net/tcp6")) {
      Path p = Path.of(file);
      if (!Files.isReadable(p)) {
        continue;
      }
      List<String> lines = Files.readAllLines(p);
      for (String line : lines.subList(1, lines.size())) {
        String[] f = line.trim().split("\\s+");
        if (!f[3].equals("01")) {
          continue; // not ESTABLISHED
        }
        String[] local = endpoint(f[1]);
        String[] remote = endpoint(f[2]);
        if (local != null && remote != null) {
          out.add(new String[] {local[0], local[1], remote[0], remote[1]});
        }
      }
    }
    return out;
  }

  /** {@code 0100007F:1F90} (or its IPv4-mapped IPv6 form) as {127.0.0.1, 8080}; null otherwise. */
  private static String[] endpoint(String hexAddressPort) {
    String[] parts = hexAddressPort.split(":");
    String hex = parts[0];
    if (hex.length() == 32) {
      // Four little-endian 32-bit words; ::ffff:a.b.c.d is 0, 0, 0000FFFF, the address.
      if (!hex.startsWith("0000000000000000FFFF0000")) {
        return null;
      }
      hex = hex.substring(24);
    }
    long v = Long.parseLong(hex, 16);
    String ip = (v & 0xff) + "." + ((v >> 8) & 0xff) + "." + ((v >> 16) & 0xff) + "." + ((v >> 24) & 0xff);
    return new String[] {ip, String.valueOf(Integer.parseInt(parts[1], 16))};
  }
}
