package io.raftlock.tls;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.raftlock.config.ConfigException;
import io.raftlock.config.TlsSettings;
import io.raftlock.testing.TestCertificates;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** The checks a node makes on its TLS files before it starts (and on every reload). */
class PemMaterialTest {
  @TempDir Path dir;
  private final TestCertificates ca = TestCertificates.authority("test-ca");

  @Test
  void aMatchingCertificateKeyAndCaLoad() {
    TestCertificates.Issued files = ca.issue(dir, "node-1", "node-1", "node-1");
    PemMaterial m = PemMaterial.read("tls.peer", new TlsSettings.Files(files.certFile(), files.keyFile(), files.caFile()));
    assertEquals("CN=node-1", m.leaf().getSubjectX500Principal().getName());
    assertTrue(MemberNames.dnsNames(m.leaf()).contains("node-1"));
    assertTrue(m.sameContent(PemMaterial.read("tls.peer", new TlsSettings.Files(files.certFile(), files.keyFile(), files.caFile()))));
  }

  @Test
  void aMissingFileIsNamed() {
    TestCertificates.Issued files = ca.issue(dir, "node-1", "node-1", "node-1");
    ConfigException e = assertThrows(ConfigException.class, () -> PemMaterial.read("tls.peer",
        new TlsSettings.Files(files.certFile(), dir.resolve("absent.pem"), files.caFile())));
    assertTrue(e.getMessage().startsWith("tls.peer.keyFile: cannot read"), e.getMessage());
  }

  @Test
  void aKeyOfAnotherCertificateIsRefused() {
    TestCertificates.Issued one = ca.issue(dir, "one", "one", "one");
    TestCertificates.Issued two = ca.issue(dir, "two", "two", "two");
    ConfigException e = assertThrows(ConfigException.class, () -> PemMaterial.read("tls.client",
        new TlsSettings.Files(one.certFile(), two.keyFile(), null)));
    assertTrue(e.getMessage().startsWith("tls.client.keyFile: the private key does not match"), e.getMessage());
  }

  @Test
  void olderKeyEncodingsAreRefusedWithTheConversionCommand() throws IOException {
    TestCertificates.Issued one = ca.issue(dir, "one", "one", "one");
    String pkcs8 = Files.readString(one.keyFile());
    Files.writeString(one.keyFile(), pkcs8.replace("PRIVATE KEY", "EC PRIVATE KEY"));
    ConfigException e = assertThrows(ConfigException.class, () -> PemMaterial.read("tls.client",
        new TlsSettings.Files(one.certFile(), one.keyFile(), null)));
    assertTrue(e.getMessage().startsWith("tls.client.keyFile: holds a EC PRIVATE KEY"), e.getMessage());
    assertTrue(e.getMessage().contains("openssl pkcs8 -topk8 -nocrypt"), e.getMessage());
  }

  @Test
  void filesWithoutPemContentAreRefused() throws IOException {
    TestCertificates.Issued one = ca.issue(dir, "one", "one", "one");
    Path empty = Files.writeString(dir.resolve("empty.pem"), "");
    Path garbage = Files.writeString(dir.resolve("garbage.pem"), "-----BEGIN CERTIFICATE-----\nnot base64!\n-----END CERTIFICATE-----\n");
    assertTrue(assertThrows(ConfigException.class, () -> PemMaterial.read("tls.peer",
        new TlsSettings.Files(one.certFile(), one.keyFile(), empty))).getMessage().startsWith("tls.peer.caFile: holds no certificate"));
    assertTrue(assertThrows(ConfigException.class, () -> PemMaterial.read("tls.peer",
        new TlsSettings.Files(garbage, one.keyFile(), one.caFile()))).getMessage().startsWith("tls.peer.certFile: "));
    assertTrue(assertThrows(ConfigException.class, () -> PemMaterial.read("tls.peer",
        new TlsSettings.Files(one.certFile(), empty, one.caFile()))).getMessage().startsWith("tls.peer.keyFile: holds no PEM private key"));
  }

  @Test
  void clientTlsWithoutAnyCaCannotVerifyOtherMembers() {
    TestCertificates.Issued one = ca.issue(dir, "one", "one", "one");
    TlsSettings s = new TlsSettings(new TlsSettings.Files(one.certFile(), one.keyFile(), null), null, 1000);
    ConfigException e = assertThrows(ConfigException.class, () -> NodeTls.load(s));
    assertTrue(e.getMessage().startsWith("tls.client.caFile"), e.getMessage());
  }
}
