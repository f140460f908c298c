package io.raftlock.testing;

import static org.awaitility.Awaitility.await;

import io.raftlock.app.Main;
import io.raftlock.app.Node;
import io.raftlock.config.NodeConfig;
import io.raftlock.raft.RaftStatus;
import io.raftlock.raft.Role;
import io.vertx.core.Vertx;
import java.lang.management.ManagementFactory;
import java.lang.management.ThreadInfo;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.TreeMap;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import java.util.function.Function;
import java.util.function.IntFunction;
import java.util.function.UnaryOperator;

/**
 * A real cluster in this JVM: each member is a full {@link Node} (Chronicle storage, gRPC peer
 * transport, client API on its own port, its own Vert.x instance), started through the
 * composition root exactly as {@code Main} starts it. For process-level faults (kill -9) use the
 * multi-process cluster of the integration tests instead.
 */
public final class LocalCluster implements AutoCloseable {
  /**
   * Election timeout of the members: 100 to 200 ticks of 10 ms, 1 to 2 s. Held at ten times
   * slower CPU: on a busy machine an event loop can wait 500 ms for a core, and a shorter timeout
   * turns that into elections that fail the requests a test is about (LEADERSHIP_LOST).
   */
  public static final int ELECTION_TICKS = 100;
  /** Seconds a member's stop may take before the test prints the threads and fails. */
  static final int STOP_LIMIT_S = 60;
  private final Map<String, NodeConfig> configs = new LinkedHashMap<>();
  private final Map<String, Node> nodes = new LinkedHashMap<>();
  /** As a node started from its configuration gets it: {@code eventLoops} loop threads. */
  private Function<NodeConfig, Vertx> vertxFactory = Node::vertxFor;
  /** Members started with {@link #join}: restarted the same way, as {@code --join} is kept. */
  private final Map<String, String> joinedVia = new LinkedHashMap<>();
  /** The admin key a joined member was started with (its RAFTLOCK_API_KEY), kept for restarts. */
  private final Map<String, String> joinKeys = new LinkedHashMap<>();

  /** Where members get their Vert.x instance, e.g. {@link BlockedEventLoops#newVertx}. */
  public LocalCluster withVertx(Function<NodeConfig, Vertx> factory) {
    this.vertxFactory = factory;
    return this;
  }

  /** {@code size} members with data under {@code root}; {@code tweak} edits each config. */
  public LocalCluster(int size, Path root, UnaryOperator<NodeConfig> tweak) {
    this(size, root, tweak, i -> "127.0.0.1");
  }

  /**
   * As above, member {@code i} (1-based) listening on {@code hostOf.apply(i)} for both its peer
   * and client ports, e.g. 127.0.0.{i} to give each member its own loopback address.
   */
  public LocalCluster(int size, Path root, UnaryOperator<NodeConfig> tweak, IntFunction<String> hostOf) {
    System.setProperty("chronicle.analytics.disable", "true");
    Map<String, NodeConfig.Member> members = new TreeMap<>();
    for (int i = 1; i <= size; i++) {
      String host = hostOf.apply(i);
      members.put("node-" + i, new NodeConfig.Member(host + ":" + FreePorts.next(host), host + ":" + FreePorts.next(host)));
    }
    for (String id : members.keySet()) {
      NodeConfig c = NodeConfig.fromJson(id, root.resolve(id).toString(), members,
          10L, ELECTION_TICKS, null, null, null, null, null, null, null, null);
      configs.put(id, tweak.apply(c));
    }
  }

  public LocalCluster(int size, Path root) {
    this(size, root, UnaryOperator.identity());
  }

  /** Starts every member and waits until one of them leads and can serve. */
  public LocalCluster start() {
    configs.keySet().forEach(this::start);
    awaitLeader();
    return this;
  }

  public void start(String id) {
    String via = joinedVia.get(id);
    if (via != null) {
      String through = nodes.containsKey(via) ? via : nodes.keySet().iterator().next();
      nodes.put(id, Node.join(configs.get(id), clientAddress(through), Main.transports(),
          vertxFactory.apply(configs.get(id)), joinKeys.get(id)).await());
      return;
    }
    nodes.put(id, Node.start(configs.get(id), Main.transports(), vertxFactory.apply(configs.get(id))).await());
  }

  /**
   * Starts a new member {@code id} (fresh ports, empty data directory under the cluster's root
   * beside the others) that joins through {@code via}'s client address, as {@code --join} does:
   * it becomes a learner once the change commits. Returns when it is a learner.
   */
  public void join(String id, String via) {
    join(id, via, null);
  }

  /** As {@link #join(String, String)} on a cluster with auth on: the join asks with {@code adminKey}. */
  public void join(String id, String via, String adminKey) {
    NodeConfig template = configs.values().iterator().next();
    Map<String, NodeConfig.Member> self = new TreeMap<>();
    self.put(id, new NodeConfig.Member("127.0.0.1:" + FreePorts.next(), "127.0.0.1:" + FreePorts.next()));
    Path dataDir = template.dataDir().resolveSibling(id);
    NodeConfig c = NodeConfig.fromJson(id, dataDir.toString(), self, template.tickMs(),
        template.electionTicks(), template.heartbeatTicks(), null, null, null,
        template.snapshotEveryEntries(), template.snapshotKeepEntries(), null, template.api());
    configs.put(id, c);
    joinedVia.put(id, via);
    joinKeys.put(id, adminKey);
    nodes.put(id, Node.join(c, clientAddress(via), Main.transports(), vertxFactory.apply(c), adminKey).await());
  }

  /**
   * Graceful stop of one member (a leader hands over first). A stop that has not ended after
   * {@link #STOP_LIMIT_S} seconds prints every thread's stack and fails, instead of hanging the
   * build: a stop is bounded by its own timeouts, so that is a bug to see, not to wait out.
   */
  public void stop(String id) {
    Node n = nodes.remove(id);
    if (n != null) {
      try {
        n.stop(Duration.ofSeconds(5)).await(STOP_LIMIT_S, TimeUnit.SECONDS);
      } catch (TimeoutException e) {
        System.err.println(threadDump());
        throw new IllegalStateException(id + " did not stop within " + STOP_LIMIT_S + " s; threads above", e);
      }
    }
  }

  private static String threadDump() {
    StringBuilder out = new StringBuilder("thread dump of a stop that did not end:\n");
    for (ThreadInfo t : ManagementFactory.getThreadMXBean().dumpAllThreads(true, true)) {
      out.append('"').append(t.getThreadName()).append("\" ").append(t.getThreadState()).append('\n');
      for (StackTraceElement frame : t.getStackTrace()) {
        out.append("\tat ").append(frame).append('\n');
      }
    }
    return out.toString();
  }

  public List<String> ids() {
    return new ArrayList<>(configs.keySet());
  }

  public List<String> running() {
    return new ArrayList<>(nodes.keySet());
  }

  public Node node(String id) {
    return nodes.get(id);
  }

  public NodeConfig config(String id) {
    return configs.get(id);
  }

  /** The client API port of a member. */
  public int clientPort(String id) {
    return configs.get(id).members().get(id).clientAddress().port();
  }

  /** The client API address ({@code host:port}) of a member. */
  public String clientAddress(String id) {
    return configs.get(id).members().get(id).clientAddress().toString();
  }

  public Optional<String> leader() {
    for (Map.Entry<String, Node> e : nodes.entrySet()) {
      RaftStatus s = e.getValue().status();
      if (s != null && s.role() == Role.LEADER && s.leaderReady()) {
        return Optional.of(e.getKey());
      }
    }
    return Optional.empty();
  }

  public String awaitLeader() {
    await().atMost(Duration.ofSeconds(20)).until(() -> leader().isPresent()
        && nodes.values().stream().allMatch(n -> n.status() != null && n.status().leaderId() != null));
    return leader().orElseThrow();
  }

  /** A running member that is not the leader. */
  public String follower() {
    String leader = awaitLeader();
    return nodes.keySet().stream().filter(id -> !id.equals(leader)).findFirst().orElseThrow();
  }

  @Override
  public void close() {
    new ArrayList<>(nodes.keySet()).forEach(id -> {
      try {
        stop(id);
      } catch (RuntimeException e) {
        // keep closing the others
      }
    });
  }
}
