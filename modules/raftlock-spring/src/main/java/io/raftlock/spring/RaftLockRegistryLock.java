package io.raftlock.spring;

import io.raftlock.client.LockHandle;
import io.raftlock.client.RaftLockClient;
import java.time.Duration;
import java.util.ConcurrentModificationException;
import java.util.Optional;
import java.util.concurrent.CompletionStage;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.locks.Condition;
import java.util.concurrent.locks.ReentrantLock;
import org.springframework.dao.CannotAcquireLockException;
import org.springframework.integration.support.locks.DistributedLock;

/**
 * A lock of a {@link RaftLockRegistry}: owned by the thread that took it and re-entrant for that
 * thread; the first {@code lock} takes the RaftLock lock, the matching last {@code unlock}
 * releases it. Threads of one process queue on a local lock first, so the cluster sees one
 * acquisition per process at a time.
 *
 * <p>{@link #token()} is the fencing token of the holding: pass it to whatever the holder writes.
 */
public final class RaftLockRegistryLock implements DistributedLock {
  private final RaftLockRegistry registry;
  private final RaftLockClient client;
  private final String lockId;
  private final ReentrantLock localLock = new ReentrantLock();
  /** The holding, while a thread holds this lock. */
  private volatile LockHandle handle;
  private volatile long lastUsedMillis = System.currentTimeMillis();

  RaftLockRegistryLock(RaftLockRegistry registry, RaftLockClient client, String lockId) {
    this.registry = registry;
    this.client = client;
    this.lockId = lockId;
  }

  /** The RaftLock lock id (the key's {@code toString()}). */
  public String lockId() {
    return lockId;
  }

  /**
   * The fencing token of the calling thread's holding: strictly increasing per lock id.
   *
   * @throws IllegalStateException when the calling thread does not hold the lock
   */
  public long token() {
    return handle().token();
  }

  /** The client's handle of the calling thread's holding ({@code onLost}, {@code isHeld}, {@code remaining}). */
  public LockHandle handle() {
    LockHandle h = handle;
    if (!localLock.isHeldByCurrentThread() || h == null) {
      throw new IllegalStateException("the lock " + lockId + " is not held by this thread");
    }
    return h;
  }

  boolean isHeldByCurrentThread() {
    return localLock.isHeldByCurrentThread() && handle != null;
  }

  boolean isAcquiredInThisProcess() {
    return localLock.isLocked();
  }

  long lastUsedMillis() {
    return lastUsedMillis;
  }

  @Override
  public void lock() {
    lock(registry.lease());
  }

  /** Waits as long as it takes (grants are pushed by the cluster), ignoring interrupts like {@link ReentrantLock#lock()}. */
  @Override
  public void lock(Duration ttl) {
    localLock.lock();
    if (localLock.getHoldCount() > 1) {
      return;
    }
    long start = System.nanoTime();
    CompletionStage<LockHandle> stage = client.lockAsync(lockId, ttl);
    boolean interrupted = false;
    try {
      while (true) {
        try {
          acquired(Futures.interruptibly(stage), start);
          return;
        } catch (InterruptedException e) {
          interrupted = true;
        }
      }
    } catch (RuntimeException e) {
      throw failed(e);
    } finally {
      if (interrupted) {
        Thread.currentThread().interrupt();
      }
    }
  }

  @Override
  public void lockInterruptibly() throws InterruptedException {
    localLock.lockInterruptibly();
    if (localLock.getHoldCount() > 1) {
      return;
    }
    long start = System.nanoTime();
    CompletionStage<LockHandle> stage = client.lockAsync(lockId, registry.lease());
    try {
      acquired(Futures.interruptibly(stage), start);
    } catch (InterruptedException e) {
      stage.thenAccept(client::unlockAsync); // a grant that still arrives is given back
      localLock.unlock();
      throw e;
    } catch (RuntimeException e) {
      throw failed(e);
    }
  }

  @Override
  public boolean tryLock() {
    try {
      return tryLock(Duration.ZERO, registry.lease());
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      return false;
    }
  }

  @Override
  public boolean tryLock(long time, TimeUnit unit) throws InterruptedException {
    return tryLock(Duration.ofNanos(unit.toNanos(time)), registry.lease());
  }

  /** Waits at most {@code waitTime} (local queueing included) for a lease of {@code ttl}. */
  @Override
  public boolean tryLock(Duration waitTime, Duration ttl) throws InterruptedException {
    long start = System.nanoTime();
    if (!localLock.tryLock(waitTime.toNanos(), TimeUnit.NANOSECONDS)) {
      return false;
    }
    if (localLock.getHoldCount() > 1) {
      return true;
    }
    Duration left = waitTime.minusNanos(System.nanoTime() - start);
    CompletionStage<Optional<LockHandle>> stage = client.tryLockAsync(lockId, ttl, left.isNegative() ? Duration.ZERO : left);
    try {
      Optional<LockHandle> h = Futures.interruptibly(stage);
      if (h.isPresent()) {
        acquired(h.get(), start);
        return true;
      }
      localLock.unlock();
      return false;
    } catch (InterruptedException e) {
      stage.thenAccept(o -> o.ifPresent(client::unlockAsync));
      localLock.unlock();
      throw e;
    } catch (RuntimeException e) {
      throw failed(e);
    }
  }

  private void acquired(LockHandle h, long startNanos) {
    handle = h;
    lastUsedMillis = System.currentTimeMillis();
    registry.acquired.incrementAndGet();
    registry.acquireNanos.addAndGet(System.nanoTime() - startNanos);
  }

  private CannotAcquireLockException failed(RuntimeException e) {
    registry.acquireFailures.incrementAndGet();
    localLock.unlock();
    return new CannotAcquireLockException("could not take the RaftLock lock " + lockId + ": " + e.getMessage(), e);
  }

  /**
   * Releases the lock (on the cluster at the last of a thread's nested unlocks).
   *
   * @throws IllegalStateException when the calling thread does not hold it
   * @throws ConcurrentModificationException when the lock had been lost (expired or revoked) before:
   *     another holder may have run alongside the work done under it
   */
  @Override
  public void unlock() {
    if (!localLock.isHeldByCurrentThread()) {
      throw new IllegalStateException("the lock " + lockId + " is not held by this thread");
    }
    if (localLock.getHoldCount() > 1) {
      localLock.unlock();
      return;
    }
    LockHandle h = handle;
    handle = null;
    try {
      if (!Futures.await(client.unlockAsync(h))) {
        throw new ConcurrentModificationException("the lock " + lockId + " (token " + h.token()
            + ") was lost before it was unlocked: " + h.lostReason());
      }
    } finally {
      lastUsedMillis = System.currentTimeMillis();
      localLock.unlock();
    }
  }

  @Override
  public Condition newCondition() {
    throw new UnsupportedOperationException("RaftLock locks have no conditions");
  }

  @Override
  public String toString() {
    LockHandle h = handle;
    return "RaftLockRegistryLock[" + lockId + (h != null ? ", token " + h.token() : ", not held") + "]";
  }

}
