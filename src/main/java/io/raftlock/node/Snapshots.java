package io.raftlock.node;

import io.raftlock.raft.Entry;
import io.raftlock.raft.EntryType;
import io.raftlock.raft.RaftNode;
import io.raftlock.raft.RaftStorage;
import io.raftlock.raft.Snapshot;
import io.raftlock.raft.SnapshotMeta;
import io.vertx.core.AsyncResult;
import io.vertx.core.Context;
import io.vertx.core.Future;
import io.vertx.core.Promise;
import io.vertx.core.Vertx;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.function.BooleanSupplier;
import java.util.function.Consumer;
import java.util.function.LongSupplier;
import java.util.function.Supplier;
import java.util.logging.Level;
import java.util.logging.Logger;

/**
 * Takes a state-machine snapshot every {@code everyEntries} applied entries and compacts the log
 * behind it, keeping {@code keepEntries} for lagging followers. Confined to the Raft context.
 *
 * <p><b>Off the event loop.</b> When the state machine {@linkplain ReplicatedStateMachine#replaysSnapshots
 * replays snapshots}, a second copy of the state (a {@link ReplicatedStateMachine.Replica}) lives
 * on the worker side. At each snapshot the loop only collects the committed entries since the
 * previous one (references to immutable entries); a worker thread applies them to the copy and
 * encodes it; the loop then compacts. Serializing a million locks took about 164 ms on the loop,
 * long enough to miss heartbeats; now the loop pays one reference copy per entry. The price: the
 * copy's memory (the state twice), each command applied twice, and one decode of a snapshot when
 * the copy is first made or a newer snapshot was installed from the leader.
 *
 * <p>Invariants: at most one snapshot is being built, and only that build touches the copy; the
 * copy is at {@code replicaIndex} between builds; a built snapshot older than the log's latest
 * (the leader's snapshot was installed meanwhile) is dropped; compaction happens on the context
 * between Readys, as the core requires.
 */
final class Snapshots {
  private static final Logger LOG = Logger.getLogger(Snapshots.class.getName());

  private final String nodeId;
  private final int everyEntries;
  private final int keepEntries;
  private final ReplicatedStateMachine stateMachine;
  private final RaftStorage storage;
  private final Supplier<RaftVerticle.Observer> observer;
  private final BooleanSupplier stopped;
  private final Consumer<Throwable> fail;
  private long lastSnapshotIndex;
  private boolean building;
  /** Set when a replay failed: from then on snapshots are taken on the loop, as before. */
  private boolean replayFailed;
  /** The worker side's copy of the state, at {@code replicaIndex}; null until the first build. */
  private ReplicatedStateMachine.Replica replica;
  private long replicaIndex;
  /** Backups asked for while a build ran: one build serves them all when it ends. */
  private final List<Promise<Snapshot>> backupsWaiting = new ArrayList<>();
  private Runnable afterBuild;

  Snapshots(String nodeId, int everyEntries, int keepEntries, ReplicatedStateMachine stateMachine,
      RaftStorage storage, Supplier<RaftVerticle.Observer> observer, BooleanSupplier stopped,
      Consumer<Throwable> fail) {
    this.nodeId = nodeId;
    this.everyEntries = everyEntries;
    this.keepEntries = keepEntries;
    this.stateMachine = stateMachine;
    this.storage = storage;
    this.observer = observer;
    this.stopped = stopped;
    this.fail = fail;
  }

  /** The state now stands at a snapshot of {@code index} (recovered or installed from the leader). */
  void restoredAt(long index) {
    lastSnapshotIndex = index;
  }

  /** After a drain: starts a snapshot of {@code appliedIndex} when enough entries were applied. */
  void maybeTake(RaftNode raft, LongSupplier appliedIndex, Vertx vertx, Context context) {
    if (everyEntries == 0 || building || appliedIndex.getAsLong() - lastSnapshotIndex < everyEntries) {
      return;
    }
    build(raft, appliedIndex, vertx, context).onSuccess(b -> {
      if (!stopped.getAsBoolean() && b.snapshot().index() > lastSnapshotIndex) {
        finish(raft, b.snapshot(), b.nanos(), b.where());
      }
    });
  }

  /**
   * A snapshot of the state as applied when the build starts (for a backup), built as the periodic
   * ones are and not compacted; completes on the context. While a build runs, the backups asked
   * for meanwhile share one build that starts when it ends (only one build touches the copy, and
   * a build that starts after a request reflects everything applied before it).
   */
  Future<Snapshot> current(RaftNode raft, LongSupplier appliedIndex, Vertx vertx, Context context) {
    if (!building) {
      return build(raft, appliedIndex, vertx, context).map(Built::snapshot);
    }
    Promise<Snapshot> later = Promise.promise();
    backupsWaiting.add(later);
    afterBuild = () -> {
      List<Promise<Snapshot>> waiting = List.copyOf(backupsWaiting);
      backupsWaiting.clear();
      build(raft, appliedIndex, vertx, context).map(Built::snapshot)
          .onComplete(ar -> waiting.forEach(p -> p.handle(ar)));
    };
    return later.future();
  }

  private Future<Built> build(RaftNode raft, LongSupplier appliedIndexNow, Vertx vertx, Context context) {
    long appliedIndex = appliedIndexNow.getAsLong();
    SnapshotMeta meta = new SnapshotMeta(appliedIndex, raft.termAt(appliedIndex), raft.configAt(appliedIndex));
    Snapshot latest = raft.latestSnapshot();
    long latestIndex = latest == null ? 0 : latest.index();
    // A fresh copy when there is none, or when the log moved past it (a snapshot was installed).
    boolean fresh = replica == null || replicaIndex < latestIndex;
    Commands commands = stateMachine.replaysSnapshots() && !replayFailed
        ? Commands.collect(raft, fresh ? latestIndex : replicaIndex, appliedIndex) : null;
    if (commands == null) {
      long start = System.nanoTime();
      Snapshot snap = new Snapshot(meta, stateMachine.snapshot());
      return Future.succeededFuture(new Built(null, snap, System.nanoTime() - start, "on the event loop"));
    }
    building = true;
    ReplicatedStateMachine.Replica kept = fresh ? null : replica;
    byte[] base = fresh && latest != null ? latest.data() : null;
    Promise<Built> done = Promise.promise();
    vertx.executeBlocking(() -> {
      long start = System.nanoTime();
      ReplicatedStateMachine.Replica copy = kept != null ? kept : stateMachine.replica(base);
      for (int i = 0; i < commands.indexes.length; i++) {
        copy.apply(commands.indexes[i], commands.data[i]);
      }
      return new Built(copy, new Snapshot(meta, copy.snapshot()), System.nanoTime() - start,
          "on a worker (" + commands.indexes.length + " commands replayed)");
    }, false).onComplete(ar -> context.runOnContext(v -> built(ar, done)));
    return done.future();
  }

  private void built(AsyncResult<Built> ar, Promise<Built> done) {
    building = false;
    if (ar.failed()) {
      // A bug in the replay, not in the live state: keep serving, snapshot on the loop from now on.
      replayFailed = true;
      replica = null;
      LOG.log(Level.SEVERE, nodeId + " could not build a snapshot off the event loop; taking them on the loop",
          ar.cause());
      done.fail(ar.cause());
    } else {
      replica = ar.result().replica();
      replicaIndex = ar.result().snapshot().index();
      done.complete(ar.result());
    }
    Runnable next = afterBuild;
    afterBuild = null;
    if (next != null) {
      next.run();
    }
  }

  private void finish(RaftNode raft, Snapshot snap, long nanos, String where) {
    long index = snap.index();
    observer.get().snapshotTaken(index, snap.data().length, nanos);
    LOG.info(() -> nodeId + " took snapshot: index " + index + ", term " + snap.term() + ", "
        + snap.data().length + " bytes in " + nanos / 1_000_000 + " ms " + where);
    long compactIndex = Math.max(0, index - keepEntries);
    raft.compact(snap, compactIndex);
    lastSnapshotIndex = index;
    storage.saveSnapshot(snap, compactIndex, err -> {
      if (err != null) {
        fail.accept(err);
      }
    });
  }

  private record Built(ReplicatedStateMachine.Replica replica, Snapshot snapshot, long nanos, String where) {}

  /** The state-machine commands of the committed entries after {@code from} up to {@code to}. */
  private record Commands(long[] indexes, byte[][] data) {
    /** Null when an entry is no longer in memory: the caller then snapshots on the loop. */
    static Commands collect(RaftNode raft, long from, long to) {
      int n = 0;
      long[] indexes = new long[(int) (to - from)];
      byte[][] data = new byte[indexes.length][];
      for (long i = from + 1; i <= to; i++) {
        Entry e = raft.entryAt(i);
        if (e == null) {
          return null;
        }
        if (e.type() == EntryType.NORMAL) { // as the live apply: other entries do not reach the state machine
          indexes[n] = i;
          data[n++] = e.data();
        }
      }
      return new Commands(Arrays.copyOf(indexes, n), Arrays.copyOf(data, n));
    }
  }
}
