package io.raftlock.api;

import io.raftlock.api.WsFuzzCases.Case;
import io.vertx.core.json.JsonObject;
import java.io.IOException;
import java.util.Arrays;
import java.util.List;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.function.BiConsumer;

/**
 * Sends WebSocket cases over raw sockets, one at a time per connection and several connections
 * at once, and reads what each got: the reply (pushed events skipped), or the close. A
 * connection is replaced after a close and after {@value #FRAMES_PER_CONNECTION} frames, so
 * the protocol's own limit (16 consecutive malformed frames, then close 1008) never decides an
 * answer. Runs on its own threads, never on an event loop.
 */
final class WsFuzzExchange {
  static final int FRAMES_PER_CONNECTION = 8;
  static final int READ_TIMEOUT_MS = 10_000;

  /** What a case got: an error reply's code, a response, a close code, or nothing. */
  record Outcome(String label, int closeCode, String errorCode, String text) {
    static Outcome close(int code) {
      return new Outcome("close " + code, code, null, null);
    }

    static Outcome none(String why) {
      return new Outcome(why, -1, null, null);
    }
  }

  private WsFuzzExchange() {}

  /**
   * Sends every case on {@code threads} threads, each with its own connections to the given ports
   * in turn, and hands each case and its outcome to {@code answered} (from those threads).
   */
  static void run(List<Case> cases, List<Integer> ports, int threads, BiConsumer<Case, Outcome> answered)
      throws Exception {
    ExecutorService pool = Executors.newFixedThreadPool(threads);
    try {
      List<Future<?>> done = new java.util.ArrayList<>();
      for (int t = 0; t < threads; t++) {
        int thread = t;
        done.add(pool.submit(() -> {
          Connection c = new Connection(ports.get(thread % ports.size()));
          try {
            for (int i = thread; i < cases.size(); i += threads) {
              answered.accept(cases.get(i), c.exchange(cases.get(i)));
            }
          } finally {
            c.close();
          }
          return null;
        }));
      }
      for (Future<?> f : done) {
        f.get();
      }
    } finally {
      pool.shutdownNow();
    }
  }

  /** One connection at a time to one port, reopened when needed. */
  private static final class Connection {
    private final int port;
    private WsRawClient client;
    private int frames;

    Connection(int port) {
      this.port = port;
    }

    Outcome exchange(Case c) throws IOException {
      if (client == null || frames >= FRAMES_PER_CONNECTION) {
        close();
        client = WsRawClient.connect(port, "/v1/ws", 0);
        client.readTimeoutMs(READ_TIMEOUT_MS);
        frames = 0;
      }
      frames++;
      Outcome outcome;
      try {
        send(c);
        outcome = read();
      } catch (IOException e) {
        outcome = Outcome.none("no answer (" + e.getClass().getSimpleName() + ")");
      }
      if (outcome.closeCode() != 0 || outcome.errorCode() == null && outcome.text() == null) {
        close(); // closed, or in an unknown state: the next case gets a new connection
      }
      return outcome;
    }

    private void send(Case c) throws IOException {
      switch (c.send()) {
        case TEXT -> client.sendFrame(WsRawClient.TEXT, true, c.payload());
        case BINARY -> client.sendFrame(WsRawClient.BINARY, true, c.payload());
        case CLAIMED_LENGTH -> client.sendFrame(WsRawClient.TEXT, true, c.claimedLength(), c.payload());
        case FRAGMENTED -> {
          byte[] p = c.payload();
          int cut = p.length / 2;
          client.sendFrame(WsRawClient.TEXT, false, Arrays.copyOf(p, cut));
          client.sendFrame(WsRawClient.CONTINUATION, true, Arrays.copyOfRange(p, cut, p.length));
        }
      }
    }

    /** The reply to the frame just sent: pushed events and pings are not replies. */
    private Outcome read() throws IOException {
      for (WsRawClient.Frame f = client.readFrame(); f != null; f = client.readFrame()) {
        if (f.opcode() == WsRawClient.CLOSE) {
          return Outcome.close(f.closeCode());
        }
        if (f.opcode() != WsRawClient.TEXT) {
          continue;
        }
        JsonObject reply;
        try {
          reply = new JsonObject(f.text());
        } catch (RuntimeException e) {
          return new Outcome("reply that is not JSON", 0, null, f.text());
        }
        if (reply.containsKey("event") || reply.containsKey("watchClosed")) {
          continue;
        }
        JsonObject error = reply.getValue("error") instanceof JsonObject e ? e : null;
        if (error != null && error.getString("code") != null) {
          return new Outcome("error " + error.getString("code"), 0, error.getString("code"), f.text());
        }
        return new Outcome(reply.containsKey("response") ? "response" : "error without a code", 0, null, f.text());
      }
      return Outcome.none("connection ended without a close frame");
    }

    void close() {
      if (client != null) {
        try {
          client.close();
        } catch (IOException e) {
          // already gone
        }
        client = null;
      }
    }
  }
}
