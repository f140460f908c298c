package io.raftlock.app;

import io.raftlock.config.NodeConfig;
import io.raftlock.node.PeerTransport;
import io.vertx.core.Future;
import io.vertx.core.Vertx;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.function.BiFunction;

/**
 * Several members of one cluster in this process, each a full {@link Node} with its own Vert.x
 * instance, storage and ports, talking to each other over the real peer transport. This is the
 * no-flags default of the jar: a working replicated cluster to try the client and the CLI
 * against, with nothing to install or configure. Real deployments run one node per process.
 */
public final class EmbeddedCluster {
  private final List<Node> nodes;

  private EmbeddedCluster(List<Node> nodes) {
    this.nodes = List.copyOf(nodes);
  }

  /**
   * Starts every member. If any member fails to start (a port in use, a bad data directory) the
   * members already started are stopped again and the future fails with that member's error.
   */
  public static Future<EmbeddedCluster> start(Map<String, NodeConfig> configs,
      BiFunction<Vertx, NodeConfig, PeerTransport> transports) {
    List<Future<Node>> starting = new ArrayList<>();
    configs.values().forEach(cfg -> starting.add(Node.start(cfg, transports)
        .recover(err -> Future.failedFuture(new IllegalStateException(cfg.nodeId() + ": " + err.getMessage(), err)))));
    return Future.join(starting).transform(ar -> {
      List<Node> started = new ArrayList<>();
      starting.stream().filter(Future::succeeded).forEach(f -> started.add(f.result()));
      EmbeddedCluster cluster = new EmbeddedCluster(started);
      if (ar.succeeded()) {
        return Future.succeededFuture(cluster);
      }
      Throwable cause = starting.stream().filter(Future::failed).findFirst().map(Future::cause).orElse(ar.cause());
      return cluster.stop(Duration.ofSeconds(2)).transform(v -> Future.failedFuture(cause));
    });
  }

  public List<Node> nodes() {
    return nodes;
  }

  /** Stops every member in parallel; a leader hands over first, as a single node does. */
  public Future<Void> stop(Duration timeout) {
    List<Future<Void>> stopping = new ArrayList<>();
    nodes.forEach(n -> stopping.add(n.stop(timeout)));
    return Future.join(stopping).mapEmpty();
  }
}
