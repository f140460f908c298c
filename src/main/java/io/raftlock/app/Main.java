package io.raftlock.app;

import io.raftlock.cli.Cli;
import io.raftlock.config.ConfigException;
import io.raftlock.config.ConfigLoader;
import io.raftlock.config.NodeConfig;
import io.raftlock.storage.DataDirLock;
import io.raftlock.logging.StopAwareLogManager;
import io.raftlock.logging.TextLogFormatter;
import io.raftlock.transport.GrpcPeerTransport;
import io.raftlock.node.PeerTransport;
import io.raftlock.transport.PeerTransportConfig;
import java.nio.file.Path;
import java.time.Duration;
import io.vertx.core.Vertx;
import java.util.Map;
import java.util.TreeMap;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import java.util.function.BiFunction;
import java.util.logging.Handler;
import java.util.logging.Level;
import java.util.logging.Logger;

/**
 * {@code java -jar raftlock.jar [COMMAND] [OPTIONS]}: dispatches client commands ({@code acquire},
 * {@code lock}, {@code status}, ...) to {@link Cli} and runs a node otherwise
 * ({@code [server] [--config FILE]}). Without a config it runs the embedded default: a local
 * 3-node cluster in this process ({@link EmbeddedCluster}), client API on 127.0.0.1:8001–8003,
 * data under {@code ./data}.
 */
public final class Main {
  static {
    // Before any logger exists: the manager is chosen when java.util.logging is first used.
    if (System.getProperty("java.util.logging.manager") == null) {
      System.setProperty("java.util.logging.manager", StopAwareLogManager.class.getName());
    }
  }

  private Main() {}

  public static void main(String[] args) {
    if (args.length > 0 && Cli.isCommand(args[0])) {
      System.exit(Cli.main(args));
      return;
    }
    // Must precede any Chronicle class loading: stops its analytics from calling home.
    System.setProperty("chronicle.analytics.disable", "true");
    Path config = null;
    String join = null;
    for (int i = 0; i < args.length; i++) {
      switch (args[i]) {
        case "server" -> { }
        case "--config" -> {
          if (i + 1 == args.length) {
            exit(2, "--config needs a file\n" + Cli.usageText());
          }
          config = Path.of(args[++i]);
        }
        case "--join" -> join = i + 1 < args.length ? args[++i] : exitWith(2, "--join needs host:port\n" + Cli.usageText());
        case "-h", "--help" -> exit(0, Cli.usageText());
        default -> exit(2, "unknown argument " + args[i] + "\n" + Cli.usageText());
      }
    }
    if (join != null && config == null) {
      exit(2, "--join needs --config: the joining node's own id, addresses and data directory\n" + Cli.usageText());
    }
    useDefaultLogFormat();
    GrpcPeerTransport.preload(); // one-time class loading, kept off the event loops
    if (config == null) {
      startEmbeddedCluster();
      return;
    }
    NodeConfig cfg;
    try {
      cfg = ConfigLoader.load(config);
    } catch (ConfigException e) {
      exit(2, "invalid configuration: " + e.getMessage());
      return;
    }
    Node node;
    try {
      node = join == null ? Node.start(cfg, transports()).await()
          // With auth on, the join asks with the admin key of this process's environment.
          : Node.join(cfg, join, transports(), Node.vertxFor(cfg), System.getenv("RAFTLOCK_API_KEY")).await();
    } catch (RuntimeException e) {
      DataDirLock.InUseException inUse = inUse(e);
      exit(1, "could not start " + cfg.nodeId() + ": "
          + (inUse != null ? inUse.getMessage() : e.getCause() != null ? e.getCause() : e));
      return;
    }
    Runtime.getRuntime().addShutdownHook(new Thread(() -> stopWithin(node.stop(STOP_TIMEOUT)), "raftlock-shutdown"));
  }

  /** The no-flags default: three members in this process, on the ports of {@code conf/}. */
  private static void startEmbeddedCluster() {
    Map<String, NodeConfig> configs = NodeConfig.localClusterDefaults();
    EmbeddedCluster cluster;
    try {
      cluster = EmbeddedCluster.start(configs, transports()).await();
    } catch (RuntimeException e) {
      DataDirLock.InUseException inUse = inUse(e);
      exit(1, "could not start the local cluster: " + (inUse != null ? inUse.getMessage()
          : e.getMessage() + "\n(is another RaftLock still running on ports 7001-7003 / 8001-8003?)"));
      return;
    }
    Runtime.getRuntime().addShutdownHook(new Thread(() -> stopWithin(cluster.stop(STOP_TIMEOUT)), "raftlock-shutdown"));
    StringBuilder endpoints = new StringBuilder();
    configs.forEach((id, c) -> endpoints.append(endpoints.length() == 0 ? "" : ",").append(c.members().get(id).clientAddress()));
    System.out.println("""

        RaftLock: a local 3-node cluster is running in this process (data under ./data).
          client API (gRPC, WebSocket /v1/ws, HTTP): %s
          cluster page: http://%s/ui/
          try, in another terminal:  java -jar target/raftlock.jar acquire demo --ttl 60s
          stop: Ctrl-C
        """.formatted(endpoints, configs.values().iterator().next().members().get("node-1").clientAddress()));
  }

  /** Held strongly: java.util.logging keeps loggers only weakly, and with them their levels. */
  private static final java.util.List<Logger> LIBRARY_LOGGERS =
      java.util.stream.Stream.of("io.netty", "io.grpc", "net.openhft").map(Logger::getLogger).toList();

  /**
   * One line per record (UTC time, level, logger, thread, message) unless a logging
   * configuration was given with {@code -Djava.util.logging.config.file} (see {@code conf/}).
   */
  private static void useDefaultLogFormat() {
    if (System.getProperty("java.util.logging.config.file") != null
        || System.getProperty("java.util.logging.config.class") != null) {
      return;
    }
    Logger root = Logger.getLogger("");
    for (Handler h : root.getHandlers()) {
      h.setFormatter(new TextLogFormatter());
    }
    for (Logger library : LIBRARY_LOGGERS) {
      library.setLevel(Level.WARNING);
    }
  }

  /** The refusal to share a data directory, wherever it is in {@code e}'s causes; else null. */
  static DataDirLock.InUseException inUse(Throwable e) {
    for (Throwable t = e; t != null; t = t.getCause()) {
      if (t instanceof DataDirLock.InUseException inUse) {
        return inUse;
      }
    }
    return null;
  }

  /** How long a graceful stop (SIGTERM) may take before the process halts anyway. */
  static final Duration STOP_TIMEOUT = Duration.ofSeconds(10);

  /**
   * Graceful stop on SIGTERM: leadership hand-over, then close. If that does not finish in time
   * the process halts: everything acknowledged is already durable, so halting loses nothing.
   */
  private static void stopWithin(io.vertx.core.Future<Void> stopping) {
    try {
      stopping.await(STOP_TIMEOUT.toMillis() + 2_000, TimeUnit.MILLISECONDS);
    } catch (TimeoutException e) {
      Logger.getLogger(Main.class.getName()).severe("graceful stop took longer than " + STOP_TIMEOUT + "; halting");
      StopAwareLogManager.resetAfterStop();
      Runtime.getRuntime().halt(1);
    } catch (RuntimeException e) {
      // The node logged the failure; the process ends either way.
    }
    StopAwareLogManager.resetAfterStop();
  }

  /** The gRPC peer transport for multi-node clusters, from the node's configuration. */
  public static BiFunction<Vertx, NodeConfig, PeerTransport> transports() {
    return (vertx, cfg) -> {
      Map<String, PeerTransportConfig.PeerAddress> members = new TreeMap<>();
      cfg.members().forEach((id, m) ->
          members.put(id, new PeerTransportConfig.PeerAddress(m.peerAddress().host(), m.peerAddress().port())));
      NodeConfig.HostPort self = cfg.members().get(cfg.nodeId()).peerAddress();
      return new GrpcPeerTransport(vertx, PeerTransportConfig.of(cfg.nodeId(), self.host(), self.port(), members));
    };
  }

  private static String exitWith(int code, String message) {
    exit(code, message);
    return null;
  }

  private static void exit(int code, String message) {
    (code == 0 ? System.out : System.err).print(message.endsWith("\n") ? message : message + "\n");
    System.exit(code);
  }
}
