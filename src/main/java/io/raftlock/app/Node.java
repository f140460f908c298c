package io.raftlock.app;

import io.raftlock.api.NodeHttpServer;
import io.raftlock.config.NodeConfig;
import io.raftlock.metrics.NodeMetrics;
import io.raftlock.node.LockReplica;
import io.raftlock.node.RaftVerticle;
import io.raftlock.raft.RaftStatus;
import io.raftlock.raft.Role;
import io.raftlock.raft.SoftState;
import io.raftlock.storage.ChronicleRaftStorage;
import io.raftlock.storage.StorageOptions;
import io.raftlock.transport.PeerTransport;
import io.vertx.core.Future;
import io.vertx.core.Promise;
import io.vertx.core.Vertx;
import java.time.Duration;
import java.util.function.BiFunction;
import java.util.logging.Logger;

/**
 * Composition root of one RaftLock node: storage, transport, the Raft verticle with the lock
 * state machine, and the HTTP endpoints. Wiring only; the behaviour lives in the parts.
 */
public final class Node {
  private static final Logger LOG = Logger.getLogger(Node.class.getName());

  private final NodeConfig config;
  private final Vertx vertx;
  private final RaftVerticle raft;
  private String raftDeployment;
  private String httpDeployment;

  private Node(NodeConfig config, Vertx vertx, RaftVerticle raft) {
    this.config = config;
    this.vertx = vertx;
    this.raft = raft;
  }

  /**
   * Starts a node. {@code transports} builds the peer transport for multi-member clusters;
   * a single-member cluster needs none.
   */
  public static Future<Node> start(NodeConfig config, BiFunction<Vertx, NodeConfig, PeerTransport> transports) {
    Vertx vertx = Vertx.vertx();
    ChronicleRaftStorage storage = new ChronicleRaftStorage(
        StorageOptions.defaults(config.dataDir()).withMarkBeforeAck(config.syncDurableMarkBeforeAck()));
    PeerTransport transport = config.members().size() == 1 ? PeerTransport.none() : transports.apply(vertx, config);
    RaftVerticle.Options options = new RaftVerticle.Options(config.raftConfig(), config.clusterConfig(),
        config.tickMs(), config.snapshotEveryEntries(), config.snapshotKeepEntries(), System.nanoTime());
    RaftVerticle raft = new RaftVerticle(options, storage, transport, new LockReplica(e -> {}), Node::failStop);
    raft.refuseProposalsWhen(storage::belowSpaceReserve);
    Node node = new Node(config, vertx, raft);
    NodeMetrics metrics = new NodeMetrics(config.nodeId(),
        config.members().keySet().stream().filter(id -> !id.equals(config.nodeId())).toList(),
        raft::status, storage::syncCount);
    SoftState[] previous = new SoftState[1]; // touched only on the Raft context
    raft.onLeadershipChange(next -> {
      metrics.onSoftState(previous[0], next);
      previous[0] = next;
    });
    NodeConfig.HostPort http = config.members().get(config.nodeId()).clientAddress();
    return vertx.deployVerticle(raft)
        .compose(id -> {
          node.raftDeployment = id;
          return vertx.deployVerticle(new NodeHttpServer(http.host(), http.port(), raft::status, raft::termAt, metrics::scrape));
        })
        .map(id -> {
          node.httpDeployment = id;
          LOG.info(() -> config.nodeId() + " started: data in " + config.dataDir().toAbsolutePath()
              + ", HTTP on " + http + (config.members().size() > 1
                  ? ", peers on " + config.members().get(config.nodeId()).peerAddress() : ", single-node cluster"));
          return node;
        })
        .recover(err -> vertx.close().compose(v -> Future.failedFuture(err)));
  }

  /** Fail-stop (STORAGE.md): after a storage failure nothing may be acknowledged any more. */
  private static void failStop(Throwable cause) {
    LOG.severe("fail-stop: " + cause);
    Runtime.getRuntime().halt(70);
  }

  public RaftStatus status() {
    return raft.status();
  }

  /**
   * Graceful stop: a leader first hands leadership to the most caught-up voter (so clients see
   * a short transfer rather than an election timeout), then everything closes within
   * {@code timeout}.
   */
  public Future<Void> stop(Duration timeout) {
    RaftStatus s = raft.status();
    Future<?> handOver = s != null && s.role() == Role.LEADER && config.members().size() > 1
        ? raft.transferLeadership(null).compose(st -> awaitNotLeader(timeout.dividedBy(2)))
        : Future.succeededFuture();
    return handOver.recover(err -> Future.succeededFuture())
        .compose(v -> httpDeployment == null ? Future.succeededFuture() : vertx.undeploy(httpDeployment))
        .compose(v -> raftDeployment == null ? Future.succeededFuture() : vertx.undeploy(raftDeployment))
        .eventually(vertx::close)
        .mapEmpty();
  }

  private Future<Void> awaitNotLeader(Duration within) {
    Promise<Void> done = Promise.promise();
    long deadline = System.nanoTime() + within.toNanos();
    vertx.setPeriodic(config.tickMs(), id -> {
      RaftStatus s = raft.status();
      if (s.role() != Role.LEADER || System.nanoTime() > deadline) {
        vertx.cancelTimer(id);
        done.complete();
      }
    });
    return done.future();
  }
}
