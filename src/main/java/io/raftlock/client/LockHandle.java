package io.raftlock.client;

import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CompletionStage;
import java.util.function.Consumer;

/**
 * One holding of a lock by a {@link RaftLockClient}: the lock name, the fencing token and the
 * state of the keep-alive. While the handle is held the client renews the lease at about a third
 * of its TTL.
 *
 * <p>{@link #isHeld()} is conservative: it turns false as soon as the local deadline passes (the
 * time of sending the last successful acquire or renew plus the TTL, less a margin, measured on
 * {@link System#nanoTime()}), even before the server has expired the lease. Pass {@link #token()}
 * to every resource you write under the lock, so that a write from a holder that lost the lock
 * unknowingly is refused (see {@code io.raftlock.client.fencing.FencedResource}).
 */
public final class LockHandle implements AutoCloseable {
  private final RaftLockClient client;
  private final String name;
  private final long token;
  private final Duration ttl;
  private final List<Consumer<LostReason>> lostListeners = new ArrayList<>();
  // Written on the client's event loop, read from any thread.
  private volatile long deadlineNanos;
  private volatile boolean active = true;
  private volatile LostReason lostReason;
  /** Client-loop state: timers of the keep-alive. */
  long renewTimer = -1;
  long deadlineTimer = -1;
  boolean renewing;

  LockHandle(RaftLockClient client, String name, long token, Duration ttl, long deadlineNanos) {
    this.client = client;
    this.name = name;
    this.token = token;
    this.ttl = ttl;
    this.deadlineNanos = deadlineNanos;
  }

  public String name() {
    return name;
  }

  /** The fencing token: the log index of the grant; strictly increasing per lock. */
  public long token() {
    return token;
  }

  public Duration ttl() {
    return ttl;
  }

  /** True while the client may claim ownership: not released, not lost, local deadline not passed. */
  public boolean isHeld() {
    return active && System.nanoTime() - deadlineNanos < 0;
  }

  /** Why the lock was lost, or null while held or after a release. */
  public LostReason lostReason() {
    return lostReason;
  }

  /** Time left before the local deadline (zero or negative once passed). */
  public Duration remaining() {
    return Duration.ofNanos(deadlineNanos - System.nanoTime());
  }

  /**
   * Runs {@code listener} once if the lock is lost (at once if it already was). Listeners run on
   * a client thread dedicated to callbacks, not on an event loop; they may block briefly.
   */
  public void onLost(Consumer<LostReason> listener) {
    LostReason already;
    synchronized (lostListeners) {
      already = lostReason;
      if (already == null) {
        lostListeners.add(listener);
      }
    }
    if (already != null) {
      client.callback(() -> listener.accept(already));
    }
  }

  /** Releases the lock; completes with false when it was no longer held (lost or released before). */
  public CompletionStage<Boolean> unlockAsync() {
    return client.unlockAsync(this);
  }

  /** Releases the lock (blocking). Same as {@link RaftLockClient#unlock}. */
  @Override
  public void close() {
    client.unlock(this);
  }

  /**
   * Stops the keep-alive and forgets the lock without releasing it: the server keeps it for this
   * client id until its lease runs out. For tools that take a lock and exit.
   */
  public void detach() {
    client.detach(this);
  }

  long deadlineNanos() {
    return deadlineNanos;
  }

  void extendDeadline(long nanos) {
    if (nanos - deadlineNanos > 0) {
      deadlineNanos = nanos;
    }
  }

  boolean active() {
    return active;
  }

  void deactivate() {
    active = false;
  }

  /** Marks the lock lost and returns the listeners to notify; null if it was already inactive. */
  List<Consumer<LostReason>> lose(LostReason reason) {
    synchronized (lostListeners) {
      if (!active) {
        return null;
      }
      active = false;
      lostReason = reason;
      List<Consumer<LostReason>> out = new ArrayList<>(lostListeners);
      lostListeners.clear();
      return out;
    }
  }

  @Override
  public String toString() {
    return "LockHandle[" + name + ", token " + token + (isHeld() ? ", held" : lostReason != null ? ", lost " + lostReason : ", released") + "]";
  }
}
