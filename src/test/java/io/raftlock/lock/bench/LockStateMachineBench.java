package io.raftlock.lock.bench;

import io.raftlock.lock.ApplyResult;
import io.raftlock.lock.LockCommand;
import io.raftlock.lock.LockCommandCodec;
import io.raftlock.lock.LockEvent;
import io.raftlock.lock.LockStateMachine;
import java.util.concurrent.TimeUnit;
import org.openjdk.jmh.annotations.Benchmark;
import org.openjdk.jmh.annotations.BenchmarkMode;
import org.openjdk.jmh.annotations.Fork;
import org.openjdk.jmh.annotations.Level;
import org.openjdk.jmh.annotations.Mode;
import org.openjdk.jmh.annotations.OperationsPerInvocation;
import org.openjdk.jmh.annotations.OutputTimeUnit;
import org.openjdk.jmh.annotations.Param;
import org.openjdk.jmh.annotations.Scope;
import org.openjdk.jmh.annotations.Setup;
import org.openjdk.jmh.annotations.State;
import org.openjdk.jmh.infra.Blackhole;

/**
 * Single-threaded throughput of {@link LockStateMachine#apply}, and snapshot/restore time. Run
 * with {@code scripts/bench-lock.sh}. Figures, not assertions: see docs/lock-state-machine.md.
 */
@Fork(value = 1, jvmArgs = {"-Xms2g", "-Xmx2g"})
public class LockStateMachineBench {
  static final long T0 = 1_700_000_000_000L;

  /** 10,000 distinct locks, each acquired then released in turn (nobody waits). */
  @State(Scope.Thread)
  public static class Uncontended {
    static final int LOCKS = 10_000;

    /** With request ids every command also goes through the idempotency table. */
    @Param({"false", "true"})
    public boolean requestIds;

    LockStateMachine sm;
    LockCommand.Acquire[] acquires;
    String[] lockIds;
    String[] clientIds;
    long index;
    int next;

    @Setup(Level.Trial)
    public void setUp() {
      sm = new LockStateMachine();
      acquires = new LockCommand.Acquire[LOCKS];
      lockIds = new String[LOCKS];
      clientIds = new String[LOCKS];
      for (int i = 0; i < LOCKS; i++) {
        lockIds[i] = "lock-" + i;
        clientIds[i] = "client-" + i;
        acquires[i] = new LockCommand.Acquire(lockIds[i], clientIds[i], 30_000, false, 0, 0, null,
            "", T0);
      }
    }

    String requestId() {
      return requestIds ? Long.toString(index, 36) : "";
    }
  }

  @Benchmark
  @BenchmarkMode(Mode.Throughput)
  @OutputTimeUnit(TimeUnit.SECONDS)
  @OperationsPerInvocation(2)
  public void uncontendedAcquireRelease(Uncontended s, Blackhole bh) {
    int i = s.next;
    s.next = i + 1 == Uncontended.LOCKS ? 0 : i + 1;
    long token = ++s.index;
    LockCommand.Acquire a = s.acquires[i];
    if (s.requestIds) {
      a = new LockCommand.Acquire(a.lockId(), a.clientId(), a.ttlMs(), false, 0, 0, null,
          s.requestId(), T0);
    }
    bh.consume(s.sm.apply(token, a));
    long releaseIndex = ++s.index;
    bh.consume(s.sm.apply(releaseIndex, new LockCommand.Release(s.lockIds[i], s.clientIds[i],
        token, s.requestId(), T0)));
  }

  /**
   * The same workload through {@code apply(index, byte[])}, as the Raft core calls it: includes
   * decoding, and (conservatively) encoding both commands, which only the leader does.
   */
  @Benchmark
  @BenchmarkMode(Mode.Throughput)
  @OutputTimeUnit(TimeUnit.SECONDS)
  @OperationsPerInvocation(2)
  public void uncontendedAcquireReleaseBytes(Uncontended s, Blackhole bh) {
    int i = s.next;
    s.next = i + 1 == Uncontended.LOCKS ? 0 : i + 1;
    long token = ++s.index;
    bh.consume(s.sm.apply(token, LockCommandCodec.encode(new LockCommand.Acquire(s.lockIds[i],
        s.clientIds[i], 30_000, false, 0, 0, null, s.requestId(), T0))));
    long releaseIndex = ++s.index;
    bh.consume(s.sm.apply(releaseIndex, LockCommandCodec.encode(new LockCommand.Release(
        s.lockIds[i], s.clientIds[i], token, s.requestId(), T0))));
  }

  /** One lock with 100 waiters: each release hands over, the old holder queues again. */
  @State(Scope.Thread)
  public static class Contended {
    static final int WAITERS = 100;

    LockStateMachine sm;
    long index;
    String holder;
    long token;

    @Setup(Level.Trial)
    public void setUp() {
      sm = new LockStateMachine();
      holder = "client-0";
      token = ++index;
      sm.apply(token, new LockCommand.Acquire("hot", holder, 30_000, false, 0, 0, null, "", T0));
      for (int i = 1; i <= WAITERS; i++) {
        sm.apply(++index, waitFor("client-" + i));
      }
    }

    static LockCommand.Acquire waitFor(String client) {
      return new LockCommand.Acquire("hot", client, 30_000, true, 600_000, 0, null, "", T0);
    }
  }

  @Benchmark
  @BenchmarkMode(Mode.Throughput)
  @OutputTimeUnit(TimeUnit.SECONDS)
  @OperationsPerInvocation(2)
  public void contendedHandoff(Contended s, Blackhole bh) {
    String old = s.holder;
    ApplyResult r = s.sm.apply(++s.index, new LockCommand.Release("hot", old, s.token, "", T0));
    LockEvent.Granted g = (LockEvent.Granted) r.events().get(r.events().size() - 1);
    s.holder = g.clientId();
    s.token = g.token();
    bh.consume(s.sm.apply(++s.index, Contended.waitFor(old)));
  }

  /** Decoding one Acquire entry from its log bytes. */
  @State(Scope.Thread)
  public static class Encoded {
    byte[] acquire = LockCommandCodec.encode(new LockCommand.Acquire("orders/42", "svc-7",
        30_000, true, 60_000, 0, null, "req-123456", T0));
  }

  @Benchmark
  @BenchmarkMode(Mode.Throughput)
  @OutputTimeUnit(TimeUnit.SECONDS)
  public LockCommand decodeAcquire(Encoded s) {
    return LockCommandCodec.decode(s.acquire);
  }

  /** 1,000,000 held locks (no waiters, no metadata) and their snapshot. */
  @State(Scope.Benchmark)
  public static class Million {
    @Param({"1000000"})
    public int locks;

    LockStateMachine sm;
    byte[] snapshot;

    @Setup(Level.Trial)
    public void setUp() {
      sm = HeapPerLock.heldLocks(locks, locks);
      snapshot = sm.snapshot();
    }
  }

  @Benchmark
  @BenchmarkMode(Mode.SingleShotTime)
  @OutputTimeUnit(TimeUnit.MILLISECONDS)
  public byte[] snapshotMillionLocks(Million s) {
    return s.sm.snapshot();
  }

  @Benchmark
  @BenchmarkMode(Mode.SingleShotTime)
  @OutputTimeUnit(TimeUnit.MILLISECONDS)
  public LockStateMachine restoreMillionLocks(Million s) {
    return LockStateMachine.restore(s.snapshot);
  }
}
