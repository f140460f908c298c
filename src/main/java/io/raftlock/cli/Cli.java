package io.raftlock.cli;

import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import com.google.protobuf.InvalidProtocolBufferException;
import com.google.protobuf.MessageOrBuilder;
import com.google.protobuf.Timestamp;
import com.google.protobuf.util.JsonFormat;
import io.raftlock.client.ClientTls;
import io.raftlock.client.LockHandle;
import io.raftlock.client.RaftLockClient;
import io.raftlock.client.RaftLockException;
import io.raftlock.proto.api.AcquireRequest;
import io.raftlock.proto.api.AcquireResponse;
import io.raftlock.proto.api.ErrorCode;
import io.raftlock.proto.api.ErrorDetail;
import io.raftlock.proto.api.GetLockInfoRequest;
import io.raftlock.proto.api.GetLockInfoResponse;
import io.raftlock.proto.api.GetLocksRequest;
import io.raftlock.proto.api.GetLocksResponse;
import io.raftlock.proto.api.GetStatusRequest;
import io.raftlock.proto.api.GetStatusResponse;
import io.raftlock.proto.api.HealthRequest;
import io.raftlock.proto.api.HealthResponse;
import io.raftlock.proto.api.HealthStatus;
import io.raftlock.proto.api.LockFilter;
import io.raftlock.proto.api.LockInfo;
import io.raftlock.proto.api.ReleaseRequest;
import io.raftlock.proto.api.ReleaseResponse;
import io.raftlock.proto.api.RenewRequest;
import io.raftlock.proto.api.RenewResponse;
import io.raftlock.proto.api.WaiterInfo;
import java.io.PrintStream;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.util.Arrays;
import java.util.EnumSet;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.UUID;
import java.util.concurrent.CompletionException;
import java.util.logging.Level;
import java.util.logging.Logger;

/**
 * The command-line client: {@code java -jar raftlock.jar <command> [options]}. Every command
 * returns an exit code (see {@link #EXIT_CODES}); {@link #run} never calls {@code System.exit}, so
 * it can be tested in-process.
 */
public final class Cli {
  public static final int OK = 0;
  public static final int REFUSED = 1;
  public static final int USAGE = 2;
  public static final int UNAVAILABLE = 3;
  public static final int LOST = 4;
  public static final int INTERNAL = 5;
  public static final int CANNOT_RUN = 127;

  static final String EXIT_CODES = """
      exit codes:
        0    success
        1    refused: lock held by another client, not the holder, lock not found, not granted in time,
             no or unknown API key, permission denied
        2    usage error: bad option or argument, invalid request (INVALID_ARGUMENT, INVALID_TTL)
        3    unavailable: no node answered, no leader, timed out (retried until --timeout)
        4    lock lost while held (lock command)
        5    internal error reported by the server
        127  lock command: COMMAND could not be started
        otherwise (lock command) COMMAND's own exit status; 128+N when raftlock is stopped by signal N
      """;

  static final String COMMON = """
      common options:
        --endpoints H:P,...  client API addresses (default: $RAFTLOCK_ENDPOINTS or
                             127.0.0.1:8001,127.0.0.1:8002,127.0.0.1:8003)
        --client-id ID       owner id sent to the server (default: generated, printed by acquire)
        --timeout DURATION   how long to keep retrying an unavailable cluster (default 15s)
        --ca FILE            connect over TLS, trusting this PEM CA bundle ($RAFTLOCK_CA)
        --cert FILE, --key FILE  this client's certificate and PKCS#8 key, for clusters that
                             require client certificates ($RAFTLOCK_CERT, $RAFTLOCK_KEY)
        --api-key KEY        API key for clusters with auth enabled ($RAFTLOCK_API_KEY); used by
                             members, transfer-leader, dump and auth
        --json               machine-readable output on stdout (one JSON document)
        -h, --help           this help
      durations: 500ms, 30s, 5m, 1h (a bare number is seconds)
      """;

  public static final String USAGE_TEXT = """
      usage: java -jar raftlock.jar [COMMAND] [OPTIONS]

      commands:
        server    run a node (the default when no command is given): [--config FILE]
                  [--join H:P] (a new node: joins the cluster through that member's client
                  address as a learner; keep --join on its restarts);
                  without --config: a local 3-node cluster in this process, client API on
                  127.0.0.1:8001-8003, data under ./data
        acquire   take a lock and exit (it stays held until its TTL runs out or it is released)
        release   release a lock (needs the holder's --client-id and --token)
        renew     extend a lock's lease (needs the holder's --client-id and --token)
        info      show one lock: holder, token, expiry, waiters
        locks     list held locks, with filters
        status    Raft status of every endpoint
        health    serving status of every endpoint
        lock      hold a lock while running a command: lock NAME [--ttl 30s] -- COMMAND ARGS...
        members   list or change the membership: members list|add-learner|promote|remove
        transfer-leader  hand leadership to a voter: transfer-leader [ID]
        dump      one node's committed log as JSON Lines: dump --endpoint H:P [--from N] [--out FILE]
        auth      API keys, roles and principals: auth enable|disable|status|key|role|principal

      'java -jar raftlock.jar COMMAND --help' describes each command.
      """ + "\n" + EXIT_CODES;

  private static final Set<String> COMMON_VALUED = Set.of("endpoints", "client-id", "timeout", "ca", "cert", "key",
      "api-key");
  private static final Set<String> COMMON_FLAGS = Set.of("json", "help");
  private static final Set<ErrorCode> REFUSALS = EnumSet.of(ErrorCode.LOCK_HELD, ErrorCode.LOCK_NOT_HELD,
      ErrorCode.NOT_LOCK_OWNER, ErrorCode.VERSION_MISMATCH, ErrorCode.LOCK_NOT_FOUND, ErrorCode.WAIT_QUEUE_FULL,
      ErrorCode.NOT_WAITING);
  private static final Set<ErrorCode> UNAVAILABLE_CODES = EnumSet.of(ErrorCode.ERROR_CODE_UNSPECIFIED,
      ErrorCode.NOT_LEADER, ErrorCode.NO_LEADER, ErrorCode.REPLICATION_FAILURE, ErrorCode.TIMEOUT,
      ErrorCode.RATE_LIMITED, ErrorCode.UNAVAILABLE);
  static final ObjectMapper JSON = new ObjectMapper();

  /** One subcommand: its usage text and options. */
  record Command(String name, String usage, Set<String> valued, Set<String> repeatable, Set<String> flags) {
    String help() {
      return usage + "\n" + COMMON + "\n" + EXIT_CODES;
    }
  }

  static final Map<String, Command> COMMANDS = new LinkedHashMap<>();

  static {
    add(new Command("acquire", """
        usage: raftlock acquire NAME [--ttl 30s] [--wait [--wait-timeout 30s]] [--priority N] [--meta K=V]...
        Takes lock NAME for --client-id and exits; the lock stays held until its TTL runs out or it is
        released (raftlock release NAME --client-id ID --token TOKEN). Prints the fencing token and the
        client id. Without --wait a held lock is refused at once (exit 1); with --wait the command
        waits up to --wait-timeout for the grant, pushed by the server.
          --ttl DURATION           lease length, 1s..24h (default 30s)
          --wait                   wait in the lock's queue when another client holds it
          --wait-timeout DURATION  longest wait with --wait (default 30s)
          --priority N             wait-queue priority, -1000..1000, higher first (default 0)
          --meta KEY=VALUE         metadata stored with the lock (repeatable)
        """, Set.of("ttl", "wait-timeout", "priority", "meta"), Set.of("meta"), Set.of("wait")));
    add(new Command("release", """
        usage: raftlock release NAME --client-id ID --token TOKEN
        Releases lock NAME held by client ID with fencing token TOKEN. Refused (exit 1) when ID does
        not hold it or TOKEN is not the current token.
        """, Set.of("token"), Set.of(), Set.of()));
    add(new Command("renew", """
        usage: raftlock renew NAME --client-id ID --token TOKEN [--ttl 30s]
        Extends the lease of lock NAME (held by ID with TOKEN) to now + --ttl. The token never changes.
          --ttl DURATION  new lease length from now, 1s..24h (default 30s)
        """, Set.of("token", "ttl"), Set.of(), Set.of()));
    add(new Command("info", """
        usage: raftlock info NAME [--waiters] [--stale]
        Shows the holder, fencing token, expiry and waiter count of lock NAME. A free lock is reported
        with exit code 1.
          --waiters  list the waiters in grant order
          --stale    answer from the contacted node's state without a leader round trip
        """, Set.of(), Set.of(), Set.of("waiters", "stale")));
    add(new Command("locks", """
        usage: raftlock locks [--pattern GLOB] [--owner GLOB] [--held] [--contested]
                              [--expires-before TIME] [--expires-after TIME] [--meta K=V]...
                              [--limit N] [--offset N] [--waiters] [--stale]
        Lists held locks sorted by name, one page at a time.
          --pattern GLOB          lock names matching GLOB (* any run, ? one character)
          --owner GLOB            holders matching GLOB
          --held                  only held locks (every listed lock is held today)
          --contested             only locks with waiters
          --expires-before TIME   leases ending before TIME (ISO-8601 instant, or a duration from now: 5m)
          --expires-after TIME    leases ending after TIME
          --meta KEY=VALUE        locks whose metadata has KEY=VALUE (repeatable: all must match)
          --limit N               page size, 1..1000 (default 100)
          --offset N              locks to skip (default 0)
          --waiters               include each lock's waiters
          --stale                 answer from the contacted node's state without a leader round trip
        """, Set.of("pattern", "owner", "expires-before", "expires-after", "meta", "limit", "offset"), Set.of("meta"),
        Set.of("held", "contested", "waiters", "stale")));
    add(new Command("status", """
        usage: raftlock status [--details]
        Asks every endpoint for its Raft status (role, term, leader, indexes) and lock statistics.
        Exit 0 when at least one endpoint answered, 3 when none did.
          --details  per-peer replication state (from the leader)
        """, Set.of(), Set.of(), Set.of("details")));
    add(new Command("health", """
        usage: raftlock health
        Asks every endpoint whether it is serving. Exit 0 when every endpoint is SERVING, 3 otherwise.
        """, Set.of(), Set.of(), Set.of()));
    add(new Command("lock", """
        usage: raftlock lock NAME [--ttl 30s] [--wait-timeout DURATION] -- COMMAND [ARGS...]
        Waits for lock NAME (the grant is pushed by the server), runs COMMAND while holding it and
        renewing it, releases it when COMMAND exits and exits with COMMAND's status. On SIGTERM or
        SIGINT, COMMAND is stopped (SIGTERM, then SIGKILL after 5 s), the lock is released and
        raftlock exits. If the lock is lost while COMMAND runs (renewals failed past the lease, or
        the server expired it), COMMAND is killed and raftlock exits with 4.
        COMMAND gets RAFTLOCK_LOCK, RAFTLOCK_TOKEN (the fencing token) and RAFTLOCK_CLIENT_ID in
        its environment; it inherits stdin, stdout and stderr. raftlock's own messages go to stderr.
          --ttl DURATION           lease length, 1s..24h (default 30s); renewed every third of it
          --wait-timeout DURATION  give up (exit 1) if not granted in time (default: wait forever)
        """, Set.of("ttl", "wait-timeout"), Set.of(), Set.of()));
    add(new Command("members", MembersCommand.MEMBERS_USAGE, Set.of("peer", "client", "min-index"), Set.of(),
        Set.of("force", "transfer-first")));
    add(new Command("transfer-leader", MembersCommand.TRANSFER_USAGE, Set.of(), Set.of(), Set.of()));
    add(new Command("auth", AuthCommand.USAGE, Set.of("principal"), Set.of(), Set.of("deny")));
    add(new Command("dump", DumpCommand.USAGE, Set.of("endpoint", "from", "out", "page-entries"), Set.of(), Set.of()));
  }

  private static void add(Command c) {
    COMMANDS.put(c.name(), c);
  }

  private Cli() {}

  public static boolean isCommand(String s) {
    return COMMANDS.containsKey(s);
  }

  /** Entry point from {@code Main}; returns the exit code. */
  public static int main(String[] args) {
    // Netty probes SLF4J; without a provider on the class path SLF4J would warn on stderr.
    System.setProperty("slf4j.internal.verbosity", "ERROR");
    quietLogging();
    return run(Arrays.asList(args), System.out, System.err, System.getenv());
  }

  /** Vert.x and Netty log to java.util.logging; a CLI shows only its own messages. */
  static void quietLogging() {
    Logger root = Logger.getLogger("");
    root.setLevel(Level.SEVERE);
    for (var h : root.getHandlers()) {
      h.setLevel(Level.SEVERE);
    }
  }

  /**
   * Runs one command. Everything human-readable is printed through {@link TerminalSafe}: the
   * error stream always, the output stream unless {@code --json} asked for JSON.
   */
  static int run(List<String> argv, PrintStream rawOut, PrintStream rawErr, Map<String, String> env) {
    int dashDash = argv.indexOf("--"); // what follows is lock's command, with options of its own
    boolean json = (dashDash < 0 ? argv : argv.subList(0, dashDash)).contains("--json");
    PrintStream out = json ? rawOut : TerminalSafe.wrap(rawOut);
    PrintStream err = TerminalSafe.wrap(rawErr);
    try {
      return dispatch(argv, out, err, env);
    } finally {
      out.flush();
      err.flush();
    }
  }

  private static int dispatch(List<String> argv, PrintStream out, PrintStream err, Map<String, String> env) {
    if (argv.isEmpty() || !COMMANDS.containsKey(argv.get(0))) {
      err.print("unknown command " + (argv.isEmpty() ? "(none)" : argv.get(0)) + "\n" + USAGE_TEXT);
      return USAGE;
    }
    Command cmd = COMMANDS.get(argv.get(0));
    Args args;
    try {
      Set<String> valued = union(cmd.valued(), COMMON_VALUED);
      Set<String> flags = union(cmd.flags(), COMMON_FLAGS);
      args = Args.parse(argv.subList(1, argv.size()), valued, cmd.repeatable(), flags);
    } catch (UsageException e) {
      err.print(cmd.name() + ": " + e.getMessage() + "\n\n" + cmd.usage());
      return USAGE;
    }
    if (args.flag("help")) {
      out.print(cmd.help());
      return OK;
    }
    Context ctx;
    try {
      ctx = new Context(cmd, args, out, err, env);
      if (cmd.name().equals("lock")) {
        return LockRunner.run(ctx);
      }
      return switch (cmd.name()) {
        case "acquire" -> acquire(ctx);
        case "release" -> release(ctx);
        case "renew" -> renew(ctx);
        case "info" -> info(ctx);
        case "locks" -> locks(ctx);
        case "status" -> status(ctx);
        case "health" -> health(ctx);
        case "members" -> MembersCommand.members(ctx);
        case "transfer-leader" -> MembersCommand.transferLeader(ctx);
        case "dump" -> DumpCommand.dump(ctx);
        case "auth" -> AuthCommand.auth(ctx);
        default -> throw new IllegalStateException(cmd.name());
      };
    } catch (UsageException e) {
      err.print(cmd.name() + ": " + e.getMessage() + "\n\n" + cmd.usage());
      return USAGE;
    } catch (RuntimeException e) {
      return failure(cmd.name(), e, args.flag("json"), out, err);
    }
  }

  private static Set<String> union(Set<String> a, Set<String> b) {
    Set<String> s = new java.util.HashSet<>(a);
    s.addAll(b);
    return s;
  }

  /** What every command needs: parsed options, output streams, the endpoints and the client. */
  static final class Context {
    final Command cmd;
    final Args args;
    final PrintStream out;
    final PrintStream err;
    final boolean json;
    final List<String> endpoints;
    final String clientId;
    final boolean clientIdGiven;
    final Duration timeout;
    /** TLS settings, or null for plaintext. */
    final ClientTls tls;
    /** The API key ({@code --api-key} or {@code RAFTLOCK_API_KEY}), or null. */
    final String apiKey;

    Context(Command cmd, Args args, PrintStream out, PrintStream err, Map<String, String> env) {
      this.cmd = cmd;
      this.args = args;
      this.out = out;
      this.err = err;
      this.json = args.flag("json");
      String eps = args.value("endpoints", env.getOrDefault("RAFTLOCK_ENDPOINTS", RaftLockClient.DEFAULT_ENDPOINTS));
      this.endpoints = Arrays.stream(eps.split(",")).map(String::trim).filter(s -> !s.isEmpty()).toList();
      if (endpoints.isEmpty()) {
        throw new UsageException("--endpoints is empty");
      }
      for (String e : endpoints) {
        checkEndpoint(e);
      }
      this.clientIdGiven = args.value("client-id") != null;
      this.clientId = args.value("client-id", "cli-" + UUID.randomUUID());
      if (clientId.isEmpty() || clientId.length() > 256) {
        throw new UsageException("--client-id must be 1..256 characters");
      }
      this.timeout = args.duration("timeout", Duration.ofSeconds(15));
      if (timeout.isZero()) {
        throw new UsageException("--timeout must be positive");
      }
      this.tls = tlsOf(args, env);
      this.apiKey = args.value("api-key", env.get("RAFTLOCK_API_KEY"));
    }

    private static ClientTls tlsOf(Args args, Map<String, String> env) {
      String ca = args.value("ca", env.get("RAFTLOCK_CA"));
      String cert = args.value("cert", env.get("RAFTLOCK_CERT"));
      String key = args.value("key", env.get("RAFTLOCK_KEY"));
      if (ca == null) {
        if (cert != null || key != null) {
          throw new UsageException("--cert and --key need --ca (the CA of the cluster's certificates)");
        }
        return null;
      }
      if ((cert == null) != (key == null)) {
        throw new UsageException("--cert and --key go together");
      }
      return new ClientTls(Path.of(ca), cert == null ? null : Path.of(cert), key == null ? null : Path.of(key));
    }

    RaftLockClient client() {
      RaftLockClient.Builder b = RaftLockClient.builder().endpoints(endpoints).clientId(clientId).operationTimeout(timeout);
      if (tls != null) {
        b.tls(tls);
      }
      try {
        return b.build();
      } catch (java.io.UncheckedIOException e) {
        throw new UsageException(e.getMessage());
      }
    }

    /** HTTP options for the commands that open their own connections (dump, members). */
    io.vertx.core.http.HttpClientOptions http() {
      io.vertx.core.http.HttpClientOptions o = new io.vertx.core.http.HttpClientOptions()
          .setHttp2ClearTextUpgrade(false).setProtocolVersion(io.vertx.core.http.HttpVersion.HTTP_2);
      try {
        return tls == null ? o : tls.applyTo(o);
      } catch (java.io.UncheckedIOException e) {
        throw new UsageException(e.getMessage());
      }
    }

    String requireClientId() {
      if (!clientIdGiven) {
        throw new UsageException("--client-id is required (the holder's id, as printed by acquire)");
      }
      return clientId;
    }

    void print(ObjectNode jsonDoc, String human) {
      out.println(json ? jsonDoc.toString() : human);
    }
  }

  static void checkEndpoint(String e) {
    int colon = e.lastIndexOf(':');
    if (colon <= 0 || colon == e.length() - 1) {
      throw new UsageException("endpoint must be host:port, got '" + e + "'");
    }
    try {
      int port = Integer.parseInt(e.substring(colon + 1));
      if (port < 1 || port > 65535) {
        throw new UsageException("port out of range in '" + e + "'");
      }
    } catch (NumberFormatException x) {
      throw new UsageException("endpoint must be host:port, got '" + e + "'");
    }
  }

  // ---------------------------------------------------------------- commands

  static Duration ttl(Context c) {
    Duration ttl = c.args.duration("ttl", Duration.ofSeconds(30));
    if (ttl.toMillis() < 1_000 || ttl.toMillis() > 86_400_000) {
      throw new UsageException("--ttl must be between 1s and 24h, got " + c.args.value("ttl"));
    }
    return ttl;
  }

  private static int acquire(Context c) {
    String name = c.args.positionals("NAME").get(0);
    Duration ttl = ttl(c);
    boolean wait = c.args.flag("wait");
    if (!wait && c.args.value("wait-timeout") != null) {
      throw new UsageException("--wait-timeout needs --wait");
    }
    Duration waitTimeout = c.args.duration("wait-timeout", Duration.ofSeconds(30));
    int priority = (int) c.args.longValue("priority", 0, -1000, 1000);
    Map<String, String> meta = c.args.pairs("meta");
    try (RaftLockClient client = c.client()) {
      long token;
      Instant expires = null;
      if (wait) {
        Optional<LockHandle> h = RaftLockClient.await(client.tryLockAsync(name, ttl, waitTimeout,
            new RaftLockClient.LockOptions(priority, meta)));
        if (h.isEmpty()) {
          ObjectNode j = JSON.createObjectNode().put("acquired", false).put("lock", name).put("clientId", c.clientId);
          j.putObject("error").put("code", "LOCK_HELD").put("message", "not granted within " + human(waitTimeout));
          if (c.json) {
            c.out.println(j);
          } else {
            c.err.println("acquire: " + name + " was not granted within " + human(waitTimeout));
          }
          return REFUSED;
        }
        token = h.get().token();
        h.get().detach(); // the lock outlives this process until its TTL runs out
      } else {
        AcquireResponse r = RaftLockClient.await(client.acquire(AcquireRequest.newBuilder().setLockId(name)
            .setClientId(c.clientId).setTtl(proto(ttl)).setPriority(priority).putAllMetadata(meta).build()));
        if (!r.getAcquired()) {
          ObjectNode j = protoJson(r).put("lock", name).put("clientId", c.clientId);
          String why = r.getError().getCode() == ErrorCode.LOCK_HELD
              ? name + " is held by another client" + (r.hasBackoffAdvice()
                  && r.getBackoffAdvice().getEstimatedAvailabilityIn().getSeconds() > 0
                  ? " (free in about " + r.getBackoffAdvice().getEstimatedAvailabilityIn().getSeconds() + "s)" : "")
              : describe(r.getError());
          return refused(c, j, "acquire: " + why, r.getError());
        }
        token = r.getLock().getVersion();
        expires = instant(r.getLock().getExpiresAt());
      }
      ObjectNode j = JSON.createObjectNode().put("acquired", true).put("lock", name).put("token", token)
          .put("clientId", c.clientId).put("ttlMs", ttl.toMillis());
      if (expires != null) {
        j.put("expiresAt", expires.toString());
      }
      c.print(j, "acquired " + name + " token=" + token + " client-id=" + c.clientId + " ttl=" + human(ttl)
          + (expires != null ? " expires=" + expires : ""));
      if (!c.json) {
        c.err.println("release with: raftlock release " + name + " --client-id " + c.clientId + " --token " + token);
      }
      return OK;
    }
  }

  private static int release(Context c) {
    String name = c.args.positionals("NAME").get(0);
    String id = c.requireClientId();
    long token = token(c);
    try (RaftLockClient client = c.client()) {
      ReleaseResponse r = RaftLockClient.await(client.release(ReleaseRequest.newBuilder().setLockId(name)
          .setClientId(id).setVersion(token).build()));
      ObjectNode j = protoJson(r).put("lock", name).put("released", r.getReleased());
      if (!r.getReleased()) {
        return refused(c, j, "release: " + name + ": " + describe(r.getError()), r.getError());
      }
      c.print(j, "released " + name + (r.getWaiterPromoted() ? " (handed to the next waiter)" : ""));
      return OK;
    }
  }

  private static int renew(Context c) {
    String name = c.args.positionals("NAME").get(0);
    String id = c.requireClientId();
    long token = token(c);
    Duration ttl = ttl(c);
    try (RaftLockClient client = c.client()) {
      RenewResponse r = RaftLockClient.await(client.renew(RenewRequest.newBuilder().setLockId(name).setClientId(id)
          .setVersion(token).setNewTtl(proto(ttl)).build()));
      ObjectNode j = protoJson(r).put("lock", name).put("renewed", r.getRenewed());
      if (!r.getRenewed()) {
        return refused(c, j, "renew: " + name + ": " + describe(r.getError()), r.getError());
      }
      c.print(j, "renewed " + name + " token=" + token + " expires=" + instant(r.getLock().getExpiresAt()));
      return OK;
    }
  }

  private static long token(Context c) {
    if (c.args.value("token") == null) {
      throw new UsageException("--token is required (the fencing token printed by acquire)");
    }
    return c.args.longValue("token", 0, 1, Long.MAX_VALUE);
  }

  private static int info(Context c) {
    String name = c.args.positionals("NAME").get(0);
    try (RaftLockClient client = c.client()) {
      GetLockInfoResponse r = RaftLockClient.await(client.getLockInfo(GetLockInfoRequest.newBuilder().setLockId(name)
          .setIncludeWaiters(c.args.flag("waiters")).setStaleRead(c.args.flag("stale")).build()));
      ObjectNode j = protoJson(r).put("lock", name).put("held", r.hasLockInfo());
      if (!r.hasLockInfo()) {
        if (r.getError().getCode() == ErrorCode.LOCK_NOT_FOUND || !r.hasError()) {
          c.print(j, name + " is free");
          return REFUSED;
        }
        return refused(c, j, "info: " + describe(r.getError()), r.getError());
      }
      c.print(j, describeLock(r.getLockInfo(), Instant.now()));
      return OK;
    }
  }

  private static int locks(Context c) {
    c.args.positionals();
    Instant now = Instant.now();
    LockFilter.Builder f = LockFilter.newBuilder()
        .setLockIdPattern(c.args.value("pattern", ""))
        .setOwnerIdPattern(c.args.value("owner", ""))
        .setOnlyHeld(c.args.flag("held"))
        .setOnlyContested(c.args.flag("contested"))
        .putAllMetadataFilter(c.args.pairs("meta"));
    if (c.args.value("expires-before") != null) {
      f.setExpiresBefore(timestamp(Args.parseTime("--expires-before", c.args.value("expires-before"), now)));
    }
    if (c.args.value("expires-after") != null) {
      f.setExpiresAfter(timestamp(Args.parseTime("--expires-after", c.args.value("expires-after"), now)));
    }
    int limit = (int) c.args.longValue("limit", 100, 1, 1000);
    int offset = (int) c.args.longValue("offset", 0, 0, Integer.MAX_VALUE);
    try (RaftLockClient client = c.client()) {
      GetLocksResponse r = RaftLockClient.await(client.getLocks(GetLocksRequest.newBuilder().setFilter(f).setLimit(limit)
          .setOffset(offset).setIncludeWaiters(c.args.flag("waiters")).setStaleRead(c.args.flag("stale")).build()));
      if (r.hasError()) {
        return refused(c, protoJson(r), "locks: " + describe(r.getError()), r.getError());
      }
      if (c.json) {
        ObjectNode j = protoJson(r);
        j.put("count", r.getLocksCount());
        c.out.println(j);
        return OK;
      }
      StringBuilder sb = new StringBuilder();
      sb.append(String.format("%-30s %-24s %10s %-24s %s%n", "LOCK", "OWNER", "TOKEN", "EXPIRES", "WAITERS"));
      for (LockInfo l : r.getLocksList()) {
        sb.append(String.format("%-30s %-24s %10d %-24s %d%n", l.getLockId(), l.getOwnerId(), l.getVersion(),
            instant(l.getExpiresAt()), l.getWaiterCount()));
        for (WaiterInfo w : l.getWaitersInfoList()) {
          sb.append("    waiter ").append(w.getPosition()).append(": ").append(w.getClientId()).append('\n');
        }
      }
      sb.append(r.getLocksCount()).append(" of ").append(r.getTotalMatchingFilter()).append(" matching locks");
      if (r.getHasMore()) {
        sb.append(" (more: --offset ").append(offset + r.getLocksCount()).append(')');
      }
      c.out.println(sb);
      return OK;
    }
  }

  private static int status(Context c) {
    c.args.positionals();
    try (RaftLockClient client = c.client()) {
      ArrayNode all = JSON.createArrayNode();
      StringBuilder sb = new StringBuilder();
      int answered = 0;
      for (String e : c.endpoints) {
        ObjectNode node = all.addObject().put("endpoint", e);
        try {
          GetStatusResponse s = RaftLockClient.await(client.getStatus(e, GetStatusRequest.newBuilder()
              .setIncludeReplicationDetails(c.args.flag("details")).build()));
          answered++;
          node.set("status", protoJson(s));
          var rs = s.getRaftStatus();
          sb.append(String.format("%-22s %-8s %-10s term %-4d leader %-8s commit %-7d applied %-7d locks %-5d %s%n", e,
              rs.getNodeId(), rs.getRole(), rs.getTerm(), rs.getLeaderId().isEmpty() ? "-" : rs.getLeaderId(),
              rs.getCommitIndex(), rs.getLastApplied(), s.getLockStats().getActiveLocksCount(),
              s.getHealth().getStatus()));
          rs.getReplicationMap().forEach((peer, p) -> sb.append(String.format("    %-8s match %-7d next %-7d %s%s%n",
              peer, p.getMatchIndex(), p.getNextIndex(), p.getState(), p.getIsActive() ? "" : " inactive")));
        } catch (RuntimeException x) {
          node.put("error", message(x));
          sb.append(String.format("%-22s unreachable: %s%n", e, message(x)));
        }
      }
      if (c.json) {
        c.out.println(all);
      } else {
        c.out.print(sb);
      }
      return answered > 0 ? OK : UNAVAILABLE;
    }
  }

  private static int health(Context c) {
    c.args.positionals();
    try (RaftLockClient client = c.client()) {
      ArrayNode all = JSON.createArrayNode();
      StringBuilder sb = new StringBuilder();
      int serving = 0;
      for (String e : c.endpoints) {
        ObjectNode node = all.addObject().put("endpoint", e);
        try {
          HealthResponse h = RaftLockClient.await(client.health(e, HealthRequest.getDefaultInstance()));
          node.put("status", h.getStatus().name()).put("message", h.getMessage());
          if (h.getStatus() == HealthStatus.ServingStatus.SERVING) {
            serving++;
          }
          sb.append(String.format("%-22s %s%s%n", e, h.getStatus(), h.getMessage().isEmpty() ? "" : " (" + h.getMessage() + ")"));
        } catch (RuntimeException x) {
          node.put("status", "UNREACHABLE").put("message", message(x));
          sb.append(String.format("%-22s UNREACHABLE (%s)%n", e, message(x)));
        }
      }
      if (c.json) {
        c.out.println(all);
      } else {
        c.out.print(sb);
      }
      return serving == c.endpoints.size() ? OK : UNAVAILABLE;
    }
  }

  // ---------------------------------------------------------------- output

  static String describeLock(LockInfo l, Instant now) {
    StringBuilder sb = new StringBuilder();
    Instant expires = instant(l.getExpiresAt());
    sb.append(String.format("lock       %s%n", l.getLockId()));
    sb.append(String.format("owner      %s%n", l.getOwnerId()));
    sb.append(String.format("token      %d%n", l.getVersion()));
    sb.append(String.format("acquired   %s%n", instant(l.getAcquiredAt())));
    sb.append(String.format("expires    %s (in %s)%n", expires, human(Duration.between(now, expires))));
    sb.append(String.format("waiters    %d", l.getWaiterCount()));
    for (WaiterInfo w : l.getWaitersInfoList()) {
      sb.append(String.format("%n  %d. %s priority %d, gives up at %s", w.getPosition(), w.getClientId(),
          w.getPriority(), instant(w.getTimeoutAt())));
    }
    if (l.getMetadataCount() > 0) {
      sb.append(String.format("%nmetadata   %s", l.getMetadataMap()));
    }
    return sb.toString();
  }

  private static int refused(Context c, ObjectNode j, String human, ErrorDetail e) {
    if (c.json) {
      c.out.println(j);
    } else {
      c.err.println(human);
    }
    return exitCodeOf(e.getCode());
  }

  static int exitCodeOf(ErrorCode code) {
    if (REFUSALS.contains(code)) {
      return REFUSED;
    }
    if (code == ErrorCode.INVALID_ARGUMENT || code == ErrorCode.INVALID_TTL) {
      return USAGE;
    }
    if (UNAVAILABLE_CODES.contains(code)) {
      return UNAVAILABLE;
    }
    return INTERNAL;
  }

  static int exitCodeOf(Throwable t) {
    Throwable e = t instanceof CompletionException && t.getCause() != null ? t.getCause() : t;
    if (e instanceof UsageException || e instanceof IllegalArgumentException) {
      return USAGE;
    }
    if (e instanceof RaftLockException r) {
      return r.retryable() ? UNAVAILABLE : exitCodeOf(r.code());
    }
    return INTERNAL;
  }

  static int failure(String command, Throwable t, boolean json, PrintStream out, PrintStream err) {
    int code = exitCodeOf(t);
    Throwable e = t instanceof CompletionException && t.getCause() != null ? t.getCause() : t;
    if (json) {
      ObjectNode j = JSON.createObjectNode();
      ObjectNode error = j.putObject("error");
      error.put("code", e instanceof RaftLockException r ? r.code().name() : e.getClass().getSimpleName());
      error.put("message", message(e));
      if (e instanceof RaftLockException r && r.field() != null) {
        error.put("field", r.field());
      }
      error.put("exitCode", code);
      out.println(j);
    } else {
      String prefix = code == UNAVAILABLE ? "cluster unavailable: " : "";
      err.println(command + ": " + prefix + message(e));
    }
    return code;
  }

  static String message(Throwable t) {
    Throwable e = t instanceof CompletionException && t.getCause() != null ? t.getCause() : t;
    if (e instanceof RaftLockException r) {
      return r.code() + (r.field() != null ? " (" + r.field() + ")" : "") + ": " + r.getMessage();
    }
    return e.getMessage() == null ? e.getClass().getSimpleName() : e.getMessage();
  }

  static String describe(ErrorDetail e) {
    return e.getCode() + (e.getMessage().isEmpty() ? "" : ": " + e.getMessage());
  }

  static ObjectNode protoJson(MessageOrBuilder m) {
    try {
      return (ObjectNode) JSON.readTree(JsonFormat.printer().omittingInsignificantWhitespace().print(m));
    } catch (InvalidProtocolBufferException | com.fasterxml.jackson.core.JsonProcessingException e) {
      throw new IllegalStateException("cannot print " + m.getClass().getSimpleName(), e);
    }
  }

  static com.google.protobuf.Duration proto(Duration d) {
    return com.google.protobuf.Duration.newBuilder().setSeconds(d.getSeconds()).setNanos(d.getNano()).build();
  }

  static Timestamp timestamp(Instant i) {
    return Timestamp.newBuilder().setSeconds(i.getEpochSecond()).setNanos(i.getNano()).build();
  }

  static Instant instant(Timestamp t) {
    return Instant.ofEpochSecond(t.getSeconds(), t.getNanos());
  }

  static String human(Duration d) {
    long ms = d.toMillis();
    if (ms < 0) {
      return "-" + human(d.negated());
    }
    if (ms < 1000) {
      return ms + "ms";
    }
    if (ms % 1000 == 0 && ms < 120_000) {
      return ms / 1000 + "s";
    }
    if (ms < 120_000) {
      return String.format(java.util.Locale.ROOT, "%.1fs", ms / 1000.0);
    }
    return ms / 60_000 + "m" + (ms % 60_000 / 1000 > 0 ? ms % 60_000 / 1000 + "s" : "");
  }
}
