package io.raftlock.transport.bench;

import io.raftlock.testing.FreePorts;
import io.raftlock.raft.Entry;
import io.raftlock.raft.Message;
import io.raftlock.transport.GrpcPeerTransport;
import io.raftlock.node.PeerTransport;
import io.raftlock.transport.PeerTransportConfig;
import io.raftlock.transport.PeerTransportConfig.PeerAddress;
import io.vertx.core.Context;
import io.vertx.core.Future;
import io.vertx.core.Promise;
import io.vertx.core.Vertx;
import io.vertx.core.internal.VertxInternal;
import java.util.Arrays;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;

/**
 * Round trips between two transports in one JVM over loopback: "a" sends AppendEntries carrying
 * one 128-byte entry, "b" answers each with an AppendEntriesResponse, and "a" keeps {@code window}
 * requests outstanding. Prints round trips per second and the round-trip latency percentiles.
 *
 * <p>Usage: {@code TransportBench [seconds=10] [warmupSeconds=3] [windows=1,16,128]}
 */
public final class TransportBench {
  private static final int PAYLOAD_BYTES = 128;

  public static void main(String[] args) throws Exception {
    int seconds = args.length > 0 ? Integer.parseInt(args[0]) : 10;
    int warmup = args.length > 1 ? Integer.parseInt(args[1]) : 3;
    int[] windows = Arrays.stream((args.length > 2 ? args[2] : "1,16,128").split(","))
        .mapToInt(Integer::parseInt).toArray();
    GrpcPeerTransport.preload();
    Vertx vertx = Vertx.vertx();
    Map<String, PeerAddress> members = new TreeMap<>();
    members.put("a", new PeerAddress("127.0.0.1", FreePorts.next()));
    members.put("b", new PeerAddress("127.0.0.1", FreePorts.next()));
    Context ca = ((VertxInternal) vertx).createEventLoopContext();
    Context cb = ((VertxInternal) vertx).createEventLoopContext();
    GrpcPeerTransport a = new GrpcPeerTransport(vertx, config("a", members));
    GrpcPeerTransport b = new GrpcPeerTransport(vertx, config("b", members));
    Driver driver = new Driver(a);
    join(on(cb, () -> b.start(new Echo(b))));
    join(on(ca, () -> a.start(driver)));
    System.out.printf("java %s, %d cores, payload %d B, %d s per run after %d s warm-up%n",
        System.getProperty("java.version"), Runtime.getRuntime().availableProcessors(),
        PAYLOAD_BYTES, seconds, warmup);
    for (int window : windows) {
      driver.run(ca, vertx, window, warmup, seconds).get(seconds + warmup + 60L, TimeUnit.SECONDS);
    }
    join(on(ca, a::close));
    join(on(cb, b::close));
    join(vertx.close());
  }

  private static PeerTransportConfig config(String id, Map<String, PeerAddress> members) {
    return PeerTransportConfig.of(id, "127.0.0.1", members.get(id).port(), members)
        .withReconnect(10, 100);
  }

  /** b: answers every AppendEntries at once, on b's context. */
  private record Echo(GrpcPeerTransport transport) implements PeerTransport.Listener {
    @Override
    public void onMessage(Message m) {
      if (m instanceof Message.AppendEntries ae) {
        long last = ae.prevLogIndex() + ae.entries().size();
        transport.send(new Message.AppendEntriesResponse("b", "a", ae.term(), true, last, 0, 0, 0));
      }
    }

    @Override
    public void onUnreachable(String peer) {}

    @Override
    public void onSnapshotStatus(String peer, boolean delivered) {}

    @Override
    public io.vertx.core.Future<io.raftlock.node.Applied> onForward(String from, byte[] command) {
      return io.vertx.core.Future.failedFuture(new io.raftlock.node.ProposalException(
          io.raftlock.node.ProposalException.Reason.NOT_LEADER, null));
    }
  }

  /** a: keeps {@code window} AppendEntries in flight and records each round trip. */
  private static final class Driver implements PeerTransport.Listener {
    private final GrpcPeerTransport transport;
    private final byte[] payload = new byte[PAYLOAD_BYTES];
    // --- confined to a's context ---
    private final long[] sentAt = new long[1 << 16];
    private long[] samples = new long[1 << 20];
    private int count;
    private long seq;
    private boolean recording;
    private boolean sending;
    private int outstanding;
    private long unreachable;
    private CompletableFuture<Void> done;
    private long startNanos;

    Driver(GrpcPeerTransport transport) {
      this.transport = transport;
    }

    CompletableFuture<Void> run(Context context, Vertx vertx, int window, int warmup, int seconds) {
      CompletableFuture<Void> finished = new CompletableFuture<>();
      context.runOnContext(v -> {
        done = finished;
        count = 0;
        recording = false;
        sending = true;
        for (int i = 0; i < window; i++) {
          sendOne();
        }
        vertx.setTimer(warmup * 1000L, t1 -> {
          recording = true;
          startNanos = System.nanoTime();
          vertx.setTimer(seconds * 1000L, t2 -> stop(window));
        });
      });
      return finished;
    }

    private void stop(int window) {
      long elapsed = System.nanoTime() - startNanos;
      recording = false;
      sending = false;
      long[] sorted = Arrays.copyOf(samples, count);
      Arrays.sort(sorted);
      System.out.printf("window %4d: %,10.0f round trips/s  p50 %7.1f us  p99 %7.1f us  "
              + "p99.9 %7.1f us  (n=%d, unreachable reports %d)%n",
          window, count / (elapsed / 1e9), pct(sorted, 0.50), pct(sorted, 0.99),
          pct(sorted, 0.999), count, unreachable);
      checkDrained();
    }

    private void checkDrained() {
      if (!sending && outstanding == 0 && done != null) {
        CompletableFuture<Void> d = done;
        done = null;
        d.complete(null);
      }
    }

    private void sendOne() {
      long s = ++seq;
      sentAt[(int) (s & (sentAt.length - 1))] = System.nanoTime();
      outstanding++;
      transport.send(new Message.AppendEntries("a", "b", 1, s - 1, 1,
          List.of(Entry.normal(1, s, payload)), s - 1));
    }

    @Override
    public void onMessage(Message m) {
      if (!(m instanceof Message.AppendEntriesResponse r)) {
        return;
      }
      outstanding--;
      if (recording) {
        long rtt = System.nanoTime() - sentAt[(int) (r.matchIndex() & (sentAt.length - 1))];
        if (count == samples.length) {
          samples = Arrays.copyOf(samples, samples.length * 2);
        }
        samples[count++] = rtt;
      }
      if (sending) {
        sendOne();
      } else {
        checkDrained();
      }
    }

    @Override
    public void onUnreachable(String peer) {
      unreachable++;
    }

    @Override
    public void onSnapshotStatus(String peer, boolean delivered) {}

    @Override
    public io.vertx.core.Future<io.raftlock.node.Applied> onForward(String from, byte[] command) {
      return io.vertx.core.Future.failedFuture(new io.raftlock.node.ProposalException(
          io.raftlock.node.ProposalException.Reason.NOT_LEADER, null));
    }
  }

  private static double pct(long[] sorted, double p) {
    return sorted.length == 0 ? Double.NaN
        : sorted[(int) Math.min(sorted.length - 1, Math.floor(p * sorted.length))] / 1000.0;
  }

  private static <T> Future<T> on(Context context, java.util.function.Supplier<Future<T>> action) {
    Promise<T> promise = Promise.promise();
    context.runOnContext(v -> action.get().onComplete(promise));
    return promise.future();
  }

  private static <T> T join(Future<T> f) throws Exception {
    return f.toCompletionStage().toCompletableFuture().get(30, TimeUnit.SECONDS);
  }
}
