package io.raftlock.storage;

import io.raftlock.raft.Entry;
import io.raftlock.raft.PersistBatch;
import io.raftlock.raft.Snapshot;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.function.Consumer;

/** The kinds of work the {@link LogWriter} runs, in submission order. */
final class Tasks {
  private Tasks() {}

  /** A batch from the core; completes after the round's sync and hard-state write. */
  record Persist(PersistBatch batch, Consumer<Throwable> onDurable, Throwable preFailure)
      implements LogWriter.Task {
    @Override
    public void apply(LogWriter w) throws Exception {
      w.persist(batch);
    }

    @Override
    public void complete(Throwable failure) {
      onDurable.accept(failure);
    }
  }

  /** A local snapshot: handed to the snapshot thread so a large write never holds up a round. */
  record SaveSnapshot(Snapshot snapshot, long compactIndex, Consumer<Throwable> onDurable)
      implements LogWriter.Task {
    @Override
    public void apply(LogWriter w) {
      w.saveSnapshotAsync(snapshot, compactIndex, onDurable);
    }

    @Override
    public void complete(Throwable failure) {
      if (failure != null) {
        onDurable.accept(failure); // success is reported by the snapshot thread
      }
    }
  }

  /** Deletes whole log segments below a durable snapshot. */
  record Compact(long upTo) implements LogWriter.Task {
    @Override
    public void apply(LogWriter w) throws Exception {
      w.compact(upTo);
    }

    @Override
    public void complete(Throwable failure) {}
  }

  /** A truncation marker recovery decided on; written before any batch. */
  record Truncate(long term, long from) implements LogWriter.Task {
    @Override
    public void apply(LogWriter w) {
      w.truncate(term, from);
    }

    @Override
    public void complete(Throwable failure) {}
  }

  /**
   * Reads entries back from the queue on the writer thread (tests, tools, lagging peers). A failed
   * read fails only this future: reading cannot lose data, so it does not stop the store.
   */
  static final class Read implements LogWriter.Task {
    private final long lo;
    private final long hi;
    private final CompletableFuture<List<Entry>> result;
    private List<Entry> read;
    private Exception error;

    Read(long lo, long hi, CompletableFuture<List<Entry>> result) {
      this.lo = lo;
      this.hi = hi;
      this.result = result;
    }

    @Override
    public void apply(LogWriter w) {
      try {
        read = w.log().entries(lo, hi);
      } catch (Exception e) {
        error = e;
      }
    }

    @Override
    public void complete(Throwable failure) {
      Throwable f = failure != null ? failure : error;
      if (f != null) {
        result.completeExceptionally(f);
      } else {
        result.complete(read);
      }
    }
  }
}
