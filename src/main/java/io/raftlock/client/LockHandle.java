package io.raftlock.client;

import io.vertx.core.Future;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CompletionStage;
import java.util.function.Consumer;

/**
 * One holding of a lock by a {@link RaftLockClient}: the lock name, the fencing token and its
 * state. The lock belongs to the client's session and lives as long as the session does: the
 * client keeps the session alive with one keep-alive for all its locks (there is no renewal per
 * lock).
 *
 * <p>{@link #isHeld()} is conservative: it turns false as soon as the session's local deadline
 * passes (the creation time of the last successful keep-alive plus the session TTL, less a
 * margin, measured on {@link System#nanoTime()}), even before the server has expired the session.
 * Pass {@link #token()} to every resource you write under the lock, so that a write from a holder
 * that lost the lock unknowingly is refused (see {@code io.raftlock.client.fencing.FencedResource}).
 */
public final class LockHandle implements AutoCloseable {
  /** Where a handle is in its life. */
  public enum State {
    /** Held: the session holds the lock. */
    HELD,
    /** {@code unlock} was called and the release is not acknowledged yet: still held until it is. */
    RELEASING,
    /** Released by this client (or the client was closed): the token must no longer be used. */
    RELEASED,
    /** Lost ({@link #lostReason()} says why): the token must no longer be used. */
    LOST
  }

  private final RaftLockClient client;
  private final String name;
  private final long token;
  private final Duration ttl;
  private final SessionLease lease;
  private final List<Consumer<LostReason>> lostListeners = new ArrayList<>();
  // Written on the client's event loop, read from any thread.
  private volatile State state = State.HELD;
  private volatile LostReason lostReason;
  /** Client-loop state: the outcome of the release, once unlock was called. */
  Future<Boolean> release;
  /** Client-loop state: forgotten by the client (the lock stays with the session). */
  boolean detached;

  LockHandle(RaftLockClient client, String name, long token, Duration ttl, SessionLease lease) {
    this.client = client;
    this.name = name;
    this.token = token;
    this.ttl = ttl;
    this.lease = lease;
  }

  public String name() {
    return name;
  }

  /** The fencing token: the log index of the grant; strictly increasing per lock. */
  public long token() {
    return token;
  }

  /**
   * The TTL asked for when the lock was taken. The lock is owned by the client's session, whose
   * TTL ({@link RaftLockClient.Builder#sessionTtl}) decides how long it outlives a silent client;
   * the server ignores a per-lock TTL of a session's lock.
   */
  public Duration ttl() {
    return ttl;
  }

  /**
   * True while the client may claim ownership: neither released nor lost, the session's local
   * deadline not passed. Stays true while a release is being retried ({@link State#RELEASING}),
   * since the cluster still counts the lock as held until the release is acknowledged.
   */
  public boolean isHeld() {
    State s = state;
    return (s == State.HELD || s == State.RELEASING) && System.nanoTime() - lease.deadlineNanos() < 0;
  }

  public State state() {
    return state;
  }

  /** Why the lock was lost, or null while held or after a release. */
  public LostReason lostReason() {
    return lostReason;
  }

  /** Time left before the session's local deadline (zero or negative once passed). */
  public Duration remaining() {
    return Duration.ofNanos(lease.deadlineNanos() - System.nanoTime());
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

  /**
   * Releases the lock; completes with true once the cluster acknowledged the release, false when
   * it was no longer held (lost or released before). Calling it again while the release is
   * retried returns the same outcome.
   */
  public CompletionStage<Boolean> unlockAsync() {
    return client.unlockAsync(this);
  }

  /** Releases the lock (blocking). Same as {@link RaftLockClient#unlock}. */
  @Override
  public void close() {
    client.unlock(this);
  }

  /**
   * Forgets the lock without releasing it: the session keeps it while the client lives, and
   * {@link RaftLockClient#close()} then leaves the session to expire after its TTL instead of
   * closing it. For tools that take a lock and exit.
   */
  public void detach() {
    client.detach(this);
  }

  long deadlineNanos() {
    return lease.deadlineNanos();
  }

  boolean live() {
    State s = state;
    return s == State.HELD || s == State.RELEASING;
  }

  void setState(State s) {
    state = s;
  }

  /** Marks the lock lost and returns the listeners to notify; null if it was no longer live. */
  List<Consumer<LostReason>> lose(LostReason reason) {
    synchronized (lostListeners) {
      if (!live()) {
        return null;
      }
      state = State.LOST;
      lostReason = reason;
      List<Consumer<LostReason>> out = new ArrayList<>(lostListeners);
      lostListeners.clear();
      return out;
    }
  }

  @Override
  public String toString() {
    return "LockHandle[" + name + ", token " + token + ", " + (isHeld() ? state.name().toLowerCase()
        : lostReason != null ? "lost " + lostReason : state == State.HELD ? "past its deadline" : "released") + "]";
  }
}
