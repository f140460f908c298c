package io.raftlock.client;

import io.raftlock.testing.LocalCluster;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.io.TempDir;

/**
 * One 3-node {@link LocalCluster} per test class for the client's cluster tests: the clients a
 * test registers in {@link #clients} are closed after it, and a member it stopped is started again.
 */
abstract class ClientClusterFixture {
  @TempDir static Path root;
  static LocalCluster cluster;
  final List<RaftLockClient> clients = new ArrayList<>();

  @BeforeAll
  static void startCluster() {
    cluster = new LocalCluster(3, root).start();
  }

  @AfterAll
  static void stopCluster() {
    if (cluster != null) {
      cluster.close();
    }
  }

  @AfterEach
  void closeClients() {
    clients.forEach(RaftLockClient::close);
    // A test that stopped a member brings it back for the next one.
    for (String id : cluster.ids()) {
      if (!cluster.running().contains(id)) {
        cluster.start(id);
      }
    }
    cluster.awaitLeader();
  }
}
