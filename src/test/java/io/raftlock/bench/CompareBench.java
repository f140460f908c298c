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

/**
 * One run of the side-by-side benchmark (scripts/bench.sh) against one system, or the summary of
 * all runs. A run is W1 (acquire+release pairs at each client count), W2 (handoff between
 * waiters on one lock) and W3 (W1 with 8 clients while the leader is killed with kill -9), with
 * the {@link LockSafety} checks in each, written as one JSON file.
 *
 * <pre>
 * CompareBench --system raftlock|etcd --nodes id=host:port:pid,... --run N --out FILE
 *              [--warmup S] [--measure S] [--clients 1,8,64] [--waiters 16] [--failover-clients 8]
 *              [--workloads w1,w2,w3]
 * CompareBench --summarize DIR --machine FILE --md FILE
 * </pre>
 */
public final class CompareBench {
  static final ObjectMapper JSON = new ObjectMapper().enable(SerializationFeature.INDENT_OUTPUT);

  private CompareBench() {}

  public static void main(String[] args) throws Exception {
    Map<String, String> a = new LinkedHashMap<>();
    for (int i = 0; i < args.length; i++) {
      if (!args[i].startsWith("--")) {
        throw new IllegalArgumentException("unexpected argument " + args[i]);
      }
      boolean flag = i + 1 >= args.length || args[i + 1].startsWith("--");
      a.put(args[i].substring(2), flag ? "true" : args[++i]);
    }
    if (a.containsKey("summarize")) {
      CompareSummary.write(Path.of(a.get("summarize")), Path.of(a.get("machine")), Path.of(a.get("md")));
      return;
    }
    String system = a.getOrDefault("system", "");
    if (!Set.of("raftlock", "etcd").contains(system) || !a.containsKey("nodes") || !a.containsKey("out")) {
      throw new IllegalArgumentException("--system raftlock|etcd, --nodes and --out are required");
    }
    List<ApiLoadBench.NodeRef> nodes = new ArrayList<>();
    for (String n : a.get("nodes").split(",")) {
      String[] kv = n.split("=", 2);
      String[] hp = kv[1].split(":");
      nodes.add(new ApiLoadBench.NodeRef(kv[0], hp[0], Integer.parseInt(hp[1]), Long.parseLong(hp[2])));
    }
    int warmup = Integer.parseInt(a.getOrDefault("warmup", "3"));
    int measure = Integer.parseInt(a.getOrDefault("measure", "10"));
    List<Integer> clients = List.of(a.getOrDefault("clients", "1,8,64").split(",")).stream().map(Integer::parseInt).toList();
    int waiters = Integer.parseInt(a.getOrDefault("waiters", "16"));
    int failoverClients = Integer.parseInt(a.getOrDefault("failover-clients", "8"));
    Set<String> workloads = Set.of(a.getOrDefault("workloads", "w1,w2,w3").split(","));

    Map<String, Object> out = new LinkedHashMap<>();
    out.put("system", system);
    out.put("run", Integer.parseInt(a.getOrDefault("run", "1")));
    out.put("warmupS", warmup);
    out.put("measureS", measure);
    out.put("loadAverageBefore", ApiLoadBench.loadAverage());
    System.out.printf("%n=== %s run %s (load %s)%n", system, out.get("run"), out.get("loadAverageBefore"));
    if (system.equals("raftlock")) {
      runRaftLock(nodes, warmup, measure, clients, waiters, failoverClients, workloads, out);
    } else {
      runEtcd(nodes, warmup, measure, clients, waiters, failoverClients, workloads, out);
    }
    out.put("loadAverageAfter", ApiLoadBench.loadAverage());
    Path file = Path.of(a.get("out"));
    Files.createDirectories(file.toAbsolutePath().getParent());
    JSON.writeValue(file.toFile(), out);
  }

  // ---------------------------------------------------------------- RaftLock

  private static void runRaftLock(List<ApiLoadBench.NodeRef> nodes, int warmup, int measure, List<Integer> clients,
      int waiters, int failoverClients, Set<String> workloads, Map<String, Object> out) throws Exception {
    ApiLoadBench bench = ApiLoadBench.create(1, warmup, measure);
    try {
      // The leader is looked up again before each scenario: under load it can change.
      ApiLoadBench.NodeRef leader;
      if (workloads.contains("w1")) {
        List<Object> w1 = new ArrayList<>();
        for (int c : clients) {
          boolean last = c == clients.get(clients.size() - 1);
          leader = ApiLoadBench.awaitLeader(nodes);
          HeapSampler heap = last ? HeapSampler.start(nodes) : null;
          ApiLoadBench.PairsResult r = bench.runPairs(leader, "leader", c, warmup, measure);
          w1.add(pairs(r));
          if (last) {
            out.put("heapDuringW1", heap.stop());
            out.put("rssMiBAfterW1", rss(nodes));
          }
        }
        out.put("w1", w1);
      }
      if (workloads.contains("w2")) {
        leader = ApiLoadBench.awaitLeader(nodes);
        out.put("w2", handoff(print(bench.runHandoffs(leader, "leader", waiters, warmup, measure))));
      }
      if (workloads.contains("w3")) {
        leader = ApiLoadBench.awaitLeader(nodes);
        int start = nodes.indexOf(leader);
        // The leader at the moment of the kill (it may have moved during the warm-up).
        java.util.concurrent.atomic.AtomicReference<ApiLoadBench.NodeRef> killed = new java.util.concurrent.atomic.AtomicReference<>();
        GrpcClient grpc = GrpcClient.client(bench.vertx(), new HttpClientOptions().setProtocolVersion(HttpVersion.HTTP_2)
            .setHttp2ClearTextUpgrade(false).setTcpNoDelay(true));
        try {
          List<RaftLockGrpcClient> stubs = nodes.stream().map(n -> RaftLockGrpcClient.create(grpc, n.address())).toList();
          FailoverLoad.Result r = new FailoverLoad(raftLockOps(stubs)).run("f" + System.nanoTime(), failoverClients,
              start, warmup * 1000L, () -> {
                killed.set(ApiLoadBench.awaitLeader(nodes));
                return () -> kill(killed.get().pid());
              }, 2000);
          out.put("w3", failover(r, killed.get().id()));
        } finally {
          grpc.close().await();
        }
      }
    } finally {
      bench.close();
    }
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

  private static void runEtcd(List<ApiLoadBench.NodeRef> nodes, int warmup, int measure, List<Integer> clients,
      int waiters, int failoverClients, Set<String> workloads, Map<String, Object> out) throws Exception {
    List<EtcdLoadBench.Endpoint> eps = nodes.stream().map(n -> new EtcdLoadBench.Endpoint(n.id(), n.host(), n.port(), n.pid())).toList();
    try (EtcdLoadBench bench = new EtcdLoadBench(eps, warmup, measure)) {
      int leader;
      if (workloads.contains("w1")) {
        List<Object> w1 = new ArrayList<>();
        for (int c : clients) {
          leader = bench.leader();
          w1.add(pairs(bench.runPairs(leader, c)));
          if (c == clients.get(clients.size() - 1)) {
            out.put("rssMiBAfterW1", rss(nodes));
          }
        }
        out.put("w1", w1);
      }
      if (workloads.contains("w2")) {
        leader = bench.leader();
        out.put("w2", handoff(print(bench.runHandoffs(leader, waiters))));
      }
      if (workloads.contains("w3")) {
        leader = bench.leader();
        List<Long> leases = bench.leasesFor(leader, failoverClients + 1); // + the sentinel holder
        int[] killed = new int[1];
        FailoverLoad.Result r = new FailoverLoad(bench.failoverOps(leases)).run("f" + System.nanoTime(), failoverClients,
            leader, warmup * 1000L, () -> {
              killed[0] = bench.leader(); // the leader at the moment of the kill
              return () -> kill(bench.endpoint(killed[0]).pid());
            }, 2000);
        out.put("w3", failover(r, bench.endpoint(killed[0]).id()));
      }
    }
  }

  // ---------------------------------------------------------------- results

  private static void kill(long pid) {
    // destroyForcibly is SIGKILL on Linux: kill -9.
    ProcessHandle.of(pid).ifPresentOrElse(ProcessHandle::destroyForcibly,
        () -> System.out.println("warning: no process " + pid + " to kill"));
  }

  private static Map<String, Object> pairs(ApiLoadBench.PairsResult r) {
    Map<String, Object> m = new LinkedHashMap<>();
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
    m.put("loadAverage", ApiLoadBench.loadAverage());
    System.out.printf("W1 %3d clients: %8.0f pairs/s  acquire p50 %.2f p99 %.2f ms  errors %d  safety %s%n", r.clients(),
        r.rate(), r.acquire().percentileMs(50), r.acquire().percentileMs(99), r.errors(), r.safety().toMap());
    return m;
  }

  private static ApiLoadBench.HandoffResult print(ApiLoadBench.HandoffResult r) {
    System.out.printf("W2 %d waiters: %7.0f handoffs/s  grant (release returned → granted) p50 %.2f p99 %.2f ms  "
        + "(release sent → granted) p50 %.2f p99 %.2f ms  errors %d  safety %s%n", r.waiters(), r.rate(),
        r.respToGrant().percentileMs(50), r.respToGrant().percentileMs(99), r.sentToGrant().percentileMs(50),
        r.sentToGrant().percentileMs(99), r.errors(), r.safety().toMap());
    return r;
  }

  private static Map<String, Object> handoff(ApiLoadBench.HandoffResult r) {
    Map<String, Object> m = new LinkedHashMap<>();
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
