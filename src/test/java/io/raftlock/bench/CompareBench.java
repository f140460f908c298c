package io.raftlock.bench;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.SerializationFeature;
import com.google.protobuf.Duration;
import io.raftlock.proto.api.AcquireRequest;
import io.raftlock.proto.api.ErrorCode;
import io.raftlock.proto.api.RaftLockGrpcClient;
import io.raftlock.proto.api.ReleaseRequest;
import io.vertx.core.http.HttpClientOptions;
import io.vertx.core.http.HttpVersion;
import io.vertx.grpc.client.GrpcClient;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;

/**
 * One run of the side-by-side benchmark (scripts/bench.sh) against one system, or the summary of
 * all runs. A run is W1 (acquire+release pairs at each client count), W2 (handoff between
 * contenders on one lock) and W3 (W1 with 8 clients while the leader is killed with kill -9), with
 * the {@link LockSafety} checks in each, written as one JSON file.
 *
 * <p>RaftLock's W1 and W2 go through {@code RaftLockClient} ({@link ClientLoadBench}): one client
 * per simulated user, plus W1 with all users sharing one client ({@code shared}). The same run
 * measures the server-side floor with {@link ApiLoadBench}'s raw asynchronous gRPC driver
 * ({@code floor}: W1 at the smallest and the largest client count, and W2), so the client's own cost shows next to
 * it. W3 drives raw gRPC stubs with its own retry policy, as before.
 */
public final class CompareBench {
  static final ObjectMapper JSON = new ObjectMapper().enable(SerializationFeature.INDENT_OUTPUT);
  static final String USAGE = """
      CompareBench --system raftlock|etcd --nodes id=host:port:pid,... --out FILE [--run N]
                   [--warmup S] [--measure S] [--clients 1,8,64] [--shared-users 64] [--waiters 16]
                   [--failover-clients 8] [--workloads w1,shared,floor,w2,w3] [--profile DIR]
                   [--jit-warmup S] [--ca FILE] [--api-key-file FILE]
      CompareBench --summarize DIR --machine FILE --md FILE
        shared:  W1 with --shared-users users on one RaftLockClient (RaftLock only)
        floor:   ApiLoadBench's raw driver, W1 at the smallest and largest --clients and W2 (RaftLock only)
        jit-warmup: first each workload once for S s, not recorded, in this JVM (W3 excepted): the
                 client library, jetcd and the nodes are compiled by the JIT before anything is
                 measured, not while the first workloads run
        profile: after the workloads, W1 at the largest --clients through RaftLockClient and through
                 ApiLoadBench again, with JFR recordings of the leader and the driver (RaftLock only)
        ca, api-key-file: a secure RaftLock cluster (TLS on the client port, auth on): the clients
                 trust the CA and send the key read from the file; only the workloads that go through
                 RaftLockClient run (w1, shared, w2): floor, w3 and profile drive plaintext gRPC
      """;

  private CompareBench() {}

  public static void main(String[] args) throws Exception {
    Map<String, String> a = new LinkedHashMap<>();
    for (int i = 0; i < args.length; i++) {
      if (!args[i].startsWith("--")) {
        throw new IllegalArgumentException("unexpected argument " + args[i] + "\n" + USAGE);
      }
      boolean flag = i + 1 >= args.length || args[i + 1].startsWith("--");
      a.put(args[i].substring(2), flag ? "true" : args[++i]);
    }
    if (a.containsKey("help")) {
      System.out.print(USAGE);
      return;
    }
    if (a.containsKey("summarize")) {
      CompareSummary.write(Path.of(a.get("summarize")), Path.of(a.get("machine")), Path.of(a.get("md")));
      return;
    }
    String system = a.getOrDefault("system", "");
    if (!Set.of("raftlock", "etcd").contains(system) || !a.containsKey("nodes") || !a.containsKey("out")) {
      throw new IllegalArgumentException("--system raftlock|etcd, --nodes and --out are required\n" + USAGE);
    }
    List<ApiLoadBench.NodeRef> nodes = BenchArgs.nodes(a.get("nodes"));
    Settings s = new Settings(Integer.parseInt(a.getOrDefault("warmup", "3")),
        Integer.parseInt(a.getOrDefault("measure", "10")),
        List.of(a.getOrDefault("clients", "1,8,64").split(",")).stream().map(Integer::parseInt).toList(),
        Integer.parseInt(a.getOrDefault("shared-users", "64")), Integer.parseInt(a.getOrDefault("waiters", "16")),
        Integer.parseInt(a.getOrDefault("failover-clients", "8")),
        Set.of(a.getOrDefault("workloads", "w1,shared,floor,w2,w3").split(",")),
        a.containsKey("profile") ? Path.of(a.get("profile")) : null, access(a),
        Integer.parseInt(a.getOrDefault("jit-warmup", "0")));
    if (s.access().secure()) {
      s = s.throughTheClientOnly();
    }

    Map<String, Object> out = new LinkedHashMap<>();
    out.put("system", system);
    out.put("run", Integer.parseInt(a.getOrDefault("run", "1")));
    out.put("warmupS", s.warmup());
    out.put("jitWarmupS", s.jitWarmup());
    out.put("measureS", s.measure());
    out.put("loadAverageBefore", ApiLoadBench.loadAverage());
    System.out.printf("%n=== %s%s run %s (load %s)%n", system, s.access().secure() ? " with TLS and auth" : "",
        out.get("run"), out.get("loadAverageBefore"));
    if (system.equals("raftlock")) {
      runRaftLock(nodes, s, out);
    } else {
      runEtcd(nodes, s, out);
    }
    out.put("loadAverageAfter", ApiLoadBench.loadAverage());
    Path file = Path.of(a.get("out"));
    Files.createDirectories(file.toAbsolutePath().getParent());
    JSON.writeValue(file.toFile(), out);
  }

  /** The settings of one run. */
  record Settings(int warmup, int measure, List<Integer> clients, int sharedUsers, int waiters, int failoverClients,
      Set<String> workloads, Path profile, BenchAccess access, int jitWarmup) {
    int largest() {
      return clients.get(clients.size() - 1);
    }

    int smallest() {
      return clients.get(0);
    }

    /** Without the workloads that drive raw plaintext gRPC (floor, w3) and without profiling. */
    Settings throughTheClientOnly() {
      Set<String> kept = new java.util.TreeSet<>(workloads);
      kept.retainAll(Set.of("w1", "shared", "w2"));
      return new Settings(warmup, measure, clients, sharedUsers, waiters, failoverClients, kept, null, access,
          jitWarmup);
    }
  }

  /** TLS trusting --ca and the key of --api-key-file (kept off the command line), or plaintext. */
  private static BenchAccess access(Map<String, String> a) throws IOException {
    if (!a.containsKey("ca") && !a.containsKey("api-key-file")) {
      return BenchAccess.PLAIN;
    }
    if (!a.containsKey("ca") || !a.containsKey("api-key-file")) {
      throw new IllegalArgumentException("--ca and --api-key-file go together\n" + USAGE);
    }
    return new BenchAccess(Path.of(a.get("ca")), Files.readString(Path.of(a.get("api-key-file"))).trim());
  }

  // ---------------------------------------------------------------- RaftLock

  /**
   * Each selected workload once, not recorded, in this JVM. Why: a driver JVM is fresh at every
   * run, and in its first minute its JIT compiles the client library (and the nodes' JITs their
   * server paths): measured with async-profiler, the C2 compiler threads took 24-44 % of each
   * process's CPU samples 45 s into a run. Without this, whatever runs first (the client path)
   * is measured on colder code than what runs later (the floor).
   */
  private static void warmRaftLock(List<ApiLoadBench.NodeRef> nodes, Settings s) throws Exception {
    if (s.jitWarmup() <= 0) {
      return;
    }
    System.out.printf("JIT warm-up: each workload once for %d s (not recorded)%n", s.jitWarmup());
    ApiLoadBench floor = ApiLoadBench.create(1, 1, s.jitWarmup());
    ClientLoadBench client = new ClientLoadBench(nodes, 1, s.jitWarmup(), s.access());
    try {
      if (s.workloads().contains("w1")) {
        client.runPairs(s.largest(), false);
      }
      if (s.workloads().contains("shared")) {
        client.runPairs(s.sharedUsers(), true);
      }
      if (s.workloads().contains("floor")) {
        floor.runPairs(ApiLoadBench.awaitLeader(nodes), "ApiLoadBench", s.largest(), 1, s.jitWarmup());
      }
      if (s.workloads().contains("w2")) {
        client.runHandoffs(s.waiters());
      }
      if (s.workloads().contains("w2") && s.workloads().contains("floor")) {
        floor.runHandoffs(ApiLoadBench.awaitLeader(nodes), "ApiLoadBench", s.waiters(), 1, s.jitWarmup());
      }
    } finally {
      floor.close();
    }
  }

  private static void runRaftLock(List<ApiLoadBench.NodeRef> nodes, Settings s, Map<String, Object> out)
      throws Exception {
    warmRaftLock(nodes, s);
    ApiLoadBench floor = ApiLoadBench.create(1, s.warmup(), s.measure());
    floor.measureCpuOf(nodes);
    ClientLoadBench client = new ClientLoadBench(nodes, s.warmup(), s.measure(), s.access());
    out.put("clientEndpoints", nodes.stream().map(ApiLoadBench.NodeRef::id).toList());
    out.put("tlsAndAuth", s.access().secure());
    try {
      // The leader is looked up again before each scenario: under load it can change.
      ApiLoadBench.NodeRef leader;
      if (s.workloads().contains("w1")) {
        List<Object> w1 = new ArrayList<>();
        for (int c : s.clients()) {
          boolean last = c == s.largest();
          leader = ApiLoadBench.awaitLeader(nodes, s.access());
          HeapSampler heap = last ? HeapSampler.start(nodes, s.access()) : null;
          w1.add(pairs(client.runPairs(c, false), leader.id(), nodes));
          if (last) {
            out.put("heapDuringW1", heap.stop());
            out.put("rssMiBAfterW1", rss(nodes));
          }
        }
        out.put("w1", w1);
      }
      if (s.workloads().contains("shared")) {
        leader = ApiLoadBench.awaitLeader(nodes, s.access());
        out.put("w1Shared", pairs(client.runPairs(s.sharedUsers(), true), leader.id(), nodes));
      }
      if (s.workloads().contains("floor")) {
        leader = ApiLoadBench.awaitLeader(nodes);
        out.put("w1Floor", pairs(floor.runPairs(leader, "ApiLoadBench", s.largest(), s.warmup(), s.measure()),
            leader.id(), nodes));
        if (s.smallest() != s.largest()) {
          // The floor of the single-client latency: one quorum commit round without the library.
          leader = ApiLoadBench.awaitLeader(nodes);
          out.put("w1FloorLow", pairs(floor.runPairs(leader, "ApiLoadBench", s.smallest(), s.warmup(), s.measure()),
              leader.id(), nodes));
        }
      }
      if (s.workloads().contains("w2")) {
        leader = ApiLoadBench.awaitLeader(nodes, s.access());
        ApiLoadBench.HandoffResult r = print(client.runHandoffs(s.waiters()));
        out.put("w2", handoff(r, cpuPerOp(client.lastCpuMs(), r.grants(), leader.id())));
      }
      if (s.workloads().contains("w2") && s.workloads().contains("floor")) {
        leader = ApiLoadBench.awaitLeader(nodes);
        out.put("w2Floor", handoff(print(floor.runHandoffs(leader, "ApiLoadBench", s.waiters(), s.warmup(),
            s.measure())), Map.of()));
      }
      if (s.profile() != null) {
        ClientProfile.record(nodes, s.profile(), "client-w1-" + s.largest(),
            l -> () -> client.runPairs(s.largest(), false));
        ClientProfile.record(nodes, s.profile(), "floor-w1-" + s.largest(),
            l -> () -> floor.runPairs(l, "ApiLoadBench", s.largest(), s.warmup(), s.measure()));
      }
      if (s.workloads().contains("w3")) {
        out.put("w3", failoverRaftLock(floor, nodes, s));
      }
    } finally {
      floor.close();
    }
  }

  private static Map<String, Object> failoverRaftLock(ApiLoadBench bench, List<ApiLoadBench.NodeRef> nodes,
      Settings s) throws Exception {
    ApiLoadBench.NodeRef leader = ApiLoadBench.awaitLeader(nodes);
    int start = nodes.indexOf(leader);
    // The leader at the moment of the kill (it may have moved during the warm-up).
    java.util.concurrent.atomic.AtomicReference<ApiLoadBench.NodeRef> killed = new java.util.concurrent.atomic.AtomicReference<>();
    long[] termBefore = {-1};
    GrpcClient grpc = GrpcClient.client(bench.vertx(), new HttpClientOptions().setProtocolVersion(HttpVersion.HTTP_2)
        .setHttp2ClearTextUpgrade(false).setTcpNoDelay(true));
    try {
      List<RaftLockGrpcClient> stubs = nodes.stream().map(n -> RaftLockGrpcClient.create(grpc, n.address())).toList();
      FailoverLoad.Result r = new FailoverLoad(raftLockOps(stubs)).run("f" + System.nanoTime(), s.failoverClients(),
          start, s.warmup() * 1000L, () -> {
            killed.set(ApiLoadBench.awaitLeader(nodes));
            termBefore[0] = term(killed.get());
            return () -> kill(killed.get().pid());
          }, 2000);
      List<ApiLoadBench.NodeRef> survivors = nodes.stream().filter(n -> !n.equals(killed.get())).toList();
      long termAfter = term(ApiLoadBench.awaitLeader(survivors));
      Map<String, Object> m = failover(r, killed.get().id());
      m.put("termBefore", termBefore[0]);
      m.put("termAfter", termAfter);
      // A kill that missed the leader (leadership moved between lookup and kill) elects nobody.
      System.out.printf("W3 term %d before the kill, %d after%s%n", termBefore[0], termAfter,
          termAfter > termBefore[0] ? "" : ": no election, the killed node was not leading; not a failover figure");
      return m;
    } finally {
      grpc.close().await();
    }
  }

  /** The node's Raft term from its /status, or -1 when it does not answer. */
  private static long term(ApiLoadBench.NodeRef n) {
    return io.raftlock.testing.HttpJson.get("http://" + n.host() + ":" + n.port() + "/status",
        java.time.Duration.ofSeconds(2)).map(j -> j.path("term").asLong(-1)).orElse(-1L);
  }

  private static final Set<ErrorCode> HOLDING_GONE = Set.of(ErrorCode.VERSION_MISMATCH, ErrorCode.NOT_LOCK_OWNER,
      ErrorCode.LOCK_NOT_HELD, ErrorCode.LOCK_NOT_FOUND);

  /** RaftLock calls with request ids: a retry on any node returns the first reply. */
  private static FailoverLoad.Ops raftLockOps(List<RaftLockGrpcClient> stubs) {
    Duration ttl = ApiLoadBench.TTL;
    return new FailoverLoad.Ops() {
      @Override
      public int endpoints() {
        return stubs.size();
      }

      @Override
      public boolean releaseTellsLoss() {
        return true; // a retried release with the same request id gets the first reply
      }

      @Override
      public CompletableFuture<FailoverLoad.Grant> acquire(int endpoint, String clientId, String lock, String requestId) {
        return stubs.get(endpoint).acquire(AcquireRequest.newBuilder().setLockId(lock).setClientId(clientId).setTtl(ttl)
            .setRequestId(requestId).build()).toCompletionStage().toCompletableFuture().thenApply(r -> {
              if (!r.getAcquired()) {
                throw new IllegalStateException("acquire: " + r.getError().getCode());
              }
              return new FailoverLoad.Grant(lock, r.getLock().getVersion(), null);
            });
      }

      @Override
      public CompletableFuture<Boolean> release(int endpoint, String clientId, FailoverLoad.Grant g, String requestId,
          boolean verify) {
        return stubs.get(endpoint).release(ReleaseRequest.newBuilder().setLockId(g.lock()).setClientId(clientId)
            .setVersion(g.token()).setRequestId(requestId).build()).toCompletionStage().toCompletableFuture().thenApply(r -> {
              if (r.getReleased()) {
                return true;
              }
              if (HOLDING_GONE.contains(r.getError().getCode())) {
                return false;
              }
              throw new IllegalStateException("release: " + r.getError().getCode());
            });
      }
    };
  }

  // ---------------------------------------------------------------- etcd

  private static void runEtcd(List<ApiLoadBench.NodeRef> nodes, Settings s, Map<String, Object> out) throws Exception {
    List<EtcdLoadBench.Endpoint> eps = nodes.stream().map(n -> new EtcdLoadBench.Endpoint(n.id(), n.host(), n.port(), n.pid())).toList();
    if (s.jitWarmup() > 0 && (s.workloads().contains("w1") || s.workloads().contains("w2"))) {
      System.out.printf("JIT warm-up: each workload once for %d s (not recorded)%n", s.jitWarmup());
      try (EtcdLoadBench warm = new EtcdLoadBench(eps, 1, s.jitWarmup())) { // see warmRaftLock
        if (s.workloads().contains("w1")) {
          warm.runPairs(warm.leader(), s.largest());
        }
        if (s.workloads().contains("w2")) {
          warm.runHandoffs(warm.leader(), s.waiters());
        }
      }
    }
    try (EtcdLoadBench bench = new EtcdLoadBench(eps, s.warmup(), s.measure())) {
      int leader;
      if (s.workloads().contains("w1")) {
        List<Object> w1 = new ArrayList<>();
        for (int c : s.clients()) {
          leader = bench.leader();
          w1.add(pairs(bench.runPairs(leader, c), bench.endpoint(leader).id(), nodes));
          if (c == s.largest()) {
            out.put("rssMiBAfterW1", rss(nodes));
          }
        }
        out.put("w1", w1);
      }
      if (s.workloads().contains("w2")) {
        leader = bench.leader();
        out.put("w2", handoff(print(bench.runHandoffs(leader, s.waiters())), Map.of()));
      }
      if (s.workloads().contains("w3")) {
        leader = bench.leader();
        List<Long> leases = bench.leasesFor(leader, s.failoverClients() + 1); // + the sentinel holder
        int[] killed = new int[1];
        FailoverLoad.Result r = new FailoverLoad(bench.failoverOps(leases)).run("f" + System.nanoTime(),
            s.failoverClients(), leader, s.warmup() * 1000L, () -> {
              killed[0] = bench.leader(); // the leader at the moment of the kill
              return () -> kill(bench.endpoint(killed[0]).pid());
            }, 2000);
        out.put("w3", failover(r, bench.endpoint(killed[0]).id()));
      }
    }
  }

  // ---------------------------------------------------------------- results

  /**
   * kill -9 ({@code destroyForcibly} is SIGKILL on Linux), returning once the process is dead (gone
   * from /proc or a zombie): until then a call sent after the signal may still be answered by it.
   * Not {@code ProcessHandle.onExit()}: for a process that is not this JVM's child (the nodes are
   * started by the script) the JDK polls its exit from 300 ms on, which would become a floor
   * under every failover figure.
   */
  private static void kill(long pid) {
    java.util.Optional<ProcessHandle> process = ProcessHandle.of(pid);
    if (process.isEmpty()) {
      System.out.println("warning: no process " + pid + " to kill");
      return;
    }
    process.get().destroyForcibly();
    java.nio.file.Path stat = java.nio.file.Path.of("/proc", Long.toString(pid), "stat");
    long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(10);
    while (System.nanoTime() < deadline) {
      try {
        String line = java.nio.file.Files.readString(stat);
        // pid (comm) state ...: the state follows the last ')' (comm may hold spaces or parentheses).
        if (line.charAt(line.lastIndexOf(')') + 2) == 'Z') {
          return;
        }
      } catch (java.io.IOException | RuntimeException gone) {
        return;
      }
      java.util.concurrent.locks.LockSupport.parkNanos(TimeUnit.MILLISECONDS.toNanos(1)); // a driver thread
    }
    System.out.println("warning: process " + pid + " still alive 10 s after SIGKILL");
  }

  private static Map<String, Object> pairs(ApiLoadBench.PairsResult r, String leaderId, List<ApiLoadBench.NodeRef> nodes) {
    Map<String, Object> m = new LinkedHashMap<>();
    m.put("via", r.via());
    m.put("clients", r.clients());
    m.put("seconds", r.seconds());
    m.put("pairs", r.pairs());
    m.put("pairsPerSec", r.rate());
    m.put("acquireP50Ms", r.acquire().percentileMs(50));
    m.put("acquireP99Ms", r.acquire().percentileMs(99));
    m.put("acquireP999Ms", r.acquire().percentileMs(99.9));
    m.put("releaseP50Ms", r.release().percentileMs(50));
    m.put("releaseP99Ms", r.release().percentileMs(99));
    m.put("errors", r.errors());
    m.put("errorKinds", r.errorKinds());
    m.put("safety", r.safety().toMap());
    m.put("leader", leaderId);
    m.put("firstEndpointIsLeader", nodes.get(0).id().equals(leaderId));
    m.put("cpuMs", r.cpuMs());
    Map<String, Object> cpu = cpuPerOp(r.cpuMs(), r.pairs(), leaderId);
    m.put("cpuUsPerPair", cpu);
    m.put("loadAverage", ApiLoadBench.loadAverage());
    System.out.printf("W1 %-24s %3d clients: %8.0f pairs/s  acquire p50 %.2f p99 %.2f ms  release p50 %.2f p99 %.2f ms  "
        + "errors %d%s  CPU µs/pair %s  safety %s%n", r.via(), r.clients(), r.rate(), r.acquire().percentileMs(50),
        r.acquire().percentileMs(99), r.release().percentileMs(50), r.release().percentileMs(99), r.errors(),
        r.errorKinds().isEmpty() ? "" : " " + r.errorKinds(), cpu, r.safety().toMap());
    return m;
  }

  /**
   * CPU microseconds per operation of the leader, of each follower and in all, and of the driver
   * (the client JVM), from the CPU milliseconds of each process over the measured window.
   */
  static Map<String, Object> cpuPerOp(Map<String, Double> cpuMs, long ops, String leaderId) {
    Map<String, Object> m = new LinkedHashMap<>();
    if (ops <= 0 || cpuMs.isEmpty()) {
      return m;
    }
    List<Double> followers = new ArrayList<>();
    cpuMs.forEach((id, ms) -> {
      double us = Math.round(ms * 1000 / ops * 10) / 10.0;
      if (id.equals("driver")) {
        m.put("driver", us);
      } else if (id.equals(leaderId)) {
        m.put("leader", us);
      } else {
        followers.add(us);
      }
    });
    m.put("followerEach", followers);
    m.put("followers", Math.round(followers.stream().mapToDouble(Double::doubleValue).sum() * 10) / 10.0);
    return m;
  }

  private static ApiLoadBench.HandoffResult print(ApiLoadBench.HandoffResult r) {
    System.out.printf("W2 %-24s %d waiters: %7.0f handoffs/s  grant (release returned → granted) p50 %.2f p99 %.2f ms  "
        + "(release called → granted) p50 %.2f p99 %.2f ms  errors %d  safety %s%n", r.via(), r.waiters(), r.rate(),
        r.respToGrant().percentileMs(50), r.respToGrant().percentileMs(99), r.sentToGrant().percentileMs(50),
        r.sentToGrant().percentileMs(99), r.errors(), r.safety().toMap());
    return r;
  }

  private static Map<String, Object> handoff(ApiLoadBench.HandoffResult r, Map<String, Object> cpuPerHandoff) {
    Map<String, Object> m = new LinkedHashMap<>();
    m.put("via", r.via());
    m.put("waiters", r.waiters());
    m.put("seconds", r.seconds());
    m.put("handoffs", r.grants());
    m.put("handoffsPerSec", r.rate());
    m.put("grantP50Ms", r.respToGrant().percentileMs(50));
    m.put("grantP99Ms", r.respToGrant().percentileMs(99));
    m.put("releaseSentToGrantP50Ms", r.sentToGrant().percentileMs(50));
    m.put("releaseSentToGrantP99Ms", r.sentToGrant().percentileMs(99));
    m.put("grantBeforeReleaseReturned", r.pushFirst());
    m.put("handoffsTimed", r.respToGrant().count());
    m.put("errors", r.errors());
    m.put("errorKinds", r.errorKinds());
    m.put("safety", r.safety().toMap());
    m.put("cpuUsPerHandoff", cpuPerHandoff);
    m.put("loadAverage", ApiLoadBench.loadAverage());
    return m;
  }

  private static Map<String, Object> failover(FailoverLoad.Result r, String killed) {
    Map<String, Object> m = new LinkedHashMap<>(r.toMap());
    m.put("killed", killed);
    m.put("loadAverage", ApiLoadBench.loadAverage());
    System.out.printf("W3 %d clients, killed %s: first acquire after %.0f ms  errors retried %d surfaced %d  "
        + "held across the kill %d lost %d  safety %s  %s%n", r.clients(), killed, r.unavailableMs(), r.errorsRetried(),
        r.errorsSurfaced(), r.heldAcrossKill(), r.lost(), r.safety().toMap(), r.errorKinds());
    return m;
  }

  /** Resident set size of each member process in MiB (Linux /proc), -1 when unknown. */
  private static Map<String, Long> rss(List<ApiLoadBench.NodeRef> nodes) {
    Map<String, Long> m = new LinkedHashMap<>();
    for (ApiLoadBench.NodeRef n : nodes) {
      long kib = -1;
      try {
        for (String line : Files.readAllLines(Path.of("/proc/" + n.pid() + "/status"))) {
          if (line.startsWith("VmRSS:")) {
            kib = Long.parseLong(line.replaceAll("[^0-9]", ""));
          }
        }
      } catch (IOException | RuntimeException e) {
        kib = -1;
      }
      m.put(n.id(), kib < 0 ? -1 : kib / 1024);
    }
    return m;
  }

  static JsonNode read(Path p) throws IOException {
    return JSON.readTree(p.toFile());
  }
}
