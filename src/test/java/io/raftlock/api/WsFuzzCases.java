package io.raftlock.api;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.JsonNodeFactory;
import com.fasterxml.jackson.databind.node.ObjectNode;
import com.google.protobuf.Descriptors.FieldDescriptor;
import com.google.protobuf.Message;
import com.google.protobuf.util.JsonFormat;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;
import java.util.Random;

/**
 * Generated WebSocket frames for every op of the JSON protocol (docs/websocket-protocol.md), per
 * category. None of them is a valid request: each breaks a rule of the protocol or of the op's
 * request, so each must be refused, with an error reply carrying a code or a close with the code
 * the protocol names. Drawn from one seeded {@link Random}.
 */
final class WsFuzzCases {
  enum Category {
    RANDOM_TEXT("random / truncated / non-object text"),
    WRONG_TYPES("wrong JSON type"),
    DEEP_NESTING("deep nesting"),
    CONTROL_CHARS("control character / lone surrogate in an id"),
    MUTATED_FIELDS("valid message, field out of range"),
    INVALID_UTF8("invalid UTF-8"),
    OVERSIZED("oversized or binary frame");

    final String label;

    Category(String label) {
      this.label = label;
    }
  }

  /** How a case is put on the wire. */
  enum Send { TEXT, FRAGMENTED, BINARY, CLAIMED_LENGTH }

  /**
   * One frame (or fragmented message). {@code closeCode} is the close it must get (1007 invalid
   * UTF-8, 1009 too big, 1003 binary), or 0 when an error reply (or a 1007/1008/1009 close) is due.
   */
  record Case(String op, Category category, Send send, byte[] payload, long claimedLength, int closeCode) {
    String describe() {
      String text = new String(payload, 0, Math.min(payload.length, 160), StandardCharsets.UTF_8);
      return op + " " + category.label + " " + send + " (" + payload.length + " bytes: " + text
          + (payload.length > 160 ? "..." : "") + ")";
    }
  }

  /** The ops and the gRPC method whose request each takes. */
  static final List<String[]> OPS = List.of(
      new String[] {"acquire", "Acquire"}, new String[] {"release", "Release"}, new String[] {"renew", "Renew"},
      new String[] {"getLockInfo", "GetLockInfo"}, new String[] {"getLocks", "GetLocks"},
      new String[] {"enqueueWaiter", "EnqueueWaiter"}, new String[] {"cancelWait", "CancelWait"},
      new String[] {"getBackoffAdvice", "GetBackoffAdvice"}, new String[] {"getStatus", "GetStatus"},
      new String[] {"health", "Health"}, new String[] {"watch", "Watch"}, new String[] {"unwatch", "Watch"});

  private static final ObjectMapper JSON = new ObjectMapper();
  private static final JsonNodeFactory NODES = JsonNodeFactory.instance;
  private static final JsonFormat.Printer PRINTER = JsonFormat.printer().omittingInsignificantWhitespace();
  private static final int MAX_MESSAGE_BYTES = NodeHttpServer.WS_MAX_FRAME_BYTES;

  private final Random random;
  private int ids;

  WsFuzzCases(long seed) {
    this.random = new Random(seed);
  }

  List<Case> cases(String[] op, Category category, int count) {
    GrpcFuzzMethods.Method method = GrpcFuzzMethods.all().stream()
        .filter(m -> m.fullName().equals("raftlock.v1.RaftLock." + op[1])).findFirst().orElseThrow();
    List<Case> out = new ArrayList<>();
    for (int i = 0; i < count; i++) {
      ObjectNode frame = envelope(op[0], longLived(method.valid().apply(random)));
      out.add(switch (category) {
        case RANDOM_TEXT -> text(op[0], category, randomText(frame));
        case WRONG_TYPES -> text(op[0], category, wrongType(frame, method).toString());
        case DEEP_NESTING -> text(op[0], category, deep(frame));
        case CONTROL_CHARS -> text(op[0], category, controlChar(frame, method));
        case MUTATED_FIELDS -> text(op[0], category, outOfRange(frame, method).toString());
        case INVALID_UTF8 -> invalidUtf8(op[0], frame);
        case OVERSIZED -> oversized(op[0], frame);
      });
    }
    return out;
  }

  /**
   * The longest lease and wait the rules allow: should the server wrongly accept a case, what it
   * took does not expire during the run, so the next batch's state check is not disturbed.
   */
  private static Message longLived(Message request) {
    Message.Builder b = request.toBuilder();
    for (FieldDescriptor f : request.getDescriptorForType().getFields()) {
      if (List.of("ttl", "new_ttl").contains(f.getName())) {
        b.setField(f, com.google.protobuf.Duration.newBuilder().setSeconds(86_400).build());
      } else if (List.of("timeout", "wait_timeout").contains(f.getName())) {
        b.setField(f, com.google.protobuf.Duration.newBuilder().setSeconds(600).build());
      }
    }
    return b.build();
  }

  private ObjectNode envelope(String op, Message request) {
    ObjectNode frame = NODES.objectNode();
    frame.put("id", "fz-" + ids++);
    frame.put("op", op);
    try {
      frame.set("request", JSON.readTree(PRINTER.print(request)));
    } catch (Exception e) {
      throw new IllegalStateException(e);
    }
    return frame;
  }

  private static Case text(String op, Category category, String text) {
    return new Case(op, category, Send.TEXT, text.getBytes(StandardCharsets.UTF_8), 0, 0);
  }

  /** Random JSON-ish text, a strict prefix of a frame, trailing data, a duplicate member, a non-object. */
  private String randomText(ObjectNode frame) {
    String whole = frame.toString();
    return switch (random.nextInt(6)) {
      case 0 -> randomString("{}[]\":,.-+0123456789eEtrufalsn \\/abcxyz", random.nextInt(200));
      case 1 -> whole.substring(0, random.nextInt(whole.length()));
      case 2 -> whole + List.of("}", "x", "{}", " 1", ",").get(random.nextInt(5));
      case 3 -> whole.substring(0, whole.length() - 1) + ",\"id\":\"dup\"}";
      case 4 -> List.of("[]", "[" + whole + "]", "42", "\"text\"", "true", "null", "").get(random.nextInt(7));
      default -> randomString("абвгд中文字😀€ \u00e9\u00fc", 1 + random.nextInt(60));
    };
  }

  private String randomString(String alphabet, int length) {
    int[] points = alphabet.codePoints().toArray();
    StringBuilder sb = new StringBuilder();
    for (int i = 0; i < length; i++) {
      sb.appendCodePoint(points[random.nextInt(points.length)]);
    }
    return sb.toString();
  }

  /**
   * One member of the request (or of the envelope) given a JSON type the proto3 JSON mapping does
   * not accept for it: a number, boolean, object or array for a string; a number or string for a
   * bool; a fraction, boolean or non-numeric string for an integer; a number for a Duration or a
   * Timestamp; a non-string map value; a scalar for a message.
   */
  private ObjectNode wrongType(ObjectNode frame, GrpcFuzzMethods.Method method) {
    List<FieldDescriptor> fields = method.prototype().getDescriptorForType().getFields();
    if (random.nextInt(6) == 0 || fields.isEmpty()) {
      String member = List.of("id", "op", "request").get(random.nextInt(3));
      frame.set(member, pick(member.equals("request")
          ? new JsonNode[] {NODES.textNode("x"), NODES.numberNode(1), NODES.arrayNode(), NODES.booleanNode(true)}
          : new JsonNode[] {NODES.numberNode(5), NODES.booleanNode(true), NODES.objectNode(), NODES.arrayNode()}));
      return frame;
    }
    FieldDescriptor f = fields.get(random.nextInt(fields.size()));
    ((ObjectNode) frame.get("request")).set(f.getJsonName(), wrongValue(f));
    return frame;
  }

  private JsonNode wrongValue(FieldDescriptor f) {
    if (f.isMapField()) {
      ObjectNode map = NODES.objectNode();
      map.set("k", pick(NODES.numberNode(5), NODES.booleanNode(true), NODES.objectNode(), NODES.arrayNode()));
      return pick(map, NODES.arrayNode().add("k"), NODES.textNode("k=v"), NODES.numberNode(3));
    }
    return switch (f.getJavaType()) {
      case STRING -> pick(NODES.numberNode(5), NODES.numberNode(5.5), NODES.booleanNode(true),
          NODES.booleanNode(false), NODES.objectNode(), NODES.arrayNode().add("fz"));
      case BOOLEAN -> pick(NODES.numberNode(1), NODES.numberNode(0), NODES.textNode("yes"), NODES.textNode("1"),
          NODES.objectNode(), NODES.arrayNode());
      case INT, LONG -> pick(NODES.numberNode(5.5), NODES.textNode("5.5"), NODES.textNode("abc"),
          NODES.booleanNode(true), NODES.objectNode(), NODES.arrayNode().add(1));
      case MESSAGE -> f.getMessageType().getFullName().startsWith("google.protobuf.")
          ? pick(NODES.numberNode(30), NODES.booleanNode(true), NODES.objectNode().put("seconds", 30),
              NODES.arrayNode().add("30s"))
          : pick(NODES.textNode("x"), NODES.numberNode(1), NODES.booleanNode(true), NODES.arrayNode());
      default -> NODES.objectNode();
    };
  }

  @SafeVarargs
  private <T> T pick(T... choices) {
    return choices[random.nextInt(choices.length)];
  }

  /** Nesting 100-30,000 deep: the whole frame, the request, a field's value or an extra member. */
  private String deep(ObjectNode frame) {
    int[] depths = {100, 500, 999, 1_000, 1_001, 2_000, 5_000, 10_000, 20_000, 30_000};
    int depth = depths[random.nextInt(depths.length)];
    boolean arrays = random.nextBoolean();
    String nested = arrays ? "[".repeat(depth) + "]".repeat(depth) : "{\"a\":".repeat(depth) + "1" + "}".repeat(depth);
    if (nested.length() > MAX_MESSAGE_BYTES - 200) {
      nested = "[".repeat(depth) + "]".repeat(depth);
    }
    String whole = frame.toString();
    String request = frame.get("request").toString();
    return switch (random.nextInt(4)) {
      case 0 -> nested;
      case 1 -> whole.replace("\"request\":" + request, "\"request\":" + nested);
      case 2 -> request.equals("{}") ? whole.replace("\"request\":{}", "\"request\":{\"lockId\":" + nested + "}")
          : whole.replace("\"request\":{", "\"request\":{\"lockId\":" + nested + ",");
      default -> whole.substring(0, whole.length() - 1) + ",\"x\":" + nested + "}";
    };
  }

  /**
   * An id the server must refuse: NUL or another C0 character (escaped, or raw, which is not
   * JSON), DEL or a C1 character, or a lone surrogate escape, in an id field of the request (or,
   * for ops without one, in the op name or a member name).
   */
  private String controlChar(ObjectNode frame, GrpcFuzzMethods.Method method) {
    String bad = switch (random.nextInt(6)) {
      case 0 -> "\\u0000";
      case 1 -> String.format("\\u%04x", random.nextInt(0x20));
      case 2 -> String.valueOf((char) random.nextInt(0x20));
      case 3 -> "\\u007f";
      case 4 -> String.valueOf((char) (0x80 + random.nextInt(0x20)));
      default -> String.format("\\u%04x", 0xd800 + random.nextInt(0x800));
    };
    String marker = "FZ_MARK_" + random.nextInt(1000);
    List<String> idFields = method.idFields();
    if (idFields.isEmpty()) {
      frame.put("op", frame.get("op").asText() + marker);
    } else {
      String name = method.prototype().getDescriptorForType().findFieldByName(
          idFields.get(random.nextInt(idFields.size()))).getJsonName();
      ObjectNode request = (ObjectNode) frame.get("request");
      String value = request.has(name) ? request.get(name).asText() : "";
      int at = random.nextInt(value.length() + 1);
      request.put(name, value.substring(0, at) + marker + value.substring(at));
    }
    return frame.toString().replace(marker, bad);
  }

  /** A well-typed value outside the rules: empty or long ids, durations, tokens, limits, extra members. */
  private ObjectNode outOfRange(ObjectNode frame, GrpcFuzzMethods.Method method) {
    ObjectNode request = (ObjectNode) frame.get("request");
    List<String> choices = new ArrayList<>(List.of("unknownMember"));
    method.prototype().getDescriptorForType().getFields().forEach(f -> {
      if (List.of("lock_id", "client_id", "version", "ttl", "new_ttl", "timeout", "wait_timeout", "priority",
          "metadata", "limit", "offset", "service_name", "request_id", "filter").contains(f.getName())) {
        choices.add(f.getName());
      }
    });
    String field = choices.get(random.nextInt(choices.size()));
    FieldDescriptor f = method.prototype().getDescriptorForType().findFieldByName(field);
    String json = f == null ? null : f.getJsonName();
    switch (field) {
      case "lock_id", "client_id" -> request.put(json, random.nextBoolean() ? "" : "x".repeat(257 + random.nextInt(300)));
      case "request_id", "service_name" -> request.put(json, "x".repeat((field.equals("request_id") ? 129 : 257)
          + random.nextInt(100)));
      // "0" is a valid version for EnqueueWaiter and CancelWait (ignored there), so it is not used.
      case "version" -> request.put(json, pick("-1", "-9223372036854775808", "9223372036854775808", "1e400", "x"));
      case "ttl", "new_ttl", "timeout", "wait_timeout" -> request.put(json, pick("0s", "0.999s", "-1s", "30", "abc",
          "1e9s", "315576000001s", field.endsWith("ttl") ? "86400.001s" : "600.001s"));
      case "priority" -> request.put(json, pick(1001, -1001, Integer.MAX_VALUE, Integer.MIN_VALUE));
      case "metadata" -> {
        ObjectNode many = NODES.objectNode();
        for (int i = 0; i < 33 + random.nextInt(10); i++) {
          many.put("k" + i, "v");
        }
        request.set(json, random.nextBoolean() ? many : NODES.objectNode().put("", "v"));
      }
      case "limit" -> request.put(json, pick(-1, 1001, Integer.MIN_VALUE));
      case "offset" -> request.put(json, pick(-1, Integer.MIN_VALUE));
      case "filter" -> request.set(json, NODES.objectNode().put("expiresBefore", pick("x", "2030-01-01",
          "2030-01-01T00:00:00", "30")));
      default -> request.put(pick("unknownMember", "lock_Id", "ttlMs", "clientID"), "x");
    }
    return frame;
  }

  /** A frame whose text holds invalid UTF-8 bytes inside a string value: close 1007. */
  private Case invalidUtf8(String op, ObjectNode frame) {
    byte[] whole = frame.toString().getBytes(StandardCharsets.UTF_8);
    byte[][] bad = {{(byte) 0xff}, {(byte) 0xc0, (byte) 0xaf}, {(byte) 0xed, (byte) 0xa0, (byte) 0x80},
        {(byte) 0x80}, {(byte) 0xc3}, {(byte) 0xf4, (byte) 0x90, (byte) 0x80, (byte) 0x80}};
    int at = new String(whole, StandardCharsets.UTF_8).indexOf("\"fz-") + 2; // inside the id string
    byte[] b = bad[random.nextInt(bad.length)];
    byte[] payload = GrpcFuzzCases.concat(GrpcFuzzCases.concat(java.util.Arrays.copyOf(whole, at), b),
        java.util.Arrays.copyOfRange(whole, at, whole.length));
    return new Case(op, Category.INVALID_UTF8, random.nextBoolean() ? Send.TEXT : Send.FRAGMENTED, payload, 0, 1007);
  }

  /**
   * Over the 64 KiB message limit: a frame header that claims more (65,537 bytes to 1 MiB, or up
   * to 2^62; only a few bytes follow, so the server has read everything when it closes and the
   * close frame cannot be lost to a TCP reset), or fragments each under the limit that add up to
   * more; or a binary frame (1003).
   */
  private Case oversized(String op, ObjectNode frame) {
    int kind = random.nextInt(3);
    if (kind == 2) {
      return new Case(op, Category.OVERSIZED, Send.BINARY, frame.toString().getBytes(StandardCharsets.UTF_8), 0, 1003);
    }
    if (kind == 1) {
      long claimed = MAX_MESSAGE_BYTES + 1 + (random.nextBoolean() ? random.nextInt(1 << 20)
          : (long) (random.nextDouble() * ((1L << 62) - MAX_MESSAGE_BYTES)));
      byte[] head = frame.toString().getBytes(StandardCharsets.UTF_8);
      return new Case(op, Category.OVERSIZED, Send.CLAIMED_LENGTH,
          java.util.Arrays.copyOf(head, Math.min(head.length, 1 + random.nextInt(64))), claimed, 1009);
    }
    ((ObjectNode) frame.get("request")).put("lockId", "x".repeat(MAX_MESSAGE_BYTES + random.nextInt(40_000)));
    return new Case(op, Category.OVERSIZED, Send.FRAGMENTED, frame.toString().getBytes(StandardCharsets.UTF_8), 0, 1009);
  }
}
