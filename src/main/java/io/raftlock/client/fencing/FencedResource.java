package io.raftlock.client.fencing;

import java.util.Objects;
import java.util.function.UnaryOperator;

/**
 * A resource guarded by fencing tokens: it accepts a write only if the writer's token is at least
 * the highest it has accepted, and remembers the highest. A lock holder that was paused past its
 * lease (GC, swap, a stopped VM) and wakes up believing it still holds the lock carries an older
 * token than the holder that replaced it, so its late write is refused instead of corrupting the
 * newer holder's work.
 *
 * <p>This is the pattern every storage system guarded by RaftLock should follow (compare-and-set on
 * a token column, a conditional put, a check in the storage service). The class itself is a
 * reference implementation and a test utility; it is thread safe.
 *
 * <pre>{@code
 * FencedResource<String> config = new FencedResource<>("v0");
 * LockHandle lock = client.lock("config", Duration.ofSeconds(10));
 * config.write(lock.token(), old -> "v1");   // throws StaleTokenException if a newer holder wrote first
 * }</pre>
 *
 * <p>Equal tokens are accepted: one holding may write many times.
 */
public final class FencedResource<T> {
  private T value;
  private long highestToken;
  private long acceptedWrites;
  private long refusedWrites;

  public FencedResource(T initial) {
    this.value = initial;
  }

  /** Thrown for a write with a token below the highest accepted one; the value is unchanged. */
  public static final class StaleTokenException extends RuntimeException {
    private static final long serialVersionUID = 1L;
    private final long token;
    private final long highest;

    StaleTokenException(long token, long highest) {
      super("stale fencing token " + token + ": a write with token " + highest + " was already accepted");
      this.token = token;
      this.highest = highest;
    }

    public long token() {
      return token;
    }

    public long highest() {
      return highest;
    }
  }

  /**
   * Applies {@code update} if {@code token} is not stale, and returns the new value.
   *
   * @throws IllegalArgumentException for a token that is not positive (tokens start at 1)
   * @throws StaleTokenException if a write with a higher token was accepted before
   */
  public synchronized T write(long token, UnaryOperator<T> update) {
    Objects.requireNonNull(update, "update");
    if (token <= 0) {
      throw new IllegalArgumentException("fencing tokens are positive, got " + token);
    }
    if (token < highestToken) {
      refusedWrites++;
      throw new StaleTokenException(token, highestToken);
    }
    T next = update.apply(value);
    highestToken = token;
    value = next;
    acceptedWrites++;
    return next;
  }

  /** Replaces the value; same rule as {@link #write(long, UnaryOperator)}. */
  public T set(long token, T newValue) {
    return write(token, old -> newValue);
  }

  /** True if a write with {@code token} would be accepted now. */
  public synchronized boolean accepts(long token) {
    return token > 0 && token >= highestToken;
  }

  public synchronized T value() {
    return value;
  }

  public synchronized long highestToken() {
    return highestToken;
  }

  public synchronized long acceptedWrites() {
    return acceptedWrites;
  }

  public synchronized long refusedWrites() {
    return refusedWrites;
  }
}
