package io.raftlock.transport;

import io.raftlock.proto.peer.PeerEnvelope;
import io.raftlock.proto.peer.RaftPeerGrpcClient;
import io.raftlock.proto.peer.StreamSummary;
import io.raftlock.raft.Message;
import io.vertx.core.AsyncResult;
import io.vertx.core.Vertx;
import io.vertx.core.buffer.Buffer;
import io.vertx.core.net.SocketAddress;
import io.vertx.grpc.client.GrpcClient;
import io.vertx.grpc.client.GrpcClientRequest;
import io.vertx.grpc.client.GrpcClientResponse;
import java.util.ArrayDeque;
import java.util.logging.Level;
import java.util.logging.Logger;

/**
 * The outbound half of the link to one peer: one long-lived Messages call, a bounded queue, and a
 * circuit breaker with jittered exponential backoff.
 *
 * <pre>
 *   state        what send() does                 leaves on
 *   CONNECTING   queue (bounded)                  headers → CONNECTED; failure → OPEN
 *   TRIAL        drop (circuit half-open)         headers → CONNECTED; failure → OPEN
 *   CONNECTED    write; if flow control holds     failure → CONNECTING when the call lived
 *                writes, queue (bounded)          ≥ reconnectMaxMs, else → OPEN
 *   OPEN         drop (circuit open)              backoff timer → TRIAL
 *   CLOSED       drop                             never
 * </pre>
 *
 * "Failure" is any of: the call could not open within callDeadlineMs, it was refused or reset,
 * the receiver ended it, a write stayed held back for callDeadlineMs, or a ping went unanswered
 * for callDeadlineMs. Each failure reports the peer unreachable, once per episode: a report is
 * re-armed only when a call is open again and the queue has drained, so a flood of messages to a
 * dead peer costs one report, not one per message.
 *
 * <p>Ordering: messages leave in {@link #offer} order; the queue is only ever appended to and
 * drained from the head, and nothing overtakes it (a write goes direct only when it is empty).
 *
 * <p>Threading: every field is confined to the transport's event-loop context; gRPC callbacks
 * arrive there because each call is opened from it. Callbacks from an abandoned call are told
 * apart by {@link #generation} and ignored.
 */
final class PeerChannel {
  private static final Logger LOG = Logger.getLogger(PeerChannel.class.getName());

  enum State { CONNECTING, TRIAL, CONNECTED, OPEN, CLOSED }

  /** Receives the (once per episode) unreachable reports; the transport defers them. */
  interface Events {
    void unreachable(String peer);
  }

  private final String peer;
  private final String self;
  private final SocketAddress address;
  private final PeerTransportConfig config;
  private final Vertx vertx;
  private final GrpcClient client;
  private final Backoff backoff;
  private final Events events;
  private final TransportStats stats;
  private final PeerEnvelope opener;

  // --- confined to the transport's context ---
  private State state = State.CONNECTING;
  private long generation;
  private GrpcClientRequest<PeerEnvelope, StreamSummary> call;
  private final ArrayDeque<Message> queue = new ArrayDeque<>();
  private int failures;
  private boolean reported;
  private long attemptStartedNanos;
  private long connectedAtNanos;
  /** When the head of the queue last saw progress while connected; 0 when nothing waits. */
  private long heldSinceNanos;
  private long pingSentNanos;
  private long lastPongNanos;
  private long backoffTimer = -1;
  /** This node's own addresses, sent on every Messages call so peers can learn them. */
  private String advertisedPeerAddress;
  private String advertisedClientAddress;

  PeerChannel(String peer, String self, SocketAddress address, PeerTransportConfig config,
      Vertx vertx, GrpcClient client, Backoff backoff, Events events, TransportStats stats) {
    this.peer = peer;
    this.self = self;
    this.address = address;
    this.config = config;
    this.vertx = vertx;
    this.client = client;
    this.backoff = backoff;
    this.events = events;
    this.stats = stats;
    this.opener = PeerEnvelope.newBuilder().setFrom(self).setTo(peer).build();
  }

  State state() {
    return state;
  }

  /** True while the circuit is open or half-open: messages are dropped without any I/O. */
  boolean circuitOpen() {
    return state == State.OPEN || state == State.TRIAL;
  }

  void start() {
    connect(State.CONNECTING);
  }

  /** Sends this node's addresses on each new call (null: not sent). Before {@link #start}. */
  void advertise(String peerAddress, String clientAddress) {
    this.advertisedPeerAddress = peerAddress;
    this.advertisedClientAddress = clientAddress;
  }

  void offer(Message m) {
    switch (state) {
      case CONNECTED -> {
        if (queue.isEmpty() && !call.writeQueueFull()) {
          write(m);
        } else {
          enqueue(m);
        }
      }
      case CONNECTING -> enqueue(m);
      case OPEN, TRIAL, CLOSED -> drop(1);
    }
  }

  /**
   * The peer just called us, so it is up: while the circuit is open, skip the rest of the backoff
   * and try at once. A restarted node is then reachable as soon as it calls, not after up to
   * reconnectMaxMs.
   */
  void peerIsUp() {
    if (state == State.OPEN) {
      if (backoffTimer >= 0) {
        vertx.cancelTimer(backoffTimer);
        backoffTimer = -1;
      }
      connect(State.TRIAL);
    }
  }

  /** Periodic check of the deadlines; {@code now} is {@link System#nanoTime()}. */
  void watchdog(long now) {
    long deadline = config.callDeadlineMs() * 1_000_000L;
    if ((state == State.CONNECTING || state == State.TRIAL) && now - attemptStartedNanos > deadline) {
      fail(generation, "no answer within callDeadlineMs", true);
    } else if (state == State.CONNECTED) {
      if (heldSinceNanos != 0 && now - heldSinceNanos > deadline) {
        fail(generation, "writes held back by flow control for callDeadlineMs", true);
      } else if (pingSentNanos != 0 && now - pingSentNanos > deadline) {
        fail(generation, "ping unanswered for callDeadlineMs", true);
      } else if (config.pingIntervalMs() > 0 && pingSentNanos == 0
          && now - lastPongNanos >= config.pingIntervalMs() * 1_000_000L) {
        ping(now);
      }
    }
  }

  void close() {
    generation++;
    state = State.CLOSED;
    if (backoffTimer >= 0) {
      vertx.cancelTimer(backoffTimer);
      backoffTimer = -1;
    }
    if (call != null) {
      try {
        call.end();
      } catch (RuntimeException e) {
        LOG.log(Level.FINE, "ending call to " + peer, e);
      }
      call = null;
    }
    stats.dropped += queue.size();
    queue.clear();
  }

  // ---------------------------------------------------------------- connecting

  private void connect(State connecting) {
    long gen = ++generation;
    state = connecting;
    attemptStartedNanos = System.nanoTime();
    MemberCalls.open(client, address, RaftPeerGrpcClient.Messages, peer)
        .onComplete(ar -> onCall(gen, ar));
  }

  private void onCall(long gen, AsyncResult<GrpcClientRequest<PeerEnvelope, StreamSummary>> ar) {
    if (gen != generation) {
      if (ar.succeeded()) {
        cancelQuietly(ar.result()); // abandoned by a deadline or close() meanwhile
      }
      return;
    }
    if (ar.failed()) {
      fail(gen, ar.cause().toString());
      return;
    }
    GrpcClientRequest<PeerEnvelope, StreamSummary> c = ar.result();
    call = c;
    PeerIdentity.stamp(c.headers(), self, peer);
    if (advertisedPeerAddress != null) {
      c.headers().set(PeerIdentity.FROM_PEER_ADDRESS, advertisedPeerAddress);
    }
    if (advertisedClientAddress != null) {
      c.headers().set(PeerIdentity.FROM_CLIENT_ADDRESS, advertisedClientAddress);
    }
    c.exceptionHandler(t -> fail(gen, t.toString()));
    c.drainHandler(v -> {
      if (gen == generation) {
        flush();
      }
    });
    // The headers leave with the first message: send a no-op so the receiver can answer.
    c.write(opener);
    c.response().onComplete(rr -> onResponse(gen, rr));
  }

  private void onResponse(long gen, AsyncResult<GrpcClientResponse<PeerEnvelope, StreamSummary>> rr) {
    if (gen != generation) {
      return;
    }
    if (rr.failed()) {
      fail(gen, rr.cause().toString());
      return;
    }
    GrpcClientResponse<PeerEnvelope, StreamSummary> response = rr.result();
    if (response.status() != null) {
      // Trailers-only answer: the receiver refused the call (wrong node, unknown sender).
      fail(gen, "refused: " + response.status() + " " + response.statusMessage());
      return;
    }
    response.handler(summary -> {});
    if (call.connection() != null) {
      // A peer that goes away resets the connection; the call's handlers deal with it, so keep
      // Vert.x from logging each reset as an unhandled error.
      call.connection().exceptionHandler(t -> LOG.log(Level.FINE, "connection to " + peer, t));
    }
    response.exceptionHandler(t -> fail(gen, t.toString()));
    response.endHandler(v -> fail(gen, "receiver ended the call: " + response.status()));
    state = State.CONNECTED;
    connectedAtNanos = System.nanoTime();
    lastPongNanos = connectedAtNanos;
    pingSentNanos = 0;
    stats.connects++;
    flush();
  }

  private void fail(long gen, String reason) {
    fail(gen, reason, false);
  }

  /**
   * Abandons the current call (if {@code gen} is still current) and schedules the next one. The
   * backoff resets only when a call that stayed up for reconnectMaxMs breaks by itself; a call
   * cut by a deadline ({@code stalled}) was not healthy, however long it lived.
   */
  private void fail(long gen, String reason, boolean stalled) {
    if (gen != generation || state == State.CLOSED) {
      return;
    }
    generation++;
    boolean wasConnected = state == State.CONNECTED;
    long livedMs = (System.nanoTime() - connectedAtNanos) / 1_000_000L;
    if (call != null) {
      cancelQuietly(call);
      call = null;
    }
    heldSinceNanos = 0;
    pingSentNanos = 0;
    failures = wasConnected && !stalled && livedMs >= config.reconnectMaxMs() ? 0 : failures + 1;
    LOG.log(wasConnected ? Level.INFO : Level.FINE,
        () -> "peer " + peer + " at " + address + ": " + reason + " (failures " + failures + ")");
    report();
    if (failures == 0) {
      connect(State.CONNECTING); // a healthy call broke: try again at once, keep the queue
    } else {
      openCircuit();
    }
  }

  private void openCircuit() {
    state = State.OPEN;
    stats.dropped += queue.size();
    queue.clear();
    long delayMs = backoff.delayMs(failures);
    long gen = generation;
    backoffTimer = vertx.setTimer(delayMs, id -> {
      backoffTimer = -1;
      if (gen == generation && state == State.OPEN) {
        connect(State.TRIAL);
      }
    });
  }

  private void ping(long now) {
    long gen = generation;
    if (call.connection() == null) {
      return;
    }
    pingSentNanos = now;
    call.connection().ping(Buffer.buffer(8).appendLong(now)).onComplete(ar -> {
      if (gen != generation) {
        return;
      }
      if (ar.failed()) {
        fail(gen, "ping failed: " + ar.cause());
      } else {
        pingSentNanos = 0;
        lastPongNanos = System.nanoTime();
      }
    });
  }

  // ---------------------------------------------------------------- writing

  private void write(Message m) {
    call.write(MessageMapper.toProto(m));
    stats.sent++;
  }

  private void enqueue(Message m) {
    if (queue.size() >= config.maxQueuedMessages()) {
      drop(1);
      return;
    }
    if (queue.isEmpty() && state == State.CONNECTED) {
      heldSinceNanos = System.nanoTime();
    }
    queue.addLast(m);
  }

  /** Writes queued messages while the call accepts them (HTTP/2 flow control). */
  private void flush() {
    if (state != State.CONNECTED) {
      return;
    }
    int written = 0;
    while (!queue.isEmpty() && !call.writeQueueFull()) {
      write(queue.pollFirst());
      written++;
    }
    if (queue.isEmpty()) {
      heldSinceNanos = 0;
      reported = false; // healthy again: the next trouble deserves a new report
    } else if (written > 0 || heldSinceNanos == 0) {
      heldSinceNanos = System.nanoTime(); // the deadline runs from the last progress
    }
  }

  private void cancelQuietly(GrpcClientRequest<PeerEnvelope, StreamSummary> c) {
    try {
      c.cancel();
    } catch (RuntimeException e) {
      LOG.log(Level.FINE, "cancelling call to " + peer, e);
    }
  }

  private void drop(int count) {
    stats.dropped += count;
    report();
  }

  private void report() {
    if (!reported) {
      reported = true;
      stats.unreachableReports++;
      events.unreachable(peer);
    }
  }
}
