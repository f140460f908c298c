package io.raftlock.storage.bench;

import io.raftlock.raft.Entry;
import io.raftlock.raft.PersistBatch;
import io.raftlock.storage.ChronicleRaftStorage;
import io.raftlock.storage.StorageOptions;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.channels.FileChannel;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Queue;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ConcurrentLinkedQueue;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicLong;
import java.util.concurrent.locks.LockSupport;
import java.util.stream.Stream;
import net.openhft.chronicle.bytes.SyncMode;
import net.openhft.chronicle.queue.ExcerptAppender;
import net.openhft.chronicle.queue.impl.single.SingleChronicleQueue;
import net.openhft.chronicle.queue.impl.single.SingleChronicleQueueBuilder;
import net.openhft.chronicle.wire.DocumentContext;

/**
 * Storage benchmark (not a test): raw write+fdatasync floor, single-entry append→durable latency,
 * durable throughput with 1/16/256 producers, recovery time of a 1,000,000-entry log.
 * Usage: {@code StorageBench <scratch dir> [seconds per throughput run]}; run by
 * {@code scripts/bench-storage.sh}.
 */
public final class StorageBench {
  private static final int ENTRY_BYTES = 128;
  private static final byte[] PAYLOAD = new byte[ENTRY_BYTES];

  private StorageBench() {}

  public static void main(String[] args) throws Exception {
    System.setProperty("chronicle.analytics.disable", "true");
    Path root = Path.of(args.length > 0 ? args[0] : "target/bench-storage");
    int seconds = args.length > 1 ? Integer.parseInt(args[1]) : 5;
    Arrays.fill(PAYLOAD, (byte) 'x');
    clean(root);
    Files.createDirectories(root);
    // The disk is shared and noisy: measure the floor right before and after the latency run.
    rawFloor(root.resolve("raw.bin"), ENTRY_BYTES);
    rawFloor(root.resolve("raw.bin"), 4096);
    chronicleSyncOnly(root.resolve("chronicle-only"));
    singleEntryLatency(root.resolve("latency"), true);
    singleEntryLatency(root.resolve("latency-deferred"), false);
    rawFloor(root.resolve("raw.bin"), ENTRY_BYTES);
    for (boolean markBeforeAck : new boolean[] {true, false}) {
      for (int producers : new int[] {1, 16, 256}) {
        throughput(root.resolve("tput-" + producers + markBeforeAck), producers, seconds,
            markBeforeAck);
      }
    }
    recovery(root.resolve("recovery"), 1_000_000);
    clean(root);
  }

  /** write + force(false) on a preallocated file: the floor any durable append pays. */
  static void rawFloor(Path file, int bytes) throws IOException {
    int warm = 1000;
    int n = 5000;
    long[] lat = new long[n];
    try (FileChannel ch = FileChannel.open(file, StandardOpenOption.CREATE, StandardOpenOption.READ,
        StandardOpenOption.WRITE, StandardOpenOption.TRUNCATE_EXISTING)) {
      ByteBuffer zero = ByteBuffer.allocate(1 << 20);
      for (int i = 0; i < ((warm + n) * (long) bytes >> 20) + 1; i++) {
        ch.write(zero.clear());
      }
      ch.force(true);
      ByteBuffer b = ByteBuffer.allocate(bytes);
      for (int i = 0; i < warm + n; i++) {
        long t0 = System.nanoTime();
        ch.write(b.clear(), (long) i * bytes);
        ch.force(false);
        if (i >= warm) {
          lat[i - warm] = System.nanoTime() - t0;
        }
      }
    }
    Files.delete(file);
    System.out.printf("raw write(%d B)+fdatasync, preallocated: p50 %s  p99 %s%n", bytes,
        us(percentile(lat, 50)), us(percentile(lat, 99)));
  }

  /** Breakdown: Chronicle append + sync() alone, without framing, hard state or thread handoff. */
  static void chronicleSyncOnly(Path dir) {
    int warm = 1000;
    int n = 5000;
    long[] lat = new long[n];
    try (SingleChronicleQueue q = SingleChronicleQueueBuilder.binary(dir)
        .syncMode(SyncMode.SYNC).build(); ExcerptAppender a = q.createAppender()) {
      for (int i = 0; i < warm + n; i++) {
        long t0 = System.nanoTime();
        try (DocumentContext dc = a.writingDocument()) {
          dc.wire().bytes().write(PAYLOAD);
        }
        a.sync();
        if (i >= warm) {
          lat[i - warm] = System.nanoTime() - t0;
        }
      }
    }
    System.out.printf("chronicle append+sync() only (breakdown): p50 %s  p99 %s%n",
        us(percentile(lat, 50)), us(percentile(lat, 99)));
  }

  static void singleEntryLatency(Path dir, boolean markBeforeAck) throws Exception {
    int warm = 1000;
    int n = 5000;
    long[] lat = new long[n];
    try (ChronicleRaftStorage s = open(dir, markBeforeAck)) {
      s.recover();
      long index = 1;
      for (int i = 0; i < warm + n; i++) {
        CompletableFuture<Throwable> done = new CompletableFuture<>();
        long t0 = System.nanoTime();
        s.persist(one(index++), done::complete);
        check(done.get(10, TimeUnit.SECONDS));
        if (i >= warm) {
          lat[i - warm] = System.nanoTime() - t0;
        }
      }
    }
    System.out.printf("single %d-byte entry append->durable (%s): p50 %s  p99 %s%n", ENTRY_BYTES,
        mode(markBeforeAck), us(percentile(lat, 50)), us(percentile(lat, 99)));
  }

  /**
   * {@code producers} clients, each with one single-entry batch in flight; a sequencer thread
   * (standing in for the Raft event loop) assigns indexes and calls persist, as the driver would.
   */
  static void throughput(Path dir, int producers, int seconds, boolean markBeforeAck)
      throws Exception {
    try (ChronicleRaftStorage s = open(dir, markBeforeAck)) {
      s.recover();
      Queue<Integer> ready = new ConcurrentLinkedQueue<>();
      AtomicLong durable = new AtomicLong();
      Thread sequencer = Thread.currentThread();
      for (int p = 0; p < producers; p++) {
        ready.add(p);
      }
      long index = 1;
      long warmEnd = System.nanoTime() + TimeUnit.SECONDS.toNanos(1);
      long end = warmEnd + TimeUnit.SECONDS.toNanos(seconds);
      long startDurable = -1;
      long startSyncs = 0;
      long now;
      while ((now = System.nanoTime()) < end) {
        if (startDurable < 0 && now >= warmEnd) {
          startDurable = durable.get();
          startSyncs = s.syncCount();
        }
        Integer client = ready.poll();
        if (client == null) {
          LockSupport.parkNanos(100_000);
          continue;
        }
        s.persist(one(index++), t -> {
          check(t);
          durable.incrementAndGet();
          ready.add(client);
          LockSupport.unpark(sequencer);
        });
      }
      long entries = durable.get() - startDurable;
      long syncs = s.syncCount() - startSyncs;
      System.out.printf("%3d producers (%s): %,9d durable entries/s, %6.1f entries per sync%n",
          producers, mode(markBeforeAck), entries / seconds,
          syncs == 0 ? 0.0 : (double) entries / syncs);
    }
  }

  static void recovery(Path dir, int total) throws Exception {
    long t0 = System.nanoTime();
    try (ChronicleRaftStorage s = open(dir)) {
      s.recover();
      int batch = 1000;
      CompletableFuture<Throwable> last = null;
      for (long i = 1; i <= total; i += batch) {
        List<Entry> es = new ArrayList<>(batch);
        for (long j = i; j < i + batch; j++) {
          es.add(Entry.normal(1, j, PAYLOAD));
        }
        CompletableFuture<Throwable> done = new CompletableFuture<>();
        s.persist(new PersistBatch(null, null, es), done::complete);
        last = done;
      }
      check(last.get(120, TimeUnit.SECONDS));
    }
    System.out.printf("wrote %,d entries in %.2f s%n", total, (System.nanoTime() - t0) / 1e9);
    for (int run = 1; run <= 2; run++) {
      long r0 = System.nanoTime();
      try (ChronicleRaftStorage s = open(dir)) {
        long last = s.recover().lastIndex();
        System.out.printf("recovery %d of a %,d-entry log: %.2f s (last index %,d)%n", run, total,
            (System.nanoTime() - r0) / 1e9, last);
      }
    }
  }

  private static ChronicleRaftStorage open(Path dir) {
    return open(dir, true);
  }

  private static ChronicleRaftStorage open(Path dir, boolean markBeforeAck) {
    return new ChronicleRaftStorage(
        StorageOptions.defaults(dir).withReserveBytes(0).withMarkBeforeAck(markBeforeAck));
  }

  private static String mode(boolean markBeforeAck) {
    return markBeforeAck ? "mark before ack" : "mark deferred";
  }

  private static PersistBatch one(long index) {
    return new PersistBatch(null, null, List.of(Entry.normal(1, index, PAYLOAD)));
  }

  private static void check(Throwable t) {
    if (t != null) {
      throw new IllegalStateException("storage failed", t);
    }
  }

  private static long percentile(long[] values, int p) {
    long[] sorted = values.clone();
    Arrays.sort(sorted);
    return sorted[Math.min(sorted.length - 1, sorted.length * p / 100)];
  }

  private static String us(long nanos) {
    return String.format("%.1f µs", nanos / 1000.0);
  }

  private static void clean(Path root) throws IOException {
    if (!Files.exists(root)) {
      return;
    }
    try (Stream<Path> walk = Files.walk(root)) {
      for (Path p : walk.sorted((a, b) -> b.compareTo(a)).toList()) {
        Files.delete(p);
      }
    }
  }
}
