package io.raftlock.api;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.grpc.ManagedChannel;
import io.grpc.ManagedChannelBuilder;
import io.grpc.Status;
import io.grpc.StatusRuntimeException;
import io.raftlock.config.NodeConfig;
import io.raftlock.proto.api.GetLockInfoRequest;
import io.raftlock.testing.LocalCluster;
import io.raftlock.testing.StockRaftLock;
import io.vertx.core.Vertx;
import io.vertx.core.json.JsonObject;
import java.math.BigDecimal;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

/**
 * What a refused client is told to do, through the real paths: the rate limiter's hint over the
 * WebSocket is a whole number of milliseconds and at least 1 ms (a token bucket refills in
 * microseconds at high rates), and a read that cannot be confirmed says to read again, not to
 * "retry with the same request_id".
 */
@Timeout(180)
class RetryHintsClusterTest {
  @TempDir Path root;

  @Test
  void aWebSocketRateLimitHintIsWholeMillisecondsAndAtLeastOne() throws Exception {
    // 2,000 tokens a second: the next token is due in at most 0.5 ms.
    NodeConfig.ClientApi api = new NodeConfig.ClientApi("forward", 2_000, 1, 1000, 5000, 5000);
    Vertx vertx = Vertx.vertx();
    try (LocalCluster cluster = new LocalCluster(1, root, c -> RateLimitClusterTest.withApi(c, api)).start()) {
      WsTestClient ws = WsTestClient.connect(vertx, cluster.clientPort(cluster.awaitLeader()));
      int flood = 200;
      for (int i = 0; i < flood; i++) {
        ws.send("{\"id\":\"" + i + "\",\"op\":\"acquire\",\"request\":{\"lockId\":\"hint-" + i
            + "\",\"clientId\":\"flooder\",\"ttl\":\"30s\"}}");
      }
      List<String> hints = new ArrayList<>();
      for (int i = 0; i < flood; i++) {
        JsonObject reply = ws.next();
        JsonObject error = reply.getJsonObject("error");
        if (error != null) {
          assertEquals("RATE_LIMITED", error.getString("code"), reply.encode());
          hints.add(error.getString("retryAfter"));
        }
      }
      assertFalse(hints.isEmpty(), "a burst of 1 admits one request at once: the flood was limited");
      for (String hint : hints) {
        BigDecimal ms = new BigDecimal(hint.substring(0, hint.length() - 1)).movePointRight(3);
        assertTrue(ms.stripTrailingZeros().scale() <= 0 && ms.compareTo(BigDecimal.ONE) >= 0,
            "retryAfter " + hint + " is not a whole number of milliseconds >= 1");
      }
      ws.close();
    } finally {
      vertx.close().await();
    }
  }

  @Test
  void aReadThatCannotBeConfirmedSaysReadAgainNotRetryWithTheSameRequestId() throws Exception {
    // Reads time out after 500 ms; the leader notices the lost quorum only after 2-4 s (200 ticks
    // of 10 ms), so the read below is in flight on a leader that cannot confirm it.
    NodeConfig.ClientApi api = new NodeConfig.ClientApi("forward", 100, 200, 1000, 500, 5000);
    try (LocalCluster cluster = new LocalCluster(3, root, c -> new NodeConfig(c.nodeId(), c.dataDir(), c.members(),
        c.tickMs(), 200, c.heartbeatTicks(), c.maxInflight(), c.maxEntriesPerAppend(), c.maxBytesPerAppend(),
        c.snapshotEveryEntries(), c.snapshotKeepEntries(), c.syncDurableMarkBeforeAck(), c.eventLoops(), api))
        .start()) {
      String leader = cluster.awaitLeader();
      for (String id : cluster.ids()) {
        if (!id.equals(leader)) {
          cluster.stop(id);
        }
      }
      ManagedChannel channel = ManagedChannelBuilder.forAddress("127.0.0.1", cluster.clientPort(leader))
          .usePlaintext().build();
      try {
        StockRaftLock c = new StockRaftLock(channel, 30_000);
        StatusRuntimeException e = org.junit.jupiter.api.Assertions.assertThrows(StatusRuntimeException.class,
            () -> c.getLockInfo(GetLockInfoRequest.newBuilder().setLockId("unconfirmed").build()));
        Status s = e.getStatus();
        assertNotNull(s.getDescription(), s.toString());
        assertFalse(s.getDescription().contains("request_id"), "a read has no request_id: " + s);
        assertTrue(s.getDescription().contains("read again"), s.toString());
        assertNotNull(StockRaftLock.trailer(e, StockRaftLock.RETRY_AFTER_MS), "a retryable refusal: " + s);
      } finally {
        channel.shutdownNow().awaitTermination(10, TimeUnit.SECONDS);
      }
    }
  }
}
