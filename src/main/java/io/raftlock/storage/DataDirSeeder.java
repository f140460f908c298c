package io.raftlock.storage;

import io.raftlock.raft.PersistBatch;
import io.raftlock.raft.PersistentState;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Comparator;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ExecutionException;
import java.util.stream.Stream;

/**
 * Writes a new member's data directory from a {@link RestorePlan}, offline, through the storage a
 * node runs on: {@link ChronicleRaftStorage} persists the plan's snapshot and hard state as one
 * batch, exactly as a follower persists a snapshot installed from its leader. A node started on
 * the directory recovers that snapshot (and restores its state machine from it) with an empty log
 * after it. The directory is read back the same way before the seeder returns.
 *
 * <p>The directory must be absent or empty, and is held with the node's {@link DataDirLock}
 * while written. On any failure what was written is removed again, so a refused or failed restore
 * leaves the directory as it found it.
 */
public final class DataDirSeeder {
  private DataDirSeeder() {}

  /** The data directory exists and holds something: a restore never overwrites a member's state. */
  public static final class NotEmptyException extends IOException {
    private static final long serialVersionUID = 1L;

    NotEmptyException(Path dir, String what) {
      super("data directory " + dir + " " + what + "; a restore writes only a new, empty one");
    }
  }

  /** What the directory holds once written, as a node recovers it. */
  public record Seeded(long index, long term, long currentTerm, long commitIndex) {}

  /** Writes {@code plan} into {@code dataDir}; blocking. */
  public static Seeded seed(Path dataDir, RestorePlan plan) throws IOException {
    Path dir = dataDir.toAbsolutePath().normalize();
    refuseNonEmpty(dir);
    boolean created = !Files.exists(dir);
    try (DataDirLock lock = DataDirLock.acquire(dir)) {
      write(dir, plan);
      return readBack(dir, plan);
    } catch (IOException | RuntimeException e) {
      try {
        removeWritten(dir, created);
      } catch (UncheckedIOException x) {
        e.addSuppressed(x);
      }
      throw e;
    }
  }

  private static void refuseNonEmpty(Path dir) throws IOException {
    if (!Files.exists(dir)) {
      return;
    }
    if (!Files.isDirectory(dir)) {
      throw new NotEmptyException(dir, "is a file");
    }
    try (Stream<Path> entries = Files.list(dir)) {
      List<String> names = entries.map(p -> p.getFileName().toString()).sorted().limit(5).toList();
      if (!names.isEmpty()) {
        throw new NotEmptyException(dir, "is not empty (" + String.join(", ", names) + ")");
      }
    }
  }

  private static void write(Path dir, RestorePlan plan) throws IOException {
    ChronicleRaftStorage storage = new ChronicleRaftStorage(StorageOptions.defaults(dir).withReserveBytes(0));
    try {
      PersistentState empty = storage.recover();
      if (empty.lastIndex() != 0 || empty.snapshot() != null) {
        throw new IOException("data directory " + dir + " was not empty when opened");
      }
      CompletableFuture<Void> durable = new CompletableFuture<>();
      storage.persist(new PersistBatch(plan.hardState(), plan.snapshot(), List.of()), err -> {
        if (err == null) {
          durable.complete(null);
        } else {
          durable.completeExceptionally(err);
        }
      });
      durable.get();
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      throw new IOException("interrupted while writing " + dir, e);
    } catch (ExecutionException e) {
      throw new IOException("writing " + dir + " failed: " + e.getCause().getMessage(), e.getCause());
    } finally {
      storage.close();
    }
  }

  /** Recovers the directory as a starting node would, and checks it holds the plan. */
  private static Seeded readBack(Path dir, RestorePlan plan) throws IOException {
    ChronicleRaftStorage storage = new ChronicleRaftStorage(StorageOptions.defaults(dir).withReserveBytes(0));
    try {
      PersistentState s = storage.recover();
      boolean ok = storage.recoveryReport().clean() && s.snapshot() != null
          && s.snapshot().index() == plan.snapshot().index() && s.snapshot().term() == plan.snapshot().term()
          && s.snapshot().meta().config().equals(plan.snapshot().meta().config())
          && s.hardState().equals(plan.hardState()) && s.entries().isEmpty() && !s.lostDurableEntries();
      if (!ok) {
        throw new IOException("data directory " + dir + " does not read back as written: snapshot "
            + (s.snapshot() == null ? "none" : s.snapshot().meta()) + ", hard state " + s.hardState()
            + ", " + storage.recoveryReport());
      }
      return new Seeded(s.snapshot().index(), s.snapshot().term(), s.hardState().currentTerm(),
          s.hardState().commitIndex());
    } finally {
      storage.close();
    }
  }

  /** Deletes what the restore wrote: the directory's content, and the directory if it made it. */
  private static void removeWritten(Path dir, boolean created) {
    if (!Files.exists(dir)) {
      return;
    }
    try (Stream<Path> all = Files.walk(dir)) {
      for (Path p : all.sorted(Comparator.reverseOrder()).toList()) {
        if (created || !p.equals(dir)) {
          Files.deleteIfExists(p);
        }
      }
    } catch (IOException e) {
      throw new UncheckedIOException("restore failed and could not clean up " + dir + ": remove it by hand", e);
    }
  }
}
