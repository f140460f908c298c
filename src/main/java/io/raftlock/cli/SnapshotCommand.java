package io.raftlock.cli;

import com.fasterxml.jackson.databind.node.ObjectNode;
import io.raftlock.lock.LockStateMachine;
import io.raftlock.lock.LockStats;
import io.raftlock.storage.DataDirLock;
import io.raftlock.storage.DataDirSeeder;
import io.raftlock.storage.RestorePlan;
import io.raftlock.storage.SnapshotFile;
import io.raftlock.storage.SnapshotFileException;
import java.io.IOException;
import java.nio.file.Path;
import java.time.Instant;
import java.util.List;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.ParameterException;
import picocli.CommandLine.Parameters;
import picocli.CommandLine.Spec;

/**
 * {@code snapshot save|restore|status}: backups as etcd takes them. {@code save} asks a running
 * cluster ({@link SnapshotSave}); {@code restore} and {@code status} work on the file alone and
 * contact no cluster, like {@code etcdutl}.
 */
@Command(name = "snapshot",
    header = "back up and restore: snapshot save|restore|status",
    customSynopsis = {
        "raftlock snapshot save FILE [--endpoint H:P] [--stale]",
        "       raftlock snapshot restore FILE --data-dir DIR --node-id ID [--initial-cluster ID,...]",
        "       raftlock snapshot status FILE"},
    description = {
        "save copies a running cluster's committed state to FILE. restore writes a new member's data directory "
            + "from FILE, offline: run it once per member of the new cluster, with the same FILE and members, then "
            + "start each member on its directory. status verifies FILE and shows what it holds.",
        "Exit 1 when FILE is refused (not a snapshot, truncated, damaged) or the data directory is not empty; "
            + "nothing is written then."},
    subcommands = {SnapshotSave.class, SnapshotCommand.Restore.class, SnapshotCommand.Status.class})
final class SnapshotCommand implements Callable<Integer> {
  @Spec CommandSpec spec;

  @Option(names = {"-h", "--help"}, usageHelp = true, description = "this help")
  boolean help;

  @Override
  public Integer call() {
    throw new ParameterException(spec.commandLine(), "missing ACTION (save, restore or status)");
  }

  /** A command on a file alone: no cluster, so no common options but --json. */
  abstract static class Offline extends CliCommand {
    @Parameters(index = "0", paramLabel = "FILE", description = "a file written by 'raftlock snapshot save'")
    Path file;

    @Option(names = "--json", description = "machine-readable output on stdout (one JSON document)")
    boolean json;

    @Option(names = {"-h", "--help"}, usageHelp = true, description = "this help")
    boolean help;

    @Override
    final CommonOptions common() {
      throw new IllegalStateException("an offline command has no common options");
    }

    @Override
    final CliContext context() {
      return CliContext.offline(Cli.commandName(spec), io, json);
    }

    /** FILE, verified, with its state machine decoded: a file whose state cannot be read is CORRUPT. */
    SnapshotFile.Loaded load() throws SnapshotFileException {
      SnapshotFile.Loaded l = SnapshotFile.read(file);
      try {
        LockStateMachine.restore(l.snapshot().data());
      } catch (RuntimeException e) { // LockCodecException, or a malformed length
        throw new SnapshotFileException(SnapshotFileException.Reason.CORRUPT,
            "the state-machine bytes cannot be read: " + e.getMessage(), e);
      }
      return l;
    }

    /** A refusal: exit 1, with its reason as the error code. */
    static int refused(CliContext c, String code, String message) {
      if (c.json) {
        ObjectNode j = Output.object();
        j.putObject("error").put("code", code).put("message", message).put("exitCode", Cli.REFUSED);
        c.out.println(j);
      } else {
        c.err.println(c.command + ": " + message);
      }
      return Cli.REFUSED;
    }
  }

  @Command(name = "restore",
      header = "write a new member's data directory from FILE (offline)",
      customSynopsis = "raftlock snapshot restore FILE --data-dir DIR --node-id ID [--initial-cluster ID,...]",
      description = {
          "Verifies FILE, then writes DIR (absent or empty) as the data directory of member ID of a new cluster, "
              + "as if that member had installed the snapshot from a leader. Contacts no cluster.",
          "The new cluster's voters are --initial-cluster, by default the voters in FILE; learners are not kept. "
              + "Its log continues after FILE's index (so new fencing tokens are above every token in FILE), in "
              + "a fresh term (FILE's term + 1). Restore every member from the same FILE with the same "
              + "--initial-cluster, give each a config file listing exactly those ids, then start them all.",
          "Leases: held locks and sessions come back as they were at the save; the new cluster's first leader "
              + "gives each a full TTL from its takeover, as after any leader change, and expires those not "
              + "renewed in that time."})
  static final class Restore extends Offline {
    @Option(names = "--data-dir", required = true, paramLabel = "DIR",
        description = "the new member's data directory: must not exist, or be empty")
    Path dataDir;

    @Option(names = {"--node-id", "--name"}, required = true, paramLabel = "ID",
        description = "the new member's id (its config file's nodeId); must be one of the voters")
    String nodeId;

    @Option(names = "--initial-cluster", split = ",", paramLabel = "ID,...",
        description = "the new cluster's voters (default: the voters in FILE)")
    List<String> initialCluster;

    @Override
    int run(CliContext c) {
      if (System.getProperty("chronicle.analytics.disable") == null) {
        System.setProperty("chronicle.analytics.disable", "true"); // before the log's classes load
      }
      SnapshotFile.Loaded l;
      try {
        l = load();
      } catch (SnapshotFileException e) {
        return refused(c, e.reason().name(), file + ": " + e.getMessage());
      }
      RestorePlan plan;
      try {
        plan = RestorePlan.of(l.snapshot(), nodeId, initialCluster);
      } catch (IllegalArgumentException e) {
        throw new UsageException(e.getMessage());
      }
      DataDirSeeder.Seeded s;
      try {
        s = DataDirSeeder.seed(dataDir, plan);
      } catch (DataDirSeeder.NotEmptyException e) {
        return refused(c, "DATA_DIR_NOT_EMPTY", e.getMessage());
      } catch (DataDirLock.InUseException e) {
        return refused(c, "DATA_DIR_IN_USE", e.getMessage() + "; a restore writes only a directory no node uses");
      } catch (IOException | RuntimeException e) {
        c.err.println(c.command + ": cannot write " + dataDir + ": " + e.getMessage());
        return Cli.INTERNAL;
      }
      List<String> voters = List.copyOf(plan.snapshot().meta().config().voters());
      c.print(() -> {
        ObjectNode j = Output.object().put("dataDir", dataDir.toString()).put("nodeId", nodeId)
            .put("index", s.index()).put("term", s.term()).put("savedTerm", l.header().term());
        voters.forEach(j.putArray("voters")::add);
        l.header().learners().forEach(j.putArray("droppedLearners")::add);
        return j;
      }, "restored " + nodeId + " into " + dataDir + ": index " + s.index() + ", term " + s.term()
          + " (saved in term " + l.header().term() + "); voters " + voters
          + (l.header().learners().isEmpty() ? "" : "; learners " + l.header().learners() + " not kept"));
      return Cli.OK;
    }
  }

  @Command(name = "status",
      header = "verify FILE and show what it holds",
      customSynopsis = "raftlock snapshot status FILE",
      description = "Checks FILE as restore does (header, length, SHA-256, the snapshot's own checksum and "
          + "encoding) and prints its index, term, members, size and contents: locks held, sessions, whether "
          + "auth is on. Exit 1 when FILE is refused.")
  static final class Status extends Offline {
    @Override
    int run(CliContext c) {
      SnapshotFile.Loaded l;
      try {
        l = load();
      } catch (SnapshotFileException e) {
        return refused(c, e.reason().name(), file + ": " + e.getMessage());
      }
      SnapshotFile.Header h = l.header();
      LockStateMachine sm = LockStateMachine.restore(l.snapshot().data());
      LockStats stats = sm.stats();
      c.print(() -> {
        ObjectNode j = Output.json().valueToTree(h);
        j.put("locks", stats.activeLocks()).put("sessions", stats.sessions()).put("authEnabled", sm.acl().enabled())
            .put("stateTime", Instant.ofEpochMilli(stats.smTimeMs()).toString())
            .put("stateHash", String.format("%016x", sm.stateHash()));
        return j;
      }, file + ": index " + h.index() + ", term " + h.term() + ", voters " + h.voters()
          + (h.learners().isEmpty() ? "" : ", learners " + h.learners()) + "\n"
          + "saved from " + h.node() + " at " + h.savedAt() + (h.linearizable() ? "" : " (stale)") + ", "
          + h.bodyBytes() + " bytes, SHA-256 " + h.bodySha256() + "\n"
          + stats.activeLocks() + " locks held, " + stats.sessions() + " sessions, auth "
          + (sm.acl().enabled() ? "on" : "off") + ", state time " + Instant.ofEpochMilli(stats.smTimeMs()));
      return Cli.OK;
    }
  }
}
