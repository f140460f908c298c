package io.raftlock.it;

import io.raftlock.testing.HttpJson;

import static org.awaitility.Awaitility.await;

import com.fasterxml.jackson.databind.JsonNode;
import io.raftlock.testing.FakeTime;
import io.raftlock.testing.FreePorts;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;

/**
 * A cluster of real RaftLock processes started from the fat jar, each with its own generated
 * config, data directory and log file under {@code root}. Tests and benchmarks drive it by
 * killing, pausing and restarting processes and observe it through the nodes' HTTP status.
 */
public final class ProcessCluster implements AutoCloseable {

  private final Path root;
  private final Path jar;
  private final List<String> ids = new ArrayList<>();
  private final Map<String, Integer> httpPorts = new LinkedHashMap<>();
  private final Map<String, Process> processes = new LinkedHashMap<>();
  private boolean fakeClocks;

  public ProcessCluster(int size, Path root, Path jar) throws IOException {
    this.root = root;
    this.jar = jar;
    Map<String, int[]> ports = new LinkedHashMap<>();
    for (int i = 1; i <= size; i++) {
      String id = "node-" + i;
      ids.add(id);
      ports.put(id, new int[] {FreePorts.next(), FreePorts.next()});
      httpPorts.put(id, ports.get(id)[1]);
    }
    StringBuilder members = new StringBuilder();
    ports.forEach((id, p) -> members.append(members.length() == 0 ? "" : ",\n")
        .append("    \"").append(id).append("\": { \"peerAddress\": \"127.0.0.1:").append(p[0])
        .append("\", \"clientAddress\": \"127.0.0.1:").append(p[1]).append("\" }"));
    for (String id : ids) {
      Files.createDirectories(root.resolve(id));
      Files.writeString(config(id), "{\n  \"nodeId\": \"" + id + "\",\n  \"dataDir\": \""
          + root.resolve(id).resolve("data") + "\",\n  \"members\": {\n" + members + "\n  }\n}\n");
    }
  }

  /** Three processes from the fat jar in {@code target/}, started, with a ready leader. */
  public static ProcessCluster startedFromTheJar(Path root) throws IOException {
    Path jar = Path.of("target", "raftlock.jar");
    if (!Files.exists(jar)) {
      throw new IllegalStateException("the fat jar is built before integration tests: " + jar);
    }
    ProcessCluster cluster = new ProcessCluster(3, root, jar);
    cluster.startAll();
    cluster.awaitReadyLeader(null, Duration.ofSeconds(60));
    return cluster;
  }

  /** Every member's client address, comma-separated, as clients are configured. */
  public String endpoints() {
    return String.join(",", ids.stream().map(id -> "127.0.0.1:" + clientPort(id)).toList());
  }

  private Path config(String id) {
    return root.resolve(id).resolve("node.json");
  }

  public List<String> ids() {
    return ids;
  }

  /** The client API port of a member (gRPC and HTTP share it). */
  public int clientPort(String id) {
    return httpPorts.get(id);
  }

  public void start(String id) throws IOException {
    Path java = Path.of(System.getProperty("java.home"), "bin", "java");
    ProcessBuilder pb = new ProcessBuilder(java.toString(), "-Xmx256m", "-jar", jar.toString(), "--config", config(id).toString())
        .redirectErrorStream(true)
        .redirectOutput(ProcessBuilder.Redirect.appendTo(root.resolve(id).resolve("node.log").toFile()));
    if (fakeClocks) {
      FakeTime.configure(pb.environment(), clockFile(id));
    }
    processes.put(id, pb.start());
  }

  /**
   * Nodes started from now on run under libfaketime, each wall clock following its own control
   * file (initially "+0"); see {@link #setClock}.
   */
  public ProcessCluster withFakeClocks() throws IOException {
    fakeClocks = true;
    for (String id : ids) {
      setClock(id, "+0");
    }
    return this;
  }

  /** Sets node {@code id}'s wall clock to a libfaketime spec ("+600", "+0"), read within 1 s. */
  public void setClock(String id, String spec) throws IOException {
    FakeTime.write(clockFile(id), spec);
  }

  private Path clockFile(String id) {
    return root.resolve(id).resolve("faketime.rc");
  }

  /** GET {@code path} on node {@code id}'s HTTP port, or empty while it does not answer. */
  public Optional<JsonNode> getJson(String id, String path) {
    return get(id, path);
  }

  public void startAll() throws IOException {
    for (String id : ids) {
      start(id);
    }
  }

  /** {@code kill -9}: the process gets no chance to flush or say goodbye. */
  public void kill(String id) throws InterruptedException {
    Process p = processes.remove(id);
    if (p != null) {
      p.destroyForcibly();
      p.waitFor();
    }
  }

  public boolean running(String id) {
    Process p = processes.get(id);
    return p != null && p.isAlive();
  }

  /** The node's /status, or empty while it does not answer. */
  public Optional<JsonNode> status(String id) {
    return get(id, "/status");
  }

  /** The term of entry {@code index} on node {@code id} (-1 when absent or compacted). */
  public long termAt(String id, long index) {
    return get(id, "/admin/term?index=" + index).map(j -> j.get("term").asLong()).orElse(-2L);
  }

  private Optional<JsonNode> get(String id, String path) {
    return HttpJson.get("http://127.0.0.1:" + httpPorts.get(id) + path, Duration.ofMillis(500));
  }


  /** A running node that leads and has committed an entry of its term, other than {@code not}. */
  public Optional<String> readyLeader(String not) {
    for (String id : ids) {
      if (!id.equals(not) && running(id)) {
        Optional<JsonNode> s = status(id);
        if (s.isPresent() && s.get().get("leaderReady").asBoolean()) {
          return Optional.of(id);
        }
      }
    }
    return Optional.empty();
  }

  public String awaitReadyLeader(String not, Duration within) {
    String[] found = new String[1];
    await().atMost(within).pollInterval(Duration.ofMillis(20)).until(() -> {
      Optional<String> l = readyLeader(not);
      l.ifPresent(x -> found[0] = x);
      return l.isPresent();
    });
    return found[0];
  }

  public Path root() {
    return root;
  }

  @Override
  public void close() throws InterruptedException {
    for (String id : new ArrayList<>(processes.keySet())) {
      kill(id);
    }
  }
}
