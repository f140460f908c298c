package io.raftlock.nemesis;

import static org.awaitility.Awaitility.await;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.sun.net.httpserver.HttpServer;
import io.raftlock.testing.FreePorts;
import io.raftlock.testing.LocalCluster;
import java.io.IOException;
import java.net.InetSocketAddress;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

/**
 * The nemesis client's workload against a real 3-node cluster in this JVM and a fenced-resource
 * stub: histories are well formed (contract §2), every invoke is answered once, acknowledged
 * acquires hand out increasing tokens per lock, writes reach the resource and the history tells
 * the truth about them. Also: bad command lines are refused with a message naming the option.
 */
@Timeout(180)
class NemesisClientTest {
  private static final ObjectMapper JSON = new ObjectMapper();
  private static final Set<String> TYPES = Set.of("invoke", "ok", "fail", "info");
  private static final Set<String> FS = Set.of("acquire", "release", "renew", "read", "write");
  /** Session operations: on no lock, all in a session (an open names it on its ok). */
  private static final Set<String> SESSION_FS = Set.of("open", "keepalive", "resume", "close");

  @TempDir static Path root;
  static LocalCluster cluster;
  static HttpServer resource;
  /** The stub's state: highest accepted token per lock, accepted writes per process. */
  static final Map<String, Long> highest = new HashMap<>();
  static final Map<String, AtomicInteger> accepted = new ConcurrentHashMap<>();
  static final AtomicInteger rejected = new AtomicInteger();

  @BeforeAll
  static void start() throws IOException {
    cluster = new LocalCluster(3, root.resolve("cluster")).start();
    resource = HttpServer.create(new InetSocketAddress("127.0.0.1", 0), 0);
    resource.createContext("/write", ex -> {
      Map<String, String> q = new HashMap<>();
      for (String kv : ex.getRequestURI().getRawQuery().split("&")) {
        String[] p = kv.split("=", 2);
        q.put(p[0], java.net.URLDecoder.decode(p[1], StandardCharsets.UTF_8));
      }
      String lock = q.get("lock");
      long token = Long.parseLong(q.get("token"));
      int status;
      long high;
      synchronized (highest) {
        high = highest.getOrDefault(lock, 0L);
        // Contract §3: accepted iff token >= the highest accepted so far.
        if (token >= high) {
          highest.put(lock, token);
          high = token;
          status = 200;
          accepted.computeIfAbsent(q.get("process"), k -> new AtomicInteger()).incrementAndGet();
        } else {
          status = 409;
          rejected.incrementAndGet();
        }
      }
      byte[] body = Long.toString(high).getBytes(StandardCharsets.UTF_8);
      ex.sendResponseHeaders(status, body.length);
      ex.getResponseBody().write(body);
      ex.close();
    });
    resource.setExecutor(Executors.newFixedThreadPool(4));
    resource.start();
  }

  @AfterAll
  static void stop() {
    if (resource != null) {
      resource.stop(0);
    }
    if (cluster != null) {
      cluster.close();
    }
  }

  static String endpoints() {
    return String.join(",", cluster.ids().stream().map(id -> "127.0.0.1:" + cluster.clientPort(id)).toList());
  }

  static NemesisClientOptions options(String process, Path history, String locks, int durationS) {
    return options(process, history, locks, durationS, "session");
  }

  static NemesisClientOptions options(String process, Path history, String locks, int durationS, String mode) {
    return NemesisClientOptions.parse("--process", process, "--endpoints", endpoints(), "--locks", locks,
        "--resource", "http://127.0.0.1:" + resource.getAddress().getPort(), "--history", history.toString(),
        "--seed", "42", "--ttl-ms", "2000", "--duration-s", Integer.toString(durationS), "--mode", mode);
  }

  /** One parsed history line. */
  record Op(String process, String type, String f, String lock, Long token, long t, JsonNode raw) {}

  /** Parses a history, asserting contract §2 line by line and the invoke/completion pairing. */
  static List<Op> parse(Path file, String process) throws IOException {
    return parse(file, process, false);
  }

  /**
   * As above; {@code killed}: the last invoke of each lane may be unanswered (a kill -9 ends the
   * process). Pairing is per lane (the workload's, and a session client's keep-alive lane).
   */
  static List<Op> parse(Path file, String process, boolean killed) throws IOException {
    List<Op> ops = new ArrayList<>();
    Map<String, Op> open = new HashMap<>();
    long lastT = Long.MIN_VALUE;
    for (String line : Files.readAllLines(file, StandardCharsets.UTF_8)) {
      JsonNode n = JSON.readTree(line);
      String type = n.path("type").asText();
      String f = n.path("f").asText();
      String lane = n.path("lane").asText("");
      assertEquals(process, n.path("process").asText(), line);
      assertTrue(TYPES.contains(type), line);
      assertTrue(FS.contains(f) || SESSION_FS.contains(f), line);
      assertEquals(SESSION_FS.contains(f), n.path("lock").asText().isEmpty(), line);
      assertTrue(n.path("t").isIntegralNumber(), line);
      long t = n.path("t").asLong();
      assertTrue(t >= lastT, "time goes back: " + line);
      lastT = t;
      if (SESSION_FS.contains(f) && !(f.equals("open") && !type.equals("ok"))) {
        assertTrue(n.path("session").asLong() > 0, "session id: " + line);
      }
      Long token = n.has("token") ? n.get("token").asLong() : null;
      Op op = new Op(process, type, f, n.path("lock").asText(), token, t, n);
      if (type.equals("invoke")) {
        assertEquals(null, open.get(lane), "invoke while another is outstanding: " + line);
        open.put(lane, op);
        if (f.equals("release") || f.equals("renew") || f.equals("write")) {
          assertTrue(token != null && token > 0, "token on invoke: " + line);
        }
      } else {
        Op invoke = open.remove(lane);
        assertNotNull(invoke, "completion without invoke: " + line);
        assertEquals(invoke.f(), f, line);
        assertEquals(invoke.lock(), op.lock(), line);
        if (!type.equals("ok")) {
          assertFalse(n.path("error").asText().isEmpty(), "error label: " + line);
        }
        if (type.equals("ok") && f.equals("acquire")) {
          assertTrue(token != null && token > 0, line);
        }
        if (type.equals("ok") && f.equals("read")) {
          assertTrue(n.has("holder") && token != null, line);
          assertEquals(n.get("holder").isNull(), token == 0, line);
        }
        if (f.equals("release") || f.equals("renew") || f.equals("write")) {
          assertEquals(invoke.token(), token, "same token on completion: " + line);
        }
      }
      ops.add(op);
    }
    if (!killed) {
      assertEquals(Map.of(), open, "a stopped client left an invoke unanswered");
    }
    return ops;
  }

  @Test
  void threeClientsOnTwoLocksWriteWellFormedTruthfulHistories() throws Exception {
    Path dir = root.resolve("run1");
    List<String> processes = List.of("c1", "c2", "c3");
    ExecutorService pool = Executors.newFixedThreadPool(processes.size());
    CountDownLatch never = new CountDownLatch(1);
    List<Future<Map<String, Integer>>> runs = new ArrayList<>();
    for (String p : processes) {
      NemesisClientOptions o = options(p, dir.resolve("history-" + p + ".jsonl"), "L0,L1", 10,
          p.equals("c3") ? "unary" : "session");
      runs.add(pool.submit(() -> NemesisClient.run(o, never)));
    }
    for (Future<Map<String, Integer>> r : runs) {
      System.out.println("summary: " + r.get(60, TimeUnit.SECONDS));
    }
    pool.shutdown();

    List<Op> acquired = new ArrayList<>();
    for (String p : processes) {
      List<Op> ops = parse(dir.resolve("history-" + p + ".jsonl"), p);
      long okAcquires = ops.stream().filter(o -> o.type().equals("ok") && o.f().equals("acquire")).count();
      long okWrites = ops.stream().filter(o -> o.type().equals("ok") && o.f().equals("write")).count();
      long infoWrites = ops.stream().filter(o -> o.type().equals("info") && o.f().equals("write")).count();
      long okReleases = ops.stream().filter(o -> o.type().equals("ok") && o.f().equals("release")).count();
      assertTrue(okAcquires > 0, p + " acquired nothing");
      assertTrue(okWrites > 0, p + " wrote nothing");
      assertTrue(okReleases > 0, p + " released nothing");
      long sessionKinds = ops.stream().filter(o -> o.type().equals("ok") && Set.of("open", "keepalive", "close")
          .contains(o.f())).map(Op::f).distinct().count();
      assertEquals(p.equals("c3") ? 0 : 3, sessionKinds, p + ": ok open, keepalive and close in session mode only");
      // Truthful: every write the history calls ok was accepted, and the resource accepted no
      // write the history calls refused.
      int seen = accepted.getOrDefault(p, new AtomicInteger()).get();
      assertTrue(seen >= okWrites && seen <= okWrites + infoWrites,
          p + ": resource accepted " + seen + ", history ok " + okWrites + " info " + infoWrites);
      // Pair each ok acquire with its invoke time for the real-time order check.
      Op invoke = null;
      for (Op o : ops) {
        if (o.type().equals("invoke")) {
          invoke = o;
        } else if (o.f().equals("acquire") && o.type().equals("ok")) {
          acquired.add(new Op(p, "ok", "acquire", o.lock(), o.token(), invoke.t(), o.raw()));
        }
      }
    }
    // Tokens increase per lock in real time: an acquire acknowledged before another was invoked
    // has a smaller token (equal only for the same process getting its own holding back).
    for (Op a : acquired) {
      long aDone = a.raw().get("t").asLong();
      for (Op b : acquired) {
        if (a.lock().equals(b.lock()) && aDone < b.t()) {
          boolean ok = a.token() < b.token() || (a.token().equals(b.token()) && a.process().equals(b.process()));
          assertTrue(ok, "token order: " + a.raw() + " then " + b.raw());
        }
      }
    }
    System.out.println("fenced writes rejected: " + rejected.get() + ", ok acquires: " + acquired.size());
  }

  @Test
  void aStopSignalEndsTheRunPromptlyWithTheHistoryClosed() throws Exception {
    Path history = root.resolve("run2").resolve("history-c9.jsonl");
    CountDownLatch stop = new CountDownLatch(1);
    ExecutorService pool = Executors.newSingleThreadExecutor();
    Future<Map<String, Integer>> run = pool.submit(() -> NemesisClient.run(options("c9", history, "S0", 600), stop));
    await().atMost(Duration.ofSeconds(30)).until(() -> Files.exists(history) && Files.size(history) > 0
        && Files.readAllLines(history).stream().anyMatch(l -> l.contains("\"type\":\"ok\"")));
    stop.countDown();
    Map<String, Integer> summary = run.get(20, TimeUnit.SECONDS); // each operation is bounded
    pool.shutdown();
    assertTrue(summary.getOrDefault("acquire:ok", 0) > 0, summary.toString());
    parse(history, "c9");
  }

  /**
   * Nothing answers (no node, no resource): every operation ends as info within its bound (never
   * ok, never a definite fail), and the run still ends when its duration is over.
   */
  @Test
  @Timeout(60)
  void anUnreachableClusterGivesInfoOutcomesAndTheRunEndsOnTime() throws Exception {
    Path history = root.resolve("run4").resolve("history-c8.jsonl");
    NemesisClientOptions o = NemesisClientOptions.parse("--process", "c8", "--endpoints",
        "127.0.0.1:" + FreePorts.next() + ",127.0.0.1:" + FreePorts.next(), "--locks", "U0",
        "--resource", "http://127.0.0.1:" + FreePorts.next(), "--history", history.toString(),
        "--ttl-ms", "1000", "--duration-s", "3", "--op-timeout-ms", "500");
    Map<String, Integer> summary = NemesisClient.run(o, new CountDownLatch(1)); // a hang fails the @Timeout
    Files.readAllLines(history).stream().limit(8).forEach(System.out::println);
    List<Op> ops = parse(history, "c8");
    assertTrue(ops.size() >= 4, "made progress: " + summary);
    assertTrue(ops.stream().allMatch(op -> op.type().equals("invoke") || op.type().equals("info")), summary.toString());
    assertTrue(ops.stream().filter(op -> op.type().equals("info")).allMatch(op -> !op.raw().path("error").asText().isEmpty()));
  }

  /** The client as the harness runs it: its own JVM, stopped by SIGTERM or killed with SIGKILL. */
  @Test
  void asAProcessItStopsOnSigtermAndAKillLosesNoCompletedLine() throws Exception {
    Path dir = root.resolve("run3");
    for (boolean kill : new boolean[] {false, true}) {
      String p = kill ? "c7" : "c6";
      Path history = dir.resolve("history-" + p + ".jsonl");
      Process proc = launch(options(p, history, "P0", 600).toArgs(), dir.resolve(p + ".err"));
      await().atMost(Duration.ofSeconds(60)).until(() -> Files.exists(history)
          && Files.readAllLines(history).stream().filter(l -> l.contains("\"type\":\"ok\"")).count() >= 3);
      if (kill) {
        proc.destroyForcibly(); // SIGKILL
      } else {
        proc.destroy(); // SIGTERM
      }
      assertTrue(proc.waitFor(30, TimeUnit.SECONDS), p + " did not exit");
      System.out.println(p + " stderr: " + Files.readString(dir.resolve(p + ".err")));
      if (!kill) {
        assertEquals(128 + 15, proc.exitValue(), "SIGTERM exit status");
      }
      List<Op> ops = parse(history, p, kill);
      assertTrue(ops.stream().anyMatch(o -> o.f().equals("acquire") && o.type().equals("ok")), p);
      if (kill) {
        // Restarted with the same id and history: the history goes on, still well formed.
        int before = ops.size();
        Process again = launch(options(p, history, "P0", 600).toArgs(), dir.resolve(p + "-again.err"));
        await().atMost(Duration.ofSeconds(60)).until(() -> Files.readAllLines(history).size() > before + 4);
        again.destroy();
        assertTrue(again.waitFor(30, TimeUnit.SECONDS), p + " did not exit after the restart");
        parse(history, p);
      }
    }
  }

  @Test
  void reopeningAKilledProcesssHistoryDropsAPartialLineAndAnswersTheOpenInvoke() throws IOException {
    Path file = root.resolve("reopen").resolve("history-c2.jsonl");
    try (HistoryWriter w = new HistoryWriter(file, "c2")) {
      w.invoke("acquire", "L0", null);
      w.ok("acquire", "L0", 7L);
      w.invoke("release", "L0", 7L);
    }
    Files.writeString(file, "{\"process\":\"c2\",\"ty", java.nio.file.StandardOpenOption.APPEND); // killed mid-line
    try (HistoryWriter w = new HistoryWriter(file, "c2")) {
      w.invoke("read", "L0", null);
      w.okRead("L0", null, 0);
    }
    List<Op> ops = parse(file, "c2");
    assertEquals(List.of("invoke", "ok", "invoke", "info", "invoke", "ok"), ops.stream().map(Op::type).toList());
    Op killed = ops.get(3);
    assertEquals("release", killed.f());
    assertEquals(7L, killed.token());
    assertEquals("KILLED", killed.raw().get("error").asText());
  }

  @Test
  void reopeningAnswersTheOpenInvokeOfEachLane() throws IOException {
    Path file = root.resolve("reopen-lanes").resolve("history-c3.jsonl");
    try (HistoryWriter w = new HistoryWriter(file, "c3")) {
      w.invoke(null, 0, "open", "", null);
      w.ok(null, 5, "open", "", null);
      w.invoke(null, 5, "acquire", "L0", null);
      w.invoke(SessionOps.LANE, 5, "keepalive", "", null); // both lanes open when killed
    }
    new HistoryWriter(file, "c3").close();
    List<Op> ops = parse(file, "c3");
    assertEquals(List.of("invoke", "ok", "invoke", "invoke", "info", "info"), ops.stream().map(Op::type).toList());
    assertEquals(List.of("acquire", "keepalive"), ops.subList(4, 6).stream().map(Op::f).sorted().toList());
    assertTrue(ops.subList(4, 6).stream().allMatch(o -> o.raw().get("session").asLong() == 5
        && o.raw().get("error").asText().equals("KILLED")));
  }

  /**
   * SIGSTOP of a holder between its acquire and its write, for 3 × TTL: its session expires, the
   * other client takes the lock and writes, the resumed holder's write with the old token is
   * refused by the resource and recorded as a definite {@code fail}, and the holder, told that
   * its session is gone ({@code SESSION_NOT_FOUND} or the {@code SESSION_EXPIRED} event), opens a
   * new session.
   */
  @Test
  void aHolderPausedBeforeItsWriteIsFencedAndRecordsTheRefusal() throws Exception {
    Path dir = root.resolve("run5");
    Path victimHistory = dir.resolve("history-c4.jsonl");
    // Always 0..1.5 s of work between acquire and write: a wide window to stop the process in.
    List<String> victimArgs = replaceAll(options("c4", victimHistory, "F0", 600).toArgs(), "--think-p", "1",
        "--think-ms", "1500");
    Process victim = launch(victimArgs, dir.resolve("c4.err"));
    Process other = launch(options("c5", dir.resolve("history-c5.jsonl"), "F0", 600).toArgs(), dir.resolve("c5.err"));
    try {
      for (int attempt = 0; attempt < 5 && !fenced(victimHistory); attempt++) {
        await().atMost(Duration.ofSeconds(60)).pollInterval(Duration.ofMillis(5)).until(() -> lastLine(victimHistory)
            .contains("\"type\":\"ok\",\"f\":\"acquire\""));
        signal(victim, "STOP");
        int linesAtStop = Files.readAllLines(victimHistory).size();
        long stoppedAt = System.nanoTime();
        await().pollDelay(Duration.ofSeconds(6)).atMost(Duration.ofSeconds(7))
            .until(() -> System.nanoTime() - stoppedAt >= 6_000_000_000L);
        signal(victim, "CONT");
        // The resumed process completes its write.
        await().atMost(Duration.ofSeconds(30)).until(() -> Files.readAllLines(victimHistory).stream().skip(linesAtStop)
            .anyMatch(l -> l.contains("\"f\":\"write\"") && !l.contains("\"type\":\"invoke\"")));
      }
      // Stopped for 3 x TTL, its session expired: the cluster tells it (a SESSION_NOT_FOUND answer,
      // or the SESSION_EXPIRED event pushed on its stream, which the history does not record)
      // and it opens a new one.
      await().atMost(Duration.ofSeconds(30)).until(() -> Files.readAllLines(victimHistory).stream()
          .filter(l -> l.contains("\"type\":\"ok\",\"f\":\"open\"")).count() >= 2);
    } finally {
      victim.destroy();
      other.destroy();
      assertTrue(victim.waitFor(30, TimeUnit.SECONDS) && other.waitFor(30, TimeUnit.SECONDS));
    }
    assertTrue(fenced(victimHistory), "no stale write refused: " + lastLine(victimHistory));
    Files.readAllLines(victimHistory).stream().filter(l -> l.contains("STALE_TOKEN")).forEach(System.out::println);
    parse(victimHistory, "c4");
    parse(dir.resolve("history-c5.jsonl"), "c5");
  }

  static boolean fenced(Path history) throws IOException {
    return Files.exists(history) && Files.readAllLines(history).stream()
        .anyMatch(l -> l.contains("\"type\":\"fail\",\"f\":\"write\"") && l.contains("STALE_TOKEN"));
  }

  static String lastLine(Path history) throws IOException {
    if (!Files.exists(history)) {
      return "";
    }
    List<String> lines = Files.readAllLines(history);
    return lines.isEmpty() ? "" : lines.get(lines.size() - 1);
  }

  static void signal(Process p, String signal) throws Exception {
    Process kill = new ProcessBuilder("kill", "-" + signal, Long.toString(p.pid())).inheritIO().start();
    assertTrue(kill.waitFor(10, TimeUnit.SECONDS) && kill.exitValue() == 0, "kill -" + signal);
  }

  static List<String> replaceAll(List<String> args, String... pairs) {
    List<String> out = new ArrayList<>(args);
    for (int i = 0; i < pairs.length; i += 2) {
      int at = out.indexOf(pairs[i]);
      out.set(at + 1, pairs[i + 1]);
    }
    return out;
  }

  @Test
  void aBadCommandLineExitsWithStatus2AndSaysWhy() throws Exception {
    Process proc = launch(List.of("--process", "c1", "--locks", "L0"), null);
    assertTrue(proc.waitFor(30, TimeUnit.SECONDS));
    String err = new String(proc.getErrorStream().readAllBytes(), StandardCharsets.UTF_8);
    assertEquals(2, proc.exitValue(), err);
    assertTrue(err.contains("missing option(s): --duration-s, --endpoints, --history, --resource"), err);
    assertTrue(err.contains("usage: NemesisClient"), err);
  }

  /** Starts a client JVM with this test's classpath; stderr to {@code errFile} (null: a pipe). */
  static Process launch(List<String> args, Path errFile) throws IOException {
    List<String> cmd = new ArrayList<>(List.of(Path.of(System.getProperty("java.home"), "bin", "java").toString(),
        "-Xmx128m", "-cp", System.getProperty("java.class.path"), NemesisClient.class.getName()));
    cmd.addAll(args);
    ProcessBuilder b = new ProcessBuilder(cmd).redirectOutput(ProcessBuilder.Redirect.DISCARD);
    if (errFile != null) {
      Files.createDirectories(errFile.getParent());
      b.redirectError(errFile.toFile());
    }
    return b.start();
  }

  @Test
  void badCommandLinesAreRefusedNamingTheOption() {
    String[] good = {"--process", "c1", "--endpoints", "127.0.0.1:1,127.0.0.2:2", "--locks", "L0,L1",
        "--resource", "http://127.0.0.1:9", "--history", "h.jsonl", "--duration-s", "5"};
    NemesisClientOptions o = NemesisClientOptions.parse(good);
    assertEquals(List.of("127.0.0.1:1", "127.0.0.2:2"), o.endpoints());
    assertEquals(Duration.ofMillis(2000), o.ttl());
    assertEquals(o, NemesisClientOptions.parse(o.toArgs().toArray(String[]::new)));

    assertRefused("missing option(s): --duration-s", "--process", "c1", "--endpoints", "h:1", "--locks", "L",
        "--resource", "http://h:1", "--history", "h");
    assertRefused("unknown option '--bogus'", with(good, "--bogus", "1"));
    assertRefused("option --seed needs a value", with(good, "--seed"));
    assertRefused("option --process given twice", with(good, "--process", "c2"));
    assertRefused("--process must be", replace(good, "--process", "c 1"));
    assertRefused("--endpoints: expected host:port", replace(good, "--endpoints", "127.0.0.1"));
    assertRefused("--endpoints: bad port", replace(good, "--endpoints", "127.0.0.1:x"));
    assertRefused("--endpoints: port out of range", replace(good, "--endpoints", "127.0.0.1:70000"));
    assertRefused("--locks: empty item", replace(good, "--locks", "L0,,L1"));
    assertRefused("--locks: a lock is named twice", replace(good, "--locks", "L0,L0"));
    assertRefused("--resource: expected http://host:port", replace(good, "--resource", "ftp://h:1"));
    assertRefused("--duration-s must be in 1..86400", replace(good, "--duration-s", "0"));
    assertRefused("--duration-s: not a number", replace(good, "--duration-s", "ten"));
    assertRefused("--ttl-ms must be in 1000..86400000", with(good, "--ttl-ms", "999"));
    assertRefused("--op-timeout-ms must be in", with(good, "--op-timeout-ms", "10"));
  }

  static void assertRefused(String message, String... args) {
    IllegalArgumentException e = assertThrows(IllegalArgumentException.class, () -> NemesisClientOptions.parse(args));
    assertTrue(e.getMessage().contains(message), "expected '" + message + "' in '" + e.getMessage() + "'");
  }

  static String[] with(String[] args, String... more) {
    List<String> l = new ArrayList<>(List.of(args));
    l.addAll(List.of(more));
    return l.toArray(String[]::new);
  }

  static String[] replace(String[] args, String name, String value) {
    String[] out = args.clone();
    for (int i = 0; i < out.length - 1; i++) {
      if (out[i].equals(name)) {
        out[i + 1] = value;
      }
    }
    return out;
  }
}
