package io.raftlock.api;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.raftlock.proto.api.AcquireRequest;
import io.raftlock.proto.api.ErrorCode;
import io.raftlock.proto.api.ErrorDetail;
import io.raftlock.proto.api.HealthResponse;
import io.raftlock.proto.api.HealthStatus;
import io.raftlock.proto.api.LockEventMessage;
import io.raftlock.proto.api.OpenSessionRequest;
import io.raftlock.proto.api.ResumeSessionRequest;
import java.nio.ByteBuffer;
import org.junit.jupiter.api.Test;

/** The JSON of the WebSocket protocol, without a socket. */
class WsCodecTest {
  private static WsCodec.Inbound parse(String text) {
    return WsCodec.parse(text);
  }

  private static void assertInvalid(WsCodec.Inbound in, String field) {
    assertEquals(ErrorCode.INVALID_ARGUMENT, in.error().getCode());
    assertEquals(field, in.error().getDetailsMap().get("field"));
  }

  @Test
  void wellFormedRequestParsesIntoTheOpsMessage() {
    WsCodec.Inbound in = parse("{\"id\":\"a\",\"op\":\"acquire\",\"request\":"
        + "{\"lockId\":\"L\",\"client_id\":\"c\",\"priority\":\"-5\"}}");
    assertTrue(in.ok());
    assertEquals("a", in.id());
    assertEquals(WsOp.ACQUIRE, in.op());
    // proto field names and quoted numbers are accepted, as the proto3 JSON mapping says.
    assertEquals(AcquireRequest.newBuilder().setLockId("L").setClientId("c").setPriority(-5)
        .build(), in.request());
  }

  @Test
  void idOfExactly128CharsIsAcceptedAnd129Refused() {
    assertTrue(parse("{\"id\":\"" + "i".repeat(128) + "\",\"op\":\"health\"}").ok());
    WsCodec.Inbound in = parse("{\"id\":\"" + "i".repeat(129) + "\",\"op\":\"health\"}");
    assertInvalid(in, "id");
    assertNull(in.id());
  }

  @Test
  void framesThatAreNotOneJsonObjectAreRefused() {
    for (String bad : new String[] {"", "nul", "{\"id\":\"a\"} {}", "{\"id\":\"a\",\"id\":\"b\"}",
        "{'id':'a'}", "42", "null"}) {
      WsCodec.Inbound in = parse(bad);
      assertEquals(ErrorCode.INVALID_ARGUMENT, in.error().getCode(), bad);
      assertNull(in.id(), bad);
      assertNull(in.op(), bad);
    }
  }

  @Test
  void opIsCaseSensitiveAndEchoedShortly() {
    assertInvalid(parse("{\"id\":\"a\",\"op\":\"Health\"}"), "op");
    WsCodec.Inbound in = parse("{\"id\":\"a\",\"op\":\"" + "z".repeat(5000) + "\"}");
    assertInvalid(in, "op");
    assertTrue(in.error().getMessage().length() < 300, in.error().getMessage());
  }

  @Test
  void requestErrorsKeepTheIdAndOp() {
    WsCodec.Inbound in = parse("{\"id\":\"a\",\"op\":\"renew\",\"request\":{\"newTtl\":\"soon\"}}");
    assertInvalid(in, "request");
    assertEquals("a", in.id());
    assertEquals(WsOp.RENEW, in.op());
    assertInvalid(parse("{\"id\":\"a\",\"op\":\"health\",\"request\":{\"extra\":1}}"), "request");
    assertInvalid(parse("{\"id\":\"a\",\"op\":\"health\",\"request\":\"x\"}"), "request");
  }

  @Test
  void sessionOpsParseIntoTheStreamsMessagesWithoutCoercion() {
    WsCodec.Inbound open = parse("{\"id\":\"o\",\"op\":\"open\",\"request\":"
        + "{\"ttl\":\"30s\",\"name\":\"w\",\"metadata\":{\"k\":\"v\"}}}");
    assertTrue(open.ok(), String.valueOf(open.error()));
    assertEquals(OpenSessionRequest.newBuilder().setTtl(ApiMapper.durationOfMillis(30_000)).setName("w")
        .putMetadata("k", "v").build(), open.request());
    assertEquals(ResumeSessionRequest.newBuilder().setSessionId(42).build(),
        parse("{\"id\":\"r\",\"op\":\"resume\",\"request\":{\"sessionId\":\"42\"}}").request());
    assertTrue(parse("{\"id\":\"k\",\"op\":\"keepAlive\"}").ok());
    assertTrue(parse("{\"id\":\"c\",\"op\":\"close\",\"request\":{}}").ok());

    assertInvalid(parse("{\"id\":\"o\",\"op\":\"open\",\"request\":{\"ttl\":30}}"), "ttl");
    assertInvalid(parse("{\"id\":\"o\",\"op\":\"open\",\"request\":{\"name\":true}}"), "name");
    assertInvalid(parse("{\"id\":\"o\",\"op\":\"open\",\"request\":{\"metadata\":{\"k\":1}}}"), "metadata[k]");
    assertInvalid(parse("{\"id\":\"r\",\"op\":\"resume\",\"request\":{\"sessionId\":true}}"), "session_id");
    assertInvalid(parse("{\"id\":\"r\",\"op\":\"resume\",\"request\":{\"sessionId\":\"-1\"}}"), "request");
    assertInvalid(parse("{\"id\":\"k\",\"op\":\"keepAlive\",\"request\":{\"ttl\":\"1s\"}}"), "request");
    assertInvalid(parse("{\"id\":\"c\",\"op\":\"keep_alive\"}"), "op");
  }

  @Test
  void sessionRefusalsNameTheFieldInsideTheRequest() {
    ErrorDetail stream = WsCodec.errorDetail(ErrorCode.INVALID_ARGUMENT, "acquire.lock_id: must not be empty",
        "acquire.lock_id");
    ErrorDetail ws = WsSession.unprefixed(stream, "acquire");
    assertEquals("lock_id", ws.getDetailsMap().get("field"));
    assertEquals("lock_id: must not be empty", ws.getMessage());
    assertEquals("op", WsSession.unprefixed(WsCodec.errorDetail(ErrorCode.INVALID_ARGUMENT,
        "open is refused: this stream already has a session", "open"), "open").getDetailsMap().get("field"));
    assertEquals("op", WsSession.unprefixed(WsCodec.errorDetail(ErrorCode.INVALID_ARGUMENT,
        "op needs a session", "op"), "keep_alive").getDetailsMap().get("field"));
  }

  @Test
  void strictUtf8() {
    assertEquals("é€😀", WsCodec.decodeUtf8(ByteBuffer.wrap("é€😀".getBytes(
        java.nio.charset.StandardCharsets.UTF_8))));
    byte[][] bad = {
        {(byte) 0xff},
        {(byte) 0xc0, (byte) 0x80},               // overlong NUL
        {(byte) 0xed, (byte) 0xa0, (byte) 0x80},  // an encoded surrogate
        {(byte) 0xe2, (byte) 0x82},               // truncated
    };
    for (byte[] b : bad) {
      assertNull(WsCodec.decodeUtf8(ByteBuffer.wrap(b)));
    }
  }

  @Test
  void rendersRepliesErrorsAndEvents() throws Exception {
    assertEquals("{\"id\":\"q\\\"1\",\"op\":\"health\",\"response\":{\"status\":\"SERVING\"}}",
        WsCodec.reply("q\"1", WsOp.HEALTH, HealthResponse.newBuilder()
            .setStatus(HealthStatus.ServingStatus.SERVING).build()));
    assertEquals("{\"id\":\"w\",\"op\":\"watch\",\"response\":{}}",
        WsCodec.reply("w", WsOp.WATCH, null));
    assertEquals("{\"error\":{\"code\":\"INVALID_ARGUMENT\",\"message\":\"m\"}}",
        WsCodec.error(null, null, ErrorDetail.newBuilder()
            .setCode(ErrorCode.INVALID_ARGUMENT).setMessage("m").build()));
    assertEquals("{\"event\":{\"kind\":\"GRANTED\",\"lockId\":\"L\",\"clientId\":\"c\","
            + "\"version\":\"7\",\"logIndex\":\"7\"}}",
        WsCodec.event(LockEventMessage.newBuilder().setKind(LockEventMessage.Kind.GRANTED)
            .setLockId("L").setClientId("c").setVersion(7).setLogIndex(7).build()));
    assertEquals("1.500s", com.google.protobuf.util.Durations.toString(
        WsCodec.rateLimited("x", 1500).getRetryAfter()));
  }

  @Test
  void loneSurrogatesAreEscapedSoTheReplyCanBeSentAndDecodesToTheSameString() {
    String lone = "{\"f\":\"a\uD800b\uDFFF\uD83D\uDE00\"}";
    String escaped = WsCodec.escapeLoneSurrogates(lone);
    assertEquals("{\"f\":\"a\\ud800b\\udfff\uD83D\uDE00\"}", escaped);
    assertEquals("a\uD800b\uDFFF\uD83D\uDE00", new io.vertx.core.json.JsonObject(escaped).getString("f"));
    String plain = "{\"f\":\"ok\"}";
    assertTrue(plain == WsCodec.escapeLoneSurrogates(plain), "no copy without a lone surrogate");
  }
}
