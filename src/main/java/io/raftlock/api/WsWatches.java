package io.raftlock.api;

import com.google.protobuf.InvalidProtocolBufferException;
import io.raftlock.proto.api.ErrorCode;
import io.raftlock.proto.api.LockEventMessage;
import io.raftlock.proto.api.WatchRequest;
import io.vertx.core.AsyncResult;
import io.vertx.core.Context;
import io.vertx.core.Future;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.logging.Level;
import java.util.logging.Logger;

/**
 * The watches of one WebSocket connection ({@code watch} / {@code unwatch} by client id): at most
 * {@code maxWatches}, one per client id, each registration taking one of the connection's
 * in-flight slots until the node has registered it. Events the node pushes are written to the
 * connection; a watch the node closes is reported with a {@code watchClosed} message.
 *
 * <p>Invariants: a client id maps to at most one watch, registered or still registering; a watch
 * that ended (unwatched, closed by the node, or the connection ended) never pushes again, and its
 * node-side handle is closed exactly once, on a later turn of the loop, even when it ended before
 * the registration completed. Used on the connection's event loop only, like the connection.
 */
final class WsWatches {
  private static final Logger LOG = Logger.getLogger(WsWatches.class.getName());

  /** What a watch needs of its connection: its in-flight budget, its socket and its loop. */
  interface Host {
    /** Takes an in-flight slot, or answers {@code RATE_LIMITED} and returns false. */
    boolean admit(WsCodec.Inbound in);

    /** Frees the slot {@link #admit} took. */
    void completed();

    /** Closes the connection if its session ended and nothing is in flight any more. */
    void closeIfIdle();

    /** Writes one text message; false if the connection is closed or was just closed (slow consumer). */
    boolean send(String text);

    boolean isClosed();

    /** Runs {@code action} on the connection's loop (at once when already there). */
    void onLoop(Runnable action);
  }

  private final LockApi api;
  private final int maxWatches;
  private final Context ctx;
  private final Host host;
  /** By client id, registered or still registering. */
  private final Map<String, Entry> watches = new LinkedHashMap<>();

  WsWatches(LockApi api, int maxWatches, Context ctx, Host host) {
    this.api = api;
    this.maxWatches = maxWatches;
    this.ctx = ctx;
    this.host = host;
  }

  void watch(WsCodec.Inbound in) {
    WatchRequest request = (WatchRequest) in.request();
    String clientId = request.getClientId();
    if (watches.containsKey(clientId)) {
      host.send(WsCodec.error(in.id(), in.op(), WsCodec.errorDetail(ErrorCode.INVALID_ARGUMENT,
          "this connection already watches the client id", "client_id")));
      return;
    }
    if (watches.size() >= maxWatches) {
      host.send(WsCodec.error(in.id(), in.op(), WsCodec.errorDetail(ErrorCode.RATE_LIMITED,
          "at most " + maxWatches + " watches per connection", "client_id")));
      return;
    }
    if (!host.admit(in)) {
      return;
    }
    Entry entry = new Entry(clientId);
    watches.put(clientId, entry);
    Future<LockApi.Watch> future;
    try {
      future = api.watch(request, entry);
    } catch (RuntimeException e) {
      future = Future.failedFuture(e);
    }
    if (future == null) {
      future = Future.failedFuture(new IllegalStateException("watch returned no future"));
    }
    future.onComplete(ar -> host.onLoop(() -> {
      host.completed();
      registered(in, entry, ar);
      host.closeIfIdle();
    }));
  }

  private void registered(WsCodec.Inbound in, Entry entry, AsyncResult<LockApi.Watch> ar) {
    if (ar.failed() || ar.result() == null) {
      watches.remove(entry.clientId, entry);
      entry.ended = true;
      Throwable cause = ar.failed() ? ar.cause() : new IllegalStateException("null watch");
      host.send(WsCodec.error(in.id(), in.op(), WsConnection.detailOf(cause)));
      return;
    }
    entry.attach(ar.result());
    replyEmpty(in);
  }

  void unwatch(WsCodec.Inbound in) {
    String clientId = ((WatchRequest) in.request()).getClientId();
    Entry entry = watches.remove(clientId);
    if (entry == null) {
      host.send(WsCodec.error(in.id(), in.op(), WsCodec.errorDetail(ErrorCode.INVALID_ARGUMENT,
          "this connection does not watch the client id", "client_id")));
      return;
    }
    entry.end();
    replyEmpty(in);
  }

  /** The {@code {}} response of watch and unwatch. */
  private void replyEmpty(WsCodec.Inbound in) {
    try {
      host.send(WsCodec.reply(in.id(), in.op(), null));
    } catch (InvalidProtocolBufferException e) {
      throw new IllegalStateException(e); // nothing is printed for a null response
    }
  }

  /** The connection ended: every watch ends (for the node, that cancels the client's waits). */
  void endAll() {
    List<Entry> all = new ArrayList<>(watches.values());
    watches.clear();
    all.forEach(Entry::end);
  }

  /** One watch: the sink the node pushes to, and the handle to close it. */
  private final class Entry implements LockApi.WatchSink {
    final String clientId;
    /** Null while the registration is pending. */
    private LockApi.Watch handle;
    /** Unwatched, closed by the node, or the connection ended; never reopens. */
    private boolean ended;

    Entry(String clientId) {
      this.clientId = clientId;
    }

    @Override
    public boolean push(LockEventMessage event) {
      if (ended || host.isClosed()) {
        return false;
      }
      String text;
      try {
        text = WsCodec.event(event);
      } catch (InvalidProtocolBufferException | RuntimeException e) {
        LOG.log(Level.WARNING, "cannot render a lock event", e);
        return true;
      }
      return host.send(text);
    }

    @Override
    public void closed(String reason) {
      if (ended) {
        return;
      }
      watches.remove(clientId, this);
      end();
      host.send(WsCodec.watchClosed(clientId, reason == null ? "" : reason));
    }

    void attach(LockApi.Watch watch) {
      handle = watch;
      if (ended) {
        closeLater(watch);
      }
    }

    void end() {
      if (ended) {
        return;
      }
      ended = true;
      if (handle != null) {
        closeLater(handle);
      }
    }

    /**
     * Closes the watch on a later turn of the loop: end() can run inside the node's own call to
     * push (a slow consumer), and the node should not be re-entered from its sink.
     */
    private void closeLater(LockApi.Watch watch) {
      ctx.runOnContext(v -> {
        try {
          watch.close();
        } catch (RuntimeException e) {
          LOG.log(Level.WARNING, "closing a watch failed", e);
        }
      });
    }
  }
}
