package io.raftlock.api;

import io.vertx.core.http.HttpConnection;
import java.util.ArrayList;
import java.util.IdentityHashMap;
import java.util.List;
import java.util.Map;

/**
 * The client connections open on this node, and what to do when each closes. A connection has a
 * single close handler in Vert.x; several watches may share one HTTP/2 connection, so they
 * register here instead. Confined to the client server's event loop.
 */
public final class ConnectionTracker {
  private final Map<HttpConnection, List<Runnable>> open = new IdentityHashMap<>();
  // Single writer (the server's event loop); volatile so metrics may read them from any thread.
  private volatile long accepted;
  private volatile int active;

  /** Called by the server's connection handler for each new connection. */
  public void accept(HttpConnection connection) {
    accepted++;
    open.put(connection, new ArrayList<>());
    active = open.size();
    connection.closeHandler(v -> {
      List<Runnable> closers = open.remove(connection);
      active = open.size();
      if (closers != null) {
        closers.forEach(Runnable::run);
      }
    });
  }

  /**
   * Runs {@code closer} when {@code connection} closes (at once if it is not tracked, i.e. it
   * closed already). Returns what unregisters it, for a stream that ends before its connection.
   */
  public Runnable onClose(HttpConnection connection, Runnable closer) {
    List<Runnable> closers = connection == null ? null : open.get(connection);
    if (closers == null) {
      closer.run();
      return () -> {};
    }
    closers.add(closer);
    return () -> closers.remove(closer);
  }

  /** Connections open now; any thread. */
  public int active() {
    return active;
  }

  public long accepted() {
    return accepted;
  }
}
