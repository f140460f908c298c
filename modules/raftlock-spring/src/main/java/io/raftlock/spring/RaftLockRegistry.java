package io.raftlock.spring;

import io.raftlock.client.RaftLockClient;
import io.raftlock.proto.api.GetLockInfoRequest;
import io.raftlock.proto.api.GetLockInfoResponse;
import java.time.Duration;
import java.util.Map;
import java.util.Objects;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.atomic.AtomicLong;
import org.springframework.integration.support.locks.ExpirableLockRegistry;
import org.springframework.integration.support.locks.RenewableLockRegistry;

/**
 * A Spring Integration lock registry on a RaftLock cluster: {@link #obtain} returns a
 * {@link RaftLockRegistryLock}, a {@link java.util.concurrent.locks.Lock} owned by the thread that
 * took it (re-entrant, like the registries for Redis, JDBC and ZooKeeper), held on the cluster
 * under the client's id, with its fencing token at {@link RaftLockRegistryLock#token()}.
 *
 * <p>Held locks are kept alive by the client (renewed at about a third of the lease); a lock whose
 * keep-alive fails is lost, and its {@code unlock()} then throws
 * {@link java.util.ConcurrentModificationException}. The lock key's {@code toString()} is the
 * RaftLock lock id, so other RaftLock clients (the CLI, other languages) see the same locks.
 */
public final class RaftLockRegistry implements ExpirableLockRegistry<RaftLockRegistryLock>,
    RenewableLockRegistry<RaftLockRegistryLock> {
  public static final Duration DEFAULT_LEASE = Duration.ofSeconds(30);

  private final RaftLockClient client;
  private final Duration lease;
  private final Map<String, RaftLockRegistryLock> locks = new ConcurrentHashMap<>();
  final AtomicLong acquired = new AtomicLong();
  final AtomicLong acquireNanos = new AtomicLong();
  final AtomicLong acquireFailures = new AtomicLong();
  final AtomicLong lostAtUnlock = new AtomicLong();

  public RaftLockRegistry(RaftLockClient client) {
    this(client, DEFAULT_LEASE);
  }

  /** @param lease the lease of a held lock (1 s..24 h), renewed by the client while held */
  public RaftLockRegistry(RaftLockClient client, Duration lease) {
    this.client = Objects.requireNonNull(client, "client");
    this.lease = Objects.requireNonNull(lease, "lease");
  }

  @Override
  public RaftLockRegistryLock obtain(Object lockKey) {
    String lockId = Objects.requireNonNull(lockKey, "lockKey").toString();
    return locks.computeIfAbsent(lockId, id -> new RaftLockRegistryLock(this, client, id));
  }

  /** Forgets the lock objects that no thread holds and that were last used longer than {@code age} ms ago. */
  @Override
  public void expireUnusedOlderThan(long age) {
    long now = System.currentTimeMillis();
    locks.values().removeIf(l -> !l.isAcquiredInThisProcess() && now - l.lastUsedMillis() > age);
  }

  /**
   * Confirms the calling thread's lock on the cluster: a linearizable read must show the lock
   * still held with this lock's fencing token. The lease itself needs no renewing: the lock belongs
   * to the client's session, which the client keeps alive with one keep-alive for all its locks.
   *
   * @throws IllegalStateException when the calling thread does not hold the lock, or the cluster says it is lost
   */
  @Override
  public void renewLock(Object lockKey) {
    renewLock(lockKey, lease);
  }

  /**
   * As {@link #renewLock(Object)}. {@code ttl} cannot lengthen the lock: a session's locks live as
   * long as the session (the client's {@code sessionTtl} after its last keep-alive).
   */
  @Override
  public void renewLock(Object lockKey, Duration ttl) {
    RaftLockRegistryLock lock = locks.get(lockKey.toString());
    if (lock == null || !lock.isHeldByCurrentThread()) {
      throw new IllegalStateException("the lock " + lockKey + " is not held by this thread");
    }
    GetLockInfoResponse r = Futures.await(client.getLockInfo(GetLockInfoRequest.newBuilder()
        .setLockId(lock.lockId()).build()));
    if (!r.hasLockInfo() || r.getLockInfo().getVersion() != lock.token()) {
      throw new IllegalStateException("the lock " + lockKey + " is no longer held with token " + lock.token()
          + (r.hasError() ? ": " + r.getError().getCode() + " " + r.getError().getMessage() : ""));
    }
  }

  Duration lease() {
    return lease;
  }

  /** Locks held by a thread of this process now. */
  public int heldCount() {
    return (int) locks.values().stream().filter(RaftLockRegistryLock::isAcquiredInThisProcess).count();
  }

  /** Lock objects this registry keeps (held or not; see {@link #expireUnusedOlderThan}). */
  public int size() {
    return locks.size();
  }
}
