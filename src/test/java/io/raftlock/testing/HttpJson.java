package io.raftlock.testing;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.io.IOException;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.time.Duration;
import java.util.Optional;

/** One JSON GET against a node's HTTP port, for harnesses that poll nodes that may be down. */
public final class HttpJson {
  private static final ObjectMapper JSON = new ObjectMapper();
  /** HTTP/1.1: no h2c upgrade attempt on every poll (see MetricsScrapeClusterTest). */
  private static final HttpClient HTTP = HttpClient.newBuilder()
      .version(HttpClient.Version.HTTP_1_1).connectTimeout(Duration.ofMillis(300)).build();

  private HttpJson() {}

  /** The body of {@code url} as JSON, or empty unless it answered 200 within {@code timeout}. */
  public static Optional<JsonNode> get(String url, Duration timeout) {
    try {
      HttpResponse<String> r = HTTP.send(HttpRequest.newBuilder(URI.create(url)).timeout(timeout).build(),
          HttpResponse.BodyHandlers.ofString());
      return r.statusCode() == 200 ? Optional.of(JSON.readTree(r.body())) : Optional.empty();
    } catch (IOException e) {
      return Optional.empty();
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      return Optional.empty();
    }
  }
}
