package io.raftlock.cli;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import io.raftlock.lock.LockCommand;
import io.raftlock.lock.LockStateMachine;
import io.raftlock.raft.ClusterConfig;
import io.raftlock.raft.PersistentState;
import io.raftlock.raft.Snapshot;
import io.raftlock.raft.SnapshotMeta;
import io.raftlock.storage.ChronicleRaftStorage;
import io.raftlock.storage.SnapshotFile;
import io.raftlock.storage.StorageOptions;
import io.raftlock.testing.FreePorts;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.List;
import java.util.Map;
import java.util.Set;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * {@code snapshot restore} and {@code status} on files alone: what a restored data directory
 * holds when a node recovers it, and the refusals (a foreign, truncated or damaged file, a
 * non-empty data directory, a member outside the cluster) that write nothing.
 */
class SnapshotRestoreTest {
  static final long INDEX = 40;
  static final long TERM = 3;
  @TempDir Path root;
  Path file;
  final CliRun cli = new CliRun();

  @BeforeEach
  void backup() throws Exception {
    System.setProperty("chronicle.analytics.disable", "true");
    LockStateMachine sm = new LockStateMachine();
    sm.apply(INDEX, new LockCommand.Acquire("jobs/nightly", "worker-1", 60_000, false, 0, 0, null, "",
        1_700_000_000_000L));
    file = root.resolve("backup.rlsnap");
    SnapshotFile.write(file, new Snapshot(new SnapshotMeta(INDEX, TERM,
        ClusterConfig.ofVoters(Set.of("node-1", "node-2", "node-3")).withLearner("node-4")), sm.snapshot()),
        "node-2", true, "2030-01-01T00:00:00Z");
  }

  int run(String... args) {
    return cli.run(args);
  }

  JsonNode json() throws Exception {
    return cli.json();
  }

  static PersistentState recover(Path dataDir) throws Exception {
    ChronicleRaftStorage storage = new ChronicleRaftStorage(StorageOptions.defaults(dataDir).withReserveBytes(0));
    try {
      return storage.recover();
    } finally {
      storage.close();
    }
  }

  @Test
  void restoreWritesADataDirectoryANodeRecoversAsAnInstalledSnapshot() throws Exception {
    Path dir = root.resolve("node-1");
    assertEquals(Cli.OK, run("snapshot", "restore", file.toString(), "--data-dir", dir.toString(),
        "--node-id", "node-1", "--json"), cli.err());
    assertEquals("[\"node-4\"]", json().get("droppedLearners").toString());
    PersistentState s = recover(dir);
    assertEquals(INDEX, s.snapshot().index());
    assertEquals(TERM + 1, s.snapshot().term(), "a fresh term");
    assertEquals(ClusterConfig.ofVoters(Set.of("node-1", "node-2", "node-3")), s.snapshot().meta().config());
    assertEquals(TERM + 1, s.hardState().currentTerm());
    assertEquals(null, s.hardState().votedFor());
    assertEquals(INDEX, s.hardState().commitIndex());
    assertTrue(s.entries().isEmpty());
    assertEquals(1, LockStateMachine.restore(s.snapshot().data()).stats().activeLocks());

    // Other members: --initial-cluster rewrites the voters; --name is --node-id.
    Path other = root.resolve("a");
    assertEquals(Cli.OK, run("snapshot", "restore", file.toString(), "--data-dir", other.toString(),
        "--name", "a", "--initial-cluster", "a,b,c"));
    assertEquals(ClusterConfig.ofVoters(Set.of("a", "b", "c")), recover(other).snapshot().meta().config());
  }

  @Test
  void statusShowsWhatTheFileHolds() throws Exception {
    assertEquals(Cli.OK, run("snapshot", "status", file.toString(), "--json"));
    JsonNode j = json();
    assertEquals(INDEX, j.get("index").asLong());
    assertEquals(TERM, j.get("term").asLong());
    assertEquals(1, j.get("locks").asInt());
    assertEquals("node-2", j.get("node").asText());
    assertEquals(Cli.OK, run("snapshot", "status", file.toString()));
    assertTrue(cli.out().contains("1 locks held"));
  }

  @Test
  void badFilesAreRefusedWithTheirReasonAndWriteNothing() throws Exception {
    byte[] good = Files.readAllBytes(file);
    Path truncated = root.resolve("truncated.rlsnap");
    Files.write(truncated, Arrays.copyOf(good, good.length - 10));
    Path damaged = root.resolve("damaged.rlsnap");
    byte[] flipped = good.clone();
    flipped[flipped.length - 20] ^= 0x40;
    Files.write(damaged, flipped);
    Path foreign = root.resolve("notes.txt");
    Files.writeString(foreign, "not a snapshot\n");
    Path future = root.resolve("future.rlsnap");
    Files.write(future, new String(good, StandardCharsets.ISO_8859_1).replaceFirst("\"version\":1", "\"version\":9")
        .getBytes(StandardCharsets.ISO_8859_1));
    Path edited = root.resolve("edited.rlsnap");
    Files.write(edited, new String(good, StandardCharsets.ISO_8859_1).replaceFirst("\"index\":40", "\"index\":41")
        .getBytes(StandardCharsets.ISO_8859_1));
    Path missing = root.resolve("missing.rlsnap");
    Map<Path, String> reasons = Map.of(truncated, "TRUNCATED", damaged, "CORRUPT", foreign, "NOT_A_SNAPSHOT",
        future, "UNSUPPORTED_VERSION", edited, "HEADER_MISMATCH", missing, "UNREADABLE");
    for (Map.Entry<Path, String> e : reasons.entrySet()) {
      Path dir = root.resolve("dir-" + e.getValue());
      assertEquals(Cli.REFUSED, run("snapshot", "restore", e.getKey().toString(), "--data-dir", dir.toString(),
          "--node-id", "node-1", "--json"), e.getValue());
      assertEquals(e.getValue(), json().get("error").get("code").asText(), json().toString());
      assertFalse(Files.exists(dir), "nothing written for " + e.getValue());
      assertEquals(Cli.REFUSED, run("snapshot", "status", e.getKey().toString()));
      assertTrue(cli.err().contains(e.getKey().toString()), e.getValue());
    }
  }

  @Test
  void aNonEmptyDataDirectoryOrAMemberOutsideTheClusterIsRefused() throws Exception {
    Path dir = Files.createDirectories(root.resolve("busy"));
    Path kept = Files.writeString(dir.resolve("hardstate"), "a member's state");
    assertEquals(Cli.REFUSED, run("snapshot", "restore", file.toString(), "--data-dir", dir.toString(),
        "--node-id", "node-1", "--json"));
    assertEquals("DATA_DIR_NOT_EMPTY", json().get("error").get("code").asText());
    assertEquals(List.of(kept), Files.list(dir).toList(), "the directory is as it was");
    assertEquals("a member's state", Files.readString(kept));

    Path fresh = root.resolve("fresh");
    assertEquals(Cli.USAGE, run("snapshot", "restore", file.toString(), "--data-dir", fresh.toString(),
        "--node-id", "node-4"));
    assertTrue(cli.err().contains("not a voter"));
    assertEquals(Cli.USAGE, run("snapshot", "restore", file.toString(), "--data-dir", fresh.toString(),
        "--node-id", "a", "--initial-cluster", "a,a b"));
    assertEquals(Cli.USAGE, run("snapshot", "restore", file.toString(), "--node-id", "node-1"), "--data-dir required");
    assertFalse(Files.exists(fresh));
  }

  @Test
  void saveFromAnUnreachableMemberExitsThreeAndWritesNothing() {
    Path out = root.resolve("never.rlsnap");
    assertEquals(Cli.UNAVAILABLE, run("snapshot", "save", out.toString(), "--endpoint",
        "127.0.0.1:" + FreePorts.next(), "--timeout", "1s"));
    assertTrue(cli.err().contains("cluster unavailable"));
    assertFalse(Files.exists(out));
    assertEquals(Cli.USAGE, run("snapshot", "save", root.toString(), "--endpoint", "127.0.0.1:1"), "FILE is a directory");
  }

  @Test
  void theSubcommandsHaveHelpAndCompletion() {
    assertEquals(Cli.OK, run("snapshot", "restore", "--help"));
    assertTrue(cli.out().contains("--initial-cluster"));
    assertEquals(Cli.OK, run("snapshot", "save", "--help"));
    assertTrue(cli.out().contains("--stale"));
    assertEquals(Cli.USAGE, run("snapshot"));
    assertEquals(Cli.USAGE, run("snapshot", "restor"));
    assertTrue(cli.err().contains("restore"), "a typo suggestion");
    assertEquals(Cli.OK, run("completion", "bash"));
    String script = cli.out();
    assertTrue(script.contains("snapshot") && script.contains("--data-dir"), "completion covers the command");
  }
}
