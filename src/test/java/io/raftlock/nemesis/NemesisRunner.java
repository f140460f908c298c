package io.raftlock.nemesis;

import static org.awaitility.Awaitility.await;

import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.SerializationFeature;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.EnumSet;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Random;
import java.util.Set;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;

/**
 * One nemesis run: a 3-node cluster of fat-jar JVMs, the fenced resource, 10 client JVMs, a
 * seeded schedule of faults one at a time with healthy gaps between them (client pauses run
 * alongside, on their own schedule), the final heal, a quiet tail, convergence, the node dumps
 * and the checker. Writes {@code summary.json} in the run directory. Everything it starts (nft
 * table, mounts, processes) is removed in {@code finally} and by a shutdown hook.
 *
 * <pre>java -cp TEST_CLASSPATH io.raftlock.nemesis.NemesisRunner [--seed N] [--profile short|standard]
 *     [--out DIR] [--jar target/raftlock.jar] [--classpath CP] [--clients 10]
 *     [--only kill,pause,...] [--fault-seconds S] [--auth on|off]</pre>
 * {@code --only} and {@code --fault-seconds} narrow a profile, to try one kind of fault quickly.
 * {@code --auth on} runs the cluster with auth enabled ({@link NemesisAuth}): the clients send
 * the API key of a principal that may lock and read the nemesis locks, the harness keeps the
 * admin key for the dumps.
 */
public final class NemesisRunner {
  private static final ObjectMapper JSON = new ObjectMapper().enable(SerializationFeature.INDENT_OUTPUT);
  static final String CLIENT_CLASS = "io.raftlock.nemesis.NemesisClient";
  static final long TTL_MS = 2_000;
  static final String LOCKS = "L0,L1,L2";
  /** The lock-name prefix of {@link #LOCKS}: the clients' principal may lock and read it. */
  static final String LOCK_PREFIX = "L*";
  static final Duration QUIET_TAIL = Duration.ofSeconds(20);
  static final Duration CONVERGENCE = Duration.ofSeconds(30);

  /** What to run. */
  public record Options(long seed, Profile profile, Path runDir, Path jar, String classpath, int clients,
      Set<FaultKind> only, int faultSeconds, boolean auth) {
    /** The profile as it is: every kind, its own fault time; auth on or off. */
    public Options(long seed, Profile profile, Path runDir, Path jar, String classpath, int clients,
        boolean auth) {
      this(seed, profile, runDir, jar, classpath, clients, EnumSet.allOf(FaultKind.class), profile.faultSeconds,
          auth);
    }

    static Options parse(String[] args) {
      long seed = System.currentTimeMillis() % 100_000;
      Profile profile = Profile.STANDARD;
      Path out = null;
      Path jar = Path.of("target", "raftlock.jar");
      String cp = System.getProperty("java.class.path");
      int clients = 10;
      Set<FaultKind> only = EnumSet.allOf(FaultKind.class);
      Integer faultSeconds = null;
      boolean auth = false;
      for (int i = 0; i < args.length; i++) {
        String flag = args[i];
        if (i + 1 >= args.length) {
          throw new IllegalArgumentException(flag + " needs a value");
        }
        String v = args[++i];
        switch (flag) {
          case "--seed" -> seed = Long.parseLong(v);
          case "--profile" -> profile = Profile.parse(v);
          case "--out" -> out = Path.of(v);
          case "--jar" -> jar = Path.of(v);
          case "--classpath" -> cp = v;
          case "--clients" -> clients = Integer.parseInt(v);
          case "--only" -> only = kinds(v);
          case "--fault-seconds" -> faultSeconds = Integer.parseInt(v);
          case "--auth" -> auth = onOff(v);
          default -> throw new IllegalArgumentException("unknown option " + flag);
        }
      }
      if (out == null) {
        out = Path.of("target", "nemesis", profile.name().toLowerCase(java.util.Locale.ROOT) + "-" + seed);
      }
      return new Options(seed, profile, out, jar, cp, clients, only,
          faultSeconds == null ? profile.faultSeconds : faultSeconds, auth);
    }

    private static boolean onOff(String v) {
      return switch (v) {
        case "on" -> true;
        case "off" -> false;
        default -> throw new IllegalArgumentException("--auth must be on or off, was '" + v + "'");
      };
    }

    /** "kill,power": fault kinds by their log names (to run a subset of a profile's faults). */
    private static Set<FaultKind> kinds(String list) {
      Set<FaultKind> kinds = EnumSet.noneOf(FaultKind.class);
      for (String name : list.split(",")) {
        kinds.add(java.util.Arrays.stream(FaultKind.values()).filter(k -> k.logName.equals(name.trim())).findFirst()
            .orElseThrow(() -> new IllegalArgumentException("--only: unknown fault '" + name + "'")));
      }
      return kinds;
    }
  }

  /** What a run found, for the failsafe test and the script's exit code. */
  public record Result(Map<String, Integer> faults, Map<String, String> skipped, CheckBridge.Outcome check,
      boolean converged, List<String> unexpectedExits, boolean clientsRan) {}

  private final Options options;
  private final Random random;
  private final StopSignal stop = new StopSignal();
  private final AtomicBoolean cleanedUp = new AtomicBoolean();
  private final Map<String, String> skipped = new LinkedHashMap<>();
  private final List<String> unexpectedExits = new ArrayList<>();
  private final Map<String, Process> clients = new LinkedHashMap<>();
  private final Map<String, List<String>> clientCommands = new java.util.concurrent.ConcurrentHashMap<>();
  private NemesisCluster cluster;
  private FencedResourceServer resource;
  private boolean nft;
  /** Clients run with their own group ids and their connections are marked: client partitions work. */
  private boolean clientCuts;
  private String peerBindingWarning;
  /** The run's API keys with auth on, {@code null} with auth off. */
  private NemesisAuth.Keys keys;

  public NemesisRunner(Options options) {
    this.options = options;
    this.random = new Random(options.seed());
  }

  public static void main(String[] args) throws Exception {
    Options options;
    try {
      options = Options.parse(args);
    } catch (IllegalArgumentException e) {
      System.err.println("nemesis: " + e.getMessage());
      System.exit(2);
      return;
    }
    Result r = new NemesisRunner(options).run();
    boolean failed = !r.check().ran() || !r.check().ok() || !r.converged() || !r.unexpectedExits().isEmpty();
    System.exit(failed ? 1 : 0);
  }

  public Result run() throws IOException, InterruptedException {
    Path run = options.runDir().toAbsolutePath();
    Files.createDirectories(run);
    Thread hook = new Thread(this::cleanUp, "nemesis-cleanup");
    Runtime.getRuntime().addShutdownHook(hook);
    Instant started = Instant.now();
    say("run " + run + ": profile " + options.profile() + ", seed " + options.seed());
    try (NemesisLog log = new NemesisLog(run.resolve("nemesis.jsonl"))) {
      probeTools(run);
      Firewall firewall = nft ? new Firewall(cluster.peerPort(), cluster.clientPort(), run) : null;
      if (clientCuts) {
        firewall.markClients(clientIds().stream().map(Firewall::clientGid).toList());
      }
      cluster.startAll();
      try {
        await().atMost(Duration.ofSeconds(90)).pollInterval(Duration.ofMillis(200))
            .until(() -> cluster.leader().isPresent() || cluster.exitedOnTheirOwn().size() == 3);
      } catch (org.awaitility.core.ConditionTimeoutException e) {
        throw new IllegalStateException("no leader within 90 s; see node-*/node.log in " + run);
      }
      if (cluster.leader().isEmpty()) {
        throw new IllegalStateException("every node exited at start " + cluster.exitedOnTheirOwn()
            + "; see node-*/node.log in " + run);
      }
      say("leader " + cluster.leader().orElse("?") + "; nodes on " + cluster.endpoints());
      checkPeerBinding();
      if (options.auth()) {
        keys = NemesisAuth.enable(cluster.endpoint(cluster.leader().orElse(cluster.ids().get(0))),
            cluster.ids().stream().map(cluster::endpoint).toList(), LOCK_PREFIX);
        say("auth on: the clients' principal " + NemesisAuth.PRINCIPAL + " may lock and read " + LOCK_PREFIX
            + "; the admin key is the harness's");
      }
      resource = new FencedResourceServer(run.resolve("resource.jsonl"));
      boolean clientsRan = startClients(run);
      Thread clientPauser = clientsRan && wants(FaultKind.PAUSE) ? new ClientNemesis(log, stop, options.seed(),
          options.clients(), TTL_MS, this::client, id -> launchClient(id, run)).start() : null;
      runSchedule(new Nemeses(cluster, firewall, log, random, TTL_MS, stop, this::say,
          clientsRan && clientCuts ? clientIds() : List.of(), () -> keys == null ? null : keys.client()), log);
      if (clientPauser != null) {
        clientPauser.interrupt();
        clientPauser.join(10_000);
      }
      if (stop.stopped()) {
        throw new IllegalStateException("the run was stopped (signal or shutdown) before the final heal");
      }
      finalHeal(log);
      say("final heal done; clients run " + QUIET_TAIL.toSeconds() + " s more");
      stop.holdFor(QUIET_TAIL);
      stopClients();
      boolean converged = awaitConvergence();
      dumpNodes(run);
      CheckBridge.Outcome check = CheckBridge.check(run);
      Result result = new Result(log.counts(), skipped, check, converged, unexpectedExits, clientsRan);
      writeSummary(run, result, started);
      return result;
    } finally {
      cleanUp();
      try {
        Runtime.getRuntime().removeShutdownHook(hook);
      } catch (IllegalStateException e) {
        // Already shutting down: the hook runs cleanUp, which is idempotent.
      }
    }
  }

  /** Checks each fault's tools and privileges once; faults that cannot run are skipped, said why. */
  private void probeTools(Path run) throws IOException {
    for (FaultKind k : FaultKind.values()) {
      if (!options.only().contains(k)) {
        skip(k, "not selected (--only)");
      }
    }
    String nftWhy = Firewall.unavailableReason();
    nft = nftWhy == null;
    if (nft) {
      Firewall.removeAll();
    } else {
      skip(FaultKind.PARTITION, nftWhy);
      skip(FaultKind.LOSS, nftWhy);
      skip(FaultKind.CLIENT_PARTITION, nftWhy);
    }
    clientCuts = nft && wants(FaultKind.CLIENT_PARTITION) && Shell.onPath("setpriv");
    if (nft && !Shell.onPath("setpriv")) {
      skip(FaultKind.CLIENT_PARTITION, "setpriv (util-linux) is missing: clients cannot get their own group ids");
    }
    boolean wantDisks = wants(FaultKind.POWER) || wants(FaultKind.DISKFULL) || wants(FaultKind.TORN_POWER);
    String loopWhy = wantDisks ? NodeDisk.loopUnavailableReason(run) : "not in this profile";
    if (loopWhy != null && wantDisks) {
      skip(FaultKind.POWER, loopWhy + "; data dirs are plain directories");
      skip(FaultKind.DISKFULL, loopWhy + "; data dirs are plain directories");
      skip(FaultKind.TORN_POWER, loopWhy + "; data dirs are plain directories");
    }
    boolean fakeClocks = wants(FaultKind.CLOCK) && Files.exists(Path.of(NemesisCluster.LIBFAKETIME));
    if (wants(FaultKind.CLOCK) && !fakeClocks) {
      skip(FaultKind.CLOCK, NemesisCluster.LIBFAKETIME + " is missing (scripts/install-nemesis-tools.sh installs libfaketime)");
    }
    cluster = new NemesisCluster(run, options.jar(), loopWhy == null, fakeClocks, options.seed());
  }

  private boolean wants(FaultKind kind) {
    return options.profile().kinds().contains(kind) && options.only().contains(kind);
  }

  /** Partitions cut by source address: say so loudly when the nodes do not bind their outbound connections. */
  private void checkPeerBinding() {
    if (!nft || !wants(FaultKind.PARTITION)) {
      return;
    }
    List<String> wrong = cluster.unboundPeerConnections();
    if (wrong == null) {
      say("cannot check the peer connections' source addresses (ss is missing)");
    } else if (!wrong.isEmpty()) {
      peerBindingWarning = "outbound peer connections are not bound to their node's address, so partitions "
          + "cut the wrong traffic: " + wrong;
      say("WARNING: " + peerBindingWarning);
    } else {
      say("peer connections come from their nodes' own addresses: partitions are exact");
    }
  }

  private void skip(FaultKind kind, String why) {
    if (options.profile().kinds().contains(kind) && !skipped.containsKey(kind.logName)) {
      skipped.put(kind.logName, why);
      say("SKIPPED " + kind.logName + " faults: " + why);
    }
  }

  private boolean startClients(Path run) throws IOException {
    if (!classPresent(CLIENT_CLASS)) {
      say("SKIPPED clients: " + CLIENT_CLASS + " is not on the classpath; faults run without a workload");
      skip(FaultKind.CLIENT_PARTITION, "no clients to cut");
      return false;
    }
    Path java = Path.of(System.getProperty("java.home"), "bin", "java");
    long durationS = options.faultSeconds() * 2L + 300;
    for (int i = 1; i <= options.clients(); i++) {
      String id = "c" + i;
      List<String> cmd = new ArrayList<>();
      if (clientCuts) {
        // Its own group id (root stays its user): the client's connections carry it as their mark.
        cmd.addAll(List.of("setpriv", "--regid", Integer.toString(Firewall.clientGid(i)), "--clear-groups"));
      }
      // Small heaps and the C1 compiler only: ten client JVMs share two cores with the nodes.
      // Every third client runs on plain unary calls, the others on a session each.
      cmd.addAll(List.of(java.toString(), "-Xmx96m", "-XX:+UseSerialGC", "-XX:TieredStopAtLevel=1",
          "-cp", options.classpath(), CLIENT_CLASS, "--process", id, "--endpoints", cluster.endpoints(),
          "--locks", LOCKS, "--resource", resource.url(), "--history", run.resolve("history-" + id + ".jsonl").toString(),
          "--seed", Long.toString(options.seed() * 1_000 + i), "--ttl-ms", Long.toString(TTL_MS),
          "--duration-s", Long.toString(durationS), "--mode", i % 3 == 0 ? "unary" : "session"));
      clientCommands.put(id, cmd);
      launchClient(id, run);
    }
    say(options.clients() + " clients started on locks " + LOCKS + " (TTL " + TTL_MS + " ms; c3, c6, c9 unary, "
        + "the others on sessions" + (clientCuts ? "; each with its own group id, for client partitions)" : ")"));
    return true;
  }

  private List<String> clientIds() {
    List<String> ids = new ArrayList<>();
    for (int i = 1; i <= options.clients(); i++) {
      ids.add("c" + i);
    }
    return ids;
  }

  /** Starts (or restarts, appending to its history and log) client {@code id}. */
  private Process launchClient(String id, Path run) throws IOException {
    ProcessBuilder pb = new ProcessBuilder(clientCommands.get(id)).redirectErrorStream(true)
        .redirectOutput(ProcessBuilder.Redirect.appendTo(run.resolve("client-" + id + ".log").toFile()));
    if (keys != null) {
      pb.environment().put(NemesisClientOptions.API_KEY_ENV, keys.client());
    }
    Process p = pb.start();
    synchronized (clients) {
      clients.put(id, p);
    }
    return p;
  }

  private Process client(String id) {
    synchronized (clients) {
      return clients.get(id);
    }
  }

  private static boolean classPresent(String name) {
    try {
      Class.forName(name, false, NemesisRunner.class.getClassLoader());
      return true;
    } catch (ClassNotFoundException e) {
      return false;
    }
  }

  private void runSchedule(Nemeses nemeses, NemesisLog log) {
    // A fault and its healthy gap take about 6 s: extras only fill what the quotas leave of the
    // fault time, so a run is not stretched by extras that would push quota faults past the end.
    int quotaTotal = options.profile().quotas.values().stream().mapToInt(Integer::intValue).sum();
    int extras = Math.max(0, options.faultSeconds() / 6 - quotaTotal);
    Set<FaultKind> skippedKinds = EnumSet.noneOf(FaultKind.class);
    for (FaultKind k : FaultKind.values()) {
      if (skipped.containsKey(k.logName)) {
        skippedKinds.add(k);
      }
    }
    List<Profile.Planned> plan = options.profile().plan(random, skippedKinds, extras);
    long end = System.nanoTime() + TimeUnit.SECONDS.toNanos(options.faultSeconds());
    int done = 0;
    for (Profile.Planned p : plan) {
      if (stop.stopped()) {
        break;
      }
      if (!p.quota() && System.nanoTime() > end) {
        continue;
      }
      try {
        nemeses.run(p.kind());
      } catch (IOException | RuntimeException e) {
        say("fault " + p.kind().logName + " failed: " + e);
        Firewall.heal();
      } catch (InterruptedException e) {
        Thread.currentThread().interrupt();
        break;
      }
      done++;
      restartNodesThatExited();
      // A healthy gap: the cluster should elect and serve before the next fault.
      stop.holdFor(Duration.ofMillis(1_500 + random.nextInt(1_000)));
      if (done % 10 == 0) {
        say(done + " faults done; " + log.counts());
      }
    }
  }

  /** A node that exited without being killed is a finding: recorded, reported, restarted. */
  private void restartNodesThatExited() {
    cluster.exitedOnTheirOwn().forEach((id, code) -> {
      String what = id + " exited on its own with status " + code + " at t=" + System.nanoTime();
      unexpectedExits.add(what);
      say("UNEXPECTED: " + what + " (see " + id + "/node.log); restarting it");
      cluster.forget(id);
      try {
        cluster.start(id);
      } catch (IOException e) {
        throw new UncheckedIOException(e);
      }
    });
  }

  /** Removes every fault: rules, stopped processes, full disks, skewed clocks, dead nodes. */
  private void finalHeal(NemesisLog log) throws IOException {
    log.finalHeal("start", "remove rules, SIGCONT all, free disks, reset clocks, restart dead nodes");
    if (nft) {
      Firewall.heal();
    }
    for (String id : cluster.ids()) {
      cluster.resume(id);
      if (cluster.disk(id).isLoop()) {
        cluster.disk(id).unfill();
      }
      if (cluster.fakeClocks()) {
        cluster.setClock(id, "+0");
      }
    }
    synchronized (clients) {
      clients.values().forEach(p -> Shell.signal(p.pid(), "CONT"));
    }
    restartNodesThatExited();
    for (String id : cluster.ids()) {
      cluster.start(id);
    }
    log.finalHeal("end", null);
  }

  /** SIGTERM (the clients close their histories), then SIGKILL for any still alive after 15 s. */
  private void stopClients() throws InterruptedException {
    List<Process> all;
    synchronized (clients) {
      all = new ArrayList<>(clients.values());
    }
    all.forEach(Process::destroy);
    for (Process p : all) {
      if (!p.waitFor(15, TimeUnit.SECONDS)) {
        say("client pid " + p.pid() + " ignored SIGTERM; killed");
        p.destroyForcibly();
      }
    }
  }

  private boolean awaitConvergence() {
    long start = System.nanoTime();
    try {
      await().atMost(CONVERGENCE).pollInterval(Duration.ofMillis(250))
          .until(() -> cluster.convergedAppliedIndex().isPresent());
      say("replicas converged at applied index " + cluster.convergedAppliedIndex().orElse(-1L) + " in "
          + TimeUnit.NANOSECONDS.toMillis(System.nanoTime() - start) + " ms");
      return true;
    } catch (org.awaitility.core.ConditionTimeoutException e) {
      StringBuilder s = new StringBuilder("replicas did NOT converge within " + CONVERGENCE.toSeconds() + " s:");
      cluster.ids().forEach(id -> s.append(' ').append(id).append('=')
          .append(cluster.status(id).map(j -> "applied " + j.path("appliedIndex") + "/commit " + j.path("commitIndex")).orElse("no answer")));
      say(s.toString());
      return false;
    }
  }

  /** {@code raftlock dump} of every node into {@code dump-node-i.jsonl} (spec §1). */
  private void dumpNodes(Path run) {
    Path java = Path.of(System.getProperty("java.home"), "bin", "java");
    for (String id : cluster.ids()) {
      Path out = run.resolve("dump-" + id + ".jsonl");
      Shell.Result r = Shell.run(List.of(java.toString(), "-jar", options.jar().toString(), "dump",
          "--endpoint", cluster.endpoint(id), "--out", out.toString()), 180,
          keys == null ? Map.of() : Map.of(NemesisClientOptions.API_KEY_ENV, keys.admin()));
      if (!r.ok()) {
        say("dump of " + id + " failed (" + r.exitCode() + "): " + r.output().lines().findFirst().orElse(""));
      }
    }
  }

  private void writeSummary(Path run, Result r, Instant started) throws IOException {
    Map<String, Object> s = new LinkedHashMap<>();
    s.put("seed", options.seed());
    s.put("profile", options.profile().name().toLowerCase(java.util.Locale.ROOT));
    s.put("auth", options.auth());
    s.put("started", started.toString());
    s.put("seconds", Duration.between(started, Instant.now()).toSeconds());
    s.put("faults", r.faults());
    s.put("skipped", r.skipped());
    s.put("clients", r.clientsRan() ? options.clients() : 0);
    s.put("resourceWrites", Map.of("accepted", resource.accepted(), "rejected", resource.rejected()));
    s.put("unexpectedNodeExits", r.unexpectedExits());
    s.put("converged", r.converged());
    if (peerBindingWarning != null) {
      s.put("peerBindingWarning", peerBindingWarning);
    }
    Map<String, Object> check = new LinkedHashMap<>();
    check.put("ran", r.check().ran());
    check.put("ok", r.check().ok());
    check.put("violations", r.check().violations().size());
    check.put("summary", jsonable(r.check().summary()));
    if (r.check().error() != null) {
      check.put("error", r.check().error());
    }
    s.put("check", check);
    Files.writeString(run.resolve("summary.json"), JSON.writeValueAsString(s));
    say("faults: " + r.faults());
    say("skipped: " + (r.skipped().isEmpty() ? "none" : r.skipped()));
    say("resource writes: accepted " + resource.accepted() + ", rejected as stale " + resource.rejected());
    if (!r.check().ran()) {
      say("CHECK NOT RUN: " + r.check().error());
    } else {
      say("check: " + (r.check().ok() ? "OK" : "VIOLATIONS " + r.check().violations().size()));
      r.check().violations().stream().limit(20).forEach(v -> say("  " + v));
      say("check summary: " + r.check().summary());
    }
    say("summary: " + run.resolve("summary.json"));
  }

  /** The checker's summary as JSON when Jackson can take it, else its text. */
  private static Object jsonable(Object o) {
    if (o == null) {
      return null;
    }
    try {
      return JSON.readTree(JSON.writeValueAsString(o));
    } catch (IOException | RuntimeException e) {
      return o.toString();
    }
  }

  /** Removes everything the run created outside its directory. Idempotent; also the shutdown hook. */
  private void cleanUp() {
    if (!cleanedUp.compareAndSet(false, true)) {
      return;
    }
    stop.stop();
    synchronized (clients) {
      clients.values().forEach(Process::destroyForcibly);
    }
    if (cluster != null) {
      cluster.close();
    }
    if (nft) {
      Firewall.removeAll();
    }
    if (resource != null) {
      try {
        resource.close();
      } catch (IOException e) {
        say("closing the resource log: " + e);
      }
    }
  }

  private synchronized void say(String line) {
    String text = "[nemesis " + Instant.now() + "] " + line;
    System.out.println(text);
    try {
      Files.writeString(options.runDir().resolve("runner.log"), text + "\n", StandardCharsets.UTF_8,
          StandardOpenOption.CREATE, StandardOpenOption.APPEND);
    } catch (IOException e) {
      // The console line is enough.
    }
  }
}
