package io.raftlock.api;

import io.raftlock.lock.ErrorCode;
import io.raftlock.lock.LockCommand;
import io.raftlock.node.ProposalException;

/**
 * What the API reports to the metrics layer. Called on the API context (or, for the WebSocket
 * hooks, on the connection's loop); implementations must be cheap and thread-safe, and must not
 * throw. Labels passed here come from fixed sets: never a lock id or client id.
 */
public interface ApiObserver {
  ApiObserver NONE = new ApiObserver() {};

  /** The client API's methods, as metrics label them (the gRPC method names). */
  enum Method {
    ACQUIRE("Acquire"),
    RELEASE("Release"),
    RENEW("Renew"),
    GET_LOCK_INFO("GetLockInfo"),
    GET_LOCKS("GetLocks"),
    ENQUEUE_WAITER("EnqueueWaiter"),
    CANCEL_WAIT("CancelWait"),
    GET_BACKOFF_ADVICE("GetBackoffAdvice"),
    GET_STATUS("GetStatus"),
    HEALTH("Health"),
    WATCH("Watch"),
    /** Open, resume, keep-alive and close on a session stream (its lock requests count as theirs). */
    SESSION("Session");

    private final String rpcName;

    Method(String rpcName) {
      this.rpcName = rpcName;
    }

    public String rpcName() {
      return rpcName;
    }
  }

  /** Queues and caps whose overflow refuses or drops work. */
  enum Queue {
    /** A client's token bucket was empty (RATE_LIMITED). */
    CLIENT_RATE,
    /** The node's in-flight request cap was reached (RATE_LIMITED). */
    IN_FLIGHT,
    /** A gRPC watch stream's write queue was full: the watch closed as a slow consumer. */
    WATCH_WRITE_QUEUE,
    /** A WebSocket's write queue was full: the connection closed as a slow consumer. */
    WS_WRITE_QUEUE,
    /** A WebSocket connection's in-flight cap was reached (RATE_LIMITED). */
    WS_IN_FLIGHT,
    /** A session stream's in-flight cap was reached (RATE_LIMITED). */
    SESSION_IN_FLIGHT,
    /** A session stream's write queue was full: the stream closed as a slow consumer. */
    SESSION_WRITE_QUEUE
  }

  /** A request of {@code method} was received (before validation). */
  default void started(Method method) {}

  /**
   * The request was answered after {@code nanos}: {@code error} null when it succeeded, else
   * the code of the refusal or of the lock-level outcome in the response.
   */
  default void finished(Method method, ErrorCode error, long nanos) {}

  /** The request failed validation on {@code field} (a proto field name, map keys stripped). */
  default void invalid(Method method, String field) {}

  /** A follower in redirect mode answered NOT_LEADER / NO_LEADER. */
  default void redirected(Method method) {}

  /** A follower forwarded the write to the leader. */
  default void forwarded(Method method) {}

  /**
   * A command of type {@code operation} (a {@link LockCommand} record name) was submitted to Raft
   * and ended after {@code nanos} with {@code outcome}: "ok" or a lower-case
   * {@link ProposalException.Reason} ("other" for anything else).
   */
  default void proposed(String operation, String outcome, long nanos) {}

  /** The node retried a proposal of its own (cancelling a disconnected client's waits). */
  default void retried(String operation) {}

  /** A queue or cap overflowed. */
  default void overflowed(Queue queue) {}

  /** A health request was answered; {@code serving} is what it said. */
  default void healthChecked(boolean serving) {}

  /** A WebSocket connection opened (+1) or closed (-1). */
  default void webSocketsOpen(int delta) {}
}
