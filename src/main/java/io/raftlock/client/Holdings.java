package io.raftlock.client;

import io.raftlock.proto.api.LockEventMessage;
import io.raftlock.proto.api.ReleaseRequest;
import io.raftlock.proto.api.SessionRequest;
import io.vertx.core.Future;
import io.vertx.core.Promise;
import io.vertx.core.Vertx;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.function.BiConsumer;
import java.util.function.Supplier;
import java.util.logging.Level;
import java.util.logging.Logger;

/**
 * The locks the client's session holds, as handles: granting, releasing (retried until the
 * cluster answers) and losing them. Runs on the client's context.
 *
 * <p><b>Lost exactly once.</b> A handle is lost by the first of: a pushed {@code EXPIRED} or
 * {@code RELEASED} of its holding it did not ask for, or the end of its session (expired, closed
 * elsewhere, not found on resume, local deadline passed). {@link LockHandle#lose} lets only the
 * first through, so each listener runs once however many of these arrive.
 *
 * <p><b>Releasing.</b> {@code unlock} moves a handle to {@code RELEASING} and sends one release
 * (one request id), which the session channel re-sends across stream breaks and retryable
 * refusals until it is answered. The handle stays held meanwhile; it ends when the cluster
 * acknowledges the release, when its own {@code RELEASED} event arrives, or when the session ends.
 */
final class Holdings {
  private static final Logger LOG = Logger.getLogger(Holdings.class.getName());

  private final RaftLockClient client;
  private final Vertx vertx;
  private final SessionChannel channel;
  private final Supplier<String> requestIds;
  private final BiConsumer<LockHandle, LostReason> lostListener;
  private final Map<String, LockHandle> handles = new HashMap<>();
  /**
   * The token of the last holding of each lock that ended here, until the event that ends it
   * arrives: a {@code GRANTED} of that holding still under way on a lagging node is stale.
   */
  private final Map<String, Long> endedTokens = new HashMap<>();
  /** Handles forgotten with {@link LockHandle#detach}: their locks stay with the session. */
  private int detached;
  /** The client is closing its session: the releases that come with it are expected. */
  private boolean closing;

  Holdings(RaftLockClient client, Vertx vertx, SessionChannel channel, Supplier<String> requestIds,
      BiConsumer<LockHandle, LostReason> lostListener) {
    this.client = client;
    this.vertx = vertx;
    this.channel = channel;
    this.requestIds = requestIds;
    this.lostListener = lostListener;
  }

  boolean has(String name) {
    return handles.containsKey(name);
  }

  LockHandle get(String name) {
    return handles.get(name);
  }

  int size() {
    return handles.size();
  }

  /** True when {@code token} is a holding of {@code name} that already ended here. */
  boolean stale(String name, long token) {
    Long ended = endedTokens.get(name);
    return ended != null && token <= ended;
  }

  LockHandle grant(String name, long token, java.time.Duration ttl, SessionLease lease) {
    LockHandle h = new LockHandle(client, name, token, ttl, lease);
    handles.put(name, h);
    return h;
  }

  /** Gives back a holding nobody wants (a grant that arrived after its wait was given up). */
  void releaseUnwanted(String name, long token) {
    endedTokens.merge(name, token, Math::max);
    send(name, token).onFailure(t -> LOG.log(Level.FINE, "giving back an unwanted grant of " + name, t));
  }

  Future<Boolean> release(LockHandle h) {
    if (h.release != null && h.state() == LockHandle.State.RELEASING) {
      return h.release; // a release under way: the same outcome
    }
    if (!h.live() || handles.get(h.name()) != h) {
      return Future.succeededFuture(false);
    }
    h.setState(LockHandle.State.RELEASING);
    h.release = send(h.name(), h.token()).transform(ar -> {
      if (ar.succeeded()) {
        boolean released = ar.result().getRelease().getReleased();
        if (h.state() == LockHandle.State.RELEASING) {
          end(h, LockHandle.State.RELEASED);
        }
        return Future.succeededFuture(released && h.state() == LockHandle.State.RELEASED);
      }
      if (!h.live()) {
        // Released with the session at close, or by its own RELEASED event: true; lost meanwhile: false.
        return Future.succeededFuture(h.state() == LockHandle.State.RELEASED);
      }
      h.setState(LockHandle.State.HELD); // refused (not retryable): still held, the caller may try again
      h.release = null;
      return Future.failedFuture(ar.cause());
    });
    return h.release;
  }

  private Future<io.raftlock.proto.api.SessionResponse> send(String name, long token) {
    ReleaseRequest r = ReleaseRequest.newBuilder().setLockId(name).setClientId(client.clientId()).setVersion(token)
        .setRequestId(requestIds.get()).build();
    // Until answered: a release that gave up would leave the lock held until the session ends.
    return channel.send(SessionRequest.newBuilder().setRelease(r).build(), System.nanoTime() + Long.MAX_VALUE / 2);
  }

  void detach(LockHandle h) {
    if (h.live() && handles.get(h.name()) == h && !h.detached) {
      h.detached = true;
      detached++;
      handles.remove(h.name());
      h.setState(LockHandle.State.RELEASED);
    }
  }

  /**
   * Ends the session for {@link RaftLockClient#close}: closes it on the cluster (every lock
   * released, every wait cancelled in one entry), or, when some handle was detached, releases
   * the other locks one by one and leaves the session to expire after its TTL. Either way every
   * handle ends {@code RELEASED}: the application closed the client (an unanswered close leaves
   * the session to expire).
   */
  Future<Void> endSession(long deadlineNanos) {
    if (detached == 0) {
      beginClose();
      return channel.close(true, deadlineNanos).map(r -> {
        onClosed();
        return null;
      });
    }
    List<Future<Boolean>> releases = new ArrayList<>();
    for (LockHandle h : new ArrayList<>(handles.values())) {
      releases.add(release(h).recover(t -> Future.succeededFuture(false)));
    }
    Promise<Void> bounded = Promise.promise();
    long timer = vertx.setTimer(Math.max(1, (deadlineNanos - System.nanoTime()) / 1_000_000), id -> bounded.tryComplete());
    Future.join(releases).onComplete(ar -> {
      vertx.cancelTimer(timer);
      bounded.tryComplete();
    });
    return bounded.future().compose(v -> channel.close(false, deadlineNanos)).map(r -> {
      onClosed();
      return null;
    });
  }

  /** Pushed events about held locks: the end of a holding this client did not ask for. */
  void onEvent(LockEventMessage ev) {
    String name = ev.getLockId();
    boolean ending = ev.getKind() == LockEventMessage.Kind.EXPIRED || ev.getKind() == LockEventMessage.Kind.RELEASED;
    if (!ending) {
      return;
    }
    Long ended = endedTokens.get(name);
    if (ended != null && ended <= ev.getVersion()) {
      endedTokens.remove(name); // nothing older can follow this event
    }
    LockHandle h = handles.get(name);
    if (h == null || h.token() != ev.getVersion()) {
      return;
    }
    if (ev.getKind() == LockEventMessage.Kind.RELEASED && (h.state() == LockHandle.State.RELEASING || closing)) {
      end(h, LockHandle.State.RELEASED); // our own release or close, applied before its answer came back
    } else {
      lost(h, ev.getKind() == LockEventMessage.Kind.EXPIRED ? LostReason.EXPIRED : LostReason.RELEASED_ELSEWHERE);
    }
  }

  /** The session ended: every live handle is lost, once. */
  void onSessionLost(LostReason reason) {
    for (LockHandle h : new ArrayList<>(handles.values())) {
      lost(h, reason);
    }
    endedTokens.clear(); // a new session hears nothing of the old one
  }

  /** The client is about to close its session. */
  void beginClose() {
    closing = true;
  }

  /** The client closed its session: the cluster released every lock with it. */
  void onClosed() {
    for (LockHandle h : new ArrayList<>(handles.values())) {
      end(h, LockHandle.State.RELEASED);
    }
  }

  private void end(LockHandle h, LockHandle.State s) {
    h.setState(s);
    handles.remove(h.name(), h);
    endedTokens.merge(h.name(), h.token(), Math::max);
  }

  private void lost(LockHandle h, LostReason reason) {
    var listeners = h.lose(reason);
    handles.remove(h.name(), h);
    endedTokens.merge(h.name(), h.token(), Math::max);
    if (listeners == null) {
      return;
    }
    client.callback(() -> lostListener.accept(h, reason));
    for (var l : listeners) {
      client.callback(() -> l.accept(reason));
    }
  }
}
