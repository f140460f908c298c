package io.raftlock.bench;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.raftlock.client.ClientTls;
import io.raftlock.client.RaftLockClient;
import java.io.IOException;
import java.io.InputStream;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.GeneralSecurityException;
import java.security.KeyStore;
import java.security.cert.Certificate;
import java.security.cert.CertificateFactory;
import java.time.Duration;
import java.util.Optional;
import javax.net.ssl.SSLContext;
import javax.net.ssl.TrustManagerFactory;

/**
 * How a benchmark driver reaches a RaftLock cluster: plaintext and no key ({@link #PLAIN}), or
 * TLS trusting {@code caFile} with an API key (scripts/bench.sh --secure). Applies to the
 * {@link RaftLockClient}s the driver builds and to its HTTP reads of the nodes ({@code /status}
 * to find the leader, {@code /metrics} for the heap).
 */
final class BenchAccess {
  static final BenchAccess PLAIN = new BenchAccess(null, null);
  private static final ObjectMapper JSON = new ObjectMapper();

  private final Path caFile;
  private final String apiKey;
  private final HttpClient http;

  /**
   * @param caFile the CA of the nodes' client-port certificates, or null for plaintext
   * @param apiKey the key sent with every call, or null when auth is off
   */
  BenchAccess(Path caFile, String apiKey) {
    this.caFile = caFile;
    this.apiKey = apiKey;
    this.http = http(caFile);
  }

  boolean secure() {
    return caFile != null;
  }

  /** {@code b} over TLS and with the key, as configured. */
  RaftLockClient.Builder apply(RaftLockClient.Builder b) {
    if (caFile != null) {
      b.tls(ClientTls.trusting(caFile));
    }
    if (apiKey != null) {
      b.apiKey(apiKey);
    }
    return b;
  }

  /** The body of {@code path} on node {@code n}, or empty unless it answered 200 within {@code timeout}. */
  Optional<String> get(ApiLoadBench.NodeRef n, String path, Duration timeout) {
    HttpRequest.Builder r = HttpRequest.newBuilder(URI.create((secure() ? "https://" : "http://") + n.host() + ":"
        + n.port() + path)).timeout(timeout);
    if (apiKey != null) {
      r.header("Authorization", "Bearer " + apiKey);
    }
    try {
      HttpResponse<String> response = http.send(r.build(), HttpResponse.BodyHandlers.ofString());
      return response.statusCode() == 200 ? Optional.of(response.body()) : Optional.empty();
    } catch (IOException e) {
      return Optional.empty();
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      return Optional.empty();
    }
  }

  /** {@link #get} read as JSON. */
  Optional<JsonNode> json(ApiLoadBench.NodeRef n, String path, Duration timeout) {
    return get(n, path, timeout).flatMap(body -> {
      try {
        return Optional.of(JSON.readTree(body));
      } catch (IOException e) {
        return Optional.empty();
      }
    });
  }

  /** HTTP/1.1 (no h2c upgrade attempt on every poll), over TLS trusting {@code caFile} when set. */
  private static HttpClient http(Path caFile) {
    HttpClient.Builder b = HttpClient.newBuilder().version(HttpClient.Version.HTTP_1_1)
        .connectTimeout(Duration.ofMillis(300));
    if (caFile != null) {
      b.sslContext(trusting(caFile));
    }
    return b.build();
  }

  private static SSLContext trusting(Path caFile) {
    try (InputStream in = Files.newInputStream(caFile)) {
      KeyStore store = KeyStore.getInstance("PKCS12");
      store.load(null, null);
      int i = 0;
      for (Certificate ca : CertificateFactory.getInstance("X.509").generateCertificates(in)) {
        store.setCertificateEntry("ca-" + i++, ca);
      }
      TrustManagerFactory trust = TrustManagerFactory.getInstance(TrustManagerFactory.getDefaultAlgorithm());
      trust.init(store);
      SSLContext ssl = SSLContext.getInstance("TLS");
      ssl.init(null, trust.getTrustManagers(), null);
      return ssl;
    } catch (IOException | GeneralSecurityException e) {
      throw new IllegalArgumentException("cannot read the CA file " + caFile + ": " + e.getMessage(), e);
    }
  }
}
