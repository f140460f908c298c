package io.raftlock.tls;

import io.grpc.ChannelCredentials;
import io.grpc.ClientInterceptors;
import io.grpc.Grpc;
import io.grpc.ManagedChannel;
import io.grpc.Metadata;
import io.grpc.MethodDescriptor;
import io.grpc.Status;
import io.grpc.StatusRuntimeException;
import io.grpc.TlsChannelCredentials;
import io.grpc.stub.MetadataUtils;
import io.raftlock.proto.peer.ForwardReply;
import io.raftlock.proto.peer.ForwardRequest;
import io.raftlock.testing.StockRaftLock;
import io.raftlock.testing.TestCertificates;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.security.GeneralSecurityException;
import java.security.MessageDigest;
import java.security.cert.X509Certificate;
import java.util.HexFormat;
import java.util.concurrent.TimeUnit;
import javax.net.ssl.KeyManager;
import javax.net.ssl.SSLContext;
import javax.net.ssl.SSLSocket;
import javax.net.ssl.TrustManager;

/**
 * What a fresh TLS connection to a member sees: the certificate its port serves, and how its
 * peer port answers a call from a given certificate.
 */
final class TlsProbe {
  private static final MethodDescriptor<ForwardRequest, ForwardReply> FORWARD = StockRaftLock.unary(
      "raftlock.peer.v1.RaftPeer", "Forward", ForwardRequest.getDefaultInstance(), ForwardReply.getDefaultInstance());

  private TlsProbe() {}

  /**
   * The certificate a new TLS connection to {@code port} is served, checked against
   * {@code trustPem}; {@code identity} is presented as the client certificate when given.
   */
  static X509Certificate served(int port, String trustPem, ReloadableTls identity) {
    try {
      SSLContext ssl = SSLContext.getInstance("TLS");
      TrustManager trust = ReloadableTls.trustManager(trustPem.getBytes(StandardCharsets.US_ASCII));
      ssl.init(identity == null ? null : new KeyManager[] {identity.keyManager()}, new TrustManager[] {trust}, null);
      try (SSLSocket socket = (SSLSocket) ssl.getSocketFactory().createSocket("127.0.0.1", port)) {
        socket.setSoTimeout(5_000);
        socket.startHandshake();
        return (X509Certificate) socket.getSession().getPeerCertificates()[0];
      }
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    } catch (GeneralSecurityException e) {
      throw new IllegalStateException(e);
    }
  }

  /** SHA-256 of the certificate's DER, in hex. */
  static String fingerprint(X509Certificate certificate) {
    try {
      return HexFormat.of().formatHex(MessageDigest.getInstance("SHA-256").digest(certificate.getEncoded()));
    } catch (GeneralSecurityException e) {
      throw new IllegalStateException(e);
    }
  }

  /** The leaf certificate of issued files, as read the way a node reads them. */
  static X509Certificate leaf(TestCertificates.Issued files) {
    return PemMaterial.read("probe", new io.raftlock.config.TlsSettings.Files(files.certFile(), files.keyFile(), null))
        .leaf();
  }

  /**
   * A Forward call to the peer port {@code port} of member {@code to}, over mutual TLS with the
   * certificate {@code as} (trusting {@code trust}'s CA file), claiming to come from {@code from}.
   * The member must refuse it: the status it ends with (UNAVAILABLE when the handshake fails,
   * PERMISSION_DENIED when the certificate does not name {@code from}).
   */
  static Status refusedPeerCall(int port, TestCertificates.Issued as, java.nio.file.Path trust, String from, String to) {
    ChannelCredentials credentials;
    try {
      credentials = TlsChannelCredentials.newBuilder().keyManager(as.certFile().toFile(), as.keyFile().toFile())
          .trustManager(trust.toFile()).build();
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
    ManagedChannel channel = Grpc.newChannelBuilderForAddress("127.0.0.1", port, credentials).build();
    try {
      Metadata headers = new Metadata();
      headers.put(Metadata.Key.of("raftlock-from", Metadata.ASCII_STRING_MARSHALLER), from);
      headers.put(Metadata.Key.of("raftlock-to", Metadata.ASCII_STRING_MARSHALLER), to);
      StockRaftLock peer = new StockRaftLock(ClientInterceptors.intercept(channel,
          MetadataUtils.newAttachHeadersInterceptor(headers)), 10_000);
      try {
        ForwardReply reply = peer.call(FORWARD, ForwardRequest.newBuilder().setFrom(from).build());
        throw new AssertionError("peer call as " + from + " with " + as.certFile().getFileName() + " admitted: " + reply);
      } catch (StatusRuntimeException e) {
        return e.getStatus();
      }
    } finally {
      channel.shutdownNow();
      try {
        channel.awaitTermination(10, TimeUnit.SECONDS);
      } catch (InterruptedException e) {
        Thread.currentThread().interrupt();
      }
    }
  }
}
