package io.raftlock.api;

import io.raftlock.lock.LockEvent;
import io.raftlock.proto.api.LockEventMessage;
import io.vertx.core.Context;
import io.vertx.core.Future;
import io.vertx.core.Promise;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.function.Consumer;
import java.util.function.BiFunction;
import java.util.function.Function;
import java.util.logging.Logger;

/**
 * The watches open on this node, and the bridge that pushes applied lock events to them.
 *
 * <p><b>Ordering.</b> Events are applied on the Raft context and handed to {@link #publish} there,
 * in log order. Each event about a watched client is posted to the API context with
 * {@code runOnContext}, which keeps that order (one FIFO task queue per event loop). A watch is
 * opened in two steps: it is added, still <em>pending</em>, on the API context (its client id is
 * then visible to {@code publish}); then a task on the Raft context reads the applied index
 * {@code A} and posts the activation back. Events posted before the activation have index ≤ A and
 * are ignored by the pending watch; events after it have index > A and are all delivered. So the
 * WATCH_STARTED marker's {@code log_index} is exact: every event applied after it is pushed.
 *
 * <p><b>Disconnects.</b> When the last watch of a client on this node closes (stream cancelled,
 * connection lost, slow consumer), the registry asks {@code cancelWaits} to propose the
 * cancellation of all that client's waits, so a disconnected waiter is never granted a lock it
 * cannot hear about.
 *
 * <p><b>Session streams.</b> Events of a session (session id > 0) go to that session's streams
 * ({@link #openSession}), never to a Watch of their client id label.
 *
 * <p>Everything but {@link #publish} and {@link #isWatched} runs on the API context.
 */
public final class WatchRegistry {
  private static final Logger LOG = Logger.getLogger(WatchRegistry.class.getName());

  /** Where the registry reads the applied index, on the Raft context (see the class comment). */
  public interface AppliedIndex {
    /** Runs {@code then} on the Raft context with the index applied so far. */
    void read(Consumer<Long> then);
  }

  private final Context context;
  private final AppliedIndex appliedIndex;
  private final BiFunction<String, String, Future<?>> cancelWaits;
  /** Client ids with at least one open watch: read by the Raft thread to skip other events. */
  private final Set<String> watched = ConcurrentHashMap.newKeySet();
  private final Map<String, List<WatchImpl>> byClient = new HashMap<>();
  /** Session ids with at least one open session stream: read by the Raft thread. */
  private final Set<Long> watchedSessions = ConcurrentHashMap.newKeySet();
  private final Map<Long, List<SessionWatch>> bySession = new HashMap<>();
  // Single writer (the API context); volatile so metrics may read them from any thread.
  private volatile long pushed;
  private volatile long slowConsumers;
  private volatile int openWatches;

  /**
   * @param context the API context (all watches live there)
   * @param cancelWaits proposes CancelClientWaits for a client id and principal; retries are its
   *     business
   */
  public WatchRegistry(Context context, AppliedIndex appliedIndex,
      BiFunction<String, String, Future<?>> cancelWaits) {
    this.context = context;
    this.appliedIndex = appliedIndex;
    this.cancelWaits = cancelWaits;
  }

  /** Called on the Raft context for every applied event, in log order. */
  public void publish(LockEvent e) {
    // A session-owned event belongs to its session, whatever its client id label says: a Watch
    // of that client id must not see it; the session's streams do.
    if (e.sessionId() != 0) {
      if (watchedSessions.contains(e.sessionId())) {
        context.runOnContext(v -> dispatchSession(e));
      }
    } else if (watched.contains(e.clientId())) {
      context.runOnContext(v -> dispatch(e));
    }
  }

  /** Open watches (API context). */
  public int size() {
    int n = 0;
    for (List<WatchImpl> l : byClient.values()) {
      n += l.size();
    }
    return n;
  }

  /** Open watches, readable from any thread (metrics). */
  public int openWatches() {
    return openWatches;
  }

  /** Events handed to watch sinks. */
  public long pushed() {
    return pushed;
  }

  /** Watches closed because their consumer could not keep up. */
  public long slowConsumers() {
    return slowConsumers;
  }

  Future<LockApi.Watch> open(String clientId, LockApi.WatchSink sink) {
    return open(clientId, "", sink);
  }

  /**
   * A watch of {@code clientId} by {@code principal} ({@code ""}: auth off): it sees only the
   * events of that principal's holdings and waits under the client id, and its end cancels only
   * that principal's waits, since a client id names an owner only together with its principal.
   */
  Future<LockApi.Watch> open(String clientId, String principal, LockApi.WatchSink sink) {
    WatchImpl w = new WatchImpl(clientId, principal, sink);
    byClient.computeIfAbsent(clientId, k -> new ArrayList<>()).add(w);
    openWatches++;
    watched.add(clientId);
    Promise<LockApi.Watch> opened = Promise.promise();
    appliedIndex.read(index -> context.runOnContext(v -> {
      if (w.closed) {
        opened.tryFail(new IllegalStateException("closed while opening"));
        return;
      }
      w.startIndex = index;
      opened.complete(w);
      w.deliver(ResponseMapper.watchStarted(clientId, index));
    }));
    return opened.future();
  }

  /** Closes every watch, telling each sink {@code reason} (API context). */
  public void closeAll(String reason) {
    List<WatchImpl> all = new ArrayList<>();
    byClient.values().forEach(all::addAll);
    for (WatchImpl w : all) {
      w.close();
      w.sink.closed(reason);
    }
    List<SessionWatch> sessions = new ArrayList<>();
    bySession.values().forEach(sessions::addAll);
    for (SessionWatch w : sessions) {
      w.close();
      w.sink.closed(reason);
    }
  }

  /**
   * Registers a session stream: every event of session {@code sessionId} published from now on is
   * delivered to {@code sink}, in log order (events published before were for the streams of the
   * time). Session ids are never reused, so no start marker is needed. Unlike a client watch,
   * closing it proposes nothing: a session's holds and waits end with the session, not with a
   * stream. When its consumer cannot keep up the registration ends and {@code sink.closed} is called.
   */
  SessionEvents openSession(long sessionId, LockApi.WatchSink sink) {
    SessionWatch w = new SessionWatch(sessionId, sink);
    bySession.computeIfAbsent(sessionId, k -> new ArrayList<>()).add(w);
    watchedSessions.add(sessionId);
    return w;
  }

  /** A session stream's registration. */
  interface SessionEvents extends LockApi.Watch {
    /**
     * Delivers an event of the node's own making (SESSION_EXPIRING) to this registration only,
     * under the same slow-consumer rule as applied events.
     */
    void deliver(LockEventMessage m);
  }

  private void dispatchSession(LockEvent e) {
    List<SessionWatch> ws = bySession.get(e.sessionId());
    if (ws == null) {
      return;
    }
    LockEventMessage message = ResponseMapper.event(e);
    for (SessionWatch w : List.copyOf(ws)) {
      w.deliver(message);
    }
  }

  /**
   * One registered consumer of events: delivery with the slow-consumer rule, and an idempotent
   * close that takes it out of its index ({@link #unregister}).
   */
  private abstract class Registration implements LockApi.Watch {
    final LockApi.WatchSink sink;
    boolean closed;

    Registration(LockApi.WatchSink sink) {
      this.sink = sink;
    }

    /** Who this is, for the log. */
    abstract String label();

    /** Removes this registration from its index (called once, by {@link #close}). */
    abstract void unregister();

    void deliver(LockEventMessage m) {
      if (closed) {
        return;
      }
      pushed++;
      if (!sink.push(m)) {
        slowConsumers++;
        LOG.info(() -> "closing " + label() + ": slow consumer");
        close();
        sink.closed("slow consumer: the event queue is full");
      }
    }

    @Override
    public void close() {
      if (!closed) {
        closed = true;
        unregister();
      }
    }
  }

  private final class SessionWatch extends Registration implements SessionEvents {
    final long sessionId;

    SessionWatch(long sessionId, LockApi.WatchSink sink) {
      super(sink);
      this.sessionId = sessionId;
    }

    @Override
    public void deliver(LockEventMessage m) {
      super.deliver(m);
    }

    @Override
    String label() {
      return "a stream of session " + sessionId;
    }

    @Override
    void unregister() {
      List<SessionWatch> ws = bySession.get(sessionId);
      if (ws != null) {
        ws.remove(this);
        if (ws.isEmpty()) {
          bySession.remove(sessionId);
          watchedSessions.remove(sessionId);
        }
      }
    }
  }

  private void dispatch(LockEvent e) {
    List<WatchImpl> ws = byClient.get(e.clientId());
    if (ws == null) {
      return;
    }
    LockEventMessage message = null;
    // Copy: a slow consumer closes its watch, which edits the list.
    for (WatchImpl w : List.copyOf(ws)) {
      if (w.startIndex >= 0 && e.index() > w.startIndex && w.sees(e)) {
        if (message == null) {
          message = ResponseMapper.event(e);
        }
        w.deliver(message);
      }
    }
  }

  private final class WatchImpl extends Registration {
    final String clientId;
    final String principal;
    /** -1 while pending; then the applied index of WATCH_STARTED. */
    long startIndex = -1;

    WatchImpl(String clientId, String principal, LockApi.WatchSink sink) {
      super(sink);
      this.clientId = clientId;
      this.principal = principal;
    }

    /** A watch made while auth was off sees every event of its client id. */
    boolean sees(LockEvent e) {
      return principal.isEmpty() || principal.equals(e.principal());
    }

    @Override
    String label() {
      return "the watch of " + clientId;
    }

    @Override
    void unregister() {
      openWatches--;
      List<WatchImpl> ws = byClient.get(clientId);
      if (ws != null) {
        ws.remove(this);
        if (ws.isEmpty()) {
          byClient.remove(clientId);
          watched.remove(clientId);
        }
        // The last watch of this client id and principal here: nobody can be told of a grant.
        if (ws.stream().noneMatch(w -> w.principal.equals(principal))) {
          cancelWaits.apply(clientId, principal).onFailure(t ->
              LOG.warning(() -> "could not cancel the waits of " + clientId + ": " + t));
        }
      }
    }
  }
}
