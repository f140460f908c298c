package io.raftlock.api;

import com.fasterxml.jackson.databind.JsonNode;
import com.google.protobuf.Descriptors.Descriptor;
import com.google.protobuf.Descriptors.FieldDescriptor;
import com.google.protobuf.Duration;
import com.google.protobuf.Timestamp;
import java.util.Iterator;
import java.util.Map;

/**
 * Checks the JSON types of a WebSocket request body against its proto message before the proto3
 * JSON parser sees it. That parser coerces: a number or {@code true} given for a {@code string}
 * field becomes the string {@code "5"} or {@code "true"}, so {@code "lockId": 5} would name a lock.
 * Here a string field takes only a JSON string, a bool only {@code true}/{@code false}, a number
 * field a number or a numeric string (the proto3 JSON mapping writes 64-bit integers as strings),
 * an enum a name or a number, a Duration or Timestamp a string, a message an object, a repeated
 * field an array and a map an object. {@code null} stays allowed (the proto3 JSON "default").
 * Members the message does not have are left to the parser, which refuses them.
 */
final class WsTypeCheck {
  private WsTypeCheck() {}

  /** The first mismatch found; {@code field} is the proto path, e.g. {@code filter.lock_id_pattern}. */
  record Mismatch(String field, String message) {}

  /** Null when every member of {@code body} has a JSON type its field accepts. */
  static Mismatch check(JsonNode body, Descriptor type) {
    return message(body, type, "");
  }

  private static Mismatch message(JsonNode object, Descriptor type, String prefix) {
    for (Iterator<Map.Entry<String, JsonNode>> it = object.fields(); it.hasNext(); ) {
      Map.Entry<String, JsonNode> member = it.next();
      FieldDescriptor field = fieldOf(type, member.getKey());
      if (field == null || member.getValue().isNull()) {
        continue;
      }
      Mismatch m = field(member.getValue(), field, prefix + field.getName());
      if (m != null) {
        return m;
      }
    }
    return null;
  }

  private static Mismatch field(JsonNode value, FieldDescriptor field, String path) {
    if (field.isMapField()) {
      if (!value.isObject()) {
        return mismatch(path, "a JSON object", value);
      }
      FieldDescriptor valueField = field.getMessageType().findFieldByName("value");
      for (Iterator<Map.Entry<String, JsonNode>> it = value.fields(); it.hasNext(); ) {
        Map.Entry<String, JsonNode> entry = it.next();
        Mismatch m = single(entry.getValue(), valueField, path + "[" + FieldChecks.printable(entry.getKey(), 64) + "]");
        if (m != null) {
          return m;
        }
      }
      return null;
    }
    if (field.isRepeated()) {
      if (!value.isArray()) {
        return mismatch(path, "a JSON array", value);
      }
      for (int i = 0; i < value.size(); i++) {
        Mismatch m = single(value.get(i), field, path + "[" + i + "]");
        if (m != null) {
          return m;
        }
      }
      return null;
    }
    return single(value, field, path);
  }

  private static Mismatch single(JsonNode value, FieldDescriptor field, String path) {
    switch (field.getJavaType()) {
      case STRING, BYTE_STRING:
        return value.isTextual() ? null : mismatch(path, "a JSON string", value);
      case BOOLEAN:
        return value.isBoolean() ? null : mismatch(path, "true or false", value);
      case INT, LONG, FLOAT, DOUBLE:
        return value.isNumber() || value.isTextual() ? null : mismatch(path, "a number", value);
      case ENUM:
        return value.isTextual() || value.isIntegralNumber() ? null : mismatch(path, "an enum name", value);
      case MESSAGE:
        return messageValue(value, field.getMessageType(), path);
      default:
        return null;
    }
  }

  private static Mismatch messageValue(JsonNode value, Descriptor type, String path) {
    String name = type.getFullName();
    if (name.equals(Duration.getDescriptor().getFullName()) || name.equals(Timestamp.getDescriptor().getFullName())) {
      return value.isTextual() ? null : mismatch(path, "a JSON string", value);
    }
    if (name.startsWith("google.protobuf.")) {
      return null; // other well-known types have their own JSON forms: left to the parser
    }
    return value.isObject() ? message(value, type, path + ".") : mismatch(path, "a JSON object", value);
  }

  private static FieldDescriptor fieldOf(Descriptor type, String member) {
    for (FieldDescriptor f : type.getFields()) {
      if (f.getJsonName().equals(member) || f.getName().equals(member)) {
        return f;
      }
    }
    return null;
  }

  private static Mismatch mismatch(String path, String expected, JsonNode got) {
    return new Mismatch(path, path + ": must be " + expected + ", got " + kind(got));
  }

  private static String kind(JsonNode node) {
    return switch (node.getNodeType()) {
      case STRING -> "a string";
      case NUMBER -> "a number";
      case BOOLEAN -> "a boolean";
      case ARRAY -> "an array";
      case OBJECT -> "an object";
      default -> node.getNodeType().name().toLowerCase(java.util.Locale.ROOT);
    };
  }
}
