package io.raftlock.config;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.file.Path;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;
import org.junit.jupiter.params.provider.ValueSource;

class ConfigLoaderTest {
  private static final String MEMBERS = """
      "members": {
        "a": { "peerAddress": "127.0.0.1:7001", "clientAddress": "127.0.0.1:8001" },
        "b": { "peerAddress": "127.0.0.1:7002", "clientAddress": "127.0.0.1:8002" }
      }""";

  @ParameterizedTest
  @ValueSource(strings = {"node-1.json", "node-2.json", "node-3.json", "single-node.json"})
  void shippedConfigsAreValid(String file) {
    NodeConfig c = ConfigLoader.load(Path.of("conf", file));
    assertTrue(c.members().containsKey(c.nodeId()));
    assertEquals(c.members().size() == 3 ? 2 : 1, c.clusterConfig().quorum());
  }

  @Test
  void defaultsFillOmittedTuning() {
    NodeConfig c = ConfigLoader.parse("{\"nodeId\": \"a\", \"dataDir\": \"d\", " + MEMBERS + "}", "t");
    assertEquals(NodeConfig.DEFAULT_TICK_MS, c.tickMs());
    assertEquals(2, c.eventLoops(), "Raft on a loop of its own, client connections on another");
    assertEquals(7002, c.members().get("b").peerAddress().port());
    assertEquals(NodeConfig.singleNodeDefault().dataDir(), Path.of("data"));
  }

  @Test
  void eventLoopsIsRead() {
    NodeConfig c = ConfigLoader.parse("{\"nodeId\": \"a\", \"dataDir\": \"d\", \"eventLoops\": 4, " + MEMBERS + "}", "t");
    assertEquals(4, c.eventLoops());
    assertEquals(4, c.withMembers(c.members()).eventLoops());
  }

  @Test
  void allowedOriginsAreReadAndNormalizedAndDefaultToNone() {
    NodeConfig c = ConfigLoader.parse("{\"nodeId\": \"a\", \"dataDir\": \"d\", \"api\": {\"allowedOrigins\": "
        + "[\"https://Ops.Example.com\", \"http://10.0.0.5:8080\", \"*\"]}, " + MEMBERS + "}", "t");
    assertEquals(java.util.List.of("https://ops.example.com:443", "http://10.0.0.5:8080", "*"), c.api().allowedOrigins());
    NodeConfig plain = ConfigLoader.parse("{\"nodeId\": \"a\", \"dataDir\": \"d\", " + MEMBERS + "}", "t");
    assertEquals(java.util.List.of(), plain.api().allowedOrigins());
  }

  @Test
  void lockLimitsAreReadFieldByFieldAndDefaultToTheRecommendedOnes() {
    NodeConfig c = ConfigLoader.parse("{\"nodeId\": \"a\", \"dataDir\": \"d\", \"limits\": "
        + "{\"maxWaitersPerLock\": 10, \"sessionDedupeMaxEntries\": 50}, " + MEMBERS + "}", "t");
    io.raftlock.lock.LockStateMachine.Config recommended = io.raftlock.lock.LockStateMachine.Config.RECOMMENDED;
    assertEquals(new io.raftlock.lock.LockStateMachine.Config(10, recommended.dedupeRetentionMs(),
        recommended.dedupeMaxEntries(), 50), c.limits().toStateMachineConfig());
    assertEquals(c.limits(), c.withMembers(c.members()).limits());
    NodeConfig plain = ConfigLoader.parse("{\"nodeId\": \"a\", \"dataDir\": \"d\", " + MEMBERS + "}", "t");
    assertEquals(recommended, plain.limits().toStateMachineConfig());
  }

  @ParameterizedTest
  @CsvSource({
      "maxWaitersPerLock, -1", "maxWaitersPerLock, 100001", "dedupeRetentionMs, 999",
      "dedupeRetentionMs, 31622400001", "dedupeMaxEntries, 0", "sessionDedupeMaxEntries, 0",
      "sessionDedupeMaxEntries, 100001"})
  void outOfRangeLockLimitsAreRefusedNamingTheField(String field, long value) {
    ConfigException e = assertThrows(ConfigException.class, () -> ConfigLoader.parse(
        "{\"nodeId\": \"a\", \"dataDir\": \"d\", \"limits\": {\"" + field + "\": " + value + "}, "
            + MEMBERS + "}", "t"));
    assertTrue(e.getMessage().startsWith("limits." + field + ": must be between"), e.getMessage());
  }

  @Test
  void anUnknownLockLimitIsRefused() {
    ConfigException e = assertThrows(ConfigException.class, () -> ConfigLoader.parse(
        "{\"nodeId\": \"a\", \"dataDir\": \"d\", \"limits\": {\"maxLocks\": 5}, " + MEMBERS + "}", "t"));
    assertTrue(e.getMessage().startsWith("maxLocks"), e.getMessage());
  }

  @Test
  void storageReserveIsReadAndDefaultsTo256MiB() {
    NodeConfig c = ConfigLoader.parse("{\"nodeId\": \"a\", \"dataDir\": \"d\", \"storageReserveBytes\": 1048576, "
        + MEMBERS + "}", "t");
    assertEquals(1 << 20, c.storageReserveBytes());
    assertEquals(1 << 20, c.withMembers(c.members()).storageReserveBytes());
    assertEquals(256L << 20,
        ConfigLoader.parse("{\"nodeId\": \"a\", \"dataDir\": \"d\", " + MEMBERS + "}", "t").storageReserveBytes());
  }

  @ParameterizedTest(name = "{0}")
  @CsvSource(delimiter = '|', value = {
      "nodeId       | {\"dataDir\": \"d\", " + "\"members\": {}}",
      "members      | {\"nodeId\": \"z\", \"dataDir\": \"d\", \"members\": {\"a\": {\"peerAddress\": \"h:1\", \"clientAddress\": \"h:2\"}}}",
      "peerAddress  | {\"nodeId\": \"a\", \"dataDir\": \"d\", \"members\": {\"a\": {\"peerAddress\": \"h:99999\", \"clientAddress\": \"h:2\"}}}",
      "clientAddress| {\"nodeId\": \"a\", \"dataDir\": \"d\", \"members\": {\"a\": {\"peerAddress\": \"h:1\", \"clientAddress\": \"nohost\"}}}",
      "heartbeatTicks| {\"nodeId\": \"a\", \"dataDir\": \"d\", \"heartbeatTicks\": 10, \"members\": {\"a\": {\"peerAddress\": \"h:1\", \"clientAddress\": \"h:2\"}}}",
      "tickMs       | {\"nodeId\": \"a\", \"dataDir\": \"d\", \"tickMs\": 0, \"members\": {\"a\": {\"peerAddress\": \"h:1\", \"clientAddress\": \"h:2\"}}}",
      "eventLoops   | {\"nodeId\": \"a\", \"dataDir\": \"d\", \"eventLoops\": 0, \"members\": {\"a\": {\"peerAddress\": \"h:1\", \"clientAddress\": \"h:2\"}}}",
      "eventLoops   | {\"nodeId\": \"a\", \"dataDir\": \"d\", \"eventLoops\": 65, \"members\": {\"a\": {\"peerAddress\": \"h:1\", \"clientAddress\": \"h:2\"}}}",
      "storageReserveBytes | {\"nodeId\": \"a\", \"dataDir\": \"d\", \"storageReserveBytes\": -1, \"members\": {\"a\": {\"peerAddress\": \"h:1\", \"clientAddress\": \"h:2\"}}}",
      "storageReserveBytes | {\"nodeId\": \"a\", \"dataDir\": \"d\", \"storageReserveBytes\": \"lots\", \"members\": {\"a\": {\"peerAddress\": \"h:1\", \"clientAddress\": \"h:2\"}}}",
      "colour       | {\"nodeId\": \"a\", \"dataDir\": \"d\", \"colour\": 1, \"members\": {\"a\": {\"peerAddress\": \"h:1\", \"clientAddress\": \"h:2\"}}}",
      "dataDir      | {\"nodeId\": \"a\", \"members\": {\"a\": {\"peerAddress\": \"h:1\", \"clientAddress\": \"h:2\"}}}",
      "api.allowedOrigins| {\"nodeId\": \"a\", \"dataDir\": \"d\", \"api\": {\"allowedOrigins\": [\"https://ops.example.com/ui\"]}, \"members\": {\"a\": {\"peerAddress\": \"h:1\", \"clientAddress\": \"h:2\"}}}",
      "api.allowedOrigins| {\"nodeId\": \"a\", \"dataDir\": \"d\", \"api\": {\"allowedOrigins\": [\"ops.example.com\"]}, \"members\": {\"a\": {\"peerAddress\": \"h:1\", \"clientAddress\": \"h:2\"}}}",
      "api.allowedOrigins| {\"nodeId\": \"a\", \"dataDir\": \"d\", \"api\": {\"allowedOrigins\": [\"ftp://ops.example.com\"]}, \"members\": {\"a\": {\"peerAddress\": \"h:1\", \"clientAddress\": \"h:2\"}}}"})
  void invalidConfigNamesTheField(String field, String json) {
    ConfigException e = assertThrows(ConfigException.class, () -> ConfigLoader.parse(json, "t"));
    assertTrue(e.getMessage().startsWith(field.trim()), () -> "message should name " + field + ": " + e.getMessage());
  }
}
