package io.raftlock.cli;

import com.fasterxml.jackson.core.JsonParser;
import com.fasterxml.jackson.core.JsonToken;
import java.io.IOException;
import io.raftlock.proto.api.LockInfo;
import io.raftlock.proto.api.WaiterInfo;
import java.time.Instant;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * What {@code info} prints about a held lock, read from either transport's answer: the gRPC
 * path's {@link LockInfo} or the lean HTTP path's JSON of the same message (the proto3 JSON
 * mapping: int64 as strings, timestamps in RFC 3339, fields with their default value left out).
 * Both give the same view, so both print the same lines.
 */
record LockView(String lockId, String ownerId, long version, Instant acquiredAt, Instant expiresAt, int waiterCount,
    List<Waiter> waiters, Map<String, String> metadata) {

  record Waiter(int position, String clientId, int priority, Instant timeoutAt) {}

  static LockView of(LockInfo l) {
    return new LockView(l.getLockId(), l.getOwnerId(), l.getVersion(), Output.instant(l.getAcquiredAt()),
        Output.instant(l.getExpiresAt()), l.getWaiterCount(), l.getWaitersInfoList().stream().map(LockView::waiter).toList(),
        l.getMetadataMap());
  }

  private static Waiter waiter(WaiterInfo w) {
    return new Waiter(w.getPosition(), w.getClientId(), w.getPriority(), Output.instant(w.getTimeoutAt()));
  }

  /**
   * A {@code LockInfo} in the proto3 JSON mapping, the parser at its start; the metadata keeps the
   * document's order, as the proto's map keeps the wire's. Absent fields are the proto defaults.
   */
  static LockView of(JsonParser p) throws IOException {
    Fields f = new Fields();
    LeanJson.eachField(p, (name, v) -> {
      switch (name) {
        case "lockId" -> f.lockId = v.getText();
        case "ownerId" -> f.ownerId = v.getText();
        case "version" -> f.version = v.getValueAsLong();
        case "acquiredAt" -> f.acquiredAt = Instant.parse(v.getText());
        case "expiresAt" -> f.expiresAt = Instant.parse(v.getText());
        case "waiterCount" -> f.waiterCount = v.getValueAsInt();
        case "waitersInfo" -> {
          while (v.nextToken() == JsonToken.START_OBJECT) {
            f.waiters.add(waiter(v));
          }
        }
        case "metadata" -> LeanJson.eachField(v, (key, value) -> f.metadata.put(key, value.getText()));
        default -> v.skipChildren();
      }
    });
    return new LockView(f.lockId, f.ownerId, f.version, f.acquiredAt, f.expiresAt, f.waiterCount, f.waiters,
        f.metadata);
  }

  private static Waiter waiter(JsonParser p) throws IOException {
    WaiterFields f = new WaiterFields();
    LeanJson.eachField(p, (name, v) -> {
      switch (name) {
        case "clientId" -> f.clientId = v.getText();
        case "position" -> f.position = v.getValueAsInt();
        case "priority" -> f.priority = v.getValueAsInt();
        case "timeoutAt" -> f.timeoutAt = Instant.parse(v.getText());
        default -> v.skipChildren();
      }
    });
    return new Waiter(f.position, f.clientId, f.priority, f.timeoutAt);
  }

  private static final class WaiterFields {
    String clientId = "";
    int position;
    int priority;
    Instant timeoutAt = Instant.EPOCH;
  }

  /** The fields as they are read; the defaults are the proto's. */
  private static final class Fields {
    String lockId = "";
    String ownerId = "";
    long version;
    Instant acquiredAt = Instant.EPOCH;
    Instant expiresAt = Instant.EPOCH;
    int waiterCount;
    final List<Waiter> waiters = new ArrayList<>();
    final Map<String, String> metadata = new LinkedHashMap<>();
  }
}
