package io.raftlock.tls;

import io.raftlock.config.ConfigException;
import io.raftlock.config.TlsSettings;
import java.io.ByteArrayInputStream;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.GeneralSecurityException;
import java.security.KeyFactory;
import java.security.PrivateKey;
import java.security.PublicKey;
import java.security.SecureRandom;
import java.security.Signature;
import java.security.cert.CertificateException;
import java.security.cert.CertificateFactory;
import java.security.cert.X509Certificate;
import java.security.spec.PKCS8EncodedKeySpec;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Base64;
import java.util.List;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * One endpoint's TLS material as PEM bytes, checked: the certificate file holds at least one
 * X.509 certificate, the key file one unencrypted PKCS#8 private key that belongs to the first
 * (leaf) certificate, the CA file (optional) at least one certificate. Every failure is a
 * {@link ConfigException} naming the field, so a node with bad files refuses to start, and a
 * reload of bad files (a rotation caught half-written) is refused and keeps the old material.
 *
 * <p>Equality is by content, which is how the reloader tells a real rotation from a re-read.
 */
public final class PemMaterial {
  private static final Pattern KEY_BLOCK =
      Pattern.compile("-----BEGIN ([A-Z ]*PRIVATE KEY)-----([^-]*)-----END \\1-----");

  private final byte[] certPem;
  private final byte[] keyPem;
  private final byte[] caPem;
  private final X509Certificate leaf;

  private PemMaterial(byte[] certPem, byte[] keyPem, byte[] caPem, X509Certificate leaf) {
    this.certPem = certPem;
    this.keyPem = keyPem;
    this.caPem = caPem;
    this.leaf = leaf;
  }

  /** Reads and checks the files (blocking: call at start or on a worker thread). */
  public static PemMaterial read(String field, TlsSettings.Files files) {
    byte[] cert = readFile(field + ".certFile", files.certFile());
    byte[] key = readFile(field + ".keyFile", files.keyFile());
    byte[] ca = files.caFile() == null ? null : readFile(field + ".caFile", files.caFile());
    return of(field, cert, key, ca);
  }

  /** Checks PEM bytes; {@code caPem} may be null. */
  public static PemMaterial of(String field, byte[] certPem, byte[] keyPem, byte[] caPem) {
    List<X509Certificate> chain = certificates(field + ".certFile", certPem);
    X509Certificate leaf = chain.get(0);
    PrivateKey key = privateKey(field + ".keyFile", keyPem, leaf.getPublicKey().getAlgorithm());
    if (!belongTogether(key, leaf.getPublicKey())) {
      throw new ConfigException(field + ".keyFile",
          "the private key does not match the certificate in " + field + ".certFile ("
              + leaf.getSubjectX500Principal() + ")");
    }
    if (caPem != null) {
      certificates(field + ".caFile", caPem);
    }
    return new PemMaterial(certPem.clone(), keyPem.clone(), caPem == null ? null : caPem.clone(), leaf);
  }

  public byte[] certPem() {
    return certPem.clone();
  }

  public byte[] keyPem() {
    return keyPem.clone();
  }

  /** The CA bundle, or null when none was configured. */
  public byte[] caPem() {
    return caPem == null ? null : caPem.clone();
  }

  /** The endpoint's own (first) certificate. */
  public X509Certificate leaf() {
    return leaf;
  }

  public boolean sameContent(PemMaterial other) {
    return other != null && Arrays.equals(certPem, other.certPem) && Arrays.equals(keyPem, other.keyPem)
        && Arrays.equals(caPem, other.caPem);
  }

  private static byte[] readFile(String field, Path path) {
    try {
      return Files.readAllBytes(path);
    } catch (IOException e) {
      throw new ConfigException(field, "cannot read " + path + ": " + e.getMessage());
    }
  }

  static List<X509Certificate> certificates(String field, byte[] pem) {
    List<X509Certificate> found = new ArrayList<>();
    try {
      CertificateFactory factory = CertificateFactory.getInstance("X.509");
      for (var c : factory.generateCertificates(new ByteArrayInputStream(pem))) {
        found.add((X509Certificate) c);
      }
    } catch (CertificateException e) {
      throw new ConfigException(field, "is not a PEM certificate file: " + e.getMessage());
    }
    if (found.isEmpty()) {
      throw new ConfigException(field, "holds no certificate");
    }
    return found;
  }

  /** The file's private key, read as the certificate's key type. */
  private static PrivateKey privateKey(String field, byte[] pem, String algorithm) {
    PKCS8EncodedKeySpec spec;
    try {
      spec = pkcs8(pem);
    } catch (IllegalArgumentException e) {
      throw new ConfigException(field, e.getMessage());
    }
    try {
      return KeyFactory.getInstance(algorithm).generatePrivate(spec);
    } catch (GeneralSecurityException e) {
      throw new ConfigException(field, "holds no readable " + algorithm + " private key (the"
          + " certificate's key type): " + e.getMessage());
    }
  }

  /**
   * The DER of the file's one unencrypted PKCS#8 key. Older encodings (PKCS#1 "RSA PRIVATE KEY",
   * SEC1 "EC PRIVATE KEY") and encrypted keys are refused with the command that converts them.
   */
  static PKCS8EncodedKeySpec pkcs8(byte[] pem) {
    Matcher m = KEY_BLOCK.matcher(new String(pem, StandardCharsets.US_ASCII));
    if (!m.find()) {
      throw new IllegalArgumentException("holds no PEM private key");
    }
    if (!m.group(1).equals("PRIVATE KEY")) {
      throw new IllegalArgumentException("holds a " + m.group(1) + "; an unencrypted PKCS#8 key is"
          + " needed (convert it with: openssl pkcs8 -topk8 -nocrypt -in OLD -out NEW)");
    }
    try {
      return new PKCS8EncodedKeySpec(Base64.getMimeDecoder().decode(m.group(2)));
    } catch (IllegalArgumentException e) {
      throw new IllegalArgumentException("holds a PRIVATE KEY block that is not base64: " + e.getMessage());
    }
  }

  /** A signature made with the key verifies with the certificate's public key. */
  private static boolean belongTogether(PrivateKey key, PublicKey certified) {
    String algorithm = switch (certified.getAlgorithm()) {
      case "RSA" -> "SHA256withRSA";
      case "EC" -> "SHA256withECDSA";
      case "Ed25519", "EdDSA" -> "Ed25519";
      case "Ed448" -> "Ed448";
      default -> null;
    };
    if (algorithm == null) {
      return false;
    }
    try {
      byte[] challenge = new byte[32];
      new SecureRandom().nextBytes(challenge);
      Signature signer = Signature.getInstance(algorithm);
      signer.initSign(key);
      signer.update(challenge);
      byte[] signature = signer.sign();
      Signature verifier = Signature.getInstance(algorithm);
      verifier.initVerify(certified);
      verifier.update(challenge);
      return verifier.verify(signature);
    } catch (GeneralSecurityException e) {
      return false;
    }
  }
}
