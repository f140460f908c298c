package io.raftlock.nemesis;

import java.net.URI;
import java.net.URISyntaxException;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.HashMap;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.regex.Pattern;

/**
 * The command line of {@link NemesisClient}. Every problem is an {@link IllegalArgumentException}
 * whose message names the option, so the harness's log says what it got wrong.
 *
 * @param process     the process id, also the client id the server sees ({@code c1}..)
 * @param endpoints   client API addresses, {@code host:port}
 * @param locks       the lock names the workload picks from
 * @param resource    base URL of the fenced resource ({@code POST /write?lock=&token=&process=})
 * @param history     the JSONL history file (appended)
 * @param seed        workload seed (mixed with the process id, so clients given one seed differ)
 * @param ttl         lease TTL of every acquire and renew
 * @param duration    how long the workload runs
 * @param opTimeout   how long one lock-service operation keeps retrying before it counts as {@code info}
 * @param thinkP      probability of "working" between an acquire and its write
 * @param thinkMax    upper bound of that work time (uniform in [0, thinkMax))
 * @param sessions    run on a session (the session stream, {@code --mode session}, the default), or
 *                    on plain unary calls with a lease per lock ({@code --mode unary})
 */
public record NemesisClientOptions(String process, List<String> endpoints, List<String> locks, URI resource,
    Path history, long seed, Duration ttl, Duration duration, Duration opTimeout, double thinkP, Duration thinkMax,
    boolean sessions) {

  public static final String USAGE = """
      usage: NemesisClient --process ID --endpoints H:P,H:P,... --locks L0,L1,... --resource http://H:P
                           --history FILE --duration-s N [--seed N] [--ttl-ms N] [--op-timeout-ms N]
                           [--think-p P] [--think-ms N] [--mode session|unary]
        --process       process id and gRPC client id (letters, digits, '.', '_', '-'; 1..64 chars)
        --endpoints     client API addresses of the cluster, comma separated
        --locks         lock names to work on, comma separated
        --resource      base URL of the fenced resource (http)
        --history       JSONL history file, appended to
        --duration-s    seconds to run (1..86400)
        --seed          workload seed (default 1)
        --ttl-ms        session TTL, or lease TTL in unary mode, in ms (1000..86400000, a session at most 600000; default 2000)
        --op-timeout-ms how long one operation may retry (200..60000, default 3000)
        --think-p       probability of work time between acquire and write (0..1, default 0.3)
        --think-ms      maximum work time in ms (0..86400000, default TTL/2)
        --mode          session: one session, kept alive every TTL/3 (default); unary: a lease per lock""";

  private static final Pattern ID = Pattern.compile("[A-Za-z0-9._-]{1,64}");
  private static final Pattern LOCK = Pattern.compile("[A-Za-z0-9._/:-]{1,256}");
  private static final Set<String> KNOWN = Set.of("--process", "--endpoints", "--locks", "--resource", "--history",
      "--seed", "--ttl-ms", "--duration-s", "--op-timeout-ms", "--think-p", "--think-ms", "--mode");
  private static final Set<String> REQUIRED = Set.of("--process", "--endpoints", "--locks", "--resource",
      "--history", "--duration-s");

  public NemesisClientOptions {
    endpoints = List.copyOf(endpoints);
    locks = List.copyOf(locks);
  }

  /** Parses {@code --name value} pairs; throws {@link IllegalArgumentException} naming the bad option. */
  public static NemesisClientOptions parse(String... args) {
    Map<String, String> given = new HashMap<>();
    for (int i = 0; i < args.length; i++) {
      String name = args[i];
      if (!KNOWN.contains(name)) {
        throw new IllegalArgumentException("unknown option '" + name + "'");
      }
      if (i + 1 >= args.length || args[i + 1].startsWith("--")) {
        throw new IllegalArgumentException("option " + name + " needs a value");
      }
      if (given.put(name, args[++i]) != null) {
        throw new IllegalArgumentException("option " + name + " given twice");
      }
    }
    List<String> missing = REQUIRED.stream().filter(r -> !given.containsKey(r)).sorted().toList();
    if (!missing.isEmpty()) {
      throw new IllegalArgumentException("missing option(s): " + String.join(", ", missing));
    }
    String process = given.get("--process");
    if (!ID.matcher(process).matches()) {
      throw new IllegalArgumentException("--process must be 1..64 of [A-Za-z0-9._-], got '" + process + "'");
    }
    List<String> endpoints = list("--endpoints", given.get("--endpoints"));
    for (String e : endpoints) {
      checkEndpoint(e);
    }
    List<String> locks = list("--locks", given.get("--locks"));
    for (String l : locks) {
      if (!LOCK.matcher(l).matches()) {
        throw new IllegalArgumentException("--locks: bad lock name '" + l + "'");
      }
    }
    if (new LinkedHashSet<>(locks).size() != locks.size()) {
      throw new IllegalArgumentException("--locks: a lock is named twice in " + locks);
    }
    URI resource = resource(given.get("--resource"));
    Path history;
    try {
      history = Path.of(given.get("--history"));
    } catch (RuntimeException e) {
      throw new IllegalArgumentException("--history: not a path: " + given.get("--history"), e);
    }
    long seed = number("--seed", given.getOrDefault("--seed", "1"), Long.MIN_VALUE, Long.MAX_VALUE);
    long ttlMs = number("--ttl-ms", given.getOrDefault("--ttl-ms", "2000"), 1_000, 86_400_000);
    long durationS = number("--duration-s", given.get("--duration-s"), 1, 86_400);
    long opMs = number("--op-timeout-ms", given.getOrDefault("--op-timeout-ms", "3000"), 200, 60_000);
    double thinkP = probability("--think-p", given.getOrDefault("--think-p", "0.3"));
    long thinkMs = number("--think-ms", given.getOrDefault("--think-ms", Long.toString(ttlMs / 2)), 0, 86_400_000);
    String mode = given.getOrDefault("--mode", "session");
    if (!mode.equals("session") && !mode.equals("unary")) {
      throw new IllegalArgumentException("--mode must be session or unary, got '" + mode + "'");
    }
    if (mode.equals("session") && ttlMs > 600_000) {
      throw new IllegalArgumentException("--ttl-ms of a session must be in 1000..600000, got " + ttlMs);
    }
    return new NemesisClientOptions(process, endpoints, locks, resource, history, seed, Duration.ofMillis(ttlMs),
        Duration.ofSeconds(durationS), Duration.ofMillis(opMs), thinkP, Duration.ofMillis(thinkMs),
        mode.equals("session"));
  }

  /** Where a client process finds its API key when the cluster runs with auth on. */
  public static final String API_KEY_ENV = "RAFTLOCK_API_KEY";

  /**
   * The API key to send with every call ({@code authorization: Bearer}), or {@code null} with auth
   * off. Taken from the environment, not the command line, so that it stays out of process
   * listings like any secret.
   */
  public String apiKey() {
    String key = System.getenv(API_KEY_ENV);
    return key == null || key.isBlank() ? null : key.trim();
  }

  /** Back to a command line (for launching a client process with these options). */
  public List<String> toArgs() {
    return new ArrayList<>(Arrays.asList("--process", process, "--endpoints", String.join(",", endpoints),
        "--locks", String.join(",", locks), "--resource", resource.toString(), "--history", history.toString(),
        "--seed", Long.toString(seed), "--ttl-ms", Long.toString(ttl.toMillis()),
        "--duration-s", Long.toString(duration.toSeconds()), "--op-timeout-ms", Long.toString(opTimeout.toMillis()),
        "--think-p", Double.toString(thinkP), "--think-ms", Long.toString(thinkMax.toMillis()),
        "--mode", sessions ? "session" : "unary"));
  }

  private static List<String> list(String name, String value) {
    List<String> items = Arrays.stream(value.split(",", -1)).map(String::trim).toList();
    if (items.stream().anyMatch(String::isEmpty)) {
      throw new IllegalArgumentException(name + ": empty item in '" + value + "'");
    }
    return items;
  }

  private static void checkEndpoint(String e) {
    int colon = e.lastIndexOf(':');
    if (colon <= 0 || colon == e.length() - 1) {
      throw new IllegalArgumentException("--endpoints: expected host:port, got '" + e + "'");
    }
    try {
      int port = Integer.parseInt(e.substring(colon + 1));
      if (port < 1 || port > 65_535) {
        throw new IllegalArgumentException("--endpoints: port out of range in '" + e + "'");
      }
    } catch (NumberFormatException x) {
      throw new IllegalArgumentException("--endpoints: bad port in '" + e + "'", x);
    }
  }

  private static URI resource(String value) {
    try {
      URI u = new URI(value);
      if (!"http".equals(u.getScheme()) || u.getHost() == null || u.getPort() < 1 || u.getQuery() != null) {
        throw new IllegalArgumentException("--resource: expected http://host:port, got '" + value + "'");
      }
      String s = value.endsWith("/") ? value.substring(0, value.length() - 1) : value;
      return new URI(s);
    } catch (URISyntaxException e) {
      throw new IllegalArgumentException("--resource: not a URL: '" + value + "'", e);
    }
  }

  private static double probability(String name, String value) {
    double p;
    try {
      p = Double.parseDouble(value.trim());
    } catch (NumberFormatException e) {
      throw new IllegalArgumentException(name + ": not a number: '" + value + "'", e);
    }
    if (!(p >= 0 && p <= 1)) {
      throw new IllegalArgumentException(name + " must be in 0..1, got " + value);
    }
    return p;
  }

  private static long number(String name, String value, long min, long max) {
    long n;
    try {
      n = Long.parseLong(value.trim());
    } catch (NumberFormatException e) {
      throw new IllegalArgumentException(name + ": not a number: '" + value + "'", e);
    }
    if (n < min || n > max) {
      throw new IllegalArgumentException(name + " must be in " + min + ".." + max + ", got " + n);
    }
    return n;
  }
}
