package io.raftlock.shedlock;

import io.raftlock.client.RaftLockClient;
import io.raftlock.client.RaftLockException;
import io.raftlock.proto.api.AcquireRequest;
import io.raftlock.proto.api.AcquireResponse;
import io.raftlock.proto.api.ErrorCode;
import java.time.Duration;
import java.util.Objects;
import java.util.Optional;
import java.util.concurrent.atomic.AtomicLong;
import net.javacrumbs.shedlock.core.ExtensibleLockProvider;
import net.javacrumbs.shedlock.core.LockConfiguration;
import net.javacrumbs.shedlock.core.SimpleLock;

/**
 * A ShedLock {@link ExtensibleLockProvider} on a RaftLock cluster.
 *
 * <p>{@code lockAtMostFor} is the lease the cluster grants: the leader expires it by its own
 * clock, so no two machines' clocks are compared and there is no clock-skew caveat. The lease is
 * not kept alive (that is what {@code lockAtMostFor} is for); {@link SimpleLock#extend} renews it.
 * On {@link SimpleLock#unlock()} a lock whose {@code lockAtLeastFor} has not passed yet is renewed
 * for the time left, again as a lease the server expires (see {@link RaftLockSimpleLock}).
 *
 * <p>Each lock taken is its own owner on the server ({@code <client id>/shedlock-<n>}): the
 * server treats requests with one client id as one owner, so with a shared id a second
 * {@code lock()} for a name this process holds would be granted again instead of refused.
 *
 * <p>The server's leases are 1 s to 24 h: a shorter {@code lockAtMostFor} is raised to 1 s.
 * Lock names are prefixed (by default with {@code "shedlock/"}) so that they do not collide with
 * the application's other RaftLock locks.
 */
public final class RaftLockLockProvider implements ExtensibleLockProvider {
  /** The shortest lease the server grants. */
  static final Duration MIN_LEASE = Duration.ofSeconds(1);
  /** The longest lease the server grants. */
  static final Duration MAX_LEASE = Duration.ofHours(24);
  public static final String DEFAULT_PREFIX = "shedlock/";

  private final RaftLockClient client;
  private final String prefix;
  private final AtomicLong holdings = new AtomicLong();

  public RaftLockLockProvider(RaftLockClient client) {
    this(client, DEFAULT_PREFIX);
  }

  /** @param lockNamePrefix prepended to every ShedLock name to make the RaftLock lock id ("" for none) */
  public RaftLockLockProvider(RaftLockClient client, String lockNamePrefix) {
    this.client = Objects.requireNonNull(client, "client");
    this.prefix = Objects.requireNonNull(lockNamePrefix, "lockNamePrefix");
  }

  /** The RaftLock lock id of a ShedLock lock name. */
  public String lockId(String lockName) {
    return prefix + lockName;
  }

  /**
   * One attempt, no waiting: the lock when it was free, empty when someone holds it.
   *
   * @throws RaftLockException when the cluster refused for another reason or stayed unreachable
   *     for the client's operation timeout (ShedLock then skips the run, as for any provider error)
   */
  @Override
  public Optional<SimpleLock> lock(LockConfiguration config) {
    String owner = client.clientId() + "/shedlock-" + holdings.incrementAndGet();
    AcquireResponse r = RaftLockClient.await(client.acquire(AcquireRequest.newBuilder()
        .setLockId(lockId(config.getName()))
        .setClientId(owner)
        .setTtl(lease(config.getLockAtMostFor()))
        .build()));
    if (r.getAcquired()) {
      return Optional.of(new RaftLockSimpleLock(client, config, lockId(config.getName()), owner,
          r.getLock().getVersion(), System.nanoTime()));
    }
    if (r.getError().getCode() == ErrorCode.LOCK_HELD || r.getError().getCode() == ErrorCode.WAIT_QUEUE_FULL) {
      return Optional.empty();
    }
    throw new RaftLockException(r.getError().getCode(), "lock " + config.getName() + ": " + r.getError().getMessage());
  }

  /** {@code d} as a server lease: raised to the 1 s minimum; past 24 h the server refuses it (INVALID_TTL). */
  static com.google.protobuf.Duration lease(Duration d) {
    Duration lease = d.compareTo(MIN_LEASE) < 0 ? MIN_LEASE : d;
    return com.google.protobuf.Duration.newBuilder().setSeconds(lease.getSeconds()).setNanos(lease.getNano()).build();
  }
}
