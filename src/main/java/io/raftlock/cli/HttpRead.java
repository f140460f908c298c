package io.raftlock.cli;

import java.io.IOException;
import java.io.InputStream;
import java.net.HttpURLConnection;
import java.net.URI;
import java.net.URLEncoder;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.ThreadLocalRandom;

/**
 * The lean path of a one-shot read: one plain HTTP/1.1 GET (the node's {@code /v1/lock-info},
 * docs/api.md) with the JDK's {@link HttpURLConnection} and Jackson's streaming parser, instead of
 * Vert.x, Netty's HTTP/2, gRPC and the protobuf runtime, which are most of what a short command
 * spends its start on. No WebSocket handshake either (its key and accept digest start the JDK's
 * security providers and a SecureRandom).
 *
 * <p>It serves a read only when it can answer exactly as the full path would; otherwise it returns
 * empty and the command takes the full path (the gRPC client's retries, failover and error
 * reports), so output and exit codes never depend on which path answered:
 * <ul>
 *   <li>TLS options, or an API key that cannot travel in a header: not tried;
 *   <li>a node that does not accept the connection, or does not answer, within its share of the
 *   lean budget: the next endpoint, starting, as the full client does, at a random one; none
 *   left: the full path;
 *   <li>any answer but a 200 (a refusal: validation, auth, rate limit, no leader): the full path.
 * </ul>
 * The whole attempt takes at most {@link #budget} (a third of {@code --timeout}, at most
 * {@link #MAX_BUDGET}); the caller gives the full path what is left of {@code --timeout}.
 *
 * <p>{@code RAFTLOCK_LEAN=off} turns it off (every command takes the full path).
 */
final class HttpRead {
  /** The most the lean path may take, all endpoints together, before the full path takes over. */
  static final Duration MAX_BUDGET = Duration.ofSeconds(3);
  /** The most one endpoint may take (to connect, and again to answer) before the next is tried. */
  private static final Duration PER_ENDPOINT = Duration.ofSeconds(1);

  private HttpRead() {}

  /** Whether the lean path may serve this run at all. */
  static boolean applies(CliContext c) {
    return c.lean && c.tls == null && (c.apiKey == null || headerSafe(c.apiKey));
  }

  /** What the lean path may spend of {@code timeout}: a third, at most {@link #MAX_BUDGET}. */
  static Duration budget(Duration timeout) {
    Duration third = timeout.dividedBy(3);
    return third.compareTo(MAX_BUDGET) < 0 ? third : MAX_BUDGET;
  }

  /**
   * {@code GET path?query} from the first endpoint that answers, starting at a random one: the
   * body of a 200, or empty when the full path must answer (see the class comment).
   */
  static Optional<String> get(CliContext c, String path, Map<String, String> query) {
    return get(c, path, query, ThreadLocalRandom.current().nextInt(c.endpoints.size()));
  }

  /** As above, starting at endpoint {@code start} (tests). */
  static Optional<String> get(CliContext c, String path, Map<String, String> query, int start) {
    if (!applies(c)) {
      return Optional.empty();
    }
    String target = path + "?" + query(query);
    long deadlineNanos = System.nanoTime() + budget(c.timeout).toNanos();
    List<String> endpoints = c.endpoints;
    for (int i = 0; i < endpoints.size(); i++) {
      long leftMs = (deadlineNanos - System.nanoTime()) / 1_000_000;
      if (leftMs <= 0) {
        return Optional.empty();
      }
      int stepMs = (int) Math.min(leftMs, PER_ENDPOINT.toMillis());
      try {
        return once(c, endpoints.get(Math.floorMod(start + i, endpoints.size())), target, stepMs);
      } catch (IOException | IllegalArgumentException e) {
        // refused, reset, no answer in time, a host no URI can hold: the next endpoint
      }
    }
    return Optional.empty();
  }

  /** The 200 body from one node, empty for any other answer; an exception when it did not answer. */
  private static Optional<String> once(CliContext c, String endpoint, String target, int timeoutMs)
      throws IOException {
    HttpURLConnection http = (HttpURLConnection) URI.create("http://" + endpoint + target).toURL().openConnection();
    try {
      http.setConnectTimeout(timeoutMs);
      http.setReadTimeout(timeoutMs);
      http.setUseCaches(false);
      http.setInstanceFollowRedirects(false);
      if (c.apiKey != null) {
        http.setRequestProperty("Authorization", "Bearer " + c.apiKey);
      }
      if (http.getResponseCode() != 200) {
        return Optional.empty(); // the node answered with a refusal: the full path reports it
      }
      try (InputStream body = http.getInputStream()) {
        return Optional.of(new String(body.readAllBytes(), StandardCharsets.UTF_8));
      }
    } finally {
      http.disconnect();
    }
  }

  private static String query(Map<String, String> params) {
    StringBuilder sb = new StringBuilder();
    params.forEach((k, v) -> sb.append(sb.isEmpty() ? "" : "&").append(URLEncoder.encode(k, StandardCharsets.UTF_8))
        .append('=').append(URLEncoder.encode(v, StandardCharsets.UTF_8)));
    return sb.toString();
  }

  /** The header rule of the full client (CallHeaders): printable ASCII, no spaces, not empty. */
  private static boolean headerSafe(String key) {
    return !key.isEmpty() && key.chars().allMatch(ch -> ch > 0x20 && ch < 0x7f);
  }
}
