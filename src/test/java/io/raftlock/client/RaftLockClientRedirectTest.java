package io.raftlock.client;

import static org.awaitility.Awaitility.await;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.raftlock.config.NodeConfig;
import io.raftlock.proto.api.GetLockInfoRequest;
import io.raftlock.testing.LocalCluster;
import java.nio.file.Path;
import java.time.Duration;
import java.util.concurrent.CompletableFuture;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

/**
 * Redirect routing: followers answer writes with NOT_LEADER and the leader's address in a
 * trailer. A client that knows only a follower follows the redirect and works as with forwarding.
 */
@Timeout(60)
class RaftLockClientRedirectTest {
  @TempDir static Path root;
  static LocalCluster cluster;

  @BeforeAll
  static void start() {
    cluster = new LocalCluster(3, root, c -> new NodeConfig(c.nodeId(), c.dataDir(), c.members(), c.tickMs(),
        c.electionTicks(), c.heartbeatTicks(), c.maxInflight(), c.maxEntriesPerAppend(), c.maxBytesPerAppend(),
        c.snapshotEveryEntries(), c.snapshotKeepEntries(), c.syncDurableMarkBeforeAck(), c.eventLoops(),
        new NodeConfig.ClientApi("redirect", 1000, 1000, 1000, 5000, 5000))).start();
  }

  @AfterAll
  static void stop() {
    if (cluster != null) {
      cluster.close();
    }
  }

  /** Knows one follower only: it can reach the leader only through the redirect's address. */
  static RaftLockClient followerOnly(String id) {
    return RaftLockClient.builder().endpoints("127.0.0.1:" + cluster.clientPort(cluster.follower())).clientId(id).build();
  }

  @Test
  void writesFollowTheLeaderAddressAndWaitersArePushedTheirGrant() {
    try (RaftLockClient a = followerOnly("redir-a"); RaftLockClient b = followerOnly("redir-b")) {
      LockHandle ha = a.lock("redirected", Duration.ofSeconds(10));
      assertTrue(ha.token() > 0);
      CompletableFuture<LockHandle> hb = b.lockAsync("redirected", Duration.ofSeconds(10)).toCompletableFuture();
      await().until(() -> !RaftLockClient.await(a.getLockInfo(GetLockInfoRequest.newBuilder()
          .setLockId("redirected").setIncludeWaiters(true).build())).getLockInfo().getWaitersInfoList().isEmpty());
      assertTrue(a.unlock(ha));
      LockHandle granted = await().until(() -> hb.getNow(null), x -> x != null);
      assertTrue(granted.token() > ha.token());
      assertEquals("redir-b", RaftLockClient.await(a.getLockInfo(GetLockInfoRequest.newBuilder()
          .setLockId("redirected").build())).getLockInfo().getOwnerId());
      assertTrue(b.unlock(granted));
    }
  }
}
