package io.raftlock.bench;

import com.fasterxml.jackson.databind.JsonNode;
import com.google.protobuf.Duration;
import io.grpc.ManagedChannel;
import io.grpc.ManagedChannelBuilder;
import io.raftlock.bench.ApiLoadBench.NodeRef;
import io.raftlock.proto.api.AcquireRequest;
import io.raftlock.proto.api.AcquireResponse;
import io.raftlock.proto.api.ReleaseRequest;
import io.raftlock.proto.api.RenewRequest;
import io.raftlock.testing.HttpJson;
import io.raftlock.testing.StockRaftLock;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicLong;

/**
 * One client must not cost the cluster its leader (issue 18): a flood of acquire requests at
 * {@code --factor} (default 10) times what the cluster commits, aimed at the leader for
 * {@code --seconds}, from one WebSocket, one gRPC channel, and 64 gRPC channels, while a polite
 * client on a follower runs one acquire, renew and release at a time.
 *
 * <pre>
 * FloodBench --nodes id=host:port:pid,... [--seconds 60] [--factor 10] [--calibrate-s 10]
 *            [--variants ws:1,grpc:1,grpc:64,burn:1] [--rate R] [--profile DIR] [--flood-nice N]
 * </pre>
 *
 * <p>The flood runs inside this JVM, beside the polite client, unless {@code --flood-nice N}
 * gives it a process of its own with its niceness raised by N (19: it only gets a core nothing
 * else wants). Three nodes, a flooder at 10x and a polite client share this machine's two cores; a
 * niced flooder stands for clients on other machines, so what the polite client sees is the
 * cluster's doing rather than the flooder's CPU. The counts show what rate it still reached.
 * The variant {@code burn:N} is the control for that: a process at the flooder's niceness that
 * spins N threads and sends nothing ({@link CpuBurner}), so the polite client's latency under the
 * same contention without a flood is measured in the same run. After the calibration the polite
 * path is run unmeasured for as long, so the first variant does not measure its JIT warm-up.
 *
 * The commit capacity is measured first: 64 gRPC callers doing acquire+release pairs as fast as
 * they are answered for {@code --calibrate-s} unmeasured (the JIT warms up), then as long again
 * measured: entries committed per second from the leader's commit index ({@code --rate} sets the
 * flood's rate instead). Per variant it
 * reports every node's Raft term before and after (no change is the target), the leader changes
 * the poller saw, the polite client's latency (target p99 under 100 ms) and errors, the flood's
 * counts, spurious expiries (a renew or release the polite client sent before its lease's local
 * deadline that found the lock no longer its own) and each node's CPU.
 */
public final class FloodBench {
  /** The polite client's lease: long against its calls, so only a stalled cluster expires it. */
  static final int POLITE_TTL_S = 2;

  /**
   * A flood of {@code transport} over {@code connections}, or (transport null, spec
   * {@code burn:N}) the control: a process of its own that only burns N cores at the flooder's
   * niceness and sends nothing, so the polite client's latency under CPU contention alone is
   * measured in the same run.
   */
  record Variant(FloodClients.Transport transport, int connections) {
    static Variant parse(String spec) {
      String[] f = spec.split(":");
      return new Variant(f[0].equalsIgnoreCase("burn") ? null : FloodClients.Transport.valueOf(f[0].toUpperCase()),
          Integer.parseInt(f[1]));
    }

    String kind() {
      return transport == null ? "burn" : transport.name().toLowerCase();
    }

    @Override
    public String toString() {
      return kind() + " x" + connections;
    }
  }

  record Result(Variant variant, double floodRate, double seconds, Map<String, long[]> terms, int leaderChanges,
      ApiLatencies polite, long politeErrors, long spuriousExpiries, long lateRenewals, FloodClients.Counts flood,
      Map<String, Double> cpuPercent, String load) { }

  private final List<NodeRef> nodes;
  private final int seconds;
  private final java.nio.file.Path profileDir; // null: no recording
  private final Integer floodNice; // null: the flood runs in this JVM

  private FloodBench(List<NodeRef> nodes, int seconds, java.nio.file.Path profileDir, Integer floodNice) {
    this.nodes = nodes;
    this.seconds = seconds;
    this.profileDir = profileDir;
    this.floodNice = floodNice;
  }

  public static void main(String[] args) throws Exception {
    Map<String, String> opts = BenchArgs.options(args);
    if (!opts.containsKey("--nodes")) {
      System.err.println("usage: FloodBench --nodes id=host:port:pid,... [--seconds 60] [--factor 10]"
          + " [--calibrate-s 10] [--variants ws:1,grpc:1,grpc:64,burn:1] [--rate R] [--profile DIR] [--flood-nice N]");
      System.exit(2);
    }
    List<Variant> variants = java.util.Arrays.stream(opts.getOrDefault("--variants", "ws:1,grpc:1,grpc:64").split(","))
        .map(Variant::parse).toList();
    if (variants.stream().anyMatch(v -> v.transport() == null) && !opts.containsKey("--flood-nice")) {
      System.err.println("the burn control runs as a process of its own: give --flood-nice");
      System.exit(2);
    }
    List<NodeRef> nodes = BenchArgs.nodes(opts.get("--nodes"));
    FloodBench bench = new FloodBench(nodes, Integer.parseInt(opts.getOrDefault("--seconds", "60")),
        opts.containsKey("--profile") ? java.nio.file.Path.of(opts.get("--profile")) : null,
        opts.containsKey("--flood-nice") ? Integer.valueOf(opts.get("--flood-nice")) : null);
    double capacity = bench.calibrate(Integer.parseInt(opts.getOrDefault("--calibrate-s", "10")));
    double rate = opts.containsKey("--rate") ? Double.parseDouble(opts.get("--rate"))
        : capacity * Double.parseDouble(opts.getOrDefault("--factor", "10"));
    System.out.printf("commit capacity %.0f entries/s; flood rate %.0f acquires/s%n", capacity, rate);
    bench.warmPolite(Integer.parseInt(opts.getOrDefault("--calibrate-s", "10")));
    List<Result> results = new ArrayList<>();
    for (Variant variant : variants) {
      Result r = bench.run(variant, rate);
      results.add(r);
      System.out.println(r.variant() + " done: " + summaryLine(r));
      // Counters since the node started (the calibration refuses nothing at its 64 callers).
      nodes.forEach(n -> System.out.println("  " + n.id() + " overflows so far: " + overflows(n)));
    }
    print(results);
    System.exit(0);
  }

  /**
   * Entries committed per second under 64 closed-loop acquire+release callers on the leader, after
   * as long again unmeasured: fresh node JVMs commit several times less until the JIT has
   * compiled the hot paths.
   */
  double calibrate(int calibrateS) throws Exception {
    measureCapacity(calibrateS);
    return measureCapacity(calibrateS);
  }

  private double measureCapacity(int calibrateS) throws Exception {
    NodeRef leader = ApiLoadBench.awaitLeader(nodes);
    ManagedChannel channel = channel(leader);
    try {
      StockRaftLock api = new StockRaftLock(channel, 10_000);
      AtomicBoolean stop = new AtomicBoolean();
      long before = status(leader).path("commitIndex").asLong();
      long start = System.nanoTime();
      List<CompletableFuture<Void>> callers = new ArrayList<>();
      for (int c = 0; c < 64; c++) {
        callers.add(pairs(api, "calibrate-" + c, stop));
      }
      TimeUnit.SECONDS.sleep(calibrateS);
      long after = status(leader).path("commitIndex").asLong();
      double s = (System.nanoTime() - start) / 1e9;
      stop.set(true);
      CompletableFuture.allOf(callers.toArray(CompletableFuture[]::new)).get(30, TimeUnit.SECONDS);
      return (after - before) / s;
    } finally {
      channel.shutdownNow().awaitTermination(10, TimeUnit.SECONDS);
    }
  }

  /** Acquire+release pairs of one lock, one at a time, until {@code stop}. */
  private static CompletableFuture<Void> pairs(StockRaftLock api, String client, AtomicBoolean stop) {
    if (stop.get()) {
      return CompletableFuture.completedFuture(null);
    }
    return api.async(StockRaftLock.ACQUIRE, AcquireRequest.newBuilder().setLockId("calibrate/" + client)
            .setClientId(client).setTtl(Duration.newBuilder().setSeconds(10)).build())
        .thenCompose(r -> api.async(StockRaftLock.RELEASE, ReleaseRequest.newBuilder()
            .setLockId("calibrate/" + client).setClientId(client).setVersion(r.getLock().getVersion()).build()))
        .handle((r, t) -> null)
        .thenCompose(x -> pairs(api, client, stop));
  }

  /**
   * The polite client's path run unmeasured before the first variant: this JVM's gRPC client and
   * the follower's forwarding get compiled like the nodes' hot paths in {@link #calibrate}.
   * Without it the first variant measured the JIT: the same flood gave a polite p99 of 103–117 ms
   * as the first variant and 56 ms after a control variant had run.
   */
  void warmPolite(int warmS) throws InterruptedException {
    NodeRef leader = ApiLoadBench.awaitLeader(nodes);
    PoliteClient warm = new PoliteClient(nodes.stream().filter(n -> !n.equals(leader)).findFirst().orElseThrow(),
        POLITE_TTL_S);
    warm.start();
    TimeUnit.SECONDS.sleep(warmS);
    warm.stop();
  }

  /** One variant: terms before, the flood and the polite client for the run, then terms after. */
  Result run(Variant variant, double rate) throws Exception {
    NodeRef leader = ApiLoadBench.awaitLeader(nodes);
    NodeRef follower = nodes.stream().filter(n -> !n.equals(leader)).findFirst().orElseThrow();
    Map<String, long[]> terms = new LinkedHashMap<>();
    nodes.forEach(n -> terms.put(n.id(), new long[] {status(n).path("term").asLong(), -1}));
    Map<String, Long> pids = new LinkedHashMap<>();
    nodes.forEach(n -> pids.put(n.id(), n.pid()));
    LeaderWatch watch = new LeaderWatch(nodes);
    watch.start();
    PoliteClient polite = new PoliteClient(follower, POLITE_TTL_S);
    Window window = new Window(pids);
    String recording = startRecording(leader, variant);
    FloodClients.Counts counts = floodNice == null ? floodHere(variant, rate, leader, polite, window)
        : floodInProcess(variant, rate, leader, polite, window);
    stopRecording(leader, recording);
    watch.stop();
    Map<String, Double> cpuPercent = new LinkedHashMap<>();
    window.cpuMs.forEach((id, ms) -> cpuPercent.put(id + (id.equals(leader.id()) ? " (leader)" : ""),
        ms / (window.seconds * 10)));
    nodes.forEach(n -> terms.get(n.id())[1] = status(n).path("term").asLong());
    return new Result(variant, rate, window.seconds, terms, watch.leaderChanges(), polite.latencies,
        polite.errors.get(), polite.spuriousExpiries.get(), polite.lateRenewals.get(), counts, cpuPercent,
        ApiLoadBench.loadAverage());
  }

  /**
   * The measured part of a variant: from the moment the flood sends until it has sent for
   * {@link #seconds}; the flooder's start and close (connections, JVM) are outside it.
   */
  private static final class Window {
    private final Map<String, Long> pids;
    private Map<String, ProcCpu.Sample> cpuAtStart;
    private long startNanos;
    double seconds;
    Map<String, Double> cpuMs = Map.of();

    Window(Map<String, Long> pids) {
      this.pids = pids;
    }

    void begin() {
      cpuAtStart = ProcCpu.sample(pids);
      startNanos = System.nanoTime();
    }

    void end() {
      seconds = (System.nanoTime() - startNanos) / 1e9;
      cpuMs = ProcCpu.since(cpuAtStart);
    }
  }

  /** The measured window: the polite client runs for {@link #seconds} while the flood sends. */
  private void measure(PoliteClient polite, Window window) throws InterruptedException {
    window.begin();
    polite.start();
    try {
      TimeUnit.SECONDS.sleep(seconds);
    } finally {
      polite.stop();
      window.end();
    }
  }

  /** The flood from this JVM, the polite client beside it while it sends. */
  private FloodClients.Counts floodHere(Variant variant, double rate, NodeRef leader, PoliteClient polite,
      Window window) throws Exception {
    FloodClients flood = new FloodClients(variant.transport(), variant.connections(), rate, leader);
    try {
      measure(polite, window);
    } finally {
      flood.close();
    }
    return flood.counts();
  }

  /**
   * The flood from a process of its own (niceness raised by {@link #floodNice}); the polite client
   * runs from the moment the flood sends until it has sent for {@link #seconds}. Every wait on the
   * process is bounded: a flooder that does not start, or does not end, fails the variant with its
   * log instead of hanging the bench. Its log is kept in target/bench-flood/.
   */
  private FloodClients.Counts floodInProcess(Variant variant, double rate, NodeRef leader, PoliteClient polite,
      Window window) throws Exception {
    java.nio.file.Path log = java.nio.file.Path.of("target", "bench-flood",
        "flooder-" + variant.kind() + "-" + variant.connections() + ".log");
    java.nio.file.Files.createDirectories(log.getParent());
    java.nio.file.Files.deleteIfExists(log);
    Process p = variant.transport() == null
        ? io.raftlock.testing.ChildJvm.startLoadGenerator(floodNice, CpuBurner.class, log,
            Integer.toString(variant.connections()), Integer.toString(seconds))
        : io.raftlock.testing.ChildJvm.startLoadGenerator(floodNice, FloodClients.class, log,
            leader.host() + ":" + leader.port(), variant.kind(),
            Integer.toString(variant.connections()), Double.toString(rate), Integer.toString(seconds));
    window.pids.put("flooder", p.pid()); // its CPU is reported beside the nodes'
    CompletableFuture<Void> started = new CompletableFuture<>();
    CompletableFuture<String> lastLine = new CompletableFuture<>();
    Thread reader = new Thread(() -> readFlooder(p, started, lastLine), "flooder-stdout");
    reader.setDaemon(true);
    reader.start();
    try {
      try {
        started.get(60, TimeUnit.SECONDS);
      } catch (java.util.concurrent.TimeoutException | java.util.concurrent.ExecutionException e) {
        throw new IllegalStateException("the flood process did not start: " + java.nio.file.Files.readString(log), e);
      }
      measure(polite, window);
      String last;
      try {
        last = lastLine.get(120, TimeUnit.SECONDS);
      } catch (java.util.concurrent.TimeoutException | java.util.concurrent.ExecutionException e) {
        throw new IllegalStateException("the flood process did not end: " + java.nio.file.Files.readString(log), e);
      }
      if (!p.waitFor(30, TimeUnit.SECONDS) || p.exitValue() != 0 || last == null) {
        throw new IllegalStateException("the flood process failed: " + java.nio.file.Files.readString(log));
      }
      return FloodClients.Counts.parse(last);
    } finally {
      p.destroyForcibly();
    }
  }

  /** The flooder's stdout: {@code started} at its {@link FloodClients#STARTED} line, its last line at the end. */
  private static void readFlooder(Process p, CompletableFuture<Void> started, CompletableFuture<String> lastLine) {
    try (java.io.BufferedReader out = new java.io.BufferedReader(
        new java.io.InputStreamReader(p.getInputStream(), java.nio.charset.StandardCharsets.UTF_8))) {
      String last = null;
      for (String line; (line = out.readLine()) != null; ) {
        if (line.equals(FloodClients.STARTED)) {
          started.complete(null);
        }
        last = line;
      }
      started.completeExceptionally(new IllegalStateException("the flooder's output ended"));
      lastLine.complete(last);
    } catch (java.io.IOException e) {
      started.completeExceptionally(e);
      lastLine.completeExceptionally(e);
    }
  }

  /**
   * With {@code --profile}: a JFR recording of the leader (started with jcmd before the flood:
   * attaching under full load stalls a node), or null.
   */
  private String startRecording(NodeRef leader, Variant variant) throws Exception {
    if (profileDir == null) {
      return null;
    }
    java.nio.file.Files.createDirectories(profileDir);
    String name = "flood-" + variant.kind() + "-" + variant.connections();
    ApiLoadBench.jcmd(leader.pid(), "Started recording", "JFR.start", "name=" + name, "settings=profile");
    return name;
  }

  /** Writes the recording and its CPU-sample summary (by thread, by method) next to it. */
  private void stopRecording(NodeRef leader, String name) throws Exception {
    if (name == null) {
      return;
    }
    java.nio.file.Path jfr = profileDir.resolve("leader-" + name + ".jfr").toAbsolutePath();
    java.nio.file.Files.deleteIfExists(jfr);
    ApiLoadBench.jcmd(leader.pid(), "", "JFR.stop", "name=" + name, "filename=" + jfr);
    java.nio.file.Files.writeString(profileDir.resolve("leader-" + name + ".txt"), ApiJfrSummary.summarize(jfr, 25));
    System.out.println("JFR of the leader: " + jfr + " (summary beside it)");
  }

  /** Polls every node's status every 50 ms on its own thread, counting changes of the leader seen. */
  private static final class LeaderWatch {
    private final List<NodeRef> nodes;
    private final AtomicBoolean stop = new AtomicBoolean();
    private final AtomicLong changes = new AtomicLong();
    private Thread thread;

    LeaderWatch(List<NodeRef> nodes) {
      this.nodes = nodes;
    }

    void start() {
      thread = new Thread(() -> {
        String last = null;
        while (!stop.get()) {
          for (NodeRef n : nodes) {
            JsonNode s = HttpJson.get(url(n), java.time.Duration.ofMillis(500)).orElse(null);
            if (s != null && s.path("isLeader").asBoolean()) {
              String now = n.id() + "@" + s.path("term").asLong();
              if (last != null && !now.equals(last)) {
                changes.incrementAndGet();
              }
              last = now;
            }
          }
          pauseMs(50);
        }
      }, "leader-watch");
      thread.setDaemon(true);
      thread.start();
    }

    void stop() throws InterruptedException {
      stop.set(true);
      thread.join();
    }

    int leaderChanges() {
      return (int) changes.get();
    }
  }

  /**
   * Acquire (TTL {@code ttlS}), renew, release of one lock, one call at a time, through a
   * follower; every {@link #HOLD_EVERY}th lease is held to 80 % of its TTL before the renew.
   * Every call's latency counts, answered or failed. The lease's local deadline runs
   * from the send of the call that granted or renewed it; a renew or release that finds the lock
   * gone and was <em>answered</em> before that deadline proves the cluster expired it early (a
   * spurious expiry). One sent before the deadline but answered after it may have reached the
   * leader after the lease ended: it is counted apart, as a late renewal, not as spurious.
   */
  private static final class PoliteClient {
    final ApiLatencies latencies = new ApiLatencies();
    final AtomicLong errors = new AtomicLong();
    final AtomicLong spuriousExpiries = new AtomicLong();
    final AtomicLong lateRenewals = new AtomicLong();
    /** Every this many-th lease is renewed at 80 % of its TTL instead of at once. */
    static final int HOLD_EVERY = 10;
    private final NodeRef node;
    private final int ttlS;
    private final AtomicBoolean stop = new AtomicBoolean();
    private Thread thread;

    PoliteClient(NodeRef node, int ttlS) {
      this.node = node;
      this.ttlS = ttlS;
    }

    void start() {
      thread = new Thread(this::loop, "polite-client");
      thread.setDaemon(true);
      thread.start();
    }

    void stop() throws InterruptedException {
      stop.set(true);
      thread.join();
    }

    private void loop() {
      ManagedChannel channel = channel(node);
      StockRaftLock api = new StockRaftLock(channel, 5_000);
      String client = "polite-" + System.nanoTime();
      Duration ttl = Duration.newBuilder().setSeconds(ttlS).build();
      try {
        for (long i = 0; !stop.get(); i++) {
          String lock = "polite/" + (i % 16);
          long sentAt = System.nanoTime();
          AcquireResponse a = timed(() -> api.acquire(AcquireRequest.newBuilder().setLockId(lock)
              .setClientId(client).setTtl(ttl).build()));
          if (a == null || !a.getAcquired()) {
            pauseMs(10);
            continue;
          }
          long version = a.getLock().getVersion();
          if (i % HOLD_EVERY == HOLD_EVERY - 1) {
            // Some leases are renewed near their end, not just after the grant: an early expiry
            // anywhere in the lease is then seen, not only in its first milliseconds.
            pauseMs(TimeUnit.SECONDS.toMillis(ttlS) * 8 / 10);
          }
          long renewSentAt = System.nanoTime();
          Boolean renewed = timed(() -> api.renew(RenewRequest.newBuilder().setLockId(lock).setClientId(client)
              .setVersion(version).setNewTtl(ttl).build()).getRenewed());
          checkHeld(renewed, sentAt, renewSentAt, System.nanoTime());
          long releaseSentAt = System.nanoTime();
          Boolean released = timed(() -> api.release(ReleaseRequest.newBuilder().setLockId(lock)
              .setClientId(client).setVersion(version).build()).getReleased());
          checkHeld(released, Boolean.TRUE.equals(renewed) ? renewSentAt : sentAt, releaseSentAt, System.nanoTime());
        }
      } finally {
        channel.shutdownNow();
      }
    }

    /** A call that found the lock gone: spurious if answered within the lease, late if only sent within it. */
    private void checkHeld(Boolean held, long leaseFromNanos, long sentAtNanos, long answeredAtNanos) {
      long ttlNanos = TimeUnit.SECONDS.toNanos(ttlS);
      if (!Boolean.FALSE.equals(held)) {
        return;
      }
      if (answeredAtNanos - leaseFromNanos < ttlNanos) {
        spuriousExpiries.incrementAndGet();
      } else if (sentAtNanos - leaseFromNanos < ttlNanos) {
        lateRenewals.incrementAndGet();
      }
    }

    private <T> T timed(java.util.function.Supplier<T> call) {
      long t0 = System.nanoTime();
      try {
        return call.get();
      } catch (RuntimeException e) {
        errors.incrementAndGet();
        return null;
      } finally {
        synchronized (latencies) {
          latencies.add(System.nanoTime() - t0);
        }
      }
    }
  }

  private static JsonNode status(NodeRef n) {
    return HttpJson.get(url(n), java.time.Duration.ofSeconds(5))
        .orElseThrow(() -> new IllegalStateException("no /status from " + n.id()));
  }

  /**
   * The node's non-zero {@code raftlock_queue_overflows_total} counters (what it refused or cut:
   * in-flight cap, rate limit, slow consumers), for the variant's summary; "-" when none.
   */
  static String overflows(NodeRef n) {
    String body = BenchAccess.PLAIN.get(n, "/metrics", java.time.Duration.ofSeconds(5)).orElse(null);
    if (body == null) {
      return "unreadable";
    }
    StringBuilder out = new StringBuilder();
    for (String line : body.split("\n")) {
      if (line.startsWith("raftlock_queue_overflows_total{")) {
        long v = (long) Double.parseDouble(line.substring(line.lastIndexOf(' ') + 1));
        if (v > 0) {
          int q = line.indexOf("queue=\"") + "queue=\"".length();
          out.append(out.length() == 0 ? "" : " ").append(line, q, line.indexOf('"', q)).append('=').append(v);
        }
      }
    }
    return out.length() == 0 ? "-" : out.toString();
  }

  private static String url(NodeRef n) {
    return "http://" + n.host() + ":" + n.port() + "/status";
  }

  private static ManagedChannel channel(NodeRef n) {
    return ManagedChannelBuilder.forAddress(n.host(), n.port()).usePlaintext().build();
  }

  /** The driver's own pacing (a benchmark thread, not an event loop). */
  private static void pauseMs(long ms) {
    try {
      TimeUnit.MILLISECONDS.sleep(ms);
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
    }
  }

  private static String summaryLine(Result r) {
    StringBuilder terms = new StringBuilder();
    r.terms().forEach((id, t) -> terms.append(id).append(' ').append(t[0]).append("→").append(t[1]).append(", "));
    FloodClients.Counts f = r.flood();
    return String.format("terms %s leader changes %d, polite p50 %.1f ms p99 %.1f ms max %.1f ms (%d calls,"
            + " %d errors, %d spurious expiries, %d late renewals), flood sent %,d held back %,d admitted %,d"
            + " refused %,d failed %,d (WebSocket connections lost and reopened %d)",
        terms, r.leaderChanges(), r.polite().percentileMs(50), r.polite().percentileMs(99),
        r.polite().percentileMs(100), r.polite().count(), r.politeErrors(), r.spuriousExpiries(), r.lateRenewals(),
        f.sent(), f.heldBack(), f.admitted(), f.refused(), f.failed(), f.lost());
  }

  private static void print(List<Result> results) {
    System.out.printf("%n| flood | rate/s | s | terms before → after | leader changes | polite p50 / p99 / max ms |"
        + " polite calls / errors | spurious expiries / late renewals | flood sent / held back |"
        + " admitted / refused / failed | node CPU %% | load avg |%n|---|---:|---:|---|---:|---|---|---|---|---|---|---|%n");
    for (Result r : results) {
      StringBuilder terms = new StringBuilder();
      r.terms().forEach((id, t) -> terms.append(terms.isEmpty() ? "" : ", ").append(t[0]).append("→").append(t[1]));
      StringBuilder cpu = new StringBuilder();
      r.cpuPercent().forEach((id, p) -> cpu.append(cpu.isEmpty() ? "" : ", ").append(id).append(' ')
          .append(Math.round(p)));
      FloodClients.Counts f = r.flood();
      System.out.printf("| %s | %,.0f | %.0f | %s | %d | %.1f / %.1f / %.1f | %,d / %,d | %d / %d | %,d / %,d |"
              + " %,d / %,d / %,d | %s | %s |%n", r.variant(), r.floodRate(), r.seconds(), terms, r.leaderChanges(),
          r.polite().percentileMs(50), r.polite().percentileMs(99), r.polite().percentileMs(100),
          r.polite().count(), r.politeErrors(), r.spuriousExpiries(), r.lateRenewals(), f.sent(), f.heldBack(),
          f.admitted(), f.refused(), f.failed(), cpu, r.load());
    }
  }
}
