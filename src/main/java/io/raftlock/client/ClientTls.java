package io.raftlock.client;

import io.vertx.core.buffer.Buffer;
import io.vertx.core.http.HttpClientOptions;
import io.vertx.core.net.PemKeyCertOptions;
import io.vertx.core.net.PemTrustOptions;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Objects;

/**
 * TLS settings of a client: the CA that signed the cluster's client-port certificates and,
 * for clusters that require client certificates, this client's certificate and private key (PEM
 * files). Server certificates are checked against the CA and against the host name or address
 * the client connects to (the certificate must name it, e.g. {@code IP:127.0.0.1}).
 *
 * @param caFile PEM bundle of trusted CA certificates
 * @param certFile this client's certificate chain, or null
 * @param keyFile this client's private key, or null (given together with {@code certFile})
 */
public record ClientTls(Path caFile, Path certFile, Path keyFile) {
  public ClientTls {
    Objects.requireNonNull(caFile, "caFile");
    if ((certFile == null) != (keyFile == null)) {
      throw new IllegalArgumentException("certFile and keyFile go together");
    }
  }

  /** Server authentication only. */
  public static ClientTls trusting(Path caFile) {
    return new ClientTls(caFile, null, null);
  }

  /**
   * {@code options} over TLS (ALPN h2 for gRPC). Reads the files now, so a missing file fails
   * when the client is built, naming the file.
   */
  public HttpClientOptions applyTo(HttpClientOptions options) {
    options.setSsl(true).setUseAlpn(true).setVerifyHost(true)
        .setTrustOptions(new PemTrustOptions().addCertValue(read(caFile)));
    if (certFile != null) {
      options.setKeyCertOptions(new PemKeyCertOptions().setCertValue(read(certFile)).setKeyValue(read(keyFile)));
    }
    return options;
  }

  private static Buffer read(Path file) {
    try {
      return Buffer.buffer(Files.readAllBytes(file));
    } catch (IOException e) {
      throw new UncheckedIOException("cannot read TLS file " + file + ": " + e.getMessage(), e);
    }
  }
}
