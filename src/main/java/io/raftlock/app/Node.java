package io.raftlock.app;

import io.raftlock.api.AdminApi;
import io.raftlock.api.ApiAuth;
import io.raftlock.api.AuthApi;
import io.raftlock.api.AdminCalls;
import io.raftlock.api.LockService;
import io.raftlock.api.NodeHttpServer;
import io.raftlock.api.RateLimiter;
import io.raftlock.api.WatchRegistry;
import io.raftlock.config.NodeConfig;
import io.raftlock.lock.LockStateMachine;
import io.raftlock.metrics.NodeMetrics;
import io.raftlock.node.ExpiryDriver;
import io.raftlock.node.LockReplica;
import io.raftlock.node.MemberDirectory;
import io.raftlock.node.RaftVerticle;
import io.raftlock.raft.ClusterConfig;
import io.raftlock.raft.RaftStatus;
import io.raftlock.raft.Role;
import io.raftlock.raft.SoftState;
import io.raftlock.storage.ChronicleRaftStorage;
import io.raftlock.storage.DataDirLock;
import io.raftlock.storage.StorageOptions;
import io.raftlock.tls.NodeTls;
import io.raftlock.transport.GrpcPeerTransport;
import io.raftlock.transport.OutboundBind;
import io.raftlock.node.PeerTransport;
import io.raftlock.web.ClusterPage;
import io.raftlock.web.RecentGrants;
import io.raftlock.wire.NettyTransport;
import io.vertx.core.Future;
import io.vertx.core.Promise;
import io.vertx.core.Vertx;
import io.vertx.core.VertxOptions;
import io.vertx.core.http.HttpClientOptions;
import io.vertx.grpc.client.GrpcClient;
import io.vertx.grpc.client.GrpcClientOptions;
import java.time.Duration;
import java.util.Map;
import java.util.TreeMap;
import java.util.TreeSet;
import java.util.concurrent.atomic.AtomicReference;
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
  private final RaftVerticle<LockReplica> raft;
  private final NodeTls tls;
  private String raftDeployment;
  private String httpDeployment;
  private volatile ExpiryDriver expiry; // runs on the client API context
  private final DataDirLock dirLock;

  private Node(NodeConfig config, Vertx vertx, RaftVerticle<LockReplica> raft, NodeTls tls, DataDirLock dirLock) {
    this.config = config;
    this.vertx = vertx;
    this.raft = raft;
    this.tls = tls;
    this.dirLock = dirLock;
  }

  /**
   * Starts a node. {@code transports} builds the peer transport for multi-member clusters;
   * a single-member cluster needs none.
   */
  public static Future<Node> start(NodeConfig config, BiFunction<Vertx, NodeConfig, PeerTransport> transports) {
    return start(config, transports, vertxFor(config));
  }

  /**
   * The Vert.x instance a node with {@code config} runs on: {@code eventLoops} loop threads, on
   * Netty's native epoll transport where the platform has it (Linux x86-64; elsewhere, or with
   * {@code -Draftlock.transport=nio}, Java NIO). Epoll wakes a loop with an eventfd and reads
   * readiness without the selector's key sets: on the benchmark machine a one-client acquire
   * through the client library went from 1.43/1.33 to 1.02/1.04 ms p50 (docs/benchmarks.md).
   */
  public static Vertx vertxFor(NodeConfig config) {
    return Vertx.vertx(NettyTransport.preferNative(new VertxOptions().setEventLoopPoolSize(config.eventLoops())));
  }

  /** As above, on a given Vert.x instance, which the node owns from now on (it closes it). */
  public static Future<Node> start(NodeConfig config, BiFunction<Vertx, NodeConfig, PeerTransport> transports,
      Vertx vertx) {
    return loadTls(config, vertx).compose(tls -> start(config, transports, vertx, config.clusterConfig(), tls));
  }

  /** The node's TLS files, read and checked before anything starts; a failure closes the Vert.x. */
  private static Future<NodeTls> loadTls(NodeConfig config, Vertx vertx) {
    try {
      return Future.succeededFuture(NodeTls.load(config.tls()));
    } catch (RuntimeException e) {
      return vertx.close().transform(ar -> Future.failedFuture(e));
    }
  }

  /**
   * Starts a node that joins a running cluster through {@code joinAddress} (any member's client
   * address): it asks that member for the membership and addresses, starts outside the
   * configuration with an empty log (so it never campaigns), and asks the leader to add it as a
   * learner. The leader then brings it up to date, by snapshot when its log is compacted; it can
   * be promoted once caught up. Restarting with the same {@code --join} is harmless: a member is
   * not added twice. The future completes once the learner's CONFIG entry committed.
   *
   * <p>{@code adminKey}: with auth on, listing the members and adding a learner need an admin
   * key (the joining process's {@code RAFTLOCK_API_KEY}); null when auth is off.
   */
  public static Future<Node> join(NodeConfig config, String joinAddress,
      BiFunction<Vertx, NodeConfig, PeerTransport> transports, Vertx vertx, String adminKey) {
    return loadTls(config, vertx).compose(tls -> join(config, joinAddress, transports, vertx, tls, adminKey));
  }

  private static Future<Node> join(NodeConfig config, String joinAddress,
      BiFunction<Vertx, NodeConfig, PeerTransport> transports, Vertx vertx, NodeTls tls, String adminKey) {
    // Prior-knowledge HTTP/2, as GrpcClient.client(vertx) sets it up, plus the source address.
    HttpClientOptions http = tls.toMemberClientPorts(new HttpClientOptions().setHttp2ClearTextUpgrade(false));
    String local = OutboundBind.localAddressFor(config.members().get(config.nodeId()).clientAddress().host());
    if (local != null) {
      http.setLocalAddress(local); // node-to-node: from this node's own address, as the peer transport
    }
    GrpcClient grpc = GrpcClient.client(vertx, new GrpcClientOptions(), http);
    AdminCalls admin = new AdminCalls(vertx, grpc, 2_000).withApiKey(adminKey);
    NodeConfig.Member self = config.members().get(config.nodeId());
    long deadlineMs = Math.max(10_000, config.api().requestTimeoutMs() * 4);
    Promise<Node> joined = Promise.promise();
    AtomicReference<Node> started = new AtomicReference<>();
    admin.onLeader(joinAddress, io.raftlock.proto.admin.AdminGrpcClient.ListMembers,
            io.raftlock.proto.admin.ListMembersRequest.getDefaultInstance(), deadlineMs)
        .compose(list -> {
          TreeMap<String, NodeConfig.Member> members = new TreeMap<>();
          TreeSet<String> voters = new TreeSet<>();
          TreeSet<String> learners = new TreeSet<>();
          for (io.raftlock.proto.admin.Member m : list.getMembersList()) {
            (m.getRole().equals("VOTER") ? voters : learners).add(m.getId());
            if (!m.getPeerAddress().isEmpty() && !m.getClientAddress().isEmpty()) {
              members.put(m.getId(), new NodeConfig.Member(m.getPeerAddress(), m.getClientAddress()));
            }
          }
          members.put(config.nodeId(), self); // our own addresses are ours to say
          NodeConfig joining = config.withMembers(members);
          // Bootstrap configuration: the cluster's as listed. This node is outside it unless it
          // already joined; its log (or the leader's snapshot) takes over from there.
          ClusterConfig bootstrap = new ClusterConfig(voters, learners);
          LOG.info(() -> config.nodeId() + " joins through " + joinAddress + ": members " + members.keySet());
          return start(joining, transports, vertx, bootstrap, tls);
        })
        .compose(node -> {
          started.set(node);
          return admin.onLeader(joinAddress, io.raftlock.proto.admin.AdminGrpcClient.AddLearner,
              io.raftlock.proto.admin.AddLearnerRequest.newBuilder().setId(config.nodeId())
                  .setPeerAddress(self.peerAddress().toString())
                  .setClientAddress(self.clientAddress().toString()).build(), deadlineMs)
              .map(r -> node)
              .recover(e -> e instanceof AdminCalls.Failure f && "ALREADY_MEMBER".equals(f.refusal)
                  ? Future.succeededFuture(node) : Future.failedFuture(e));
        })
        .onComplete(ar -> grpc.close().onComplete(x -> {
          if (ar.succeeded()) {
            joined.complete(ar.result());
            return;
          }
          // A failed join leaves nothing running: the node (which owns the Vert.x) or the Vert.x.
          Node node = started.get();
          Future<?> cleanup = node != null ? node.stop(Duration.ofSeconds(5)) : vertx.close();
          cleanup.onComplete(y -> joined.fail(ar.cause()));
        }));
    return joined.future();
  }

  private static Future<Node> start(NodeConfig config, BiFunction<Vertx, NodeConfig, PeerTransport> transports,
      Vertx vertx, ClusterConfig bootstrap, NodeTls tls) {
    DataDirLock dirLock;
    try {
      dirLock = DataDirLock.acquire(config.dataDir());
    } catch (RuntimeException e) {
      return vertx.close().transform(v -> Future.failedFuture(e));
    }
    try {
      return start(config, transports, vertx, bootstrap, tls, dirLock).onFailure(e -> dirLock.close());
    } catch (RuntimeException e) {
      dirLock.close();
      throw e;
    }
  }

  /** The data directory is this node's ({@code dirLock}) from here until {@link #stop} has closed everything. */
  private static Future<Node> start(NodeConfig config, BiFunction<Vertx, NodeConfig, PeerTransport> transports,
      Vertx vertx, ClusterConfig bootstrap, NodeTls tls, DataDirLock dirLock) {
    ChronicleRaftStorage storage = new ChronicleRaftStorage(
        StorageOptions.defaults(config.dataDir()).withMarkBeforeAck(config.syncDurableMarkBeforeAck())
            .withReserveBytes(config.storageReserveBytes()));
    PeerTransport transport = config.members().size() == 1 ? PeerTransport.none() : transports.apply(vertx, config);
    RaftVerticle.Options options = new RaftVerticle.Options(config.raftConfig(), bootstrap,
        config.tickMs(), config.snapshotEveryEntries(), config.snapshotKeepEntries(), System.nanoTime());
    // Applied events go to the watch registry once the client API exists (the Raft verticle starts
    // first, and a node replaying its log has no watchers to tell anyway).
    AtomicReference<WatchRegistry> watches = new AtomicReference<>();
    AtomicReference<NodeMetrics> metricsRef = new AtomicReference<>();
    RecentGrants recentGrants = new RecentGrants(64); // the cluster page's; Raft context only
    LockReplica replica = new LockReplica(e -> {
      metricsRef.get().onLockEvent(e);
      recentGrants.accept(e);
      WatchRegistry w = watches.get();
      if (w != null) {
        w.publish(e);
      }
    }, config.limits().toStateMachineConfig());
    RaftVerticle<LockReplica> raft = new RaftVerticle<>(options, storage, transport, replica, cause -> failStop(config.nodeId(), cause));
    // The address book: the configured members, overlaid by what this node learned at runtime
    // (saved in its data directory). Read here, on the starting thread, not on an event loop.
    Map<String, MemberDirectory.Addresses> book = new TreeMap<>();
    config.members().forEach((id, m) -> book.put(id, new MemberDirectory.Addresses(
        m.peerAddress().toString(), m.clientAddress().toString())));
    MemberDirectory.load(config.dataDir()).forEach((id, a) -> {
      if (!config.members().containsKey(id)) {
        book.put(id, a); // a configured address wins over a learned one
      }
    });
    raft.followMembership(new MemberDirectory(book), config.dataDir());
    if (transport instanceof GrpcPeerTransport grpc) {
      grpc.advertiseClientAddress(config.members().get(config.nodeId()).clientAddress().toString());
      if (tls.peer() != null) {
        grpc.useTls(tls.peer());
      }
    }
    raft.refuseProposalsWhen(storage::belowSpaceReserve);
    Node node = new Node(config, vertx, raft, tls, dirLock);
    NodeMetrics metrics = new NodeMetrics(config.nodeId(),
        config.members().keySet().stream().filter(id -> !id.equals(config.nodeId())).toList(),
        raft::status, storage::syncCount);
    metricsRef.set(metrics);
    metrics.bindLocks(replica::publishedStats, System::nanoTime);
    storage.observeWith(metrics.storage());
    Runnable publishTransport = () -> {};
    if (transport instanceof GrpcPeerTransport grpc) {
      metrics.bindTransport();
      publishTransport = () -> metrics.publishTransport(grpc.stats()); // Raft context = the transport's
    }
    Runnable publishTransportStats = publishTransport;
    raft.observeWith(metrics.raftObserver(config.tickMs(), () -> {
      replica.publishStats();
      publishTransportStats.run();
    }));
    SoftState[] previous = new SoftState[1]; // touched only on the Raft context
    raft.onLeadershipChange(next -> {
      metrics.onSoftState(previous[0], next);
      previous[0] = next;
    });
    NodeConfig.HostPort http = config.members().get(config.nodeId()).clientAddress();
    NodeConfig.ClientApi api = config.api();
    Map<String, String> clientAddresses = new TreeMap<>();
    config.members().forEach((id, m) -> clientAddresses.put(id, m.clientAddress().toString()));
    LockService.Options apiOptions = new LockService.Options(api.redirect(), api.requestTimeoutMs(),
        api.requestTimeoutMs(), Math.max(50, config.tickMs() * config.electionTicks()),
        new RateLimiter.Config(api.rateLimitPerSecond(), api.rateLimitBurst(), api.maxInFlightRequests(),
            Math.max(1, api.maxInFlightRequests() / 10), 100_000, 50_000_000L),
        clientAddresses);
    // The API's fast check reads the ACL state the replica last applied (an immutable value).
    ApiAuth auth = new ApiAuth(replica::publishedAcl);
    NodeHttpServer.ApiFactory apiFactory = v -> {
      LockService service = new LockService(v, raft, apiOptions, System::currentTimeMillis, System::nanoTime);
      service.observeWith(metrics.api());
      metrics.bindWatches(service.watches());
      watches.set(service.watches());
      node.expiry = new ExpiryDriver(v, raft, System::currentTimeMillis, System::nanoTime, config.tickMs());
      node.expiry.start();
      return service;
    };
    // The caller's future is not tied to a context of this Vert.x instance: when the start fails,
    // that instance is closed, and a failure dispatched to one of its (terminated) event loops
    // would never reach the caller.
    Promise<Node> started = Promise.promise();
    vertx.deployVerticle(raft)
        .compose(id -> {
          node.raftDeployment = id;
          NodeHttpServer server = new NodeHttpServer(http.host(), http.port(), raft::status,
              raft::termAt, metrics::scrape, apiFactory, api.shutdownTimeoutMs())
              .withAllowedOrigins(api.allowedOrigins())
              .withAuth(auth)
              .withAuthService(v -> new AuthApi(v, raft, auth, replica::publishedAcl, api.requestTimeoutMs()))
              .withAdmin(v -> new AdminApi(v, raft, api.requestTimeoutMs(),
                  Math.max(50, config.tickMs() * config.electionTicks())))
              .withRoutes((router, service) -> new ClusterPage(vertx, config.nodeId(), clientAddresses,
                  ClusterPage.sources(raft, recentGrants, service), System::currentTimeMillis,
                  tls::toMemberClientPorts).mount(router));
          if (tls.client() != null) {
            server.withTls(tls.client(), tls.clientCertificatesRequired());
          }
          metrics.bindConnections(server.connections());
          LoopPlacement.nextApartFrom(vertx, raft.eventLoop(), config.eventLoops());
          return vertx.deployVerticle(server).map(serverId -> {
            logPlacement(config, raft, server);
            return serverId;
          });
        })
        .map(id -> {
          node.httpDeployment = id;
          tls.watch(vertx);
          LOG.info(() -> config.nodeId() + " started: data in " + config.dataDir().toAbsolutePath()
              + ", HTTP on " + http + ", transport " + (vertx.isNativeTransportEnabled() ? "native" : "nio") + (config.members().size() > 1
                  ? ", peers on " + config.members().get(config.nodeId()).peerAddress() : ", single-node cluster"));
          return node;
        })
        .onComplete(ar -> {
          if (ar.succeeded()) {
            started.complete(ar.result());
          } else {
            vertx.close().onComplete(closed -> started.fail(ar.cause()));
          }
        });
    return started.future();
  }

  /** Which threads run Raft and the client API: apart unless the node has a single loop. */
  private static void logPlacement(NodeConfig config, RaftVerticle<?> raft, NodeHttpServer server) {
    if (raft.eventLoop() == server.eventLoop()) {
      if (config.eventLoops() > 1) {
        LOG.warning(() -> config.nodeId() + ": the client API shares the Raft event loop although eventLoops is "
            + config.eventLoops());
      }
      return;
    }
    // Logged from each loop itself, so the log names the threads (nothing waits for them).
    raft.eventLoop().execute(() -> LOG.info(config.nodeId() + ": Raft and the peer transport run on this loop"));
    server.eventLoop().execute(() -> LOG.info(config.nodeId() + ": client connections run on this loop"));
  }

  /** Fail-stop (STORAGE.md): after a storage failure nothing may be acknowledged any more. */
  private static void failStop(String nodeId, Throwable cause) {
    LOG.severe(nodeId + " fail-stop: " + cause + "; halting the process (exit status 70)");
    Runtime.getRuntime().halt(70);
  }

  public RaftStatus status() {
    return raft.status();
  }

  /** The lock state machine's content hash at this node's applied index (checkers, tests). */
  public Future<Long> stateHash() {
    return raft.query(sm -> sm.stateMachine().stateHash());
  }

  /** Configure entries this node proposed as leader since it started (its limits differed). */
  public long proposedConfigures() {
    ExpiryDriver e = expiry;
    return e == null ? 0 : e.proposedConfigures();
  }

  /**
   * The lock limits in force on this node's replica at its applied index: genesis until a
   * leader's Configure applies (they are replicated; the configuration file's {@code limits} are
   * only what this node proposes when it leads).
   */
  public Future<LockStateMachine.Config> committedLimits() {
    return raft.query(sm -> sm.stateMachine().config());
  }

  /**
   * Graceful stop: a leader first hands leadership to the most caught-up voter (so clients see
   * a short transfer rather than an election timeout), then everything closes within
   * {@code timeout}.
   */
  public Future<Void> stop(Duration timeout) {
    RaftStatus s = raft.status();
    boolean handsOver = s != null && s.role() == Role.LEADER && config.members().size() > 1;
    long startNanos = System.nanoTime();
    LOG.info(() -> config.nodeId() + " stopping" + (s == null ? "" : " (" + s.role() + " of term " + s.term() + ")")
        + (handsOver ? ": handing leadership over first" : ""));
    Future<?> handOver = handsOver
        ? raft.transferLeadership(null).compose(st -> awaitNotLeader(timeout.dividedBy(2)))
        : Future.succeededFuture();
    return handOver.recover(err -> {
          LOG.warning(() -> config.nodeId() + " could not hand leadership over (" + err + "); stopping anyway");
          return Future.succeededFuture();
        })
        .compose(v -> {
          ExpiryDriver e = expiry;
          if (e != null) {
            e.stop();
          }
          tls.stop();
          return Future.succeededFuture();
        })
        .compose(v -> httpDeployment == null ? Future.succeededFuture() : vertx.undeploy(httpDeployment))
        .compose(v -> {
          // One line per step, so that a stop that never ends shows where it waits.
          LOG.info(() -> config.nodeId() + " stopping: client API closed, stopping Raft and storage");
          return raftDeployment == null ? Future.succeededFuture() : vertx.undeploy(raftDeployment);
        })
        .eventually(() -> {
          LOG.info(() -> config.nodeId() + " stopping: Raft stopped, closing Vert.x");
          return vertx.close();
        })
        .<Void>mapEmpty()
        .onComplete(ar -> {
          dirLock.close();
          long ms = (System.nanoTime() - startNanos) / 1_000_000;
          if (ar.succeeded()) {
            LOG.info(() -> config.nodeId() + " stopped in " + ms + " ms");
          } else {
            LOG.log(java.util.logging.Level.SEVERE, config.nodeId() + " stop failed after " + ms + " ms", ar.cause());
          }
        });
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
