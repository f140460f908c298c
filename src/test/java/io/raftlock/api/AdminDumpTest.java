package io.raftlock.api;

import static org.awaitility.Awaitility.await;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.raftlock.client.LockHandle;
import io.raftlock.client.RaftLockClient;
import io.raftlock.lock.LockCommand;
import io.raftlock.proto.admin.AdminGrpcClient;
import io.raftlock.proto.admin.CommittedEntry;
import io.raftlock.proto.admin.DumpCommittedRequest;
import io.raftlock.proto.admin.DumpCommittedResponse;
import io.raftlock.testing.LocalCluster;
import io.raftlock.testing.LogCommands;
import io.vertx.core.Vertx;
import io.vertx.grpc.client.GrpcClient;
import io.vertx.grpc.client.GrpcClientOptions;
import io.vertx.grpc.common.GrpcStatus;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

/**
 * {@code Admin/DumpCommitted} against a real 3-node cluster: the leader and a follower dump the
 * same committed entries, whose NORMAL payloads decode as the lock commands clients sent; equal
 * applied indexes give equal state hashes; paging returns the same entries; bad pages are refused
 * naming the field.
 */
@Timeout(120)
class AdminDumpTest {
  @TempDir static Path root;
  static LocalCluster cluster;
  static Vertx vertx;
  static GrpcClient grpc;
  static AdminCalls admin;

  @BeforeAll
  static void start() {
    cluster = new LocalCluster(3, root).start();
    vertx = Vertx.vertx();
    grpc = GrpcClient.client(vertx, new GrpcClientOptions().setMaxMessageSize(AdminApi.DUMP_MAX_BYTES * 2));
    admin = new AdminCalls(vertx, grpc, 5_000);
  }

  @AfterAll
  static void stop() {
    if (grpc != null) {
      grpc.close().transform(x -> vertx.close()).await();
    }
    if (cluster != null) {
      cluster.close();
    }
  }

  static String address(String id) {
    return "127.0.0.1:" + cluster.clientPort(id);
  }

  static DumpCommittedResponse page(String id, DumpCommittedRequest r) {
    return admin.call(address(id), AdminGrpcClient.DumpCommitted, r).await();
  }

  /** Every committed entry of {@code id} from {@code from}, paged {@code pageEntries} at a time. */
  static List<CommittedEntry> all(String id, long from, int pageEntries, DumpCommittedResponse[] header) {
    DumpCommittedResponse first = page(id, DumpCommittedRequest.newBuilder().setFrom(from).setMaxEntries(pageEntries).build());
    header[0] = first;
    List<CommittedEntry> out = new ArrayList<>(first.getEntriesList());
    DumpCommittedResponse p = first;
    while (p.getNextFrom() != 0) {
      assertTrue(p.getEntriesCount() <= pageEntries);
      p = page(id, DumpCommittedRequest.newBuilder().setFrom(p.getNextFrom()).setTo(first.getCommitIndex())
          .setMaxEntries(pageEntries).build());
      out.addAll(p.getEntriesList());
    }
    return out;
  }

  @Test
  void leaderAndFollowerDumpTheSameCommittedLog() {
    String leader = cluster.awaitLeader();
    String follower = cluster.follower();
    List<String> eps = cluster.ids().stream().map(AdminDumpTest::address).toList();
    Map<String, Long> tokens = new HashMap<>();
    try (RaftLockClient c = RaftLockClient.builder().endpoints(eps).clientId("dumper").build()) {
      for (String lock : List.of("dump-a", "dump-b", "dump-c")) {
        LockHandle h = c.lock(lock, Duration.ofSeconds(60));
        tokens.put(lock, h.token());
      }
      LockHandle b = c.lock("dump-b2", Duration.ofSeconds(60));
      assertTrue(c.unlock(b));
    }

    // Replication to the follower is asynchronous: wait until both applied the same index.
    DumpCommittedResponse[] fromLeader = new DumpCommittedResponse[1];
    DumpCommittedResponse[] fromFollower = new DumpCommittedResponse[1];
    List<List<CommittedEntry>> logs = new ArrayList<>();
    await().atMost(Duration.ofSeconds(20)).untilAsserted(() -> {
      logs.clear();
      logs.add(all(leader, 0, 10_000, fromLeader));
      logs.add(all(follower, 0, 10_000, fromFollower));
      assertEquals(fromLeader[0].getAppliedIndex(), fromFollower[0].getAppliedIndex());
      assertEquals(fromLeader[0].getCommitIndex(), fromFollower[0].getCommitIndex());
    });
    DumpCommittedResponse h = fromLeader[0];
    assertEquals(leader, h.getNodeId());
    assertEquals(follower, fromFollower[0].getNodeId());
    assertEquals(1, h.getFirstIndex(), "no snapshot was taken: the whole log is there");
    assertTrue(h.getStateHash().matches("[0-9a-f]{16}"), h.getStateHash());
    assertEquals(h.getStateHash(), fromFollower[0].getStateHash(), "same applied index, same state");
    assertEquals(Long.parseUnsignedLong(h.getStateHash(), 16),
        cluster.node(leader).stateHash().await(), "the hash is the state machine's");
    assertEquals(logs.get(0), logs.get(1), "the same committed entries on both");

    List<CommittedEntry> log = logs.get(0);
    assertEquals(h.getCommitIndex(), log.size());
    for (int i = 0; i < log.size(); i++) {
      assertEquals(i + 1, log.get(i).getIndex());
    }
    Map<String, Long> firstAcquire = new HashMap<>();
    for (CommittedEntry e : log) {
      assertTrue(List.of("NORMAL", "NOOP", "CONFIG").contains(e.getType()), e.getType());
      if (e.getType().equals("NORMAL")) {
        LockCommand cmd = LogCommands.decode(e.getData().toByteArray());
        if (cmd instanceof LockCommand.Acquire a && a.clientId().equals("dumper")) {
          firstAcquire.putIfAbsent(a.lockId(), e.getIndex());
        }
      }
    }
    assertEquals(java.util.Set.of("dump-a", "dump-b", "dump-c", "dump-b2"), firstAcquire.keySet());
    // The fencing token of a granted acquire is the index of its entry (a retry is deduplicated).
    tokens.forEach((lock, token) -> assertEquals(token, firstAcquire.get(lock), lock));
    assertTrue(log.stream().anyMatch(e -> e.getType().equals("NORMAL")
        && LogCommands.decode(e.getData().toByteArray()) instanceof LockCommand.Release r
        && r.lockId().equals("dump-b2")));

    // Pages of two entries, from index 3: the same entries as one page.
    DumpCommittedResponse[] paged = new DumpCommittedResponse[1];
    List<CommittedEntry> small = all(follower, 3, 2, paged);
    assertEquals(paged[0].getCommitIndex() - 2, small.size());
    assertTrue(small.size() >= log.size() - 2);
    assertEquals(log.subList(2, log.size()), small.subList(0, log.size() - 2));
    // Past the commit index: the header alone.
    DumpCommittedResponse beyond = page(leader, DumpCommittedRequest.newBuilder().setFrom(1_000_000).build());
    assertEquals(0, beyond.getEntriesCount());
    assertEquals(0, beyond.getNextFrom());
  }

  @Test
  void badPagesAreRefusedNamingTheField() {
    String node = cluster.ids().get(0);
    Map<String, DumpCommittedRequest> bad = Map.of(
        "from", DumpCommittedRequest.newBuilder().setFrom(-1).build(),
        "to", DumpCommittedRequest.newBuilder().setTo(-5).build(),
        "max_entries", DumpCommittedRequest.newBuilder().setMaxEntries(AdminApi.DUMP_MAX_ENTRIES + 1).build(),
        "max_bytes", DumpCommittedRequest.newBuilder().setMaxBytes(-1).build());
    bad.forEach((field, request) -> {
      AdminCalls.Failure f = assertInstanceOf(AdminCalls.Failure.class,
          assertThrows(RuntimeException.class, () -> page(node, request)));
      assertEquals(GrpcStatus.INVALID_ARGUMENT, f.status, field);
      assertEquals(field, f.field);
      assertTrue(f.getMessage().contains(field), f.getMessage());
    });
  }
}
