package io.raftlock.nemesis;

import io.raftlock.proto.api.LockEventMessage;
import io.raftlock.proto.api.RaftLockGrpcClient;
import io.raftlock.proto.api.SessionRequest;
import io.raftlock.proto.api.SessionResponse;
import io.vertx.core.Vertx;
import io.vertx.core.http.HttpClientOptions;
import io.vertx.core.http.HttpVersion;
import io.vertx.core.net.SocketAddress;
import io.vertx.grpc.client.GrpcClient;
import io.vertx.grpc.client.GrpcClientOptions;
import io.vertx.grpc.client.GrpcClientRequest;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.function.Consumer;

/**
 * The raw {@code Session} gRPC stream of one nemesis client, with nothing added: every request
 * the workload hands it goes out once, on the current stream, and nothing else is sent (no
 * automatic keep-alive, resume or re-send: the high-level client's would be requests the history
 * never sees). Answers are matched by correlation id; pushed events go to {@code onEvent}.
 *
 * <p>A stream that ends fails every request still waiting for its answer with
 * {@link StreamDown}{@code (sent = true)}: it may have been applied. {@link #send} without a
 * ready stream fails at once with {@code sent = false}: it certainly was not. Thread-safe; the
 * callers block on the futures from their own threads, never on the event loop.
 */
final class SessionLink implements AutoCloseable {
  /** The stream is not up, or went down before the answer came. */
  static final class StreamDown extends Exception {
    final boolean sent;

    StreamDown(boolean sent, String why) {
      super(why, null, false, false);
      this.sent = sent;
    }
  }

  /** One call to one node. */
  private static final class Stream {
    final SocketAddress target;
    GrpcClientRequest<SessionRequest, SessionResponse> request;
    boolean down;
    final Map<Long, CompletableFuture<SessionResponse>> pending = new HashMap<>();

    Stream(SocketAddress target) {
      this.target = target;
    }
  }

  private final GrpcClient grpc;
  private final List<SocketAddress> endpoints = new ArrayList<>();
  private final Consumer<LockEventMessage> onEvent;
  private final Runnable onDown;
  /** The {@code authorization} header of every stream, {@code null} with auth off. */
  private final String authorization;
  private Stream current;
  /** Counts the streams started: a stream's number tells a caller whether it is still current. */
  private long generation;
  private int next;
  private long correlation;

  /**
   * @param apiKey  sent as {@code authorization: Bearer} on every stream; {@code null}: none
   * @param onEvent a pushed event of the session (on the event loop)
   * @param onDown  the current stream went down (on the event loop)
   */
  SessionLink(Vertx vertx, List<String> hostPorts, long seed, String apiKey,
      Consumer<LockEventMessage> onEvent, Runnable onDown) {
    this.authorization = apiKey == null ? null : "Bearer " + apiKey;
    HttpClientOptions http = new HttpClientOptions().setProtocolVersion(HttpVersion.HTTP_2)
        .setHttp2ClearTextUpgrade(false).setConnectTimeout(1_000);
    this.grpc = GrpcClient.client(vertx, new GrpcClientOptions(), http);
    for (String hp : hostPorts) {
      int colon = hp.lastIndexOf(':');
      endpoints.add(SocketAddress.inetSocketAddress(Integer.parseInt(hp.substring(colon + 1)),
          hp.substring(0, colon)));
    }
    this.next = (int) Math.floorMod(seed, endpoints.size());
    this.onEvent = onEvent;
    this.onDown = onDown;
  }

  /** Whether a stream is up and ready to take requests. */
  synchronized boolean up() {
    return current != null && !current.down && current.request != null;
  }

  /** Whether stream number {@code g} is the current one and up. */
  synchronized boolean up(long g) {
    return g == generation && up();
  }

  /** The number of the current stream (the last one started). */
  synchronized long generation() {
    return generation;
  }

  /**
   * Ends the current stream (if any) and starts one on the next endpoint with {@code first}
   * (an {@code open} or a {@code resume}) as its first message; the future is its answer.
   */
  synchronized CompletableFuture<SessionResponse> connect(SessionRequest.Builder first) {
    if (current != null) {
      down(current, "replaced by a new stream");
    }
    Stream s = new Stream(endpoints.get(next++ % endpoints.size()));
    current = s;
    generation++;
    long id = ++correlation;
    CompletableFuture<SessionResponse> answer = new CompletableFuture<>();
    s.pending.put(id, answer);
    SessionRequest message = first.setCorrelationId(id).build();
    grpc.request(s.target, RaftLockGrpcClient.Session).onComplete(ar -> started(s, ar.result(),
        ar.cause(), message));
    return answer;
  }

  private synchronized void started(Stream s, GrpcClientRequest<SessionRequest, SessionResponse> req,
      Throwable failure, SessionRequest first) {
    if (failure != null || s.down) {
      if (req != null) {
        req.cancel();
      }
      // Nothing was written: the first request certainly did not reach the node.
      s.pending.values().forEach(f -> f.completeExceptionally(new StreamDown(false,
          "no stream to " + s.target + ": " + failure)));
      s.pending.clear();
      down(s, "could not start");
      return;
    }
    s.request = req;
    if (authorization != null) {
      req.headers().set("authorization", authorization);
    }
    req.exceptionHandler(e -> down(s, "stream error: " + e));
    req.write(first);
    req.response().onComplete(r -> {
      if (r.failed()) {
        down(s, "no response: " + r.cause());
        return;
      }
      r.result().handler(m -> deliver(s, m));
      r.result().exceptionHandler(e -> down(s, "response error: " + e));
      r.result().endHandler(v -> down(s, "ended by " + s.target + ": " + r.result().status()));
    });
  }

  /** Sends {@code r} on the current stream; fails at once, not sent, when there is none ready. */
  synchronized CompletableFuture<SessionResponse> send(SessionRequest.Builder r) {
    CompletableFuture<SessionResponse> answer = new CompletableFuture<>();
    if (!up()) {
      answer.completeExceptionally(new StreamDown(false, "no stream"));
      return answer;
    }
    long id = ++correlation;
    current.pending.put(id, answer);
    Stream s = current;
    s.request.write(r.setCorrelationId(id).build()).onFailure(e -> down(s, "write failed: " + e));
    return answer;
  }

  private void deliver(Stream s, SessionResponse m) {
    if (m.getCorrelationId() == 0 && m.hasEvent()) {
      onEvent.accept(m.getEvent());
      return;
    }
    CompletableFuture<SessionResponse> answer;
    synchronized (this) {
      answer = s.pending.remove(m.getCorrelationId());
    }
    if (answer != null) {
      answer.complete(m);
    }
  }

  /** Ends {@code s}: its unanswered requests may have been applied. */
  private synchronized void down(Stream s, String why) {
    if (s.down) {
      return;
    }
    s.down = true;
    if (s.request != null) {
      try {
        s.request.cancel();
      } catch (RuntimeException e) {
        // already gone: nothing more to end
      }
    }
    s.pending.values().forEach(f -> f.completeExceptionally(new StreamDown(true, why)));
    s.pending.clear();
    if (s == current) {
      onDown.run();
    }
  }

  @Override
  public synchronized void close() {
    if (current != null) {
      down(current, "closed");
    }
    grpc.close();
  }
}
