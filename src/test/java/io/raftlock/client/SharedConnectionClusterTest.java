package io.raftlock.client;

import static org.awaitility.Awaitility.await;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import io.raftlock.metrics.Scrape;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

/**
 * Clients of one process with the same connection settings share one HTTP/2 connection per node,
 * each with its own session on its own stream: the node sees one connection for eight clients,
 * closing seven leaves the eighth working, and the last close ends the connection.
 */
@Timeout(120)
class SharedConnectionClusterTest extends ClientClusterFixture {
  private static final HttpClient HTTP = HttpClient.newBuilder().version(HttpClient.Version.HTTP_1_1).build();

  @Test
  void clientsOfOneProcessShareTheirConnectionButNotTheirSessions() throws Exception {
    String leader = cluster.awaitLeader();
    String endpoint = "127.0.0.1:" + cluster.clientPort(leader);
    double before = connections(leader);
    List<RaftLockClient> eight = new ArrayList<>();
    List<LockHandle> held = new ArrayList<>();
    for (int i = 0; i < 8; i++) {
      RaftLockClient c = RaftLockClient.builder().endpoints(endpoint).clientId("conn-" + i)
          .sessionTtl(Duration.ofSeconds(5)).build();
      clients.add(c);
      eight.add(c);
      held.add(c.lock("conn/" + i, Duration.ofSeconds(30)));
    }
    assertEquals(before + 1, connections(leader), "eight clients, one connection");
    assertEquals(8, eight.stream().mapToLong(RaftLockClient::sessionId).distinct().count(), "eight sessions");

    // One client's lock is not another's: the second client waits until the first releases.
    RaftLockClient second = eight.get(1);
    assertTrue(second.tryLock("conn/0", Duration.ofSeconds(30), Duration.ZERO).isEmpty(), "held by the first");

    for (int i = 0; i < 7; i++) {
      eight.get(i).close();
    }
    RaftLockClient last = eight.get(7);
    last.unlock(held.get(7));
    LockHandle again = last.lock("conn/0", Duration.ofSeconds(30)); // the first's close released it
    assertTrue(again.token() > held.get(0).token(), "fenced above the first client's grant");
    assertEquals(before + 1, connections(leader), "the connection outlives the clients that closed");
    last.close();
    await().atMost(Duration.ofSeconds(10)).untilAsserted(() -> assertEquals(before, connections(leader)));
  }

  /**
   * A node lets one connection carry 100 streams at once and every client keeps its session
   * stream open: past {@link SharedVertx#CLIENTS_PER_CONNECTION} clients a new connection is
   * opened, so no client's session waits for a stream that never frees.
   */
  @Test
  void moreClientsThanOneConnectionCarriesGetASecondConnection() throws Exception {
    String leader = cluster.awaitLeader();
    String endpoint = "127.0.0.1:" + cluster.clientPort(leader);
    double before = connections(leader);
    int n = SharedVertx.CLIENTS_PER_CONNECTION + 1;
    for (int i = 0; i < n; i++) {
      RaftLockClient c = RaftLockClient.builder().endpoints(endpoint).clientId("many-" + i)
          .sessionTtl(Duration.ofSeconds(5)).build();
      clients.add(c);
      c.lock("many/" + i, Duration.ofSeconds(30));
    }
    assertEquals(before + 2, connections(leader), n + " clients, two connections");
  }

  private static double connections(String node) throws Exception {
    HttpResponse<String> r = HTTP.send(HttpRequest.newBuilder(
        URI.create("http://127.0.0.1:" + cluster.clientPort(node) + "/metrics")).build(),
        HttpResponse.BodyHandlers.ofString());
    return new Scrape(r.body()).value("raftlock_connections_active");
  }
}
