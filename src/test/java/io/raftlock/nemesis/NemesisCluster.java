package io.raftlock.nemesis;

import io.raftlock.testing.FakeTime;
import io.raftlock.testing.HttpJson;

import com.fasterxml.jackson.databind.JsonNode;
import java.io.IOException;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.ServerSocket;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Random;
import java.util.concurrent.TimeUnit;

/**
 * Three fat-jar nodes, node-i on 127.0.0.i for both its peer and client port (the same port
 * numbers on every address), each with its data on a {@link NodeDisk} and, when clock faults are
 * on, under libfaketime reading a per-node timestamp file that the harness rewrites at run time.
 * The monotonic clock is never faked: Raft timers and the histories' clock stay true.
 */
final class NemesisCluster implements AutoCloseable {
  static final String LIBFAKETIME = FakeTime.LIBFAKETIME.toString();

  private final Path root;
  private final Path jar;
  private final boolean fakeClocks;
  private final int peerPort;
  private final int clientPort;
  private final List<String> ids = new ArrayList<>();
  private final Map<String, NodeDisk> disks = new LinkedHashMap<>();
  /** Processes the harness started and has not killed; guarded by this. */
  private final Map<String, Process> processes = new LinkedHashMap<>();
  /** Wall-clock ms at each node's start: libfaketime applies a rate from the process start. */
  private final Map<String, Long> startedAtMs = new LinkedHashMap<>();
  /** Set by {@link #close}: no node starts after it (a fault ending during shutdown must not restart one). */
  private boolean closed;

  NemesisCluster(Path root, Path jar, boolean loopDisks, boolean fakeClocks, long seed) throws IOException {
    this.root = root;
    this.jar = jar;
    this.fakeClocks = fakeClocks;
    int[] ports = freePortPair(new Random(seed));
    this.peerPort = ports[0];
    this.clientPort = ports[1];
    for (int i = 1; i <= 3; i++) {
      ids.add("node-" + i);
    }
    StringBuilder members = new StringBuilder();
    for (String id : ids) {
      members.append(members.length() == 0 ? "" : ",\n").append("    \"").append(id)
          .append("\": { \"peerAddress\": \"").append(host(id)).append(':').append(peerPort)
          .append("\", \"clientAddress\": \"").append(host(id)).append(':').append(clientPort).append("\" }");
    }
    for (String id : ids) {
      Path dir = root.resolve(id);
      Files.createDirectories(dir);
      NodeDisk disk = loopDisks ? NodeDisk.loop(dir) : NodeDisk.plain(dir);
      disks.put(id, disk);
      // Snapshots off: the dump must hold the whole log. Election timeout 0.5–1 s: the machine is
      // shared by 14 JVMs on two cores, and shorter timeouts turn CPU starvation into elections.
      Files.writeString(dir.resolve("node.json"), "{\n  \"nodeId\": \"" + id + "\",\n  \"dataDir\": \""
          + disk.dataDir() + "\",\n  \"tickMs\": 25,\n  \"electionTicks\": 20,\n  \"heartbeatTicks\": 4,\n"
          + "  \"snapshotEveryEntries\": 0,\n  \"syncDurableMarkBeforeAck\": " + marksBeforeAck(id) + ",\n"
          + "  \"members\": {\n" + members + "\n  }\n}\n");
      if (fakeClocks) {
        setClock(id, "+0");
      }
    }
  }

  /**
   * Whether node {@code id} syncs its durable mark before acknowledging: node-1 runs the shipped
   * default (the mark follows within milliseconds), node-2 and node-3 the strict mode, whose mark
   * bounds every acknowledged entry, which is what lets torn power losses hit them
   * ({@link LogTailScan}). Both modes stay under every other fault.
   */
  static boolean marksBeforeAck(String id) {
    return !"node-1".equals(id);
  }

  /** node-i's loopback address, 127.0.0.i. */
  static String host(String id) {
    return "127.0.0." + id.substring(id.indexOf('-') + 1);
  }

  /** A peer and a client port free on all three addresses, below the ephemeral range. */
  private static int[] freePortPair(Random random) {
    for (int attempt = 0; attempt < 200; attempt++) {
      int peer = 20_000 + 2 * random.nextInt(5_000);
      if (free(peer) && free(peer + 1)) {
        return new int[] {peer, peer + 1};
      }
    }
    throw new IllegalStateException("no free port pair on 127.0.0.1-3");
  }

  private static boolean free(int port) {
    for (int i = 1; i <= 3; i++) {
      try (ServerSocket s = new ServerSocket()) {
        s.bind(new InetSocketAddress(InetAddress.getByName("127.0.0." + i), port));
      } catch (IOException e) {
        return false;
      }
    }
    return true;
  }

  List<String> ids() {
    return ids;
  }

  int peerPort() {
    return peerPort;
  }

  int clientPort() {
    return clientPort;
  }

  boolean fakeClocks() {
    return fakeClocks;
  }

  NodeDisk disk(String id) {
    return disks.get(id);
  }

  /** host:port of every node's client API, comma-separated (the clients' --endpoints). */
  String endpoints() {
    return String.join(",", ids.stream().map(this::endpoint).toList());
  }

  String endpoint(String id) {
    return host(id) + ":" + clientPort;
  }

  synchronized void start(String id) throws IOException {
    if (closed) {
      throw new IllegalStateException("the cluster is closed; " + id + " is not started again");
    }
    if (running(id)) {
      return;
    }
    Path java = Path.of(System.getProperty("java.home"), "bin", "java");
    ProcessBuilder pb = new ProcessBuilder(java.toString(), "-Xmx256m", "-jar", jar.toString(),
        "--config", root.resolve(id).resolve("node.json").toString())
        .redirectErrorStream(true)
        .redirectOutput(ProcessBuilder.Redirect.appendTo(root.resolve(id).resolve("node.log").toFile()));
    if (fakeClocks) {
      FakeTime.configure(pb.environment(), clockFile(id));
    }
    startedAtMs.put(id, System.currentTimeMillis());
    processes.put(id, pb.start());
  }

  void startAll() throws IOException {
    for (String id : ids) {
      start(id);
    }
  }

  /** {@code kill -9} and wait for the process to be gone. */
  void kill(String id) throws InterruptedException {
    Process p;
    synchronized (this) {
      p = processes.remove(id);
    }
    if (p != null) {
      p.destroyForcibly();
      p.waitFor(10, TimeUnit.SECONDS);
    }
  }

  synchronized boolean running(String id) {
    Process p = processes.get(id);
    return p != null && p.isAlive();
  }

  /** Nodes the harness started and did not kill that have exited on their own, with their exit codes. */
  synchronized Map<String, Integer> exitedOnTheirOwn() {
    Map<String, Integer> exited = new LinkedHashMap<>();
    processes.forEach((id, p) -> {
      if (!p.isAlive()) {
        exited.put(id, p.exitValue());
      }
    });
    return exited;
  }

  /** Forgets a process that exited on its own, so that {@link #start} starts it again. */
  synchronized void forget(String id) {
    Process p = processes.get(id);
    if (p != null && !p.isAlive()) {
      processes.remove(id);
    }
  }

  synchronized Optional<Long> pid(String id) {
    Process p = processes.get(id);
    return p != null && p.isAlive() ? Optional.of(p.pid()) : Optional.empty();
  }

  /** SIGSTOP: the JVM freezes with its sockets open, as in a long GC pause or a stalled VM. */
  boolean pause(String id) {
    return pid(id).map(pid -> Shell.signal(pid, "STOP")).orElse(false);
  }

  boolean resume(String id) {
    return pid(id).map(pid -> Shell.signal(pid, "CONT")).orElse(false);
  }

  Path clockFile(String id) {
    return root.resolve(id).resolve("faketime.rc");
  }

  /** Writes a libfaketime spec ("+0", "+3", "-2.5", "+0 x1.5") atomically, read within 1 s. */
  void setClock(String id, String spec) throws IOException {
    FakeTime.write(clockFile(id), spec);
  }

  /**
   * Makes node {@code id}'s wall clock run at {@code rate} from now on, without a jump.
   * libfaketime applies a rate from the process start (fake = start + (real - start) × rate +
   * offset), so the offset cancels what the rate would add for the time already elapsed; the
   * start is known to within the JVM's launch time, so a jump of that order remains.
   */
  String setClockRate(String id, double rate) throws IOException {
    double elapsedS = (System.currentTimeMillis() - startedAtMs.getOrDefault(id, System.currentTimeMillis())) / 1000.0;
    double offsetS = -elapsedS * (rate - 1);
    String spec = String.format(java.util.Locale.ROOT, "%+.3f x%.2f", offsetS, rate);
    setClock(id, spec);
    return spec;
  }

  /** The node's /status, or empty while it does not answer (down, paused, cut off). */
  Optional<JsonNode> status(String id) {
    return HttpJson.get("http://" + endpoint(id) + "/status", Duration.ofMillis(700));
  }


  /** A running node that says it leads, if one answers now. */
  Optional<String> leader() {
    for (String id : ids) {
      if (running(id) && status(id).map(s -> s.path("isLeader").asBoolean()).orElse(false)) {
        return Optional.of(id);
      }
    }
    return Optional.empty();
  }

  /** Every node's applied index when all answer and agree on applied and commit index, else empty. */
  Optional<Long> convergedAppliedIndex() {
    Long applied = null;
    Long commit = null;
    for (String id : ids) {
      Optional<JsonNode> s = status(id);
      if (s.isEmpty()) {
        return Optional.empty();
      }
      long a = s.get().path("appliedIndex").asLong(-1);
      long c = s.get().path("commitIndex").asLong(-1);
      if ((applied != null && a != applied) || (commit != null && c != commit) || a != c) {
        return Optional.empty();
      }
      applied = a;
      commit = c;
    }
    return Optional.ofNullable(applied);
  }

  /**
   * Outbound peer connections whose source address is not their node's own address, described
   * ("node-2 → 127.0.0.3:P from 127.0.0.1"); empty when every node binds them, which is what makes
   * the nft partitions between addresses exact. Read from {@code ss}; null when ss is missing.
   */
  List<String> unboundPeerConnections() {
    Shell.Result r = Shell.run("ss", "-Htnp", "state", "established", "( dport = :" + peerPort + " )");
    if (!r.ok()) {
      return null;
    }
    Map<Long, String> byPid = new LinkedHashMap<>();
    ids.forEach(id -> pid(id).ifPresent(pid -> byPid.put(pid, id)));
    List<String> wrong = new ArrayList<>();
    for (String line : r.output().split("\n")) {
      String[] f = line.trim().split("\\s+");
      int pidAt = line.indexOf("pid=");
      if (f.length < 4 || pidAt < 0) {
        continue;
      }
      long pid = Long.parseLong(line.substring(pidAt + 4).replaceAll("[^0-9].*", ""));
      String id = byPid.get(pid);
      String local = f[2].replace("[::ffff:", "").replace("]", "");
      String source = local.substring(0, local.lastIndexOf(':'));
      if (id != null && !source.equals(host(id))) {
        wrong.add(id + " → " + f[3].replace("[::ffff:", "").replace("]", "") + " from " + source);
      }
    }
    return wrong;
  }

  /** Kills every node (SIGKILL also ends a stopped process) and unmounts and deletes the disks. */
  @Override
  public void close() {
    synchronized (this) {
      closed = true;
    }
    for (String id : ids) {
      try {
        kill(id);
      } catch (InterruptedException e) {
        Thread.currentThread().interrupt();
      }
    }
    disks.values().forEach(NodeDisk::close);
  }
}
