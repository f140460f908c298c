package io.raftlock.storage;

import io.raftlock.raft.Entry;
import io.raftlock.raft.HardState;
import io.raftlock.raft.PersistBatch;
import io.raftlock.raft.Snapshot;
import java.io.IOException;
import java.nio.file.FileStore;
import java.nio.file.Files;
import java.util.ArrayList;
import java.util.List;
import java.util.Queue;
import java.util.concurrent.ConcurrentLinkedQueue;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicLong;
import java.util.concurrent.locks.LockSupport;
import java.util.function.Consumer;

/**
 * The one thread that writes the log: it owns the Chronicle appender, the hard-state file and the
 * order of completions.
 *
 * <p>Group commit: producers hand tasks over through a lock-free queue and never wait. Each round
 * the thread takes <em>everything</em> queued since its last sync, appends it, issues one log sync,
 * then one hard-state write (when the term, vote, commit or durable mark changed), and only then
 * completes the round's tasks in FIFO order. So a completion with {@code null} always follows the
 * sync that covers it, and a batch can never be reported durable before an earlier one.
 *
 * <p>Fail-stop: the first {@link Throwable} from the disk ({@code IOException}, {@code IOError},
 * or {@code InternalError} from a SIGBUS on a full disk) is kept in {@link #failure}; the round that
 * hit it and every later task complete with it and nothing touches the disk again.
 */
final class LogWriter implements Runnable {
  private static final System.Logger LOG = System.getLogger(LogWriter.class.getName());
  private static final long SPACE_CHECK_NANOS = TimeUnit.MILLISECONDS.toNanos(10);
  /**
   * An idle writer still looks at the free space this often: a leader below the reserve refuses
   * every proposal, so no sync would ever refresh its view and it would refuse writes forever
   * after the space came back; and a volume that fills while nothing is written is seen before
   * the next write rather than after it.
   */
  private static final long IDLE_SPACE_CHECK_NANOS = TimeUnit.MILLISECONDS.toNanos(100);
  /**
   * Deferred mark (markBeforeAck = false): written when the writer finds no work and the mark has
   * been stale this long, or after {@link #MARK_MAX_DELAY_NANOS} while rounds keep coming. Why not
   * sooner: each write is an fdatasync on this thread, so it costs CPU and a round that arrives
   * during it waits for it. With the mark written after 0.5 ms idle (at most 2 ms stale), one
   * client's rounds, about a millisecond apart, each found the writer flushing the previous
   * round's mark; 2 ms / 10 ms took a one-client acquire from 1.38–2.09 to 1.11 ms p50. But the
   * queue is empty for a moment between most rounds, so 2 ms still meant a mark write every few
   * milliseconds: 226–241 a second per node against 542–613 log syncs with 64 clients (17 % of
   * this thread's time), 294–309 against 599–696 with one. At 10 ms / 50 ms: 76–87 and 91–92, with
   * no change in latency or throughput beyond this machine's noise (docs/benchmarks.md). The mark
   * only detects a disk that lost synced data; it lags acknowledgements by at most these 50 ms
   * ({@code markBeforeAck} makes it exact).
   */
  private static final long MARK_STALE_NANOS = TimeUnit.MILLISECONDS.toNanos(10);

  private static final long MARK_MAX_DELAY_NANOS = TimeUnit.MILLISECONDS.toNanos(50);

  /** A unit of work; {@code complete} runs on the writer thread after the round's sync. */
  interface Task {
    /** Applies the task to the log (writer thread). A thrown error stops the store. */
    void apply(LogWriter w) throws Exception;

    void complete(Throwable failure);

    /** A failure decided before the task reached the disk (space guard), or null. */
    default Throwable preFailure() {
      return null;
    }
  }

  private final ChronicleLog log;
  private final HardStateFile hardStateFile;
  private final SnapshotStore snapshots;
  private final ExecutorService snapshotThread;
  private final FileStore fileStore;
  private final Queue<Task> tasks = new ConcurrentLinkedQueue<>();
  private final AtomicBoolean parked = new AtomicBoolean();
  private final AtomicLong syncs = new AtomicLong();
  private final Thread thread;
  private volatile Throwable failure;
  private volatile boolean closing;
  private volatile boolean exited;
  private volatile long freeBytes = Long.MAX_VALUE;
  private volatile ChronicleRaftStorage.Observer observer = ChronicleRaftStorage.Observer.NONE;

  // Writer-thread state.
  private HardState pendingHardState;
  private long snapshotIndex;
  private long snapshotTerm;
  /**
   * The durable mark to write: the most up-to-date (term, index) in Raft's log order (§5.4.1) that
   * the log reached at the end of any applied batch. It only rises, as the core requires: a log
   * that comes back below it after a restart lost entries the node may have acknowledged, and a
   * crash in the middle of a repair cannot lower it.
   */
  private long markIndex;

  private long markTerm;
  private long lastSpaceCheck;
  private final boolean markBeforeAck;
  /** The durable mark or commit index changed and is not yet written (deferred mode only). */
  private boolean markDirty;
  private long markDirtySince;
  /** Entries appended since the last sync (writer thread): what the next sync makes durable. */
  private int entriesSinceSync;

  LogWriter(ChronicleLog log, HardStateFile hardStateFile, SnapshotStore snapshots,
      ExecutorService snapshotThread, long snapshotIndex, long snapshotTerm, boolean markBeforeAck)
      throws IOException {
    this.markBeforeAck = markBeforeAck;
    this.log = log;
    this.hardStateFile = hardStateFile;
    this.snapshots = snapshots;
    this.snapshotThread = snapshotThread;
    this.fileStore = Files.getFileStore(log.dir());
    this.snapshotIndex = snapshotIndex;
    this.snapshotTerm = snapshotTerm;
    this.markIndex = hardStateFile.current().durableIndex();
    this.markTerm = hardStateFile.current().durableTerm();
    this.pendingHardState = hardStateFile.current().hardState();
    this.freeBytes = fileStore.getUsableSpace();
    this.thread = new Thread(this, "raft-log-writer");
    this.thread.setDaemon(true);
  }

  void observeWith(ChronicleRaftStorage.Observer observer) {
    this.observer = observer;
  }

  /**
   * Runs a metrics callback. It sits inside the write path, whose exceptions mean a failed disk
   * and stop the store: a faulty observer must not pass for one, so its exceptions end here.
   */
  private static void report(Runnable callback) {
    try {
      callback.run();
    } catch (RuntimeException e) {
      LOG.log(System.Logger.Level.WARNING, "storage metrics callback threw", e);
    }
  }

  void start() {
    thread.start();
  }

  Thread thread() {
    return thread;
  }

  ChronicleLog log() {
    return log;
  }

  Throwable failure() {
    return failure;
  }

  long freeBytes() {
    return freeBytes;
  }

  long syncCount() {
    return syncs.get();
  }

  /** Hands a task to the writer; any thread, never blocks. */
  void submit(Task t) {
    tasks.offer(t);
    if (parked.get()) {
      LockSupport.unpark(thread);
    }
    if (exited) {
      failLeftovers(); // raced with close: nobody else will complete it
    }
  }

  /** Stops after finishing everything already queued; waits for the thread to end. */
  void close() throws InterruptedException {
    closing = true;
    LockSupport.unpark(thread);
    thread.join();
  }

  @Override
  public void run() {
    List<Task> round = new ArrayList<>();
    while (true) {
      for (Task t = tasks.poll(); t != null; t = tasks.poll()) {
        round.add(t);
      }
      if (!round.isEmpty()) {
        commit(round);
        round.clear();
        continue;
      }
      long markAge = System.nanoTime() - markDirtySince;
      if (markDirty && failure == null && !closing && markAge < MARK_STALE_NANOS) {
        park(MARK_STALE_NANOS - markAge); // a round that comes soon carries the mark along
        continue;
      }
      writeDeferredMark(); // idle: bring the durable mark up to date before sleeping
      if (closing) {
        break;
      }
      if (failure == null) {
        checkSpace();
      }
      park(IDLE_SPACE_CHECK_NANOS);
    }
    log.closeHandles();
    exited = true;
    failLeftovers();
  }

  /** Parks until a task arrives ({@code nanos == 0}) or at most {@code nanos}. */
  private void park(long nanos) {
    parked.set(true);
    if (tasks.isEmpty() && !closing) {
      if (nanos == 0) {
        LockSupport.park(this);
      } else {
        LockSupport.parkNanos(this, nanos);
      }
    }
    parked.set(false);
  }

  private void failLeftovers() {
    Throwable closed = new IllegalStateException("raft storage is closed");
    for (Task t = tasks.poll(); t != null; t = tasks.poll()) {
      completeQuietly(t, failure != null ? failure : closed);
    }
  }

  /** One group-commit round, in FIFO order. */
  private void commit(List<Task> round) {
    List<Task> applied = new ArrayList<>(round.size());
    for (Task t : round) {
      if (failure != null) {
        completeQuietly(t, failure);
        continue;
      }
      Throwable pre = t.preFailure();
      if (pre != null) {
        flush(applied); // everything before the refused batch still becomes durable
        applied.clear();
        stop(pre);
        completeQuietly(t, pre);
        continue;
      }
      try {
        t.apply(this);
        applied.add(t);
      } catch (Throwable e) {
        stop(e);
        applied.forEach(a -> completeQuietly(a, e));
        applied.clear();
        completeQuietly(t, e);
      }
    }
    flush(applied);
  }

  /**
   * Syncs the log, then the hard state, then completes {@code applied} with success. A changed term
   * or vote is always written before the completions (Raft: persist before you speak). The durable
   * mark and commit index are written before them too when {@code markBeforeAck}; otherwise right
   * after them, as soon as the writer has no other work or {@link #MARK_MAX_DELAY_NANOS} passed.
   */
  private void flush(List<Task> applied) {
    if (applied.isEmpty()) {
      return;
    }
    try {
      long syncStart = System.nanoTime();
      if (log.sync()) {
        syncs.incrementAndGet();
        long syncNanos = System.nanoTime() - syncStart;
        int synced = entriesSinceSync;
        entriesSinceSync = 0;
        report(() -> observer.synced(synced, syncNanos));
      }
      if (markBeforeAck || pendingHardState.termOrVoteDiffers(hardStateFile.current().hardState())) {
        writeHardStateIfChanged();
      } else if (!markDirty) {
        markDirty = true;
        markDirtySince = System.nanoTime();
      }
    } catch (Throwable e) {
      stop(e);
      applied.forEach(a -> completeQuietly(a, e));
      return;
    }
    applied.forEach(a -> completeQuietly(a, null));
    if (markDirty && System.nanoTime() - markDirtySince > MARK_MAX_DELAY_NANOS) {
      writeDeferredMark();
    }
    checkSpace();
  }

  private void writeDeferredMark() {
    if (!markDirty || failure != null) {
      return;
    }
    try {
      writeHardStateIfChanged();
    } catch (Throwable e) {
      stop(e);
    }
  }

  private void writeHardStateIfChanged() throws IOException {
    HardStateFile.Stored next = new HardStateFile.Stored(pendingHardState, markIndex, markTerm);
    if (!next.equals(hardStateFile.current())) {
      long start = System.nanoTime();
      hardStateFile.write(next);
      long nanos = System.nanoTime() - start;
      report(() -> observer.hardStateWritten(nanos));
    }
    markDirty = false;
  }

  /** Raises the mark to where the log ends now, if that is more up-to-date (writer thread). */
  private void raiseMark() {
    long index = lastIndex();
    long term = index > snapshotIndex ? log.index().term(index) : snapshotTerm;
    if (term > markTerm || (term == markTerm && index > markIndex)) {
      markTerm = term;
      markIndex = index;
    }
  }

  /** Last index of the log, or the snapshot's when the log ends at or before it. */
  long lastIndex() {
    return Math.max(log.index().lastIndex(), snapshotIndex);
  }

  private void stop(Throwable e) {
    if (failure == null) {
      failure = e;
      LOG.log(System.Logger.Level.ERROR, "raft storage failed; refusing all further writes", e);
    }
  }

  private void checkSpace() {
    long now = System.nanoTime();
    if (now - lastSpaceCheck < SPACE_CHECK_NANOS) {
      return;
    }
    lastSpaceCheck = now;
    try {
      freeBytes = fileStore.getUsableSpace();
    } catch (IOException e) {
      stop(e);
    }
  }

  private static void completeQuietly(Task t, Throwable failure) {
    try {
      t.complete(failure);
    } catch (Throwable e) {
      LOG.log(System.Logger.Level.WARNING, "storage completion callback threw", e);
    }
  }

  // ---- operations used by tasks (writer thread) ----

  void persist(PersistBatch batch) throws IOException {
    if (batch.snapshot() != null) {
      installSnapshot(batch.snapshot());
    }
    List<Entry> entries = batch.entries();
    if (!entries.isEmpty()) {
      long first = entries.get(0).index();
      if (first > lastIndex() + 1 || first <= snapshotIndex) {
        throw new IllegalStateException("batch starting at " + first + " does not attach to the log "
            + "(last " + lastIndex() + ", snapshot " + snapshotIndex + ")");
      }
      for (Entry e : entries) {
        log.append(e);
      }
      entriesSinceSync += entries.size();
      report(() -> observer.appended(entries.size()));
    }
    if (batch.hardState() != null) {
      pendingHardState = batch.hardState();
    }
    raiseMark();
  }

  /**
   * A snapshot from the leader replaces the whole log, as the core's log does on restore (it only
   * installs snapshots beyond its commit index, Raft paper §7): the snapshot file is made durable,
   * then a truncation marker at its index voids every entry written before.
   */
  private void installSnapshot(Snapshot s) throws IOException {
    long start = System.nanoTime();
    snapshots.save(s);
    long nanos = System.nanoTime() - start;
    report(() -> observer.snapshotWritten(s.data().length, nanos, true));
    log.appendTruncate(s.term(), s.index());
    snapshotIndex = s.index();
    snapshotTerm = s.term();
  }

  /** Writes a truncation marker recovery asked for (writer thread, before any batch). */
  void truncate(long term, long from) {
    log.appendTruncate(term, from);
  }

  /** Saves a locally produced snapshot off this thread, then compacts back on it. */
  void saveSnapshotAsync(Snapshot s, long compactIndex, Consumer<Throwable> onDurable) {
    snapshotThread.execute(() -> {
      Throwable f = failure;
      if (f == null) {
        try {
          long start = System.nanoTime();
          snapshots.save(s);
          long nanos = System.nanoTime() - start;
          report(() -> observer.snapshotWritten(s.data().length, nanos, false));
        } catch (Throwable e) {
          stop(e);
          f = e;
        }
      }
      try {
        onDurable.accept(f);
      } finally {
        if (f == null) {
          submit(new Tasks.Compact(Math.min(compactIndex, s.index())));
        }
      }
    });
  }

  void compact(long upTo) throws IOException {
    List<java.nio.file.Path> deleted = log.compact(upTo);
    // Bound the in-memory map too; the last entry always stays, it anchors lastIndex() and term.
    log.index().dropBelow(Math.min(upTo + 1, log.index().lastIndex()));
    if (!deleted.isEmpty()) {
      LOG.log(System.Logger.Level.INFO, "compacted " + deleted.size() + " log segment(s) up to " + upTo);
    }
  }
}
