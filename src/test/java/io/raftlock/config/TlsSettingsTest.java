package io.raftlock.config;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.file.Path;
import org.junit.jupiter.api.Test;

/** The {@code tls} section of a node's configuration: its shape (the files are checked at start). */
class TlsSettingsTest {
  @Test
  void theConfigurationNamesMissingTlsFields() {
    String members = "\"members\": {\"a\": {\"peerAddress\": \"h:1\", \"clientAddress\": \"h:2\"}}";
    ConfigException noKey = assertThrows(ConfigException.class, () -> parse(
        "{\"nodeId\": \"a\", \"dataDir\": \"d\", \"tls\": {\"client\": {\"certFile\": \"c.pem\"}}, " + members + "}"));
    assertTrue(noKey.getMessage().startsWith("tls.client.keyFile"), noKey.getMessage());
    ConfigException noCa = assertThrows(ConfigException.class, () -> parse(
        "{\"nodeId\": \"a\", \"dataDir\": \"d\", \"tls\": {\"peer\": {\"certFile\": \"c.pem\", \"keyFile\": \"k.pem\"}}, " + members + "}"));
    assertTrue(noCa.getMessage().startsWith("tls.peer.caFile"), noCa.getMessage());
    NodeConfig plain = parse("{\"nodeId\": \"a\", \"dataDir\": \"d\", " + members + "}");
    assertFalse(plain.tls().clientTls() || plain.tls().peerTls());
    NodeConfig both = parse("{\"nodeId\": \"a\", \"dataDir\": \"d\", \"tls\": {\"reloadCheckMs\": 250, "
        + "\"client\": {\"certFile\": \"c.pem\", \"keyFile\": \"k.pem\"},"
        + "\"peer\": {\"certFile\": \"p.pem\", \"keyFile\": \"pk.pem\", \"caFile\": \"ca.pem\"}}, " + members + "}");
    assertEquals(Path.of("pk.pem"), both.tls().peer().keyFile());
    assertNull(both.tls().client().caFile());
    assertEquals(250, both.tls().reloadCheckMs());
    assertEquals(both.tls(), both.withMembers(both.members()).tls());
  }

  private static NodeConfig parse(String json) {
    return ConfigLoader.parse(json, "t");
  }
}
