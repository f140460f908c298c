package io.raftlock.nemesis;

import java.io.IOException;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.Random;
import java.util.function.Consumer;

/**
 * Carries out one fault at a time on the cluster: starts it, logs it, holds it for a seeded
 * random time, ends it and logs the end. Targets the leader half of the time (when one answers).
 */
final class Nemeses {
  private final NemesisCluster cluster;
  private final Firewall firewall;
  private final NemesisLog log;
  private final Random random;
  private final long ttlMs;
  private static final double MAX_CLOCK_STEP_S = 600;
  private final StopSignal stop;
  private final Consumer<String> out;
  /** Client ids ("c1") that run with their own group id, so a client partition can cut them. */
  private final List<String> cuttableClients;
  /** The clients' API key once auth is on (null before or without): the flood uses it too. */
  private final java.util.function.Supplier<String> clientKey;

  Nemeses(NemesisCluster cluster, Firewall firewall, NemesisLog log, Random random, long ttlMs,
      StopSignal stop, Consumer<String> out, List<String> cuttableClients,
      java.util.function.Supplier<String> clientKey) {
    this.clientKey = clientKey;
    this.cuttableClients = List.copyOf(cuttableClients);
    this.cluster = cluster;
    this.firewall = firewall;
    this.log = log;
    this.random = random;
    this.ttlMs = ttlMs;
    this.stop = stop;
    this.out = out;
  }

  void run(FaultKind kind) throws IOException, InterruptedException {
    switch (kind) {
      case KILL -> kill();
      case PAUSE -> pause();
      case PARTITION -> partition();
      case LOSS -> loss();
      case CLOCK -> clock();
      case POWER -> power();
      case DISKFULL -> diskFull();
      case CLIENT_PARTITION -> clientPartition();
      case TORN_POWER -> tornPower();
      case FLOOD -> flood();
      default -> throw new IllegalArgumentException(kind.toString());
    }
  }

  /** The leader half of the time, else (or when none answers) a random running node. */
  private String target() {
    if (random.nextBoolean()) {
      var leader = cluster.leader();
      if (leader.isPresent()) {
        return leader.get();
      }
    }
    List<String> ids = cluster.ids().stream().filter(cluster::running).toList();
    ids = ids.isEmpty() ? cluster.ids() : ids;
    return ids.get(random.nextInt(ids.size()));
  }

  private String role(String id) {
    return cluster.leader().map(l -> l.equals(id) ? "leader" : "follower").orElse("no-leader-seen");
  }

  private Duration between(double lowS, double highS) {
    return Duration.ofMillis((long) (1000 * (lowS + random.nextDouble() * (highS - lowS))));
  }

  private void kill() throws IOException, InterruptedException {
    String id = target();
    Duration down = between(1, 5);
    log.start("kill", id, "kill -9 of the " + role(id) + ", restart after " + down.toMillis() + " ms");
    cluster.kill(id);
    stop.holdFor(down);
    cluster.start(id);
    log.end("kill", id, "restarted");
  }

  private void pause() {
    String id = target();
    Duration paused = Duration.ofMillis((long) (ttlMs * (0.5 + 2.5 * random.nextDouble())));
    log.start("pause", id, "SIGSTOP of the " + role(id) + " for " + paused.toMillis() + " ms");
    cluster.pause(id);
    stop.holdFor(paused);
    cluster.resume(id);
    log.end("pause", id, "SIGCONT");
  }

  private void partition() {
    List<String> ids = cluster.ids();
    String leader = cluster.leader().orElse(ids.get(random.nextInt(ids.size())));
    List<String> others = new ArrayList<>(ids);
    others.remove(leader);
    String follower = others.get(random.nextInt(others.size()));
    List<String> rest = new ArrayList<>(ids);
    rest.remove(follower);
    Duration held = between(2, 5);
    String detail;
    switch (random.nextInt(5)) {
      case 0 -> {
        detail = "isolate the leader " + leader + " from " + others;
        firewall.cut(bothWays(List.of(leader), others));
      }
      case 1 -> {
        detail = "minority " + follower + " | majority " + rest;
        firewall.cut(bothWays(List.of(follower), rest));
      }
      case 2 -> {
        detail = "one-way: the leader " + leader + " cannot send to " + others;
        firewall.cut(oneWay(List.of(leader), others));
      }
      case 3 -> {
        detail = "one-way: " + others + " cannot send to the leader " + leader;
        firewall.cut(oneWay(others, List.of(leader)));
      }
      default -> {
        String x = others.get(0);
        String y = others.get(1);
        detail = "bridge: " + x + " and " + y + " cut from each other, both reach " + leader;
        firewall.cut(bothWays(List.of(x), List.of(y)));
      }
    }
    log.start("partition", null, detail + " for " + held.toMillis() + " ms");
    stop.holdFor(held);
    Firewall.heal();
    log.end("partition", null, "rules removed");
  }

  /** (from, to) address pairs for every node of {@code from} to every node of {@code to}. */
  private static List<String[]> oneWay(List<String> from, List<String> to) {
    List<String[]> pairs = new ArrayList<>();
    for (String a : from) {
      for (String b : to) {
        pairs.add(new String[] {NemesisCluster.host(a), NemesisCluster.host(b)});
      }
    }
    return pairs;
  }

  /** Both directions between two groups; pairs inside one group are never cut. */
  private static List<String[]> bothWays(List<String> a, List<String> b) {
    List<String[]> pairs = oneWay(a, b);
    pairs.addAll(oneWay(b, a));
    return pairs;
  }

  /**
   * Cuts some or all clients off the client port of the leader, of every node but one follower, or
   * of every node, while the members go on talking: clients fail over to the nodes they still
   * reach (which forward to the leader); a session cut off everywhere for more than its TTL expires.
   */
  private void clientPartition() {
    if (cuttableClients.isEmpty()) {
      throw new IllegalStateException("no client runs with its own group id: nothing to cut");
    }
    List<String> ids = cluster.ids();
    String leader = cluster.leader().orElse(ids.get(random.nextInt(ids.size())));
    List<String> followers = new ArrayList<>(ids);
    followers.remove(leader);
    List<String> some = someClients();
    List<String> clients;
    List<String> nodes;
    String detail;
    switch (random.nextInt(4)) {
      case 0 -> {
        clients = cuttableClients;
        nodes = List.of(leader);
        detail = "every client cut from the leader " + leader;
      }
      case 1 -> {
        clients = some;
        nodes = List.of(leader);
        detail = "clients " + some + " cut from the leader " + leader;
      }
      case 2 -> {
        String reachable = followers.get(random.nextInt(followers.size()));
        clients = some;
        nodes = ids.stream().filter(id -> !id.equals(reachable)).toList();
        detail = "clients " + some + " reach only the follower " + reachable;
      }
      default -> {
        clients = some;
        nodes = ids;
        detail = "clients " + some + " cut from every node";
      }
    }
    firewall.cutClients(clients.stream().map(Firewall::clientGid).toList(),
        nodes.stream().map(NemesisCluster::host).toList());
    Duration held = between(2, 5);
    log.start("client-partition", nodes.size() == 1 ? nodes.get(0) : null, detail + " for " + held.toMillis() + " ms");
    stop.holdFor(held);
    long dropped = Firewall.droppedPackets();
    Firewall.heal();
    log.end("client-partition", nodes.size() == 1 ? nodes.get(0) : null, "rules removed; " + dropped
        + " packets of the cut clients dropped");
  }

  /** Acquires per second of the flood fault: many times what a 3-node cluster commits on 2 cores. */
  static final int FLOOD_RATE = 5_000;

  /**
   * A client process floods the leader (a random node when none answers) with acquire requests
   * of locks of its own, from one WebSocket, one gRPC channel or 64 channels, for a few seconds;
   * it stops by itself. Its counts end the fault's log line.
   */
  private void flood() throws IOException, InterruptedException {
    String id = cluster.leader().orElse(target());
    String transport = random.nextBoolean() ? "ws" : "grpc";
    int connections = random.nextBoolean() ? 1 : 64;
    long seconds = 2 + random.nextInt(4);
    log.start("flood", id, FLOOD_RATE + " acquires/s at the " + role(id) + " from " + connections + " "
        + (transport.equals("ws") ? "WebSocket" : "gRPC") + " connection(s) for " + seconds + " s");
    java.nio.file.Path out = java.nio.file.Files.createTempFile("raftlock-flood", ".log");
    // With auth on it floods as the clients' principal, on locks that principal may take ("L*"),
    // so the flood passes authentication and reaches Raft; its lock and client names are its own.
    String key = clientKey.get();
    Process p = io.raftlock.testing.ChildJvm.start(io.raftlock.bench.FloodClients.class, out,
        key == null ? java.util.Map.of() : java.util.Map.of(NemesisClientOptions.API_KEY_ENV, key),
        cluster.endpoint(id), transport, Integer.toString(connections), Integer.toString(FLOOD_RATE),
        Long.toString(seconds), "L-flood/");
    String counts;
    try {
      // It stops by itself after `seconds`; a JVM start and a close on a loaded machine fit in 60 s more.
      if (p.waitFor(seconds + 60, java.util.concurrent.TimeUnit.SECONDS) && p.exitValue() == 0) {
        counts = new String(p.getInputStream().readAllBytes()).trim().lines().reduce((a, b) -> b).orElse("");
      } else {
        counts = "flood process failed: " + java.nio.file.Files.readString(out).lines().reduce((a, b) -> b).orElse("");
      }
    } finally {
      p.destroyForcibly();
      java.nio.file.Files.deleteIfExists(out);
    }
    log.end("flood", id, counts);
  }

  /** A random non-empty proper subset of the cuttable clients (all of them when there is one). */
  private List<String> someClients() {
    List<String> shuffled = new ArrayList<>(cuttableClients);
    java.util.Collections.shuffle(shuffled, random);
    int n = shuffled.size() == 1 ? 1 : 1 + random.nextInt(shuffled.size() - 1);
    return shuffled.subList(0, n).stream().sorted(java.util.Comparator.comparingInt(c -> Integer.parseInt(c.substring(1))))
        .toList();
  }

  private void loss() {
    int percent = 10 + random.nextInt(31);
    Duration held = between(3, 5);
    firewall.loss(percent);
    log.start("loss", null, percent + "% of packets dropped on the peer and client ports for " + held.toMillis() + " ms");
    stop.holdFor(held);
    Firewall.heal();
    log.end("loss", null, "rules removed");
  }

  private void clock() throws IOException {
    String id = target();
    String spec;
    String what;
    switch (random.nextInt(4)) {
      case 0 -> {
        spec = String.format(Locale.ROOT, "+%.1f", clockStepS(random.nextDouble()));
        cluster.setClock(id, spec);
        what = "wall clock jumps forward " + spec + " s";
      }
      case 1 -> {
        spec = String.format(Locale.ROOT, "-%.1f", clockStepS(random.nextDouble()));
        cluster.setClock(id, spec);
        what = "wall clock jumps back " + spec + " s";
      }
      case 2 -> {
        spec = cluster.setClockRate(id, 1.5 + 1.5 * random.nextDouble());
        what = "wall clock runs fast: " + spec;
      }
      default -> {
        spec = cluster.setClockRate(id, 0.3 + 0.4 * random.nextDouble());
        what = "wall clock runs slow: " + spec;
      }
    }
    Duration held = between(3, 6);
    log.start("clock", id, what + " on the " + role(id) + " for " + held.toMillis() + " ms (libfaketime, read within 1 s)");
    stop.holdFor(held);
    cluster.setClock(id, "+0");
    log.end("clock", id, "wall clock back to real time (+0)");
  }

  /**
   * A wall-clock step of more than a TTL, up to ten minutes, log-uniform (as many steps of a few
   * seconds as of minutes): leases run on the leader's monotonic clock and must not notice.
   */
  private double clockStepS(double u) {
    double minS = ttlMs / 1000.0 + 1;
    return minS * Math.pow(MAX_CLOCK_STEP_S / minS, u);
  }

  private void power() throws IOException, InterruptedException {
    String id = target();
    Duration down = between(1, 3);
    log.start("power", id, "power loss of the " + role(id) + ": kill -9, no sync, image copied and remounted");
    cluster.kill(id);
    String how = cluster.disk(id).powerLoss();
    stop.holdFor(down);
    cluster.start(id);
    log.end("power", id, how + "; restarted");
  }

  /**
   * A power loss whose last, unacknowledged log writes are torn or reordered on the way to the
   * disk ({@link NodeDisk#tornPowerLoss}). Only nodes whose durable mark bounds what they
   * acknowledged can take it: the leader among them half the time, else one of them at random.
   */
  private void tornPower() throws IOException, InterruptedException {
    List<String> strict = cluster.ids().stream().filter(NemesisCluster::marksBeforeAck).toList();
    String leader = cluster.leader().orElse("");
    String id = strict.contains(leader) && random.nextBoolean() ? leader : strict.get(random.nextInt(strict.size()));
    Duration down = between(1, 3);
    log.start("torn-power", id, "power loss of the " + role(id) + " tearing its unacknowledged writes: kill -9, "
        + "restart after " + down.toMillis() + " ms");
    cluster.kill(id);
    String how;
    try {
      how = cluster.disk(id).tornPowerLoss(random);
    } catch (IOException | RuntimeException e) {
      // The node restarts all the same: the run goes on, and the log says what happened.
      how = "tearing failed: " + e;
      out.accept(id + ": " + how);
    }
    stop.holdFor(down);
    cluster.start(id);
    log.end("torn-power", id, how + "; restarted");
  }

  private void diskFull() throws IOException {
    String id = target();
    Duration held = between(3, 5);
    long left = cluster.disk(id).fill();
    log.start("diskfull", id, "data file system of the " + role(id) + " filled (" + left + " bytes left) for " + held.toMillis() + " ms");
    stop.holdFor(held);
    cluster.disk(id).unfill();
    String detail = "space freed";
    if (!cluster.running(id)) {
      detail += "; the node had exited (" + cluster.exitedOnTheirOwn().get(id) + "), restarted";
      out.accept(id + " exited while its disk was full: " + cluster.exitedOnTheirOwn());
      cluster.forget(id);
      cluster.start(id);
    }
    log.end("diskfull", id, detail);
  }
}
