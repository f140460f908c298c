package io.raftlock.config;

import com.fasterxml.jackson.annotation.JsonCreator;
import com.fasterxml.jackson.annotation.JsonProperty;
import io.raftlock.raft.ClusterConfig;
import io.raftlock.raft.RaftConfig;
import io.raftlock.storage.StorageOptions;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import java.util.SortedMap;
import java.util.TreeMap;

/**
 * One node's configuration, immutable and validated on construction (a {@link ConfigException}
 * names the field). Units are part of the names.
 *
 * @param nodeId this node's id; must be one of {@code members}
 * @param dataDir where the log, hard state and snapshots live
 * @param members every voting member: id → its peer and client addresses
 * @param tickMs one Raft tick
 * @param electionTicks base election timeout in ticks (randomized up to twice that)
 * @param heartbeatTicks leader heartbeat interval in ticks
 * @param maxInflight unanswered AppendEntries per follower
 * @param maxEntriesPerAppend batch limit of one AppendEntries
 * @param maxBytesPerAppend batch limit of one AppendEntries, in bytes
 * @param snapshotEveryEntries applied entries between snapshots (0 = never)
 * @param snapshotKeepEntries log entries kept behind a snapshot for lagging followers
 * @param syncDurableMarkBeforeAck sync the durable mark (the most up-to-date log position ever
 *     durable, used to detect a damaged log on restart) before acknowledging each batch: a
 *     second flush per group commit. Off by default: the mark is synced within milliseconds after
 *     the acknowledgement instead, so only damage to entries acknowledged in that window, found
 *     after a crash inside it, could go unnoticed. The entries themselves are always synced first.
 * @param eventLoops Vert.x event-loop threads of the node (default 2). From two on, the Raft
 *     engine and the peer transport have a loop to themselves and the client API's server (every
 *     client connection) runs on another ({@code LoopPlacement}): one client flooding the leader
 *     is decoded, admitted and refused on a thread the OS schedules apart from Raft's ticks,
 *     heartbeats and votes (issue 18; with one loop the same flood changed the term in every run,
 *     docs/benchmarks.md). With one, everything shares a thread: a proposal never waits for
 *     another thread to wake up, which cost less CPU per request on the two-core benchmark
 *     machine, but client load then delays Raft's timing.
 * @param api the client API settings ({@link ClientApi})
 * @param tls TLS on the client and peer ports ({@link TlsSettings}); plaintext by default
 * @param storageReserveBytes free space on the data volume below which the node writes no new
 *     entries (default 256 MiB, 0: no reserve, a full volume fail-stops the node): a leader refuses
 *     proposals with a retryable error and hands leadership to a caught-up voter, and the node
 *     neither campaigns nor takes entries until the space is back (docs/storage.md)
 * @param limits the lock limits this node puts in force when it leads ({@link Limits})
 */
public record NodeConfig(
    String nodeId,
    Path dataDir,
    SortedMap<String, Member> members,
    long tickMs,
    int electionTicks,
    int heartbeatTicks,
    int maxInflight,
    int maxEntriesPerAppend,
    long maxBytesPerAppend,
    int snapshotEveryEntries,
    int snapshotKeepEntries,
    boolean syncDurableMarkBeforeAck,
    int eventLoops,
    ClientApi api,
    TlsSettings tls,
    long storageReserveBytes,
    Limits limits) {

  /** As the canonical constructor, with the code's recommended lock limits. */
  public NodeConfig(String nodeId, Path dataDir, SortedMap<String, Member> members, long tickMs,
      int electionTicks, int heartbeatTicks, int maxInflight, int maxEntriesPerAppend,
      long maxBytesPerAppend, int snapshotEveryEntries, int snapshotKeepEntries,
      boolean syncDurableMarkBeforeAck, int eventLoops, ClientApi api, TlsSettings tls,
      long storageReserveBytes) {
    this(nodeId, dataDir, members, tickMs, electionTicks, heartbeatTicks, maxInflight,
        maxEntriesPerAppend, maxBytesPerAppend, snapshotEveryEntries, snapshotKeepEntries,
        syncDurableMarkBeforeAck, eventLoops, api, tls, storageReserveBytes, Limits.RECOMMENDED);
  }

  /** A plaintext node with the default storage reserve (every configuration before these, and most tests). */
  public NodeConfig(String nodeId, Path dataDir, SortedMap<String, Member> members, long tickMs,
      int electionTicks, int heartbeatTicks, int maxInflight, int maxEntriesPerAppend,
      long maxBytesPerAppend, int snapshotEveryEntries, int snapshotKeepEntries,
      boolean syncDurableMarkBeforeAck, int eventLoops, ClientApi api) {
    this(nodeId, dataDir, members, tickMs, electionTicks, heartbeatTicks, maxInflight,
        maxEntriesPerAppend, maxBytesPerAppend, snapshotEveryEntries, snapshotKeepEntries,
        syncDurableMarkBeforeAck, eventLoops, api, TlsSettings.NONE, DEFAULT_STORAGE_RESERVE_BYTES);
  }

  /**
   * The client API's settings (JSON object {@code "api"}; every field optional).
   *
   * @param routing {@code "forward"} (default): a follower forwards writes to the leader once;
   *     {@code "redirect"}: it answers NOT_LEADER with the leader's client address
   * @param rateLimitPerSecond token-bucket refill per client id or session, per request class
   *     (default 20,000: above what one node commits, so only a runaway client meets it)
   * @param rateLimitBurst token-bucket size per client id or session (default 40,000)
   * @param maxInFlightRequests global cap on requests admitted and not yet answered (default 1000)
   * @param requestTimeoutMs bound on a write from admission to answer (seed redirect timeout 5 s)
   * @param shutdownTimeoutMs how long a stopping node lets requests in flight finish
   * @param allowedOrigins web origins ({@code scheme://host[:port]}, or {@code "*"} for any) whose
   *     pages may open the WebSocket API, besides the node's own origin and clients sending no
   *     {@code Origin}; normalized to {@code scheme://host:port} (lower case, explicit port)
   */
  public record ClientApi(String routing, int rateLimitPerSecond, int rateLimitBurst,
      int maxInFlightRequests, long requestTimeoutMs, long shutdownTimeoutMs, List<String> allowedOrigins) {
    public static final ClientApi DEFAULTS = new ClientApi("forward", 20_000, 40_000, 1000, 5_000, 5_000);

    /** Without extra allowed origins: same-origin pages and non-browser clients only. */
    public ClientApi(String routing, int rateLimitPerSecond, int rateLimitBurst,
        int maxInFlightRequests, long requestTimeoutMs, long shutdownTimeoutMs) {
      this(routing, rateLimitPerSecond, rateLimitBurst, maxInFlightRequests, requestTimeoutMs, shutdownTimeoutMs,
          List.of());
    }

    @JsonCreator
    public static ClientApi fromJson(
        @JsonProperty("routing") String routing,
        @JsonProperty("rateLimitPerSecond") Integer rateLimitPerSecond,
        @JsonProperty("rateLimitBurst") Integer rateLimitBurst,
        @JsonProperty("maxInFlightRequests") Integer maxInFlightRequests,
        @JsonProperty("requestTimeoutMs") Long requestTimeoutMs,
        @JsonProperty("shutdownTimeoutMs") Long shutdownTimeoutMs,
        @JsonProperty("allowedOrigins") List<String> allowedOrigins) {
      return new ClientApi(or(routing, DEFAULTS.routing), or(rateLimitPerSecond, DEFAULTS.rateLimitPerSecond),
          or(rateLimitBurst, DEFAULTS.rateLimitBurst), or(maxInFlightRequests, DEFAULTS.maxInFlightRequests),
          or(requestTimeoutMs, DEFAULTS.requestTimeoutMs), or(shutdownTimeoutMs, DEFAULTS.shutdownTimeoutMs),
          or(allowedOrigins, DEFAULTS.allowedOrigins));
    }

    public ClientApi {
      if (!"forward".equals(routing) && !"redirect".equals(routing)) {
        throw new ConfigException("api.routing", "must be \"forward\" or \"redirect\", was \"" + routing + "\"");
      }
      positive("api.rateLimitPerSecond", rateLimitPerSecond);
      positive("api.rateLimitBurst", rateLimitBurst);
      if (maxInFlightRequests < 2) {
        throw new ConfigException("api.maxInFlightRequests", "must be ≥ 2, was " + maxInFlightRequests);
      }
      positive("api.requestTimeoutMs", requestTimeoutMs);
      positive("api.shutdownTimeoutMs", shutdownTimeoutMs);
      if (allowedOrigins == null) {
        throw new ConfigException("api.allowedOrigins", "must be a list of origins");
      }
      allowedOrigins = allowedOrigins.stream().map(o -> normalizeOrigin("api.allowedOrigins", o)).toList();
    }

    /**
     * {@code origin} as {@code scheme://host:port} (lower case, the port explicit), or {@code "*"};
     * refused unless it is an http(s) origin with a host and nothing after the port.
     */
    public static String normalizeOrigin(String field, String origin) {
      if ("*".equals(origin)) {
        return origin;
      }
      String why = "'" + origin + "' is not an origin (scheme://host[:port], http or https, no path)";
      java.net.URI uri;
      try {
        uri = new java.net.URI(origin);
      } catch (java.net.URISyntaxException | NullPointerException e) {
        throw new ConfigException(field, why);
      }
      String scheme = uri.getScheme() == null ? "" : uri.getScheme().toLowerCase(java.util.Locale.ROOT);
      boolean bare = (uri.getRawPath() == null || uri.getRawPath().isEmpty()) && uri.getRawQuery() == null
          && uri.getRawFragment() == null && uri.getRawUserInfo() == null;
      if (!(scheme.equals("http") || scheme.equals("https")) || uri.getHost() == null || !bare) {
        throw new ConfigException(field, why);
      }
      int port = uri.getPort() != -1 ? uri.getPort() : scheme.equals("https") ? 443 : 80;
      return scheme + "://" + uri.getHost().toLowerCase(java.util.Locale.ROOT) + ":" + port;
    }

    public boolean redirect() {
      return "redirect".equals(routing);
    }
  }

  /** Where a member listens: Raft peers on one port, clients on another. */
  public record Member(HostPort peerAddress, HostPort clientAddress) {
    @JsonCreator
    public Member(@JsonProperty("peerAddress") String peer, @JsonProperty("clientAddress") String client) {
      this(HostPort.parse("peerAddress", peer), HostPort.parse("clientAddress", client));
    }
  }

  /** A host and port, validated. */
  public record HostPort(String host, int port) {
    public static HostPort parse(String field, String text) {
      if (text == null || text.isBlank()) {
        throw new ConfigException(field, "is required (host:port)");
      }
      int colon = text.lastIndexOf(':');
      if (colon <= 0 || colon == text.length() - 1) {
        throw new ConfigException(field, "'" + text + "' is not host:port");
      }
      int port;
      try {
        port = Integer.parseInt(text.substring(colon + 1));
      } catch (NumberFormatException e) {
        throw new ConfigException(field, "'" + text + "' has no numeric port");
      }
      if (port < 1 || port > 65_535) {
        throw new ConfigException(field, "port " + port + " is outside 1..65535");
      }
      return new HostPort(text.substring(0, colon), port);
    }

    @Override
    public String toString() {
      return host + ":" + port;
    }
  }

  public static final long DEFAULT_TICK_MS = 20;
  public static final int DEFAULT_ELECTION_TICKS = 10;
  public static final int DEFAULT_HEARTBEAT_TICKS = 2;
  public static final int DEFAULT_EVENT_LOOPS = 2;
  public static final long DEFAULT_STORAGE_RESERVE_BYTES = StorageOptions.DEFAULT_RESERVE_BYTES;
  /** More would only add threads that wait: one node never has that many independent loops of work. */
  public static final int MAX_EVENT_LOOPS = 64;

  @JsonCreator
  public static NodeConfig fromJson(
      @JsonProperty("nodeId") String nodeId,
      @JsonProperty("dataDir") String dataDir,
      @JsonProperty("members") Map<String, Member> members,
      @JsonProperty("tickMs") Long tickMs,
      @JsonProperty("electionTicks") Integer electionTicks,
      @JsonProperty("heartbeatTicks") Integer heartbeatTicks,
      @JsonProperty("maxInflight") Integer maxInflight,
      @JsonProperty("maxEntriesPerAppend") Integer maxEntriesPerAppend,
      @JsonProperty("maxBytesPerAppend") Long maxBytesPerAppend,
      @JsonProperty("snapshotEveryEntries") Integer snapshotEveryEntries,
      @JsonProperty("snapshotKeepEntries") Integer snapshotKeepEntries,
      @JsonProperty("syncDurableMarkBeforeAck") Boolean syncDurableMarkBeforeAck,
      @JsonProperty("eventLoops") Integer eventLoops,
      @JsonProperty("api") ClientApi api,
      @JsonProperty("tls") TlsSettings tls,
      @JsonProperty("storageReserveBytes") Long storageReserveBytes,
      @JsonProperty("limits") Limits limits) {
    if (dataDir == null || dataDir.isBlank()) {
      throw new ConfigException("dataDir", "is required");
    }
    if (members == null) {
      throw new ConfigException("members", "is required");
    }
    return new NodeConfig(nodeId, Path.of(dataDir), new TreeMap<>(members),
        or(tickMs, DEFAULT_TICK_MS), or(electionTicks, DEFAULT_ELECTION_TICKS),
        or(heartbeatTicks, DEFAULT_HEARTBEAT_TICKS), or(maxInflight, 256), or(maxEntriesPerAppend, 512),
        or(maxBytesPerAppend, 1L << 20), or(snapshotEveryEntries, 10_000), or(snapshotKeepEntries, 5_000),
        or(syncDurableMarkBeforeAck, false), or(eventLoops, DEFAULT_EVENT_LOOPS), or(api, ClientApi.DEFAULTS),
        or(tls, TlsSettings.NONE), or(storageReserveBytes, DEFAULT_STORAGE_RESERVE_BYTES),
        or(limits, Limits.RECOMMENDED));
  }

  /** As the JSON creator, with the recommended lock limits. */
  public static NodeConfig fromJson(String nodeId, String dataDir, Map<String, Member> members, Long tickMs,
      Integer electionTicks, Integer heartbeatTicks, Integer maxInflight, Integer maxEntriesPerAppend,
      Long maxBytesPerAppend, Integer snapshotEveryEntries, Integer snapshotKeepEntries,
      Boolean syncDurableMarkBeforeAck, Integer eventLoops, ClientApi api, TlsSettings tls,
      Long storageReserveBytes) {
    return fromJson(nodeId, dataDir, members, tickMs, electionTicks, heartbeatTicks, maxInflight,
        maxEntriesPerAppend, maxBytesPerAppend, snapshotEveryEntries, snapshotKeepEntries,
        syncDurableMarkBeforeAck, eventLoops, api, tls, storageReserveBytes, null);
  }

  /** As the JSON creator, plaintext, with the default storage reserve. */
  public static NodeConfig fromJson(String nodeId, String dataDir, Map<String, Member> members, Long tickMs,
      Integer electionTicks, Integer heartbeatTicks, Integer maxInflight, Integer maxEntriesPerAppend,
      Long maxBytesPerAppend, Integer snapshotEveryEntries, Integer snapshotKeepEntries,
      Boolean syncDurableMarkBeforeAck, Integer eventLoops, ClientApi api) {
    return fromJson(nodeId, dataDir, members, tickMs, electionTicks, heartbeatTicks, maxInflight,
        maxEntriesPerAppend, maxBytesPerAppend, snapshotEveryEntries, snapshotKeepEntries,
        syncDurableMarkBeforeAck, eventLoops, api, null, null, null);
  }

  /** As the JSON creator, with the default number of event loops. */
  public static NodeConfig fromJson(String nodeId, String dataDir, Map<String, Member> members, Long tickMs,
      Integer electionTicks, Integer heartbeatTicks, Integer maxInflight, Integer maxEntriesPerAppend,
      Long maxBytesPerAppend, Integer snapshotEveryEntries, Integer snapshotKeepEntries,
      Boolean syncDurableMarkBeforeAck, ClientApi api) {
    return fromJson(nodeId, dataDir, members, tickMs, electionTicks, heartbeatTicks, maxInflight,
        maxEntriesPerAppend, maxBytesPerAppend, snapshotEveryEntries, snapshotKeepEntries,
        syncDurableMarkBeforeAck, null, api, null, null, null);
  }

  private static <T> T or(T value, T dflt) {
    return value == null ? dflt : value;
  }

  public NodeConfig {
    if (nodeId == null || nodeId.isBlank()) {
      throw new ConfigException("nodeId", "is required");
    }
    if (members.isEmpty()) {
      throw new ConfigException("members", "needs at least this node");
    }
    if (!members.containsKey(nodeId)) {
      throw new ConfigException("members", "does not contain this node '" + nodeId + "'");
    }
    members.forEach((id, m) -> {
      if (m == null || m.peerAddress() == null || m.clientAddress() == null) {
        throw new ConfigException("members." + id, "needs peerAddress and clientAddress");
      }
    });
    members = java.util.Collections.unmodifiableSortedMap(new TreeMap<>(members));
    positive("tickMs", tickMs);
    positive("electionTicks", electionTicks);
    positive("heartbeatTicks", heartbeatTicks);
    if (heartbeatTicks >= electionTicks) {
      throw new ConfigException("heartbeatTicks", "must be below electionTicks (" + electionTicks + ")");
    }
    positive("maxInflight", maxInflight);
    positive("maxEntriesPerAppend", maxEntriesPerAppend);
    positive("maxBytesPerAppend", maxBytesPerAppend);
    if (snapshotEveryEntries < 0) {
      throw new ConfigException("snapshotEveryEntries", "must be ≥ 0");
    }
    if (snapshotKeepEntries < 0) {
      throw new ConfigException("snapshotKeepEntries", "must be ≥ 0");
    }
    if (tls == null) {
      throw new ConfigException("tls", "is required (TlsSettings.NONE for plaintext)");
    }
    if (eventLoops < 1 || eventLoops > MAX_EVENT_LOOPS) {
      throw new ConfigException("eventLoops", "must be between 1 and " + MAX_EVENT_LOOPS + ", was " + eventLoops);
    }
    if (storageReserveBytes < 0) {
      throw new ConfigException("storageReserveBytes", "must be ≥ 0, was " + storageReserveBytes);
    }
    if (limits == null) {
      throw new ConfigException("limits", "is required (Limits.RECOMMENDED for the defaults)");
    }
  }

  private static void positive(String field, long value) {
    if (value < 1) {
      throw new ConfigException(field, "must be ≥ 1, was " + value);
    }
  }

  /** The embedded default: one node, data under {@code ./data}, ports 7001 (peers) and 8001. */
  public static NodeConfig singleNodeDefault() {
    TreeMap<String, Member> members = new TreeMap<>();
    members.put("node-1", new Member("127.0.0.1:7001", "127.0.0.1:8001"));
    return fromJson("node-1", "data", members, null, null, null, null, null, null, null, null, null, null);
  }

  /**
   * The embedded local cluster ({@code java -jar raftlock.jar} with no arguments): three members
   * on loopback, peers on 7001–7003, client API on 8001–8003, data under {@code ./data/node-N}.
   * Returns the configuration of each member, keyed by node id.
   */
  public static SortedMap<String, NodeConfig> localClusterDefaults() {
    TreeMap<String, Member> members = new TreeMap<>();
    for (int i = 1; i <= 3; i++) {
      members.put("node-" + i, new Member("127.0.0.1:" + (7000 + i), "127.0.0.1:" + (8000 + i)));
    }
    TreeMap<String, NodeConfig> configs = new TreeMap<>();
    for (String id : members.keySet()) {
      configs.put(id, fromJson(id, Path.of("data", id).toString(), members,
          null, null, null, null, null, null, null, null, null, null));
    }
    return configs;
  }

  /** This configuration with another member list (a joining node learns it from the cluster). */
  public NodeConfig withMembers(Map<String, Member> newMembers) {
    return new NodeConfig(nodeId, dataDir, new TreeMap<>(newMembers), tickMs, electionTicks,
        heartbeatTicks, maxInflight, maxEntriesPerAppend, maxBytesPerAppend, snapshotEveryEntries,
        snapshotKeepEntries, syncDurableMarkBeforeAck, eventLoops, api, tls, storageReserveBytes, limits);
  }

  /** This configuration with other TLS settings. */
  public NodeConfig withTls(TlsSettings newTls) {
    return new NodeConfig(nodeId, dataDir, members, tickMs, electionTicks, heartbeatTicks,
        maxInflight, maxEntriesPerAppend, maxBytesPerAppend, snapshotEveryEntries,
        snapshotKeepEntries, syncDurableMarkBeforeAck, eventLoops, api, newTls, storageReserveBytes, limits);
  }

  /** This configuration with another storage reserve. */
  public NodeConfig withStorageReserveBytes(long bytes) {
    return new NodeConfig(nodeId, dataDir, members, tickMs, electionTicks, heartbeatTicks, maxInflight,
        maxEntriesPerAppend, maxBytesPerAppend, snapshotEveryEntries, snapshotKeepEntries,
        syncDurableMarkBeforeAck, eventLoops, api, tls, bytes, limits);
  }

  /** This configuration with other lock limits. */
  public NodeConfig withLimits(Limits newLimits) {
    return new NodeConfig(nodeId, dataDir, members, tickMs, electionTicks, heartbeatTicks, maxInflight,
        maxEntriesPerAppend, maxBytesPerAppend, snapshotEveryEntries, snapshotKeepEntries,
        syncDurableMarkBeforeAck, eventLoops, api, tls, storageReserveBytes, newLimits);
  }

  public RaftConfig raftConfig() {
    return new RaftConfig(nodeId, electionTicks, heartbeatTicks, maxInflight, maxEntriesPerAppend,
        maxBytesPerAppend, 4096, true, true);
  }

  public ClusterConfig clusterConfig() {
    return ClusterConfig.ofVoters(members.keySet());
  }
}
