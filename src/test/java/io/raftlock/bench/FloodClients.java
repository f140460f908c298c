package io.raftlock.bench;

import com.google.protobuf.Duration;
import io.grpc.ManagedChannel;
import io.grpc.ManagedChannelBuilder;
import io.grpc.Status;
import io.grpc.StatusRuntimeException;
import io.raftlock.bench.ApiLoadBench.NodeRef;
import io.raftlock.proto.api.AcquireRequest;
import io.raftlock.testing.StockRaftLock;
import io.grpc.Metadata;
import io.grpc.stub.MetadataUtils;
import io.vertx.core.http.WebSocketConnectOptions;
import io.vertx.core.Vertx;
import io.vertx.core.http.WebSocket;
import io.vertx.core.http.WebSocketClient;
import io.vertx.core.http.WebSocketClientOptions;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicLong;

/**
 * The flooding side of {@link FloodBench}: {@code connections} WebSocket connections or gRPC
 * channels to one node, each sending acquire requests at its share of {@code ratePerSecond}
 * without waiting for answers (paced in 10 ms batches). Every acquire names a lock of its own with
 * a 1 s TTL, so each admitted one is a grant to commit and, a second later, an expiry.
 *
 * <p>What the node does with the flood is counted from the answers: admitted (any answer that is
 * not a refusal), refused ({@code RATE_LIMITED} / {@code RESOURCE_EXHAUSTED}), failed (another
 * error, a deadline, a reset). A request the client could not even hand to its connection (the
 * WebSocket's write queue full because the node stopped reading, or more than
 * {@link #MAX_OUTSTANDING} gRPC calls unanswered) is counted as held back, not sent.
 *
 * <p>As a process of its own (the nemesis's flood fault): {@code FloodClients host:port ws|grpc
 * connections ratePerSecond seconds [lockPrefix]} floods for that long, then prints its counts on
 * one line; with {@code RAFTLOCK_API_KEY} in its environment every request carries that key.
 */
public final class FloodClients implements AutoCloseable {
  /**
   * Unanswered gRPC calls of all channels together beyond which the flooder holds back: its own
   * memory (a million queued calls made the driver's collector stall the polite client beside it).
   */
  static final int MAX_OUTSTANDING = 20_000;
  static final long BATCH_MS = 10;

  enum Transport { WS, GRPC }

  /** Totals over all connections. */
  final AtomicLong sent = new AtomicLong();
  final AtomicLong heldBack = new AtomicLong();
  final AtomicLong admitted = new AtomicLong();
  final AtomicLong refused = new AtomicLong();
  final AtomicLong failed = new AtomicLong();
  /**
   * WebSocket connections that closed before {@link #close}; each is reopened at once so the
   * flood goes on.
   */
  final AtomicLong lost = new AtomicLong();
  private volatile boolean closing;

  private final Vertx vertx = Vertx.vertx();
  private final List<ManagedChannel> channels = new ArrayList<>();
  private final List<WebSocket> sockets = new java.util.concurrent.CopyOnWriteArrayList<>();
  /**
   * Held for as long as the flood runs: Vert.x 5 registers a cleaner on a WebSocketClient that,
   * once the client is unreachable, shuts it down with a 30 s grace, which closes its connections.
   * Dropped after connecting, the one flood connection was reset about 32 s in (seen in a packet
   * capture as an RST from the flooder's port; eclipse-vertx/vert.x#5612).
   */
  private final List<WebSocketClient> wsClients = new java.util.concurrent.CopyOnWriteArrayList<>();
  private final List<Long> timers = new java.util.concurrent.CopyOnWriteArrayList<>();
  private final AtomicLong outstanding = new AtomicLong(); // gRPC calls of every channel
  private final String runId = Long.toString(System.nanoTime(), 36);
  private final String lockPrefix;
  private final String apiKey; // null: auth off

  /** Opens the connections and starts sending; {@link #close} stops. */
  FloodClients(Transport transport, int connections, double ratePerSecond, NodeRef target) throws Exception {
    this(transport, connections, ratePerSecond, target, "flood/", null);
  }

  /** Locks named {@code lockPrefix + client + "/" + n}; every request with {@code apiKey} unless null. */
  FloodClients(Transport transport, int connections, double ratePerSecond, NodeRef target, String lockPrefix,
      String apiKey) throws Exception {
    this.lockPrefix = lockPrefix;
    this.apiKey = apiKey;
    double perBatch = ratePerSecond / connections * BATCH_MS / 1000.0;
    for (int c = 0; c < connections; c++) {
      if (transport == Transport.GRPC) {
        channels.add(ManagedChannelBuilder.forAddress(target.host(), target.port()).usePlaintext().build());
      }
    }
    awaitConnected(); // a gRPC channel connects lazily: the flood's time starts once it can send
    for (int c = 0; c < connections; c++) {
      String clientId = "flood-" + runId + "-" + c;
      if (transport == Transport.WS) {
        startWs(target, clientId, perBatch);
      } else {
        startGrpc(channels.get(c), clientId, perBatch);
      }
    }
  }

  /** Waits up to 10 s for every gRPC channel to be connected (a driver thread, not an event loop). */
  private void awaitConnected() throws InterruptedException {
    long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(10);
    for (ManagedChannel c : channels) {
      while (c.getState(true) != io.grpc.ConnectivityState.READY && System.nanoTime() < deadline) {
        TimeUnit.MILLISECONDS.sleep(10);
      }
    }
  }

  private void startWs(NodeRef target, String clientId, double perBatch) throws Exception {
    // A node that stopped reading this socket does not read its close frame either: after 1 s the
    // client closes the TCP connection itself.
    WebSocketClient client = vertx.createWebSocketClient(new WebSocketClientOptions()
        .setMaxFrameSize(1 << 20).setMaxMessageSize(1 << 20).setClosingTimeout(1));
    wsClients.add(client);
    WebSocketConnectOptions connect = new WebSocketConnectOptions().setHost(target.host()).setPort(target.port())
        .setURI("/v1/ws");
    if (apiKey != null) {
      connect.addHeader("Authorization", "Bearer " + apiKey);
    }
    WebSocket ws = client.connect(connect).toCompletionStage().toCompletableFuture().get(10, TimeUnit.SECONDS);
    long openedAt = System.nanoTime();
    sockets.add(ws);
    ws.closeHandler(v -> {
      if (!closing) {
        lost.incrementAndGet();
        System.err.printf("flood connection %s closed %.1f s after it opened, after %,d acquires sent: %s %s;"
            + " reopening%n", clientId, (System.nanoTime() - openedAt) / 1e9, sent.get(), ws.closeStatusCode(),
            ws.closeReason());
        reopen(target, clientId, perBatch);
      }
    });
    ws.exceptionHandler(t -> System.err.printf("flood connection %s failed %.1f s after it opened: %s%n",
        clientId, (System.nanoTime() - openedAt) / 1e9, t));
    ws.textMessageHandler(text -> {
      if (text.contains("\"RATE_LIMITED\"")) {
        refused.incrementAndGet();
      } else if (text.contains("\"error\"")) {
        failed.incrementAndGet();
      } else {
        admitted.incrementAndGet();
      }
    });
    long[] seq = {0};
    double[] owed = {0};
    timers.add(vertx.setPeriodic(BATCH_MS, id -> {
      owed[0] += perBatch;
      for (; owed[0] >= 1 && !ws.isClosed(); owed[0]--) { // closed: by close(), or by the node
        if (ws.writeQueueFull()) {
          heldBack.incrementAndGet();
          continue;
        }
        long n = seq[0]++;
        ws.writeTextMessage("{\"id\":\"" + n + "\",\"op\":\"acquire\",\"request\":{\"lockId\":\"" + lockPrefix + clientId
            + "/" + n + "\",\"clientId\":\"" + clientId + "\",\"ttl\":\"1s\"}}");
        sent.incrementAndGet();
      }
    }));
  }

  /** Opens a lost connection again from a thread of its own (connecting blocks; an event loop must not). */
  private void reopen(NodeRef target, String clientId, double perBatch) {
    Thread t = new Thread(() -> {
      try {
        if (!closing) {
          startWs(target, clientId, perBatch);
        }
      } catch (Exception e) {
        System.err.println("flood connection " + clientId + " could not be reopened: " + e);
      }
    }, "flood-reopen");
    t.setDaemon(true);
    t.start();
  }

  private void startGrpc(ManagedChannel channel, String clientId, double perBatch) {
    io.grpc.Channel calls = channel;
    if (apiKey != null) {
      Metadata headers = new Metadata();
      headers.put(Metadata.Key.of("authorization", Metadata.ASCII_STRING_MARSHALLER), "Bearer " + apiKey);
      calls = io.grpc.ClientInterceptors.intercept(channel, MetadataUtils.newAttachHeadersInterceptor(headers));
    }
    StockRaftLock api = new StockRaftLock(calls, 10_000);
    long[] seq = {0};
    double[] owed = {0};
    Duration ttl = Duration.newBuilder().setSeconds(1).build();
    timers.add(vertx.setPeriodic(BATCH_MS, id -> {
      owed[0] += perBatch;
      for (; owed[0] >= 1; owed[0]--) {
        if (outstanding.get() >= MAX_OUTSTANDING) {
          heldBack.incrementAndGet();
          continue;
        }
        long n = seq[0]++;
        outstanding.incrementAndGet();
        sent.incrementAndGet();
        api.async(StockRaftLock.ACQUIRE, AcquireRequest.newBuilder().setLockId(lockPrefix + clientId + "/" + n)
            .setClientId(clientId).setTtl(ttl).build()).whenComplete((r, t) -> {
              outstanding.decrementAndGet();
              if (t == null) {
                admitted.incrementAndGet();
              } else if (t instanceof StatusRuntimeException e
                  && e.getStatus().getCode() == Status.Code.RESOURCE_EXHAUSTED) {
                refused.incrementAndGet();
              } else {
                failed.incrementAndGet();
              }
            });
      }
    }));
  }

  public static void main(String[] args) {
    try {
      run(args);
    } catch (Throwable t) {
      // Vert.x's event-loop threads are not daemons: without this exit a failed start would hang.
      t.printStackTrace();
      System.exit(1);
    }
  }

  private static void run(String[] args) throws Exception {
    if (args.length != 5 && args.length != 6) {
      System.err.println("usage: FloodClients host:port ws|grpc connections ratePerSecond seconds [lockPrefix]");
      System.exit(2);
    }
    String[] hostPort = args[0].split(":");
    NodeRef target = new NodeRef("target", hostPort[0], Integer.parseInt(hostPort[1]), -1);
    FloodClients flood = new FloodClients(Transport.valueOf(args[1].toUpperCase()), Integer.parseInt(args[2]),
        Double.parseDouble(args[3]), target, args.length == 6 ? args[5] : "flood/", System.getenv("RAFTLOCK_API_KEY"));
    System.out.println(STARTED); // connected and sending: a parent can start measuring now
    System.out.flush();
    try {
      TimeUnit.SECONDS.sleep(Long.parseLong(args[4])); // a driver's own thread
    } finally {
      flood.close();
    }
    System.out.println(flood.counts());
    System.exit(0);
  }

  /** The process's first line on stdout once every connection sends; its counts follow on the last. */
  static final String STARTED = "flooding";

  /** The totals of one flood. */
  record Counts(long sent, long heldBack, long admitted, long refused, long failed, long lost) {
    private static final java.util.regex.Pattern LINE = java.util.regex.Pattern.compile("sent (\\d+), held back (\\d+),"
        + " admitted (\\d+), refused (\\d+), failed (\\d+), connections lost (\\d+)");

    /** The counts of a line {@link #toString} wrote (a flood process's last line). */
    static Counts parse(String line) {
      java.util.regex.Matcher m = LINE.matcher(line.trim());
      if (!m.matches()) {
        throw new IllegalArgumentException("not a flood's counts: " + line);
      }
      return new Counts(Long.parseLong(m.group(1)), Long.parseLong(m.group(2)), Long.parseLong(m.group(3)),
          Long.parseLong(m.group(4)), Long.parseLong(m.group(5)), Long.parseLong(m.group(6)));
    }

    @Override
    public String toString() {
      return String.format(java.util.Locale.ROOT, "sent %d, held back %d, admitted %d, refused %d, failed %d,"
          + " connections lost %d", sent, heldBack, admitted, refused, failed, lost);
    }
  }

  /** The totals so far. */
  Counts counts() {
    return new Counts(sent.get(), heldBack.get(), admitted.get(), refused.get(), failed.get(), lost.get());
  }

  @Override
  public void close() throws Exception {
    closing = true;
    timers.forEach(vertx::cancelTimer);
    // Calls sent in the last moments get up to 5 s to be answered before the channels are cut.
    long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(5);
    while (outstanding.get() > 0 && System.nanoTime() < deadline) {
      TimeUnit.MILLISECONDS.sleep(10);
    }
    for (WebSocket ws : sockets) {
      ws.close();
    }
    for (ManagedChannel c : channels) {
      c.shutdownNow().awaitTermination(10, TimeUnit.SECONDS);
    }
    vertx.close().toCompletionStage().toCompletableFuture().get(60, TimeUnit.SECONDS);
  }
}
