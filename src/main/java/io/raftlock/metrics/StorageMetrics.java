package io.raftlock.metrics;

import io.micrometer.core.instrument.DistributionSummary;
import io.micrometer.core.instrument.MeterRegistry;
import io.micrometer.core.instrument.Timer;
import io.raftlock.storage.ChronicleRaftStorage;
import java.util.concurrent.TimeUnit;

/**
 * Raft log storage meters, fed from the storage's writer threads as its
 * {@link ChronicleRaftStorage.Observer}: append batch sizes, entries per sync (the group-commit
 * factor), sync latency, hard-state writes, snapshot write time and size.
 */
final class StorageMetrics implements ChronicleRaftStorage.Observer {
  /** fsync latencies: tens of microseconds (page cache, tmpfs) to a second (a struggling disk). */
  static final java.time.Duration[] SYNC_BUCKETS = ApiMetrics.durations(
      0.05, 0.1, 0.25, 0.5, 1, 2, 5, 10, 25, 50, 100, 250, 1_000);
  /** Entry counts: powers of two up to the largest batches group commit produces. */
  static final double[] ENTRY_BUCKETS = {1, 2, 4, 8, 16, 32, 64, 128, 256, 512, 1024, 4096};
  /** Snapshot writes: milliseconds to tens of seconds. */
  static final java.time.Duration[] SNAPSHOT_BUCKETS = ApiMetrics.durations(
      1, 5, 10, 50, 100, 500, 1_000, 5_000, 30_000);

  private final DistributionSummary appendBatch;
  private final DistributionSummary entriesPerSync;
  private final Timer syncLatency;
  private final Timer hardStateWrite;
  private final Timer snapshotWriteLocal;
  private final Timer snapshotWriteLeader;
  private final DistributionSummary snapshotSizeLocal;
  private final DistributionSummary snapshotSizeLeader;

  StorageMetrics(MeterRegistry registry) {
    appendBatch = DistributionSummary.builder("raftlock.storage.append.batch.entries")
        .description("entries per persist batch appended to the log").serviceLevelObjectives(ENTRY_BUCKETS)
        .register(registry);
    entriesPerSync = DistributionSummary.builder("raftlock.storage.sync.entries")
        .description("entries made durable by one log sync (group commit)").serviceLevelObjectives(ENTRY_BUCKETS)
        .register(registry);
    syncLatency = Timer.builder("raftlock.storage.sync.duration").description("time of one log sync")
        .serviceLevelObjectives(SYNC_BUCKETS).register(registry);
    hardStateWrite = Timer.builder("raftlock.storage.hardstate.write.duration")
        .description("time of one synced write of the hard-state file (term, vote, commit index, durable mark)")
        .serviceLevelObjectives(SYNC_BUCKETS).register(registry);
    snapshotWriteLocal = snapshotTimer(registry, "local");
    snapshotWriteLeader = snapshotTimer(registry, "leader");
    snapshotSizeLocal = snapshotSize(registry, "local");
    snapshotSizeLeader = snapshotSize(registry, "leader");
  }

  private static Timer snapshotTimer(MeterRegistry registry, String origin) {
    return Timer.builder("raftlock.storage.snapshot.write.duration").tag("origin", origin)
        .description("time to write a snapshot durably, taken here (local) or installed from the leader")
        .serviceLevelObjectives(SNAPSHOT_BUCKETS).register(registry);
  }

  private static DistributionSummary snapshotSize(MeterRegistry registry, String origin) {
    return DistributionSummary.builder("raftlock.storage.snapshot.size").baseUnit("bytes").tag("origin", origin)
        .description("size of the snapshots written, taken here (local) or installed from the leader")
        .register(registry);
  }

  @Override
  public void appended(int entries) {
    appendBatch.record(entries);
  }

  @Override
  public void synced(int entries, long nanos) {
    entriesPerSync.record(entries);
    syncLatency.record(nanos, TimeUnit.NANOSECONDS);
  }

  @Override
  public void hardStateWritten(long nanos) {
    hardStateWrite.record(nanos, TimeUnit.NANOSECONDS);
  }

  @Override
  public void snapshotWritten(long bytes, long nanos, boolean fromLeader) {
    (fromLeader ? snapshotWriteLeader : snapshotWriteLocal).record(nanos, TimeUnit.NANOSECONDS);
    (fromLeader ? snapshotSizeLeader : snapshotSizeLocal).record(bytes);
  }
}
