package io.raftlock.cli;

import com.fasterxml.jackson.databind.node.ObjectNode;
import io.raftlock.client.ClientTls;
import io.raftlock.client.RaftLockClient;
import io.vertx.core.http.HttpClientOptions;
import io.vertx.core.http.HttpVersion;
import java.io.OutputStream;
import java.io.PrintStream;
import java.io.UncheckedIOException;
import java.nio.file.Path;
import java.time.Duration;
import java.util.Arrays;
import java.util.List;
import java.util.Map;
import java.util.UUID;
import java.util.concurrent.ThreadLocalRandom;
import java.util.function.Supplier;

/**
 * What a running command needs besides its own options: the output streams, the checked common
 * options (endpoints, client id, timeout, TLS, API key) and the clients built from them. Invalid common
 * options are refused here, before anything is sent.
 */
final class CliContext {
  /** The command as typed, e.g. {@code acquire} or {@code members list}: the prefix of its messages. */
  final String command;
  final PrintStream out;
  final PrintStream err;
  final boolean json;
  final List<String> endpoints;
  final String clientId;
  final boolean clientIdGiven;
  final Duration timeout;
  /** TLS settings, or null for plaintext. */
  final ClientTls tls;
  /** The API key ({@code --api-key} or {@code RAFTLOCK_API_KEY}), or null: sent by the Admin and Auth calls. */
  final String apiKey;
  /** Whether one-shot reads may take the lean path ({@link HttpRead}); {@code RAFTLOCK_LEAN=off} says no. */
  final boolean lean;
  /**
   * Whether this run trains the launcher's class-data archive ({@code RAFTLOCK_CDS_TRAINING=1},
   * set by scripts/raftlock): a read served over the lean path then runs the full path as well,
   * silently, so that the archive also covers the classes of a later fallback.
   */
  final boolean training;

  CliContext(String command, CommonOptions o, Cli.Io io) {
    this.command = command;
    this.out = io.out();
    this.err = io.err();
    this.json = o.json;
    Map<String, String> env = io.env();
    String eps = o.endpoints != null ? o.endpoints
        : env.getOrDefault("RAFTLOCK_ENDPOINTS", RaftLockClient.DEFAULT_ENDPOINTS);
    this.endpoints = Arrays.stream(eps.split(",")).map(String::trim).filter(s -> !s.isEmpty()).toList();
    if (endpoints.isEmpty()) {
      throw new UsageException("--endpoints is empty");
    }
    endpoints.forEach(CliContext::checkEndpoint);
    this.clientIdGiven = o.clientId != null;
    this.clientId = clientIdGiven ? o.clientId : generatedClientId();
    if (clientId.isEmpty() || clientId.length() > 256) {
      throw new UsageException("--client-id must be 1..256 characters");
    }
    this.timeout = o.timeout != null ? o.timeout : Duration.ofSeconds(15);
    if (timeout.isZero()) {
      throw new UsageException("--timeout must be positive");
    }
    this.tls = tlsOf(o, env);
    this.apiKey = o.apiKey != null ? o.apiKey : env.get("RAFTLOCK_API_KEY");
    this.lean = !"off".equals(env.get("RAFTLOCK_LEAN"));
    this.training = "1".equals(env.get("RAFTLOCK_CDS_TRAINING"));
  }

  /** A copy of {@code c} with other streams, timeout and lean-path flags. */
  private CliContext(CliContext c, PrintStream out, PrintStream err, Duration timeout, boolean lean,
      boolean training) {
    this.command = c.command;
    this.out = out;
    this.err = err;
    this.json = c.json;
    this.endpoints = c.endpoints;
    this.clientId = c.clientId;
    this.clientIdGiven = c.clientIdGiven;
    this.timeout = timeout;
    this.tls = c.tls;
    this.apiKey = c.apiKey;
    this.lean = lean;
    this.training = training;
  }

  /** This context with output and error streams that print nothing. */
  CliContext silent() {
    PrintStream sink = new PrintStream(OutputStream.nullOutputStream());
    return new CliContext(this, sink, sink, timeout, false, false);
  }

  /** This context with {@code left} for its calls (what a lean attempt left of --timeout), at least 1 ms. */
  CliContext withTimeout(Duration left) {
    return new CliContext(this, out, err, left.toMillis() < 1 ? Duration.ofMillis(1) : left, lean, training);
  }

  /** A command that contacts no cluster: streams and --json only. */
  private CliContext(String command, Cli.Io io, boolean json) {
    this.command = command;
    this.out = io.out();
    this.err = io.err();
    this.json = json;
    this.endpoints = List.of();
    this.clientId = "";
    this.clientIdGiven = false;
    this.timeout = Duration.ofSeconds(15);
    this.tls = null;
    this.apiKey = null;
    this.lean = false;
    this.training = false;
  }

  /** The context of an offline command ({@code snapshot restore}, {@code snapshot status}). */
  static CliContext offline(String command, Cli.Io io, boolean json) {
    Cli.quietLogging(); // Chronicle Queue
    return new CliContext(command, io, json);
  }

  /**
   * {@code cli-} and a random UUID. Owner ids are public (info and locks print them), so they need
   * to be unique, not unguessable: a non-blocking random, not the SecureRandom of
   * {@link UUID#randomUUID}, whose seeding is a noticeable part of a short command's start.
   */
  private static String generatedClientId() {
    ThreadLocalRandom r = ThreadLocalRandom.current();
    return "cli-" + new UUID(r.nextLong(), r.nextLong());
  }

  private static ClientTls tlsOf(CommonOptions o, Map<String, String> env) {
    String ca = o.ca != null ? o.ca : env.get("RAFTLOCK_CA");
    String cert = o.cert != null ? o.cert : env.get("RAFTLOCK_CERT");
    String key = o.key != null ? o.key : env.get("RAFTLOCK_KEY");
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

  RaftLockClient client() {
    return client(RaftLockClient.DEFAULT_SESSION_TTL);
  }

  /** A client whose session (the owner of every lock it takes) lives {@code sessionTtl} past its last keep-alive. */
  RaftLockClient client(Duration sessionTtl) {
    Cli.quietLogging();
    RaftLockClient.Builder b = RaftLockClient.builder().endpoints(endpoints).clientId(clientId).operationTimeout(timeout)
        .sessionTtl(sessionTtl);
    if (tls != null) {
      b.tls(tls);
    }
    try {
      if (apiKey != null) {
        b.apiKey(apiKey);
      }
      return b.build();
    } catch (UncheckedIOException | IllegalArgumentException e) {
      throw new UsageException(e.getMessage());
    }
  }

  /** HTTP options for the commands that open their own connections (dump, members). */
  HttpClientOptions http() {
    Cli.quietLogging();
    HttpClientOptions o = new HttpClientOptions().setHttp2ClearTextUpgrade(false).setProtocolVersion(HttpVersion.HTTP_2);
    try {
      return tls == null ? o : tls.applyTo(o);
    } catch (UncheckedIOException e) {
      throw new UsageException(e.getMessage());
    }
  }

  String requireClientId() {
    if (!clientIdGiven) {
      throw new UsageException("--client-id is required (the holder's id, as printed by acquire)");
    }
    return clientId;
  }

  /** The JSON document with --json (made only then), else the human text; on stdout. */
  void print(Supplier<ObjectNode> jsonDoc, String human) {
    printText(() -> jsonDoc.get().toString(), human);
  }

  /** As {@link #print}, the JSON document given as text. */
  void printText(Supplier<String> jsonDoc, String human) {
    out.println(json ? jsonDoc.get() : human);
  }
}
