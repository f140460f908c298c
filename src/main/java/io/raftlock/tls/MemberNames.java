package io.raftlock.tls;

import io.vertx.core.http.HttpConnection;
import java.security.cert.Certificate;
import java.security.cert.CertificateParsingException;
import java.security.cert.X509Certificate;
import java.util.ArrayList;
import java.util.Collection;
import java.util.List;
import javax.net.ssl.SSLPeerUnverifiedException;

/**
 * Member identity on a TLS peer connection: the certificate the other end presented (already
 * verified against the peer CA by the handshake) must carry the expected node id as a DNS
 * subject alternative name. Checked on both ends of every peer call, so a member presenting
 * another member's name, or a certificate of the right CA issued for something else, is refused.
 */
public final class MemberNames {
  /** General-name type of a DNS name in {@link X509Certificate#getSubjectAlternativeNames()}. */
  private static final int DNS_NAME = 2;

  private MemberNames() {}

  /**
   * Null when the connection is plaintext (nothing to check) or its peer certificate names
   * {@code nodeId}; otherwise why the call must be refused.
   */
  public static String refusal(HttpConnection connection, String nodeId) {
    if (connection == null || !connection.isSsl()) {
      return null;
    }
    List<Certificate> chain;
    try {
      chain = connection.peerCertificates();
    } catch (SSLPeerUnverifiedException e) {
      return "the connection presented no certificate (expected one naming " + nodeId + ")";
    }
    if (chain == null || chain.isEmpty() || !(chain.get(0) instanceof X509Certificate leaf)) {
      return "the connection presented no X.509 certificate (expected one naming " + nodeId + ")";
    }
    List<String> names = dnsNames(leaf);
    return names.contains(nodeId) ? null
        : "certificate " + leaf.getSubjectX500Principal() + " names " + names + ", not member " + nodeId;
  }

  static List<String> dnsNames(X509Certificate certificate) {
    List<String> names = new ArrayList<>();
    try {
      Collection<List<?>> sans = certificate.getSubjectAlternativeNames();
      if (sans != null) {
        for (List<?> san : sans) {
          if (san.size() >= 2 && Integer.valueOf(DNS_NAME).equals(san.get(0)) && san.get(1) instanceof String s) {
            names.add(s);
          }
        }
      }
    } catch (CertificateParsingException e) {
      return names;
    }
    return names;
  }
}
