package io.raftlock.lock;

/**
 * What happened to a lock, for the push layer. Every replica emits the same events in the same
 * order for the same log. {@code index} is the log index of the entry whose apply emitted the
 * event. {@code token} is the fencing token concerned; it is 0 for waiter events (the client
 * holds no token).
 */
public sealed interface LockEvent {
  String lockId();

  String clientId();

  long token();

  long index();

  /** {@code clientId} now holds {@code lockId} with {@code token} (= index of the grant). */
  record Granted(String lockId, String clientId, long token, long index) implements LockEvent {}

  /** {@code clientId} joined the wait queue with {@code position} waiters ahead. */
  record Queued(String lockId, String clientId, long token, long index, int position)
      implements LockEvent {}

  /** The holder released the lock held with {@code token}. */
  record Released(String lockId, String clientId, long token, long index) implements LockEvent {}

  /** The holder's lease (granted with {@code token}) ran out and was expired. */
  record Expired(String lockId, String clientId, long token, long index) implements LockEvent {}

  /** The waiter's wait timeout passed; it will not be granted. */
  record WaitTimedOut(String lockId, String clientId, long token, long index)
      implements LockEvent {}

  /** The wait was cancelled by the client or because it disconnected. */
  record WaitCancelled(String lockId, String clientId, long token, long index)
      implements LockEvent {}
}
