package io.raftlock.nemesis;

import com.fasterxml.jackson.databind.ObjectMapper;
import com.sun.net.httpserver.HttpExchange;
import com.sun.net.httpserver.HttpServer;
import java.io.BufferedWriter;
import java.io.IOException;
import java.io.OutputStream;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.URLDecoder;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.TimeUnit;

/**
 * The fenced resource, one per lock, served over HTTP in the harness JVM:
 * {@code POST /write?lock=L1&token=57&process=c3} is accepted (200) iff the token is at least the
 * highest token accepted so far for that lock, else rejected (409, body: the highest token).
 * Every decision is appended to {@code resource.jsonl}, flushed, in the order decided: deciding
 * and logging happen under one monitor, so the file's order is the decision order.
 */
final class FencedResourceServer implements AutoCloseable {
  private static final ObjectMapper JSON = new ObjectMapper();

  private final HttpServer server;
  private final ExecutorService executor = Executors.newFixedThreadPool(4, r -> {
    Thread t = new Thread(r, "fenced-resource");
    t.setDaemon(true);
    return t;
  });
  private final BufferedWriter log;
  /** lock → highest accepted token; guarded by this. */
  private final Map<String, Long> highest = new HashMap<>();
  private long accepted;
  private long rejected;

  FencedResourceServer(Path logFile) throws IOException {
    this.log = Files.newBufferedWriter(logFile, StandardCharsets.UTF_8);
    this.server = HttpServer.create(new InetSocketAddress(InetAddress.getLoopbackAddress(), 0), 64);
    server.createContext("/write", this::handle);
    server.setExecutor(executor);
    server.start();
  }

  /** The base URL clients get as {@code --resource}. */
  String url() {
    return "http://127.0.0.1:" + server.getAddress().getPort();
  }

  private void handle(HttpExchange exchange) throws IOException {
    try (exchange) {
      if (!"POST".equals(exchange.getRequestMethod())) {
        reply(exchange, 405, "POST only");
        return;
      }
      Map<String, String> q = query(exchange.getRequestURI().getRawQuery());
      String lock = q.get("lock");
      String process = q.get("process");
      long token;
      try {
        token = Long.parseLong(q.getOrDefault("token", ""));
      } catch (NumberFormatException e) {
        reply(exchange, 400, "token must be an integer");
        return;
      }
      if (lock == null || lock.isEmpty() || process == null || process.isEmpty()) {
        reply(exchange, 400, "lock and process are required");
        return;
      }
      long[] decision = decide(lock, token, process);
      reply(exchange, decision[0] == 1 ? 200 : 409, Long.toString(decision[1]));
    }
  }

  /** Returns {accepted ? 1 : 0, highest after the decision}. */
  synchronized long[] decide(String lock, long token, String process) throws IOException {
    long before = highest.getOrDefault(lock, Long.MIN_VALUE);
    boolean ok = token >= before;
    if (ok) {
      highest.put(lock, token);
      accepted++;
    } else {
      rejected++;
    }
    long now = highest.get(lock);
    Map<String, Object> line = new LinkedHashMap<>();
    line.put("lock", lock);
    line.put("token", token);
    line.put("process", process);
    line.put("accepted", ok);
    line.put("highest", now);
    line.put("t", System.nanoTime());
    log.write(JSON.writeValueAsString(line));
    log.write('\n');
    log.flush();
    return new long[] {ok ? 1 : 0, now};
  }

  synchronized long accepted() {
    return accepted;
  }

  synchronized long rejected() {
    return rejected;
  }

  private static Map<String, String> query(String raw) {
    Map<String, String> q = new HashMap<>();
    if (raw != null) {
      for (String pair : raw.split("&")) {
        int eq = pair.indexOf('=');
        if (eq > 0) {
          q.put(URLDecoder.decode(pair.substring(0, eq), StandardCharsets.UTF_8),
              URLDecoder.decode(pair.substring(eq + 1), StandardCharsets.UTF_8));
        }
      }
    }
    return q;
  }

  private static void reply(HttpExchange exchange, int status, String body) throws IOException {
    byte[] bytes = body.getBytes(StandardCharsets.UTF_8);
    exchange.getResponseHeaders().set("Content-Type", "text/plain");
    exchange.sendResponseHeaders(status, bytes.length);
    try (OutputStream out = exchange.getResponseBody()) {
      out.write(bytes);
    }
  }

  @Override
  public void close() throws IOException {
    server.stop(0);
    executor.shutdownNow();
    try {
      executor.awaitTermination(5, TimeUnit.SECONDS);
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
    }
    synchronized (this) {
      log.close();
    }
  }
}
