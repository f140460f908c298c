package io.raftlock.shedlock;

import io.raftlock.client.RaftLockClient;
import io.raftlock.client.RaftLockException;
import io.raftlock.proto.api.ErrorCode;
import io.raftlock.proto.api.ErrorDetail;
import io.raftlock.proto.api.ReleaseRequest;
import io.raftlock.proto.api.RenewRequest;
import io.raftlock.proto.api.RenewResponse;
import java.time.Duration;
import java.util.EnumSet;
import java.util.Optional;
import java.util.Set;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import java.util.logging.Level;
import java.util.logging.Logger;
import net.javacrumbs.shedlock.core.AbstractSimpleLock;
import net.javacrumbs.shedlock.core.LockConfiguration;
import net.javacrumbs.shedlock.core.SimpleLock;

/**
 * One ShedLock holding of a RaftLock lock: a lease of {@code lockAtMostFor} on the server,
 * released or shortened to what is left of {@code lockAtLeastFor} on {@link #unlock()}, renewed
 * by {@link #extend}. After {@code unlock} or {@code extend} this object is spent (ShedLock's
 * {@link AbstractSimpleLock} then throws {@link IllegalStateException}).
 */
public final class RaftLockSimpleLock extends AbstractSimpleLock {
  private static final Logger LOG = Logger.getLogger(RaftLockSimpleLock.class.getName());
  /** The server's answers that say this holding is over (expired, or released by someone else). */
  private static final Set<ErrorCode> GONE = EnumSet.of(ErrorCode.NOT_LOCK_OWNER, ErrorCode.VERSION_MISMATCH,
      ErrorCode.LOCK_NOT_HELD, ErrorCode.LOCK_NOT_FOUND);

  private final RaftLockClient client;
  private final String lockId;
  private final String owner;
  private final long token;
  /**
   * When the answer that started this lease arrived: the server started it no later, so
   * lockAtLeastFor counted from here holds the lock at least that long.
   */
  private final long leaseAnsweredNanos;

  RaftLockSimpleLock(RaftLockClient client, LockConfiguration config, String lockId, String owner, long token,
      long leaseAnsweredNanos) {
    super(config);
    this.client = client;
    this.lockId = lockId;
    this.owner = owner;
    this.token = token;
    this.leaseAnsweredNanos = leaseAnsweredNanos;
  }

  /** The fencing token of the holding (strictly increasing per lock; {@code extend} keeps it). */
  public long token() {
    return token;
  }

  /** The RaftLock lock id (the ShedLock name with the provider's prefix). */
  public String lockId() {
    return lockId;
  }

  /**
   * Releases the lock, or, while {@code lockAtLeastFor} has not passed, leaves it held for the time
   * left: renewed for that long when it is at least the server's 1 s minimum lease (the server
   * then expires it, even if this process dies), else released after that short delay.
   */
  @Override
  protected void doUnlock() {
    Duration left = lockConfiguration.getLockAtLeastFor().minusNanos(System.nanoTime() - leaseAnsweredNanos);
    if (left.compareTo(RaftLockLockProvider.MIN_LEASE) >= 0) {
      RenewResponse r = RaftLockClient.await(client.renew(renewRequest(left)));
      if (!r.getRenewed()) {
        gone("keep for lockAtLeastFor", r.getError());
      }
    } else if (left.isNegative() || left.isZero()) {
      release();
    } else {
      CompletableFuture.runAsync(this::releaseQuietly,
          CompletableFuture.delayedExecutor(left.toNanos(), TimeUnit.NANOSECONDS));
    }
  }

  private void release() {
    var r = RaftLockClient.await(client.release(ReleaseRequest.newBuilder()
        .setLockId(lockId).setClientId(owner).setVersion(token).build()));
    if (!r.getReleased()) {
      gone("release", r.getError());
    }
  }

  private void releaseQuietly() {
    try {
      release();
    } catch (RuntimeException e) {
      LOG.log(Level.WARNING, "releasing " + lockId + " after lockAtLeastFor failed; its lease ends by itself", e);
    }
  }

  /** A holding that is over needs no release; any other refusal is an error. */
  private void gone(String what, ErrorDetail error) {
    if (!GONE.contains(error.getCode())) {
      throw new RaftLockException(error.getCode(), what + " " + lockId + ": " + error.getMessage());
    }
    LOG.warning(() -> what + " " + lockId + ": the lease had already ended (" + error.getCode()
        + "): lockAtMostFor was shorter than the task");
  }

  /** A new lease of {@code lockAtMostFor} from now; empty when this holding is already over. */
  @Override
  protected Optional<SimpleLock> doExtend(LockConfiguration newConfig) {
    RenewResponse r = RaftLockClient.await(client.renew(renewRequest(newConfig.getLockAtMostFor())));
    long answered = System.nanoTime();
    if (r.getRenewed()) {
      return Optional.of(new RaftLockSimpleLock(client, newConfig, lockId, owner, token, answered));
    }
    if (GONE.contains(r.getError().getCode())) {
      return Optional.empty();
    }
    throw new RaftLockException(r.getError().getCode(), "extend " + lockId + ": " + r.getError().getMessage());
  }

  private RenewRequest renewRequest(Duration ttl) {
    return RenewRequest.newBuilder().setLockId(lockId).setClientId(owner).setVersion(token)
        .setNewTtl(RaftLockLockProvider.lease(ttl)).build();
  }

  @Override
  public String toString() {
    return "RaftLockSimpleLock[" + lockId + ", token " + token + "]";
  }
}
