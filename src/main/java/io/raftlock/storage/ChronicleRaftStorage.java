package io.raftlock.storage;

import io.raftlock.raft.Entry;
import io.raftlock.raft.PersistBatch;
import io.raftlock.raft.PersistentState;
import io.raftlock.raft.RaftStorage;
import io.raftlock.raft.Snapshot;
import java.io.IOException;
import java.nio.file.Files;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.function.Consumer;

/**
 * {@link RaftStorage} on Chronicle Queue: the log in {@code log/} ({@link ChronicleLog}), term, vote,
 * commit and durable mark in {@code hardstate} ({@link HardStateFile}), snapshots in
 * {@code snapshots/} ({@link SnapshotStore}).
 *
 * <p>Durable mark: the hard-state file also keeps the most up-to-date (term, index), in Raft's log
 * order, that the log reached at the end of any batch; it never falls. {@code recover()} returns it
 * as {@code durableLastIndex/durableLastTerm}; a verified log below it lost acknowledged entries
 * ({@code PersistentState.lostDurableEntries()}), and the core must not campaign until repaired.
 *
 * <p>Threads: {@link #persist} and {@link #saveSnapshot} may be called from any thread (normally
 * the Raft event loop); they only enqueue and never block or lock. All disk writes run on the
 * {@code raft-log-writer} thread ({@link LogWriter}), which also runs every completion, in FIFO
 * order; the caller hops back to its own context. Local snapshots are written on a second thread,
 * {@code raft-snapshot-writer}, so a large snapshot never delays a group commit.
 *
 * <p>Fail-stop: after any disk error, or a batch refused by the space guard, every pending and
 * later batch completes with that cause and nothing is written again; the node must stop and log
 * {@link #failure()}.
 *
 * <p>Space guard: {@link #belowSpaceReserve()} is a cheap volatile read the driver checks before
 * accepting a client proposal (refuse it with a retry hint). If a batch with entries arrives
 * anyway while below the reserve, it completes with {@link StorageFullException}, earlier batches
 * are still synced, and the store stops.
 */
public final class ChronicleRaftStorage implements RaftStorage {
  private static final System.Logger LOG = System.getLogger(ChronicleRaftStorage.class.getName());

  private final StorageOptions options;
  private ChronicleLog log;
  private HardStateFile hardStateFile;
  private ExecutorService snapshotThread;
  private volatile LogWriter writer;
  private volatile RecoveryReport report;
  private volatile Observer observer = Observer.NONE;

  /**
   * What the store reports to the metrics layer, from its own threads (the log writer, the
   * snapshot writer): implementations must be cheap, thread-safe and must not throw.
   */
  public interface Observer {
    Observer NONE = new Observer() {};

    /** One persist batch of {@code entries} entries was appended (writer thread). */
    default void appended(int entries) {}

    /** One log sync took {@code nanos} and made {@code entries} appended entries durable. */
    default void synced(int entries, long nanos) {}

    /**
     * The hard-state file (term, vote, commit index, durable mark) was rewritten and synced in
     * {@code nanos}, on the writer thread.
     */
    default void hardStateWritten(long nanos) {}

    /**
     * A snapshot of {@code bytes} was written durably in {@code nanos}: produced here
     * ({@code fromLeader} false) or installed from the leader.
     */
    default void snapshotWritten(long bytes, long nanos, boolean fromLeader) {}
  }

  public ChronicleRaftStorage(StorageOptions options) {
    this.options = options;
  }

  /** Reports appends, syncs and snapshot writes to {@code observer} (metrics); any time. */
  public void observeWith(Observer observer) {
    this.observer = java.util.Objects.requireNonNull(observer, "observer");
    LogWriter w = writer;
    if (w != null) {
      w.observeWith(observer);
    }
  }

  @Override
  public PersistentState recover() throws IOException {
    if (writer != null || log != null) {
      throw new IllegalStateException("recover() runs once, before anything else");
    }
    Files.createDirectories(options.dataDir());
    hardStateFile = HardStateFile.open(options.dataDir());
    SnapshotStore snapshots = new SnapshotStore(options.dataDir().resolve("snapshots"),
        options.snapshotsKept());
    snapshots.deleteTempFiles();
    List<BadFrame> problems = new ArrayList<>();
    Snapshot snap = snapshots.newest(msg -> problems.add(new BadFrame("snapshots", -1, -1, msg)));
    log = ChronicleLog.open(options.dataDir(), options.segmentEntries(), problems);
    Fsync.directory(options.dataDir()); // log/ and snapshots/ may have just been created
    log.recover(problems);
    Recovered r = assemble(snap, problems);
    HardStateFile.Stored hs = hardStateFile.current();
    PersistentState state = new PersistentState(
        hs.hardState(), snap, r.entries, hs.durableIndex(), hs.durableTerm());
    if (state.lostDurableEntries()) {
      problems.add(new BadFrame(log.dir().toString(), -1, r.lastIndex + 1, "the verified log ends at "
          + state.lastTerm() + "/" + r.lastIndex + " below the durable mark " + hs.durableTerm() + "/"
          + hs.durableIndex()));
    }
    report = new RecoveryReport(problems, r.snapIndex, state.lastTerm(), r.lastIndex,
        hs.durableTerm(), hs.durableIndex());
    if (!report.clean()) {
      LOG.log(System.Logger.Level.WARNING, "raft log recovery: " + report);
    }
    startWriter(snapshots, snap, r);
    return state;
  }

  private record Recovered(long snapIndex, long lastIndex, List<Entry> entries, long truncateFrom) {}

  /**
   * Cuts the replayed index down to the log the core gets: the contiguous run right after the
   * snapshot. A log whose entry at the snapshot index has another term is discarded (the snapshot
   * came from a leader, Raft paper §7); entries after a gap are dropped. Either decision is then
   * written as a truncation marker so later replays agree even after compaction.
   */
  private Recovered assemble(Snapshot snap, List<BadFrame> problems) {
    LogIndex index = log.index();
    long s = snap == null ? 0 : snap.index();
    long truncateFrom = -1;
    if (snap != null && index.term(s) >= 0 && index.term(s) != snap.term()) {
      truncateFrom = s;
      index.truncateFrom(s);
    }
    List<Entry> entries = new ArrayList<>(index.entriesFrom(s + 1));
    long last = entries.isEmpty() ? s : entries.get(entries.size() - 1).index();
    if (index.lastIndex() > last) {
      problems.add(new BadFrame(log.dir().toString(), -1, last + 1, "entry " + (last + 1)
          + " is missing: dropping the later entries up to " + index.lastIndex()));
      truncateFrom = truncateFrom < 0 ? last + 1 : truncateFrom;
    }
    index.retainRunFrom(s + 1);
    index.dropEntries();
    return new Recovered(s, last, entries, truncateFrom);
  }

  private void startWriter(SnapshotStore snapshots, Snapshot snap, Recovered r) throws IOException {
    snapshotThread = Executors.newSingleThreadExecutor(task -> {
      Thread t = new Thread(task, "raft-snapshot-writer");
      t.setDaemon(true);
      return t;
    });
    LogWriter w = new LogWriter(log, hardStateFile, snapshots, snapshotThread,
        r.snapIndex, snap == null ? 0 : snap.term(), options.markBeforeAck());
    w.observeWith(observer);
    if (r.truncateFrom > 0) {
      long term = Math.max(1, hardStateFile.current().hardState().currentTerm());
      w.submit(new Tasks.Truncate(term, r.truncateFrom));
    }
    w.start();
    writer = w;
  }

  @Override
  public void persist(PersistBatch batch, Consumer<Throwable> onDurable) {
    LogWriter w = requireWriter();
    Throwable refused = null;
    if (!batch.entries().isEmpty() && w.freeBytes() < options.reserveBytes()) {
      refused = new StorageFullException("free space " + w.freeBytes() + " bytes is below the "
          + options.reserveBytes() + "-byte reserve on " + options.dataDir());
    }
    w.submit(new Tasks.Persist(batch, onDurable, refused));
  }

  @Override
  public void saveSnapshot(Snapshot snapshot, long compactIndex, Consumer<Throwable> onDurable) {
    requireWriter().submit(new Tasks.SaveSnapshot(snapshot, compactIndex, onDurable));
  }

  /** Entries [lo, hi] read back from disk and verified, on the writer thread. */
  public CompletableFuture<List<Entry>> readEntries(long lo, long hi) {
    CompletableFuture<List<Entry>> f = new CompletableFuture<>();
    requireWriter().submit(new Tasks.Read(lo, hi, f));
    return f;
  }

  /** Entries [lo, hi] read synchronously; only on the writer thread (e.g. inside a completion). */
  public List<Entry> entries(long lo, long hi) throws IOException {
    LogWriter w = requireWriter();
    if (Thread.currentThread() != w.thread()) {
      throw new IllegalStateException("entries() is confined to the log writer; use readEntries()");
    }
    return log.entries(lo, hi);
  }

  /** Term of entry {@code i} in the current log, or -1; only on the writer thread. */
  public long term(long i) {
    LogWriter w = requireWriter();
    if (Thread.currentThread() != w.thread()) {
      throw new IllegalStateException("term() is confined to the log writer");
    }
    return log.index().term(i);
  }

  /** What recovery found: damaged records, gaps, and whether the node needs repair. */
  public RecoveryReport recoveryReport() {
    return report;
  }

  /** True when free space is below the reserve: refuse new client proposals. */
  public boolean belowSpaceReserve() {
    LogWriter w = writer;
    return w != null && w.freeBytes() < options.reserveBytes();
  }

  /** The error that stopped the store, or null while healthy. */
  public Throwable failure() {
    LogWriter w = writer;
    return w == null ? null : w.failure();
  }

  /** Number of log syncs issued so far (group-commit metric). */
  public long syncCount() {
    LogWriter w = writer;
    return w == null ? 0 : w.syncCount();
  }

  private LogWriter requireWriter() {
    LogWriter w = writer;
    if (w == null) {
      throw new IllegalStateException("call recover() first");
    }
    return w;
  }

  @Override
  public void close() {
    try {
      if (writer != null) {
        writer.close();
      }
      if (snapshotThread != null) {
        snapshotThread.shutdown();
        snapshotThread.awaitTermination(30, java.util.concurrent.TimeUnit.SECONDS);
      }
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
    } finally {
      closeFiles();
    }
  }

  private void closeFiles() {
    if (log != null) {
      log.close();
    }
    try {
      if (hardStateFile != null) {
        hardStateFile.close();
      }
    } catch (IOException e) {
      LOG.log(System.Logger.Level.WARNING, "closing the hard-state file", e);
    }
  }
}
