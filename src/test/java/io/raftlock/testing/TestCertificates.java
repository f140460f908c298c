package io.raftlock.testing;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.math.BigInteger;
import java.net.InetAddress;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.GeneralSecurityException;
import java.security.KeyPair;
import java.security.KeyPairGenerator;
import java.security.cert.X509Certificate;
import java.security.spec.ECGenParameterSpec;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Base64;
import java.util.Date;
import java.util.List;
import java.util.concurrent.atomic.AtomicLong;
import org.bouncycastle.asn1.x500.X500Name;
import org.bouncycastle.asn1.x509.BasicConstraints;
import org.bouncycastle.asn1.x509.Extension;
import org.bouncycastle.asn1.x509.GeneralName;
import org.bouncycastle.asn1.x509.GeneralNames;
import org.bouncycastle.cert.jcajce.JcaX509CertificateConverter;
import org.bouncycastle.cert.jcajce.JcaX509v3CertificateBuilder;
import org.bouncycastle.operator.ContentSigner;
import org.bouncycastle.operator.OperatorCreationException;
import org.bouncycastle.operator.jcajce.JcaContentSignerBuilder;

/**
 * A throwaway certificate authority for tests: EC P-256 keys, certificates valid for a day, PEM
 * files (certificate, PKCS#8 key, CA bundle) written where the test says.
 */
public final class TestCertificates {
  private static final AtomicLong SERIAL = new AtomicLong(System.nanoTime());

  private final String name;
  private final KeyPair keys;
  private final X509Certificate certificate;

  private TestCertificates(String name, KeyPair keys, X509Certificate certificate) {
    this.name = name;
    this.keys = keys;
    this.certificate = certificate;
  }

  /** A new self-signed CA. */
  public static TestCertificates authority(String name) {
    KeyPair keys = newKeys();
    X500Name subject = new X500Name("CN=" + name);
    return new TestCertificates(name, keys, sign(subject, keys, subject, keys, null, true));
  }

  /** PEM paths of one issued certificate. */
  public record Issued(Path certFile, Path keyFile, Path caFile) {}

  /**
   * Issues a certificate for {@code commonName} naming {@code dnsNames} (and 127.0.0.1 as an IP
   * name), written as {@code dir/prefix.pem}, {@code dir/prefix-key.pem} and {@code dir/ca.pem}.
   */
  public Issued issue(Path dir, String prefix, String commonName, String... dnsNames) {
    Issued issued = issueLeaf(dir, prefix, commonName, dnsNames);
    write(issued.caFile(), caPem());
    return issued;
  }

  /**
   * As {@link #issue} but leaves {@code dir/ca.pem} as it is: a member's certificate replaced
   * while its trust bundle (old and new CA during a CA rotation) stays.
   */
  public Issued issueLeaf(Path dir, String prefix, String commonName, String... dnsNames) {
    KeyPair leafKeys = newKeys();
    List<GeneralName> names = new ArrayList<>();
    for (String dns : dnsNames) {
      names.add(new GeneralName(GeneralName.dNSName, dns));
    }
    names.add(new GeneralName(GeneralName.iPAddress, InetAddress.getLoopbackAddress().getHostAddress()));
    X509Certificate leaf = sign(new X500Name("CN=" + commonName), leafKeys, new X500Name("CN=" + name), keys,
        new GeneralNames(names.toArray(new GeneralName[0])), false);
    Issued issued = new Issued(dir.resolve(prefix + ".pem"), dir.resolve(prefix + "-key.pem"), dir.resolve("ca.pem"));
    write(issued.certFile(), pem("CERTIFICATE", encoded(leaf)));
    write(issued.keyFile(), pem("PRIVATE KEY", leafKeys.getPrivate().getEncoded()));
    return issued;
  }

  /** This CA's certificate as PEM. */
  public String caPem() {
    return pem("CERTIFICATE", encoded(certificate));
  }

  private static KeyPair newKeys() {
    try {
      KeyPairGenerator g = KeyPairGenerator.getInstance("EC");
      g.initialize(new ECGenParameterSpec("secp256r1"));
      return g.generateKeyPair();
    } catch (GeneralSecurityException e) {
      throw new IllegalStateException(e);
    }
  }

  private static X509Certificate sign(X500Name subject, KeyPair subjectKeys, X500Name issuer, KeyPair issuerKeys,
      GeneralNames sans, boolean ca) {
    Instant now = Instant.now();
    try {
      JcaX509v3CertificateBuilder b = new JcaX509v3CertificateBuilder(issuer, BigInteger.valueOf(SERIAL.incrementAndGet()),
          Date.from(now.minus(Duration.ofHours(1))), Date.from(now.plus(Duration.ofDays(1))), subject,
          subjectKeys.getPublic());
      b.addExtension(Extension.basicConstraints, true, new BasicConstraints(ca));
      if (sans != null) {
        b.addExtension(Extension.subjectAlternativeName, false, sans);
      }
      ContentSigner signer = new JcaContentSignerBuilder("SHA256withECDSA").build(issuerKeys.getPrivate());
      return new JcaX509CertificateConverter().getCertificate(b.build(signer));
    } catch (GeneralSecurityException | OperatorCreationException | IOException e) {
      throw new IllegalStateException(e);
    }
  }

  private static byte[] encoded(X509Certificate c) {
    try {
      return c.getEncoded();
    } catch (GeneralSecurityException e) {
      throw new IllegalStateException(e);
    }
  }

  private static String pem(String type, byte[] der) {
    return "-----BEGIN " + type + "-----\n"
        + Base64.getMimeEncoder(64, "\n".getBytes(StandardCharsets.US_ASCII)).encodeToString(der)
        + "\n-----END " + type + "-----\n";
  }

  /** Writes through a temporary file and a rename, as a secret manager rotating files would. */
  public static void write(Path file, String text) {
    try {
      Files.createDirectories(file.getParent());
      Path tmp = file.resolveSibling(file.getFileName() + ".tmp");
      Files.writeString(tmp, text);
      Files.move(tmp, file, java.nio.file.StandardCopyOption.REPLACE_EXISTING, java.nio.file.StandardCopyOption.ATOMIC_MOVE);
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
  }
}
