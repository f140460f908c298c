package io.raftlock.bench;

import com.google.protobuf.ByteString;
import io.etcd.jetcd.api.LeaseGrantRequest;
import io.etcd.jetcd.api.LeaseGrantResponse;
import io.etcd.jetcd.api.LeaseGrpc;
import io.etcd.jetcd.api.LeaseKeepAliveRequest;
import io.etcd.jetcd.api.LeaseKeepAliveResponse;
import io.etcd.jetcd.api.MaintenanceGrpc;
import io.etcd.jetcd.api.RangeRequest;
import io.etcd.jetcd.api.RangeResponse;
import io.etcd.jetcd.api.StatusRequest;
import io.etcd.jetcd.api.StatusResponse;
import io.etcd.jetcd.api.KVGrpc;
import io.etcd.jetcd.api.lock.LockGrpc;
import io.etcd.jetcd.api.lock.LockRequest;
import io.etcd.jetcd.api.lock.LockResponse;
import io.etcd.jetcd.api.lock.UnlockRequest;
import io.etcd.jetcd.api.lock.UnlockResponse;
import io.grpc.ManagedChannel;
import io.grpc.ManagedChannelBuilder;
import io.grpc.stub.StreamObserver;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicLong;
import java.util.function.Consumer;

/**
 * The etcd side of the comparison: the same workloads as {@link ApiLoadBench} (W1 pairs, W2
 * handoff) and {@link FailoverLoad} (W3), against a 3-member etcd cluster through its native v3
 * gRPC API (the v3lock service with a lease), with grpc-java and etcd's generated stubs.
 *
 * <p>One channel (one HTTP/2 connection) per endpoint, callbacks on its Netty event loop
 * ({@code directExecutor}), no blocking call on it: the same shape as the RaftLock driver (one
 * Vert.x event loop, one connection per scenario). Each simulated client grants itself a lease
 * once (TTL 30 s, kept alive every 10 s) and then loops {@code Lock(name, lease)} /
 * {@code Unlock(key)}. The token checked per lock is the revision in the Lock response header:
 * for a lock taken without waiting it is the lock key's create revision; for a waited lock it is
 * the revision at which etcd saw the predecessor's key deleted. Either strictly increases per lock
 * while mutual exclusion holds.
 */
final class EtcdLoadBench implements AutoCloseable {
  static final long LEASE_TTL_S = 30;

  record Endpoint(String id, String host, int port, long pid) { }

  private final List<Endpoint> endpoints;
  private final List<ManagedChannel> channels = new ArrayList<>();
  private final ScheduledExecutorService timers = Executors.newSingleThreadScheduledExecutor(r -> {
    Thread t = new Thread(r, "etcd-bench-timer");
    t.setDaemon(true);
    return t;
  });
  /** Leases to keep alive, per endpoint index they were granted on. */
  private final Map<Long, Integer> leases = new ConcurrentHashMap<>();
  private final Map<Integer, StreamObserver<LeaseKeepAliveRequest>> keepAlive = new ConcurrentHashMap<>();
  private final int warmupS;
  private final int measureS;
  /** CPU milliseconds each member and this driver used in the last measured window. */
  private Map<String, Double> cpuInWindow = Map.of();
  private int runs;

  EtcdLoadBench(List<Endpoint> endpoints, int warmupS, int measureS) {
    this.endpoints = endpoints;
    this.warmupS = warmupS;
    this.measureS = measureS;
    for (Endpoint e : endpoints) {
      ManagedChannel ch = ManagedChannelBuilder.forAddress(e.host(), e.port()).usePlaintext().directExecutor().build();
      channels.add(ch);
    }
    timers.scheduleAtFixedRate(this::keepLeasesAlive, 10, 10, TimeUnit.SECONDS);
  }

  // ---------------------------------------------------------------- plumbing

  private static <T> StreamObserver<T> observer(CompletableFuture<T> f) {
    return new StreamObserver<>() {
      @Override
      public void onNext(T value) {
        f.complete(value);
      }

      @Override
      public void onError(Throwable t) {
        f.completeExceptionally(t);
      }

      @Override
      public void onCompleted() {
        if (!f.isDone()) {
          f.completeExceptionally(new IllegalStateException("no response"));
        }
      }
    };
  }

  CompletableFuture<LeaseGrantResponse> grantLease(int endpoint) {
    CompletableFuture<LeaseGrantResponse> f = new CompletableFuture<>();
    LeaseGrpc.newStub(channels.get(endpoint)).leaseGrant(LeaseGrantRequest.newBuilder().setTTL(LEASE_TTL_S).build(), observer(f));
    return f.thenApply(r -> {
      leases.put(r.getID(), endpoint);
      return r;
    });
  }

  CompletableFuture<LockResponse> lock(int endpoint, String name, long lease, long deadlineMs) {
    CompletableFuture<LockResponse> f = new CompletableFuture<>();
    LockGrpc.LockStub stub = LockGrpc.newStub(channels.get(endpoint));
    if (deadlineMs > 0) {
      stub = stub.withDeadlineAfter(deadlineMs, TimeUnit.MILLISECONDS);
    }
    stub.lock(LockRequest.newBuilder().setName(ByteString.copyFromUtf8(name)).setLease(lease).build(), observer(f));
    return f;
  }

  CompletableFuture<UnlockResponse> unlock(int endpoint, ByteString key) {
    CompletableFuture<UnlockResponse> f = new CompletableFuture<>();
    LockGrpc.newStub(channels.get(endpoint)).unlock(UnlockRequest.newBuilder().setKey(key).build(), observer(f));
    return f;
  }

  CompletableFuture<RangeResponse> range(int endpoint, ByteString key) {
    CompletableFuture<RangeResponse> f = new CompletableFuture<>();
    KVGrpc.newStub(channels.get(endpoint)).range(RangeRequest.newBuilder().setKey(key).build(), observer(f));
    return f;
  }

  CompletableFuture<StatusResponse> status(int endpoint) {
    CompletableFuture<StatusResponse> f = new CompletableFuture<>();
    MaintenanceGrpc.newStub(channels.get(endpoint)).withDeadlineAfter(1, TimeUnit.SECONDS)
        .status(StatusRequest.getDefaultInstance(), observer(f));
    return f;
  }

  /**
   * The index of the member that leads (what {@code etcdctl endpoint status} reports), confirmed
   * as for RaftLock: a majority of the members name it leader at the same Raft term, so a leader
   * deposed a moment ago is not taken for the current one.
   */
  int leader() {
    for (int attempt = 0; attempt < 100; attempt++) {
      List<StatusResponse> statuses = new ArrayList<>();
      for (int i = 0; i < endpoints.size(); i++) {
        try {
          statuses.add(status(i).get(2, TimeUnit.SECONDS));
        } catch (Exception e) {
          statuses.add(null); // not answering
        }
      }
      for (int i = 0; i < statuses.size(); i++) {
        StatusResponse s = statuses.get(i);
        if (s == null || s.getLeader() == 0 || s.getLeader() != s.getHeader().getMemberId()) {
          continue;
        }
        long votes = statuses.stream().filter(o -> o != null && o.getRaftTerm() == s.getRaftTerm()
            && o.getLeader() == s.getLeader()).count();
        if (votes > endpoints.size() / 2) {
          return i;
        }
      }
      awaitTimer(100);
    }
    throw new IllegalStateException("no etcd leader");
  }


  Endpoint endpoint(int i) {
    return endpoints.get(i);
  }

  private void keepLeasesAlive() {
    // One keep-alive stream per endpoint, reopened when it breaks (e.g. the member was killed).
    for (Map.Entry<Long, Integer> l : leases.entrySet()) {
      int ep = l.getValue();
      try {
        StreamObserver<LeaseKeepAliveRequest> s = keepAlive.get(ep);
        if (s == null) {
          s = LeaseGrpc.newStub(channels.get(ep)).leaseKeepAlive(new StreamObserver<LeaseKeepAliveResponse>() {
            @Override
            public void onNext(LeaseKeepAliveResponse value) { }

            @Override
            public void onError(Throwable t) {
              keepAlive.remove(ep);
            }

            @Override
            public void onCompleted() {
              keepAlive.remove(ep);
            }
          });
          keepAlive.put(ep, s);
        }
        s.onNext(LeaseKeepAliveRequest.newBuilder().setID(l.getKey()).build());
      } catch (RuntimeException e) {
        keepAlive.remove(ep);
      }
    }
  }

  private void awaitTimer(long ms) {
    CountDownLatch fired = new CountDownLatch(1);
    timers.schedule(fired::countDown, ms, TimeUnit.MILLISECONDS);
    try {
      fired.await();
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
    }
  }

  /** Warm-up, then the measured window; returns its length in seconds (phase 2 after it). */
  private double measureWindow(ApiLoadBench.Phase phase, int warmup, int measure) {
    awaitTimer(warmup * 1000L);
    phase.state = 1;
    long t0 = System.nanoTime();
    Map<String, ProcCpu.Sample> cpuAtStart = ProcCpu.sample(ClientLoadBench.cpuPids(endpoints.stream()
        .map(e -> new ApiLoadBench.NodeRef(e.id(), e.host(), e.port(), e.pid())).toList()));
    awaitTimer(measure * 1000L);
    phase.state = 2;
    cpuInWindow = ProcCpu.since(cpuAtStart);
    return (System.nanoTime() - t0) / 1e9;
  }

  private List<Long> grantLeases(int endpoint, int n) throws Exception {
    List<CompletableFuture<LeaseGrantResponse>> fs = new ArrayList<>();
    for (int i = 0; i < n; i++) {
      fs.add(grantLease(endpoint));
    }
    List<Long> ids = new ArrayList<>();
    for (CompletableFuture<LeaseGrantResponse> f : fs) {
      ids.add(f.get(30, TimeUnit.SECONDS).getID());
    }
    return ids;
  }

  private static String kind(Throwable t) {
    Throwable c = t instanceof java.util.concurrent.CompletionException && t.getCause() != null ? t.getCause() : t;
    String m = c.getClass().getSimpleName() + ": " + String.valueOf(c.getMessage()).split("\n")[0];
    return m.length() > 80 ? m.substring(0, 80) : m;
  }

  // ---------------------------------------------------------------- W1: pairs

  ApiLoadBench.PairsResult runPairs(int endpoint, int clients) throws Exception {
    List<Long> leaseIds = grantLeases(endpoint, clients);
    ApiLoadBench.Phase phase = new ApiLoadBench.Phase();
    CountDownLatch done = new CountDownLatch(clients);
    Map<String, Integer> errorKinds = new ConcurrentHashMap<>();
    LockSafety safety = new LockSafety();
    String run = "e" + (++runs) + "-" + Long.toString(System.nanoTime(), 36);
    List<ApiLatencies> acquires = new ArrayList<>();
    List<ApiLatencies> releases = new ArrayList<>();
    AtomicLong pairs = new AtomicLong();
    AtomicLong errors = new AtomicLong();
    for (int i = 0; i < clients; i++) {
      ApiLatencies acq = new ApiLatencies();
      ApiLatencies rel = new ApiLatencies();
      acquires.add(acq);
      releases.add(rel);
      long lease = leaseIds.get(i);
      String id = run + "-c" + i;
      // One client's calls are sequential: its latency buffers are touched by one call at a time.
      Runnable[] next = new Runnable[1];
      int[] n = new int[1];
      next[0] = () -> {
        if (phase.stopping()) {
          done.countDown();
          return;
        }
        String name = "lock-" + id + "-" + (n[0]++ % ApiLoadBench.LOCKS_PER_CLIENT);
        boolean measured = phase.measuring();
        long t0 = System.nanoTime();
        lock(endpoint, name, lease, 0).whenComplete((lr, err) -> {
          long t1 = System.nanoTime();
          if (err != null) {
            errors.incrementAndGet();
            errorKinds.merge("lock: " + kind(err), 1, Integer::sum);
            timers.schedule(next[0], 10, TimeUnit.MILLISECONDS);
            return;
          }
          safety.acquired(name, lr.getHeader().getRevision());
          safety.releasing(name);
          unlock(endpoint, lr.getKey()).whenComplete((ur, uerr) -> {
            long t2 = System.nanoTime();
            if (uerr != null) {
              errors.incrementAndGet();
              errorKinds.merge("unlock: " + kind(uerr), 1, Integer::sum);
              timers.schedule(next[0], 10, TimeUnit.MILLISECONDS);
              return;
            }
            if (measured && phase.measuring()) {
              acq.add(t1 - t0);
              rel.add(t2 - t1);
              pairs.incrementAndGet();
            }
            next[0].run();
          });
        });
      };
      next[0].run();
    }
    double seconds = measureWindow(phase, warmupS, measureS);
    if (!done.await(30, TimeUnit.SECONDS)) {
      System.out.println("warning: " + done.getCount() + " etcd clients did not finish their last pair within 30 s");
    }
    leaseIds.forEach(leases::remove);
    return new ApiLoadBench.PairsResult("leader", clients, seconds, pairs.get(), ApiLatencies.merge(acquires),
        ApiLatencies.merge(releases), errors.get(), errorKinds, safety, cpuInWindow);
  }

  // ---------------------------------------------------------------- W2: handoff

  /** One unlock and the grant it causes (guarded by the run's monitor). */
  private static final class Handoff {
    final long sentAt;
    long responseAt;
    long grantAt;

    Handoff(long sentAt) {
      this.sentAt = sentAt;
    }
  }

  ApiLoadBench.HandoffResult runHandoffs(int endpoint, int waiters) throws Exception {
    List<Long> leaseIds = grantLeases(endpoint, waiters);
    ApiLoadBench.Phase phase = new ApiLoadBench.Phase();
    CountDownLatch finished = new CountDownLatch(waiters);
    Map<String, Integer> errorKinds = new ConcurrentHashMap<>();
    LockSafety safety = new LockSafety();
    String name = "handoff-e" + (++runs) + "-" + Long.toString(System.nanoTime(), 36);
    ApiLatencies respToGrant = new ApiLatencies();
    ApiLatencies sentToGrant = new ApiLatencies();
    long[] counters = new long[3]; // grants, pushFirst (grant before the unlock response), errors
    Object monitor = new Object();
    Handoff[] current = new Handoff[1];
    Consumer<Handoff> record = h -> {
      // Under the monitor: both the unlock response and the grant have arrived.
      if (h.responseAt == 0 || h.grantAt == 0 || !phase.measuring()) {
        return;
      }
      long d = h.grantAt - h.responseAt;
      if (d < 0) {
        counters[1]++;
      }
      respToGrant.add(Math.max(0, d));
      sentToGrant.add(h.grantAt - h.sentAt);
    };
    for (int i = 0; i < waiters; i++) {
      long lease = leaseIds.get(i);
      Runnable[] queue = new Runnable[1];
      queue[0] = () -> {
        if (phase.stopping()) {
          finished.countDown();
          return;
        }
        lock(endpoint, name, lease, 0).whenComplete((lr, err) -> {
          long now = System.nanoTime();
          if (err != null) {
            synchronized (monitor) {
              counters[2]++;
              errorKinds.merge("lock: " + kind(err), 1, Integer::sum);
            }
            timers.schedule(queue[0], 10, TimeUnit.MILLISECONDS);
            return;
          }
          safety.acquired(name, lr.getHeader().getRevision(), Long.toString(lease));
          Handoff mine;
          synchronized (monitor) {
            Handoff h = current[0];
            if (h != null && h.grantAt == 0) {
              h.grantAt = now;
              record.accept(h);
            }
            if (phase.measuring()) {
              counters[0]++;
            }
            mine = new Handoff(System.nanoTime());
            current[0] = mine;
          }
          safety.releasing(name);
          unlock(endpoint, lr.getKey()).whenComplete((ur, uerr) -> {
            long t = System.nanoTime();
            synchronized (monitor) {
              if (uerr != null) {
                counters[2]++;
                errorKinds.merge("unlock: " + kind(uerr), 1, Integer::sum);
              } else {
                mine.responseAt = t;
                record.accept(mine);
              }
            }
            queue[0].run();
          });
        });
      };
      queue[0].run();
    }
    double seconds = measureWindow(phase, warmupS, measureS);
    if (!finished.await(30, TimeUnit.SECONDS)) {
      System.out.println("warning: " + finished.getCount() + " etcd waiters did not drain within 30 s");
    }
    leaseIds.forEach(leases::remove);
    synchronized (monitor) {
      return new ApiLoadBench.HandoffResult("leader", waiters, seconds, counters[0], respToGrant, sentToGrant,
          counters[1], counters[2], Map.copyOf(errorKinds), safety);
    }
  }

  // ---------------------------------------------------------------- W3: failover

  /** {@link FailoverLoad} calls for etcd; a client's lease is granted before the load starts. */
  FailoverLoad.Ops failoverOps(List<Long> clientLeases) {
    Map<String, Long> leaseOf = new ConcurrentHashMap<>();
    AtomicLong nextLease = new AtomicLong();
    return new FailoverLoad.Ops() {
      @Override
      public int endpoints() {
        return endpoints.size();
      }

      @Override
      public boolean releaseTellsLoss() {
        return false; // unlock is a delete: it succeeds on a missing key
      }

      @Override
      public CompletableFuture<FailoverLoad.Grant> acquire(int endpoint, String clientId, String lock, String requestId) {
        long lease = leaseOf.computeIfAbsent(clientId, k -> clientLeases.get((int) nextLease.getAndIncrement()));
        // Retrying Lock with the same lease is idempotent: etcd finds the key it already created.
        return lock(endpoint, lock, lease, FailoverLoad.CALL_TIMEOUT_MS)
            .thenApply(r -> new FailoverLoad.Grant(lock, r.getHeader().getRevision(), r.getKey()));
      }

      @Override
      public CompletableFuture<Boolean> release(int endpoint, String clientId, FailoverLoad.Grant g, String requestId,
          boolean verify) {
        ByteString key = (ByteString) g.handle();
        long lease = leaseOf.get(clientId);
        CompletableFuture<Boolean> held = verify
            ? range(endpoint, key).thenApply(r -> r.getKvsCount() == 1 && r.getKvs(0).getLease() == lease)
            : CompletableFuture.completedFuture(true);
        return held.thenCompose(ok -> unlock(endpoint, key).thenApply(u -> ok));
      }
    };
  }

  List<Long> leasesFor(int endpoint, int n) throws Exception {
    return grantLeases(endpoint, n);
  }

  @Override
  public void close() {
    timers.shutdownNow();
    for (ManagedChannel ch : channels) {
      ch.shutdownNow();
    }
  }
}
