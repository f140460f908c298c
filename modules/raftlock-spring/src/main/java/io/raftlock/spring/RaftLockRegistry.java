package io.raftlock.spring;

import io.raftlock.client.RaftLockClient;
import io.raftlock.client.RaftLockException;
import io.raftlock.proto.api.RenewRequest;
import io.raftlock.proto.api.RenewResponse;
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
   * Confirms the calling thread's lock on the cluster by renewing its lease now (the client's
   * keep-alive renews it anyway).
   *
   * @throws IllegalStateException when the calling thread does not hold the lock, or the cluster says it is lost
   */
  @Override
  public void renewLock(Object lockKey) {
    renewLock(lockKey, lease);
  }

  /**
   * Renews the calling thread's lock for {@code ttl} from now. The client's keep-alive goes on
   * renewing it for the registry's lease at about a third of that lease, so a longer {@code ttl}
   * lasts until the next keep-alive: use it to confirm the lock, not to lengthen it.
   */
  @Override
  public void renewLock(Object lockKey, Duration ttl) {
    RaftLockRegistryLock lock = locks.get(lockKey.toString());
    if (lock == null || !lock.isHeldByCurrentThread()) {
      throw new IllegalStateException("the lock " + lockKey + " is not held by this thread");
    }
    // LockHandle has no renew of its own: the plain Renew call, as the lock's owner (this client).
    RenewResponse r = Futures.await(client.renew(RenewRequest.newBuilder()
        .setLockId(lock.lockId()).setClientId(client.clientId()).setVersion(lock.token())
        .setNewTtl(com.google.protobuf.Duration.newBuilder().setSeconds(ttl.getSeconds()).setNanos(ttl.getNano()))
        .build()));
    if (!r.getRenewed()) {
      throw new IllegalStateException("the lock " + lockKey + " could not be renewed: " + r.getError().getCode()
          + " " + r.getError().getMessage(), new RaftLockException(r.getError().getCode(), r.getError().getMessage()));
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
