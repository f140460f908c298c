package io.raftlock.wire;

import io.netty.channel.ChannelPipeline;
import io.netty.handler.flush.FlushConsolidationHandler;
import io.vertx.core.http.HttpConnection;
import io.vertx.core.net.impl.ConnectionBase;

/**
 * Coalesces socket flushes of one connection: many flushes requested in one event-loop task (or in
 * tasks queued back to back) become one {@code writev}. The node installs it on every API
 * connection, the client on its connections to the nodes.
 *
 * <p>Why: Vert.x's HTTP/2 handler flushes after every frame it writes outside a read (the
 * HEADERS, DATA and trailing HEADERS of each gRPC response, each with its own flush), and a
 * response completed by a Raft apply is always written outside a read. Under load an apply batch
 * completes tens of responses in one task, so without this each costs three system calls; with it,
 * the whole batch leaves in one. Netty's {@link FlushConsolidationHandler} with
 * {@code consolidateWhenNoReadInProgress} defers such a flush to a task queued behind the current
 * one, so latency grows by at most that task's remaining work, and flushes inside a read are
 * already merged at the end of the read.
 *
 * <p>On the client the same holds the other way: each call and each session request is its own
 * event-loop task (handed over from an application thread), written outside a read. Clients of one
 * process share a connection ({@code client/SharedVertx}), so requests of many threads that queue
 * up while the loop is busy leave in one flush instead of one each.
 */
public final class FlushCoalescing {
  /** Flushes merged at most before one goes through (Netty's default). */
  static final int MAX_MERGED_FLUSHES = 256;
  private static final String NAME = "raftlock-flush-coalescing";

  private FlushCoalescing() {
  }

  /**
   * Installs the coalescing on {@code connection}'s channel, closest to the socket. Call it from
   * the connection handler (on the connection's event loop). A connection type that does not
   * expose its channel is left as it is.
   */
  public static void install(HttpConnection connection) {
    ChannelPipeline pipeline = pipelineOf(connection);
    if (pipeline != null && pipeline.get(NAME) == null) {
      pipeline.addFirst(NAME, new FlushConsolidationHandler(MAX_MERGED_FLUSHES, true));
    }
  }

  /** True when {@code connection}'s flushes are coalesced (for tests). */
  public static boolean installed(HttpConnection connection) {
    ChannelPipeline pipeline = pipelineOf(connection);
    return pipeline != null && pipeline.get(NAME) != null;
  }

  /** The Netty pipeline under {@code connection} (Vert.x internal API), or null if not exposed. */
  private static ChannelPipeline pipelineOf(HttpConnection connection) {
    return connection instanceof ConnectionBase base ? base.channel().pipeline() : null;
  }
}
