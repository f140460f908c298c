package io.raftlock.storage;

import io.raftlock.raft.ClusterConfig;
import io.raftlock.raft.Entry;
import io.raftlock.raft.HardState;
import io.raftlock.raft.PersistBatch;
import io.raftlock.raft.PersistentState;
import io.raftlock.raft.Snapshot;
import io.raftlock.raft.SnapshotMeta;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Set;
import java.util.SplittableRandom;
import java.util.concurrent.Semaphore;

/**
 * Child process of {@link CrashRecoveryTest}: recovers, then appends batches of entries of term
 * {@code args[1]} forever, printing {@code D <index> <term> E} once each is durable, until killed.
 * Every few thousand entries it also saves a snapshot (data {@code snap-<index>}) a little behind
 * the durable index, which compacts the log under the kills too.
 */
public final class CrashChild {
  private CrashChild() {}

  /** Deterministic payload so the parent can check content, not just presence. */
  static byte[] payload(long term, long index) {
    SplittableRandom r = new SplittableRandom(term * 1_000_003L + index);
    byte[] b = new byte[r.nextInt(0, 300)];
    r.nextBytes(b);
    return b;
  }

  public static void main(String[] args) throws Exception {
    System.setProperty("chronicle.analytics.disable", "true");
    Path dir = Path.of(args[0]);
    long term = Long.parseLong(args[1]);
    int segmentEntries = Integer.parseInt(args[2]);
    ChronicleRaftStorage s = new ChronicleRaftStorage(
        StorageOptions.defaults(dir).withSegmentEntries(segmentEntries).withReserveBytes(0)
            .withMarkBeforeAck(args.length < 4 || Boolean.parseBoolean(args[3])));
    PersistentState st = s.recover();
    System.out.println("R " + st.lastIndex() + " E");
    Semaphore inflight = new Semaphore(64);
    SplittableRandom rnd = new SplittableRandom(term);
    long next = st.lastIndex() + 1;
    long[] lastSnapshot = {st.snapshot() == null ? 0 : st.snapshot().index()};
    s.persist(new PersistBatch(new HardState(term, "n1", 0), null, List.of()), t -> {});
    while (true) {
      inflight.acquire();
      int n = rnd.nextInt(1, 20);
      List<Entry> batch = new ArrayList<>(n);
      for (int i = 0; i < n; i++, next++) {
        batch.add(Entry.normal(term, next, payload(term, next)));
      }
      long last = next - 1;
      s.persist(new PersistBatch(null, null, batch), t -> {
        inflight.release();
        if (t != null) {
          System.out.println("FAIL " + t);
          System.exit(3);
        }
        System.out.println("D " + last + " " + term + " E");
        if (last - lastSnapshot[0] >= 3000) { // on the writer thread: term() is allowed here
          long at = last - 500;
          lastSnapshot[0] = at;
          s.saveSnapshot(new Snapshot(new SnapshotMeta(at, s.term(at),
              ClusterConfig.ofVoters(Set.of("n1"))), ("snap-" + at).getBytes()), at, x -> {});
        }
      });
    }
  }
}
