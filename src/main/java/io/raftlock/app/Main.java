package io.raftlock.app;

import io.raftlock.cli.Cli;
import io.raftlock.config.ConfigException;
import io.raftlock.config.ConfigLoader;
import io.raftlock.config.NodeConfig;
import io.raftlock.transport.GrpcPeerTransport;
import io.raftlock.transport.PeerTransport;
import io.raftlock.transport.PeerTransportConfig;
import java.nio.file.Path;
import java.time.Duration;
import io.vertx.core.Vertx;
import java.util.Map;
import java.util.TreeMap;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import java.util.function.BiFunction;

/**
 * {@code java -jar raftlock.jar [COMMAND] [OPTIONS]}: dispatches client commands ({@code acquire},
 * {@code lock}, {@code status}, ...) to {@link Cli} and runs a node otherwise
 * ({@code [server] [--config FILE]}). Without a config the node runs the embedded default: a
 * single-node cluster with its data in {@code ./data}.
 */
public final class Main {
  static final String USAGE = Cli.USAGE_TEXT;

  private Main() {}

  public static void main(String[] args) {
    if (args.length > 0 && Cli.isCommand(args[0])) {
      System.exit(Cli.main(args));
      return;
    }
    // Must precede any Chronicle class loading: stops its analytics from calling home.
    System.setProperty("chronicle.analytics.disable", "true");
    Path config = null;
    for (int i = 0; i < args.length; i++) {
      switch (args[i]) {
        case "server" -> { }
        case "--config" -> {
          if (i + 1 == args.length) {
            exit(2, "--config needs a file\n" + USAGE);
          }
          config = Path.of(args[++i]);
        }
        case "-h", "--help" -> exit(0, USAGE);
        default -> exit(2, "unknown argument " + args[i] + "\n" + USAGE);
      }
    }
    NodeConfig cfg;
    try {
      cfg = config == null ? NodeConfig.singleNodeDefault() : ConfigLoader.load(config);
    } catch (ConfigException e) {
      exit(2, "invalid configuration: " + e.getMessage());
      return;
    }
    GrpcPeerTransport.preload(); // one-time class loading, kept off the event loops
    Node node;
    try {
      node = Node.start(cfg, transports()).await();
    } catch (RuntimeException e) {
      exit(1, "could not start " + cfg.nodeId() + ": " + (e.getCause() != null ? e.getCause() : e));
      return;
    }
    Runtime.getRuntime().addShutdownHook(new Thread(() -> stopWithin(node, STOP_TIMEOUT), "raftlock-shutdown"));
  }

  /** How long a graceful stop (SIGTERM) may take before the process halts anyway. */
  static final Duration STOP_TIMEOUT = Duration.ofSeconds(10);

  /**
   * Graceful stop on SIGTERM: leadership hand-over, then close. If that does not finish in time
   * the process halts: everything acknowledged is already durable, so halting loses nothing.
   */
  private static void stopWithin(Node node, Duration timeout) {
    try {
      node.stop(timeout).await(timeout.toMillis() + 2_000, TimeUnit.MILLISECONDS);
    } catch (TimeoutException e) {
      System.err.println("graceful stop took longer than " + timeout + "; halting");
      Runtime.getRuntime().halt(1);
    }
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

  private static void exit(int code, String message) {
    (code == 0 ? System.out : System.err).print(message.endsWith("\n") ? message : message + "\n");
    System.exit(code);
  }
}
