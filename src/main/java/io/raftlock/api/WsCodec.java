package io.raftlock.api;

import com.fasterxml.jackson.core.JsonFactory;
import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.core.StreamReadConstraints;
import com.fasterxml.jackson.core.exc.StreamConstraintsException;
import com.fasterxml.jackson.core.StreamReadFeature;
import com.fasterxml.jackson.databind.DeserializationFeature;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.json.JsonMapper;
import com.google.protobuf.Duration;
import com.google.protobuf.InvalidProtocolBufferException;
import com.google.protobuf.Message;
import com.google.protobuf.MessageOrBuilder;
import com.google.protobuf.util.JsonFormat;
import io.raftlock.proto.api.ErrorCode;
import io.raftlock.proto.api.ErrorDetail;
import io.raftlock.proto.api.LockEventMessage;
import java.nio.ByteBuffer;
import java.nio.charset.CharacterCodingException;
import java.nio.charset.CodingErrorAction;
import java.nio.charset.StandardCharsets;
import java.util.Iterator;
import java.util.Set;

/**
 * The JSON of the WebSocket protocol (see {@code docs/websocket-protocol.md}), without I/O: parses
 * a client frame into a {@link Inbound} and renders replies and pushed events. Request, response
 * and event bodies use the proto3 JSON mapping ({@link JsonFormat}); unknown members are refused
 * at every level, so a misspelt field never silently means "default".
 *
 * <p>Stateless and thread-safe.
 */
final class WsCodec {
  /** Longest accepted correlation id, in UTF-16 chars (the limit of request ids). */
  static final int MAX_ID_CHARS = 128;
  /** Longest parser message or echoed name put into an error, so errors stay small. */
  private static final int MAX_ECHO_CHARS = 200;
  private static final Set<String> ENVELOPE_MEMBERS = Set.of("id", "op", "request");

  /**
   * Deepest accepted nesting of objects and arrays in a frame: the deepest legal request
   * ({@code {"request":{"filter":{"metadataFilter":{..}}}}}) has 4; the parser stops any deeper
   * frame early, so a frame of thousands of brackets costs no stack and no tree.
   */
  static final int MAX_NESTING_DEPTH = 8;
  private static final ObjectMapper MAPPER = JsonMapper.builder(JsonFactory.builder()
          .streamReadConstraints(StreamReadConstraints.builder().maxNestingDepth(MAX_NESTING_DEPTH).build())
          .build())
      .enable(StreamReadFeature.STRICT_DUPLICATE_DETECTION)
      .enable(DeserializationFeature.FAIL_ON_TRAILING_TOKENS)
      .enable(DeserializationFeature.USE_BIG_DECIMAL_FOR_FLOATS)
      .build();
  private static final JsonFormat.Parser PARSER = JsonFormat.parser();
  private static final JsonFormat.Printer PRINTER = JsonFormat.printer()
      .omittingInsignificantWhitespace();

  private WsCodec() {}

  /**
   * One parsed client frame: either {@code error} is null and {@code op} and {@code request} are
   * set, or {@code error} is the INVALID_ARGUMENT to answer. {@code id} is null when the frame
   * had no valid id; {@code op} is null when the op is missing or unknown.
   */
  record Inbound(String id, WsOp op, Message request, ErrorDetail error) {
    boolean ok() {
      return error == null;
    }
  }

  /** Decodes the bytes of a text message; null when they are not well-formed UTF-8. */
  static String decodeUtf8(ByteBuffer bytes) {
    try {
      return StandardCharsets.UTF_8.newDecoder()
          .onMalformedInput(CodingErrorAction.REPORT)
          .onUnmappableCharacter(CodingErrorAction.REPORT)
          .decode(bytes).toString();
    } catch (CharacterCodingException e) {
      return null;
    }
  }

  /** Parses one text message. Never throws. */
  static Inbound parse(String text) {
    JsonNode root;
    try {
      root = MAPPER.readTree(text);
    } catch (StreamConstraintsException e) {
      return invalid(null, null, null, "frame nests objects or arrays deeper than " + MAX_NESTING_DEPTH + " levels");
    } catch (JsonProcessingException | RuntimeException e) {
      return invalid(null, null, null, "frame is not valid JSON");
    }
    if (root == null || !root.isObject()) {
      return invalid(null, null, null, "frame must be a JSON object");
    }
    JsonNode idNode = root.get("id");
    String id = idNode != null && idNode.isTextual() ? idNode.textValue() : null;
    if (id == null || id.isEmpty() || id.length() > MAX_ID_CHARS) {
      return invalid(null, null, "id",
          "id: a string of 1.." + MAX_ID_CHARS + " characters is required");
    }
    if (id.chars().anyMatch(Character::isISOControl)) {
      return invalid(null, null, "id", "id: must not contain control characters");
    }
    for (Iterator<String> names = root.fieldNames(); names.hasNext(); ) {
      String name = names.next();
      if (!ENVELOPE_MEMBERS.contains(name)) {
        return invalid(id, null, name, "unknown member \"" + echo(name) + "\"");
      }
    }
    JsonNode opNode = root.get("op");
    if (opNode == null || !opNode.isTextual()) {
      return invalid(id, null, "op", "op: a string is required");
    }
    WsOp op = WsOp.byWireName(opNode.textValue());
    if (op == null) {
      return invalid(id, null, "op", "unknown op \"" + echo(opNode.textValue()) + "\"");
    }
    JsonNode requestNode = root.get("request");
    if (requestNode == null || requestNode.isNull()) {
      return new Inbound(id, op, op.requestPrototype(), null);
    }
    if (!requestNode.isObject()) {
      return invalid(id, op, "request", "request: a JSON object is required");
    }
    Message.Builder builder = op.requestPrototype().newBuilderForType();
    WsTypeCheck.Mismatch wrongType = WsTypeCheck.check(requestNode, builder.getDescriptorForType());
    if (wrongType != null) {
      return invalid(id, op, wrongType.field(), echo(wrongType.message()));
    }
    try {
      PARSER.merge(requestNode.toString(), builder);
    } catch (InvalidProtocolBufferException | RuntimeException e) {
      return invalid(id, op, "request", "request: " + echo(String.valueOf(e.getMessage())));
    }
    return new Inbound(id, op, builder.build(), null);
  }

  /** {@code {"id":..,"op":..,"response":{..}}}; a null response renders as {@code {}}. */
  static String reply(String id, WsOp op, MessageOrBuilder response)
      throws InvalidProtocolBufferException {
    String body = response == null ? "{}" : PRINTER.print(response);
    return head(id, op) + "\"response\":" + body + "}";
  }

  /** One message in the proto3 JSON mapping, as the {@code response} member of a reply holds it. */
  static String json(MessageOrBuilder message) throws InvalidProtocolBufferException {
    return PRINTER.print(message);
  }

  /** {@code {"error":{..ErrorDetail..}}}: a refusal outside a WebSocket (the HTTP read). */
  static String errorBody(ErrorDetail error) {
    return "{\"error\":" + print(error) + "}";
  }

  /** {@code {"id":..,"op":..,"error":{..ErrorDetail..}}}; id and op are left out when null. */
  static String error(String id, WsOp op, ErrorDetail error) {
    return head(id, op) + "\"error\":" + print(error) + "}";
  }

  /**
   * Outbound JSON that UTF-8 can carry: a lone surrogate (possible in an echoed id, key or field
   * name of a refused request) cannot be encoded, so it is written as its JSON escape
   * {@code \\uXXXX}, which decodes to the same string. Everything else is unchanged (no copy in
   * the common case). Lone surrogates only occur inside JSON strings, where the escape is valid.
   */
  static String escapeLoneSurrogates(String json) {
    int n = json.length();
    int i = 0;
    while (i < n && !Character.isSurrogate(json.charAt(i))) {
      i++;
    }
    if (i == n) {
      return json;
    }
    StringBuilder sb = new StringBuilder(n + 16).append(json, 0, i);
    for (; i < n; i++) {
      char c = json.charAt(i);
      if (Character.isHighSurrogate(c) && i + 1 < n && Character.isLowSurrogate(json.charAt(i + 1))) {
        sb.append(c).append(json.charAt(++i));
      } else if (Character.isSurrogate(c)) {
        sb.append(String.format("\\u%04x", (int) c));
      } else {
        sb.append(c);
      }
    }
    return sb.toString();
  }

  /** {@code {"event":{..LockEventMessage..}}}. */
  static String event(LockEventMessage event) throws InvalidProtocolBufferException {
    return "{\"event\":" + PRINTER.print(event) + "}";
  }

  /** {@code {"watchClosed":{"clientId":..,"reason":..}}}: the node ended a watch. */
  static String watchClosed(String clientId, String reason) {
    return "{\"watchClosed\":{\"clientId\":" + quote(clientId) + ",\"reason\":" + quote(reason)
        + "}}";
  }

  static ErrorDetail errorDetail(ErrorCode code, String message, String field) {
    ErrorDetail.Builder b = ErrorDetail.newBuilder().setCode(code).setMessage(message);
    if (field != null) {
      b.putDetails("field", field);
    }
    return b.build();
  }

  static ErrorDetail rateLimited(String message, long retryAfterMs) {
    return ErrorDetail.newBuilder().setCode(ErrorCode.RATE_LIMITED).setMessage(message)
        .setRetryAfter(Duration.newBuilder().setSeconds(retryAfterMs / 1000)
            .setNanos((int) (retryAfterMs % 1000) * 1_000_000))
        .build();
  }

  private static Inbound invalid(String id, WsOp op, String field, String message) {
    return new Inbound(id, op, null, errorDetail(ErrorCode.INVALID_ARGUMENT, message, field));
  }

  private static String head(String id, WsOp op) {
    StringBuilder sb = new StringBuilder("{");
    if (id != null) {
      sb.append("\"id\":").append(quote(id)).append(',');
    }
    if (op != null) {
      sb.append("\"op\":").append(quote(op.wireName())).append(',');
    }
    return sb.toString();
  }

  private static String print(ErrorDetail error) {
    try {
      return PRINTER.print(error);
    } catch (InvalidProtocolBufferException e) {
      // ErrorDetail has no Any field: printing it cannot fail.
      throw new IllegalStateException(e);
    }
  }

  private static String quote(String s) {
    try {
      return MAPPER.writeValueAsString(s);
    } catch (JsonProcessingException e) {
      throw new IllegalStateException(e);
    }
  }

  /** Cuts what the client sent before it is echoed in an error message. */
  private static String echo(String s) {
    if (s.length() <= MAX_ECHO_CHARS) {
      return s;
    }
    int end = Character.isHighSurrogate(s.charAt(MAX_ECHO_CHARS - 1))
        ? MAX_ECHO_CHARS - 1 : MAX_ECHO_CHARS;
    return s.substring(0, end) + "...";
  }
}
