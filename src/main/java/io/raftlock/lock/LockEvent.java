package io.raftlock.lock;

/**
 * What happened to a lock, for the push layer. Every replica emits the same events in the same
 * order for the same log. {@code index} is the log index of the entry whose apply emitted the
 * event. {@code token} is the fencing token concerned; it is 0 for waiter events (the client
 * holds no token). {@code sessionId} is the owning session, 0 for a client-owned holding or wait
 * (then {@code clientId} is the owner; otherwise it is only the label). {@code principal} is the
 * principal of the holding or wait ({@code ""}: made while auth was off): a client id names an
 * owner only together with its principal, so a watch of a client id sees only its own principal's
 * events.
 */
public sealed interface LockEvent {
  String lockId();

  String clientId();

  long token();

  long index();

  long sessionId();

  /** The principal of the holding or wait concerned; {@code ""} when none (auth off). */
  default String principal() {
    return "";
  }

  /** {@code clientId} now holds {@code lockId} with {@code token} (= index of the grant). */
  record Granted(String lockId, String clientId, long token, long index, long sessionId,
      String principal) implements LockEvent {
    public Granted(String lockId, String clientId, long token, long index, long sessionId) {
      this(lockId, clientId, token, index, sessionId, "");
    }

    public Granted(String lockId, String clientId, long token, long index) {
      this(lockId, clientId, token, index, 0, "");
    }
  }

  /** {@code clientId} joined the wait queue with {@code position} waiters ahead. */
  record Queued(String lockId, String clientId, long token, long index, int position,
      long sessionId, String principal) implements LockEvent {
    public Queued(String lockId, String clientId, long token, long index, int position, long sessionId) {
      this(lockId, clientId, token, index, position, sessionId, "");
    }

    public Queued(String lockId, String clientId, long token, long index, int position) {
      this(lockId, clientId, token, index, position, 0, "");
    }
  }

  /**
   * The holder released the lock held with {@code token}; for a session-owned lock also when its
   * session was closed (then a {@link SessionClosed} follows in the same entry).
   */
  record Released(String lockId, String clientId, long token, long index, long sessionId,
      String principal) implements LockEvent {
    public Released(String lockId, String clientId, long token, long index, long sessionId) {
      this(lockId, clientId, token, index, sessionId, "");
    }

    public Released(String lockId, String clientId, long token, long index) {
      this(lockId, clientId, token, index, 0, "");
    }
  }

  /**
   * The holder's lease (granted with {@code token}) ran out and was expired; for a
   * session-owned lock, its session expired (then a {@link SessionExpired} follows).
   */
  record Expired(String lockId, String clientId, long token, long index, long sessionId,
      String principal) implements LockEvent {
    public Expired(String lockId, String clientId, long token, long index, long sessionId) {
      this(lockId, clientId, token, index, sessionId, "");
    }

    public Expired(String lockId, String clientId, long token, long index) {
      this(lockId, clientId, token, index, 0, "");
    }
  }

  /** The waiter's wait timeout passed; it will not be granted. */
  record WaitTimedOut(String lockId, String clientId, long token, long index, long sessionId,
      String principal) implements LockEvent {
    public WaitTimedOut(String lockId, String clientId, long token, long index, long sessionId) {
      this(lockId, clientId, token, index, sessionId, "");
    }

    public WaitTimedOut(String lockId, String clientId, long token, long index) {
      this(lockId, clientId, token, index, 0, "");
    }
  }

  /**
   * The wait was cancelled by the client, because it disconnected, or because its session ended.
   */
  record WaitCancelled(String lockId, String clientId, long token, long index, long sessionId,
      String principal) implements LockEvent {
    public WaitCancelled(String lockId, String clientId, long token, long index, long sessionId) {
      this(lockId, clientId, token, index, sessionId, "");
    }

    public WaitCancelled(String lockId, String clientId, long token, long index) {
      this(lockId, clientId, token, index, 0, "");
    }
  }

  /**
   * Session {@code sessionId} (named {@code clientId}) expired at this entry; the per-lock
   * {@link Expired} and {@link WaitCancelled} events of its holds and waits come before it in the
   * same entry. Not about one lock: {@code lockId} is empty and {@code token} 0.
   */
  record SessionExpired(long sessionId, String clientId, long index) implements LockEvent {
    @Override
    public String lockId() {
      return "";
    }

    @Override
    public long token() {
      return 0;
    }
  }

  /** Session {@code sessionId} was closed; like {@link SessionExpired} with {@link Released}. */
  record SessionClosed(long sessionId, String clientId, long index) implements LockEvent {
    @Override
    public String lockId() {
      return "";
    }

    @Override
    public long token() {
      return 0;
    }
  }
}
