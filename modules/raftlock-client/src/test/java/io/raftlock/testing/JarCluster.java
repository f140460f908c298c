package io.raftlock.testing;

import static org.awaitility.Awaitility.await;

import io.raftlock.client.RaftLockClient;
import io.raftlock.proto.api.GetStatusRequest;
import io.raftlock.proto.api.RaftStatus;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.CompletionException;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import java.util.stream.Collectors;
import java.util.stream.Stream;

/**
 * A cluster of real RaftLock server processes started from the server jar (the root build's
 * {@code target/raftlock.jar}, system property {@code raftlock.test.server.jar}), each with its own
 * config, data directory and log under {@code root}. The artifacts' tests see the server only
 * through its client API, as a user's application does: the server's classes are not on their
 * class path. Like the server build's {@code ProcessCluster}, whose JSON status reader this
 * module does not have, it finds the leader through the client's {@code GetStatus} call.
 */
public final class JarCluster implements AutoCloseable {
  private static JarCluster shared;

  private final Path root;
  private final Path jar;
  private final List<String> ids = new ArrayList<>();
  private final Map<String, Integer> clientPorts = new LinkedHashMap<>();
  private final Map<String, Process> processes = new LinkedHashMap<>();
  private final RaftLockClient probe;

  public JarCluster(int size, Path root, Path jar) throws IOException {
    if (!Files.isRegularFile(jar)) {
      throw new IllegalStateException("no server jar at " + jar + ": build the root project first (mvn -B package -DskipTests)");
    }
    this.root = root;
    this.jar = jar;
    StringBuilder members = new StringBuilder();
    for (int i = 1; i <= size; i++) {
      String id = "node-" + i;
      ids.add(id);
      clientPorts.put(id, FreePorts.next());
      members.append(i == 1 ? "" : ",\n").append("    \"").append(id)
          .append("\": { \"peerAddress\": \"127.0.0.1:").append(FreePorts.next())
          .append("\", \"clientAddress\": \"127.0.0.1:").append(clientPorts.get(id)).append("\" }");
    }
    for (String id : ids) {
      Files.createDirectories(root.resolve(id));
      Files.writeString(config(id), "{\n  \"nodeId\": \"" + id + "\",\n  \"dataDir\": \""
          + root.resolve(id).resolve("data") + "\",\n  \"members\": {\n" + members + "\n  }\n}\n");
    }
    this.probe = RaftLockClient.builder().endpoints(endpoints()).build();
  }

  /**
   * One 3-node cluster for every test class of this JVM, started on first use with a ready leader
   * and stopped when the JVM exits. A test that kills a member restarts it before it ends.
   */
  public static synchronized JarCluster shared() {
    if (shared == null) {
      try {
        Path jar = Path.of(System.getProperty("raftlock.test.server.jar", "../../target/raftlock.jar"));
        // under the module's target/ (the test's working directory): mvn clean removes the logs
        Path root = Files.createTempDirectory(Files.createDirectories(Path.of("target").toAbsolutePath()), "cluster-");
        shared = new JarCluster(3, root, jar);
        shared.startAll();
        Runtime.getRuntime().addShutdownHook(new Thread(shared::close, "raftlock-cluster-stop"));
      } catch (IOException e) {
        throw new UncheckedIOException(e);
      }
      shared.awaitLeader(Duration.ofSeconds(60));
    }
    return shared;
  }

  /** The client API addresses, comma-separated, as {@code RaftLockClient.Builder#endpoints} takes them. */
  public String endpoints() {
    return ids.stream().map(id -> "127.0.0.1:" + clientPorts.get(id)).collect(Collectors.joining(","));
  }

  public List<String> ids() {
    return ids;
  }

  private Path config(String id) {
    return root.resolve(id).resolve("node.json");
  }

  public void startAll() throws IOException {
    for (String id : ids) {
      start(id);
    }
  }

  public void start(String id) throws IOException {
    Path java = Path.of(System.getProperty("java.home"), "bin", "java");
    ProcessBuilder pb = new ProcessBuilder(java.toString(), "-Xmx256m", "-XX:TieredStopAtLevel=1", "-XX:+UseSerialGC",
        "-jar", jar.toString(), "--config", config(id).toString())
        .redirectErrorStream(true)
        .redirectOutput(ProcessBuilder.Redirect.appendTo(root.resolve(id).resolve("node.log").toFile()));
    processes.put(id, pb.start());
  }

  /** {@code kill -9}: the member gets no chance to hand over or flush. */
  public void kill(String id) {
    Process p = processes.remove(id);
    if (p != null) {
      p.destroyForcibly();
      try {
        p.waitFor();
      } catch (InterruptedException e) {
        Thread.currentThread().interrupt();
      }
    }
  }

  /** The member that leads and has committed an entry of its term, if one does now. */
  public Optional<String> readyLeader() {
    for (String id : ids) {
      if (processes.containsKey(id)) {
        Optional<RaftStatus> s = status(id);
        if (s.isPresent() && "LEADER".equals(s.get().getRole()) && s.get().getCommitTerm() == s.get().getTerm()) {
          return Optional.of(id);
        }
      }
    }
    return Optional.empty();
  }

  public String awaitLeader(Duration within) {
    await().atMost(within).pollInterval(Duration.ofMillis(50)).until(() -> readyLeader().isPresent());
    return readyLeader().orElseThrow();
  }

  private Optional<RaftStatus> status(String id) {
    try {
      return Optional.of(probe.getStatus("127.0.0.1:" + clientPorts.get(id), GetStatusRequest.getDefaultInstance())
          .toCompletableFuture().get(2, TimeUnit.SECONDS).getRaftStatus());
    } catch (ExecutionException | TimeoutException unreachable) {
      return Optional.empty();
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      return Optional.empty();
    }
  }

  @Override
  public synchronized void close() {
    for (String id : new ArrayList<>(processes.keySet())) {
      kill(id);
    }
    try {
      probe.close();
    } catch (CompletionException | IllegalStateException ignored) {
      // the JVM is going down
    }
    for (String id : ids) {
      deleteTree(root.resolve(id).resolve("data"));
    }
  }

  /** A member's data: gone with the cluster, so that test runs do not fill the disk (logs stay). */
  private static void deleteTree(Path dir) {
    try (Stream<Path> paths = Files.walk(dir)) {
      paths.sorted(Comparator.reverseOrder()).forEach(p -> p.toFile().delete());
    } catch (IOException | UncheckedIOException e) {
      // best effort: a temporary directory
    }
  }
}
