package io.raftlock.web;

import io.vertx.core.Promise;
import io.vertx.core.Vertx;
import io.vertx.core.http.WebSocket;
import io.vertx.core.http.WebSocketClient;
import io.vertx.core.http.WebSocketClientOptions;
import io.vertx.core.json.JsonObject;
import java.io.BufferedReader;
import java.io.IOException;
import java.io.InputStreamReader;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.Base64;
import java.util.Deque;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicLong;

/**
 * Headless Chromium driven over the Chrome DevTools Protocol, with a Vert.x WebSocket client and
 * no WebDriver: launch with {@code --remote-debugging-port=0}, read the browser's WebSocket address
 * from its stderr, open one page target (flat session) and send it commands.
 *
 * <p>Test code: its methods block the calling (test) thread until Chromium answers, with a
 * timeout; they must not be called on an event loop.
 */
public final class Chromium implements AutoCloseable {
  private static final Duration COMMAND_TIMEOUT = Duration.ofSeconds(15);

  private final Process process;
  private final Path userDataDir;
  private final WebSocketClient client;
  private final Deque<String> stderrTail;
  private final AtomicLong ids = new AtomicLong();
  private final Map<Long, Promise<JsonObject>> pending = new ConcurrentHashMap<>();
  private WebSocket socket;
  private String sessionId;

  private Chromium(Process process, Path userDataDir, WebSocketClient client, Deque<String> stderrTail) {
    this.process = process;
    this.userDataDir = userDataDir;
    this.client = client;
    this.stderrTail = stderrTail;
  }

  /**
   * Runs the project's {@code scripts/install-browser.sh} (idempotent; installs with apt-get as
   * root). Returns why the browser is unavailable, or empty when {@code chromium} is ready.
   */
  public static Optional<String> install(Path projectRoot, Duration within) throws IOException, InterruptedException {
    Path script = projectRoot.resolve("scripts").resolve("install-browser.sh");
    Process p = new ProcessBuilder("bash", script.toString()).directory(projectRoot.toFile())
        .redirectErrorStream(true).start();
    String output;
    CompletableFuture<String> read = CompletableFuture.supplyAsync(() -> {
      try {
        return new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
      } catch (IOException e) {
        return e.toString();
      }
    });
    if (!p.waitFor(within.toMillis(), TimeUnit.MILLISECONDS)) {
      p.destroyForcibly();
      return Optional.of(script + " did not finish within " + within);
    }
    output = read.join().trim();
    return p.exitValue() == 0 ? Optional.empty()
        : Optional.of(script + " exited " + p.exitValue() + ": " + output.lines().reduce((a, b) -> b).orElse(""));
  }

  /** Starts headless Chromium with a fresh profile and attaches to a blank page. */
  public static Chromium launch(Vertx vertx, int width, int height) throws Exception {
    Path profile = Files.createTempDirectory("raftlock-chromium");
    List<String> command = new ArrayList<>(List.of("chromium", "--headless=new", "--remote-debugging-port=0",
        "--remote-debugging-address=127.0.0.1", "--user-data-dir=" + profile, "--no-first-run",
        "--no-default-browser-check", "--disable-gpu", "--disable-dev-shm-usage", "--disable-extensions",
        "--hide-scrollbars", "--window-size=" + width + "," + height));
    if ("root".equals(System.getProperty("user.name"))) {
      command.add("--no-sandbox"); // Chromium refuses to start its sandbox as root
    }
    command.add("about:blank");
    Process process = new ProcessBuilder(command).redirectOutput(ProcessBuilder.Redirect.DISCARD).start();
    Deque<String> tail = new ArrayDeque<>();
    CompletableFuture<String> address = new CompletableFuture<>();
    // Drains stderr for the whole run (a full pipe would stall the browser) and finds the address.
    Thread reader = new Thread(() -> {
      try (BufferedReader err = new BufferedReader(new InputStreamReader(process.getErrorStream(), StandardCharsets.UTF_8))) {
        for (String line; (line = err.readLine()) != null; ) {
          synchronized (tail) {
            tail.addLast(line);
            if (tail.size() > 20) {
              tail.removeFirst();
            }
          }
          int at = line.indexOf("ws://");
          if (line.startsWith("DevTools listening on") && at >= 0) {
            address.complete(line.substring(at).trim());
          }
        }
      } catch (IOException e) {
        // the process ended
      }
      address.completeExceptionally(new IllegalStateException("chromium exited before listening"));
    }, "chromium-stderr");
    reader.setDaemon(true);
    reader.start();
    WebSocketClient client = vertx.createWebSocketClient(new WebSocketClientOptions()
        .setMaxFrameSize(64 * 1024 * 1024).setMaxMessageSize(64 * 1024 * 1024));
    Chromium chromium = new Chromium(process, profile, client, tail);
    try {
      chromium.connect(address.get(30, TimeUnit.SECONDS));
      String targetId = chromium.send("Target.createTarget", new JsonObject().put("url", "about:blank"))
          .getString("targetId");
      chromium.sessionId = chromium.send("Target.attachToTarget",
          new JsonObject().put("targetId", targetId).put("flatten", true)).getString("sessionId");
      chromium.send("Page.enable", new JsonObject());
      chromium.send("Emulation.setDeviceMetricsOverride", new JsonObject().put("width", width)
          .put("height", height).put("deviceScaleFactor", 1).put("mobile", false));
      return chromium;
    } catch (Exception e) {
      String stderr = chromium.stderr();
      chromium.close();
      throw new IllegalStateException("chromium did not start: " + e + "\n" + stderr, e);
    }
  }

  private void connect(String browserAddress) throws Exception {
    // The message handler is set as the socket opens, on its event loop, so no answer is missed.
    // No Origin header: Chromium 111+ refuses DevTools connections from an origin it was not told
    // to allow (--remote-allow-origins), and a client that sends none is not a web page.
    socket = client.connect(new io.vertx.core.http.WebSocketConnectOptions().setAbsoluteURI(browserAddress)
            .setAllowOriginHeader(false))
        .map(ws -> {
          ws.textMessageHandler(text -> {
            JsonObject message = new JsonObject(text);
            Long id = message.getLong("id");
            Promise<JsonObject> waiting = id == null ? null : pending.remove(id);
            if (waiting == null) {
              return; // an event: this driver only polls
            }
            if (message.containsKey("error")) {
              waiting.fail(new IllegalStateException(message.getJsonObject("error").encode()));
            } else {
              waiting.complete(message.getJsonObject("result", new JsonObject()));
            }
          });
          return ws;
        })
        .await(COMMAND_TIMEOUT.toMillis(), TimeUnit.MILLISECONDS);
  }

  /** Sends one command (to the page once attached) and waits for its result. */
  public JsonObject send(String method, JsonObject params) throws Exception {
    long id = ids.incrementAndGet();
    JsonObject message = new JsonObject().put("id", id).put("method", method).put("params", params);
    if (sessionId != null) {
      message.put("sessionId", sessionId);
    }
    Promise<JsonObject> answer = Promise.promise();
    pending.put(id, answer);
    socket.writeTextMessage(message.encode());
    try {
      return answer.future().await(COMMAND_TIMEOUT.toMillis(), TimeUnit.MILLISECONDS);
    } finally {
      pending.remove(id);
    }
  }

  public void navigate(String url) throws Exception {
    JsonObject r = send("Page.navigate", new JsonObject().put("url", url));
    if (r.getString("errorText") != null) {
      throw new IllegalStateException("navigation to " + url + " failed: " + r.getString("errorText"));
    }
  }

  /** Evaluates a JavaScript expression in the page; its value, returned by value (JSON types). */
  public Object evaluate(String expression) throws Exception {
    JsonObject r = send("Runtime.evaluate", new JsonObject().put("expression", expression)
        .put("returnByValue", true));
    if (r.containsKey("exceptionDetails")) {
      throw new IllegalStateException("script failed: " + r.getJsonObject("exceptionDetails").encode());
    }
    return r.getJsonObject("result").getValue("value");
  }

  /** A PNG of the page as shown. */
  public byte[] screenshot() throws Exception {
    String data = send("Page.captureScreenshot", new JsonObject().put("format", "png")).getString("data");
    return Base64.getDecoder().decode(data);
  }

  /** Chromium's last lines on stderr, for failure messages. */
  public String stderr() {
    synchronized (stderrTail) {
      return String.join("\n", stderrTail);
    }
  }

  @Override
  public void close() {
    if (socket != null) {
      // Not awaited: the browser may close the socket before answering. Destroyed below if need be.
      socket.writeTextMessage(new JsonObject().put("id", ids.incrementAndGet()).put("method", "Browser.close").encode());
    }
    try {
      if (!process.waitFor(5, TimeUnit.SECONDS)) {
        process.destroyForcibly().waitFor(5, TimeUnit.SECONDS);
      }
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      process.destroyForcibly();
    }
    client.close();
    deleteQuietly(userDataDir);
  }

  private static void deleteQuietly(Path dir) {
    try (var paths = Files.walk(dir)) {
      paths.sorted(java.util.Comparator.reverseOrder()).forEach(p -> p.toFile().delete());
    } catch (IOException e) {
      // a temporary profile left behind is harmless
    }
  }
}
