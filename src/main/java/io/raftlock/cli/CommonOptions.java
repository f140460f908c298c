package io.raftlock.cli;

import java.time.Duration;
import picocli.CommandLine.Option;
import picocli.CommandLine.ScopeType;

/**
 * The options every client command takes, mixed into each command. They are inherited by
 * subcommands ({@code members --endpoints H:P list} and {@code members list --endpoints H:P}
 * set the same field), so a command group reads them from its parent. Defaults from the
 * environment are applied by {@link CliContext}, which sees the environment the run was given.
 */
final class CommonOptions {
  @Option(names = "--endpoints", paramLabel = "H:P,...", scope = ScopeType.INHERIT,
      description = "client API addresses (default: $RAFTLOCK_ENDPOINTS or 127.0.0.1:8001,127.0.0.1:8002,127.0.0.1:8003)")
  String endpoints;

  @Option(names = "--client-id", paramLabel = "ID", scope = ScopeType.INHERIT,
      description = "owner id sent to the server (default: generated, printed by acquire)")
  String clientId;

  @Option(names = "--timeout", paramLabel = "DURATION", converter = Durations.Converter.class, scope = ScopeType.INHERIT,
      description = "how long to keep retrying an unavailable cluster (default 15s)")
  Duration timeout;

  @Option(names = "--ca", paramLabel = "FILE", scope = ScopeType.INHERIT,
      description = "connect over TLS, trusting this PEM CA bundle ($RAFTLOCK_CA)")
  String ca;

  @Option(names = "--cert", paramLabel = "FILE", scope = ScopeType.INHERIT,
      description = "this client's certificate, for clusters that require client certificates ($RAFTLOCK_CERT)")
  String cert;

  @Option(names = "--key", paramLabel = "FILE", scope = ScopeType.INHERIT,
      description = "the PKCS#8 key of --cert ($RAFTLOCK_KEY)")
  String key;

  @Option(names = "--api-key", paramLabel = "KEY", scope = ScopeType.INHERIT,
      description = "API key for clusters with auth enabled ($RAFTLOCK_API_KEY); sent by every command")
  String apiKey;

  @Option(names = "--json", scope = ScopeType.INHERIT,
      description = "machine-readable output on stdout (one JSON document)")
  boolean json;

  @Option(names = {"-h", "--help"}, usageHelp = true, scope = ScopeType.INHERIT, description = "this help")
  boolean help;
}
