package io.raftlock.storage;

import io.raftlock.raft.PersistBatch;
import io.raftlock.raft.PersistentState;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.DirectoryNotEmptyException;
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

  /**
   * Writes {@code plan} into {@code dataDir}; blocking. The directory is locked before anything is
   * written and checked again under the lock: a node that took it in the meantime makes this
   * fail with nothing touched, and what is removed after a failure is only what this restore
   * wrote while it held the lock.
   */
  public static Seeded seed(Path dataDir, RestorePlan plan) throws IOException {
    Path dir = dataDir.toAbsolutePath().normalize();
    refuseNonEmpty(dir, false);
    boolean created = !Files.exists(dir);
    DataDirLock lock = DataDirLock.acquire(dir); // held by a node: refused, nothing touched
    boolean written = false;
    try {
      refuseNonEmpty(dir, true); // someone wrote here before the lock: theirs, left alone
      try {
        write(dir, plan);
        Seeded seeded = readBack(dir, plan);
        written = true;
        return seeded;
      } catch (IOException | RuntimeException e) {
        removeWritten(dir, e);
        throw e;
      }
    } finally {
      release(lock, dir, created, written);
    }
  }

  /** Refuses a directory with content ({@code locked}: besides the lock file this restore holds). */
  private static void refuseNonEmpty(Path dir, boolean locked) throws IOException {
    if (!Files.exists(dir)) {
      return;
    }
    if (!Files.isDirectory(dir)) {
      throw new NotEmptyException(dir, "is a file");
    }
    try (Stream<Path> entries = Files.list(dir)) {
      List<String> names = entries.map(p -> p.getFileName().toString())
          .filter(n -> !locked || !n.equals(DataDirLock.FILE_NAME)).sorted().limit(5).toList();
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

  /** After a failure, under the lock: deletes what the restore wrote (all but the lock file). */
  private static void removeWritten(Path dir, Exception failure) {
    try (Stream<Path> all = Files.walk(dir)) {
      for (Path p : all.sorted(Comparator.reverseOrder()).toList()) {
        if (!p.equals(dir) && !p.equals(dir.resolve(DataDirLock.FILE_NAME))) {
          Files.deleteIfExists(p);
        }
      }
    } catch (IOException e) {
      failure.addSuppressed(new UncheckedIOException("restore failed and could not clean up " + dir
          + ": remove it by hand", e));
    }
  }

  /**
   * Releases the lock. Unless the directory was written, its lock file goes first (deleted while
   * held, so it is ours), then the directory if this restore created it and nobody else wrote in it.
   */
  private static void release(DataDirLock lock, Path dir, boolean created, boolean written) throws IOException {
    if (!written) {
      Files.deleteIfExists(dir.resolve(DataDirLock.FILE_NAME));
    }
    lock.close();
    if (!written && created) {
      try {
        Files.deleteIfExists(dir);
      } catch (DirectoryNotEmptyException someoneElses) {
        // A node started here after the lock was released: its directory now.
      }
    }
  }
}
