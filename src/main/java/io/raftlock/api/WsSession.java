package io.raftlock.api;

import com.google.protobuf.InvalidProtocolBufferException;
import com.google.protobuf.Message;
import io.raftlock.proto.api.AcquireRequest;
import io.raftlock.proto.api.CancelWaitRequest;
import io.raftlock.proto.api.CloseSessionRequest;
import io.raftlock.proto.api.ErrorCode;
import io.raftlock.proto.api.ErrorDetail;
import io.raftlock.proto.api.KeepAliveRequest;
import io.raftlock.proto.api.OpenSessionRequest;
import io.raftlock.proto.api.ReleaseRequest;
import io.raftlock.proto.api.RenewRequest;
import io.raftlock.proto.api.ResumeSessionRequest;
import io.raftlock.proto.api.SessionRequest;
import io.raftlock.proto.api.SessionResponse;
import java.util.HashMap;
import java.util.Map;
import java.util.function.Consumer;
import java.util.logging.Level;
import java.util.logging.Logger;

/**
 * The session of one WebSocket connection: its session frames run on a {@link SessionStream}, the
 * code the gRPC {@code Session} call runs, so both transports open, resume, keep alive, own locks,
 * warn and push events alike. This class only converts: JSON frames (already parsed and
 * type-checked by {@link WsCodec}) to {@link SessionRequest}s, and answers and events back.
 *
 * <p><b>Which frames.</b> The session ops ({@code open}, {@code resume}, {@code keepAlive},
 * {@code close}) always; from the first of them on, also {@code acquire}, {@code release},
 * {@code renew} and {@code cancelWait}, which then belong to the session ({@link #takes}). A
 * connection that never sends a session op keeps the session-less protocol.
 *
 * <p><b>Correlation.</b> The stream correlates by number, the WebSocket by the frame's string
 * {@code id}: each request gets the next number here, mapped back to its id and op when
 * answered. Field names in refusals lose the stream's op prefix ({@code acquire.lock_id} →
 * {@code lock_id}), as the frame's {@code op} already says it, and match the session-less ops.
 *
 * <p><b>Threading.</b> The connection's loop, which must be the API context of the
 * {@link LockService} (the node's HTTP server and all its connections run there).
 */
final class WsSession {
  private static final Logger LOG = Logger.getLogger(WsSession.class.getName());

  /** How the session writes to its connection. */
  interface Send {
    /** Writes a text frame; false when the connection is closed or its write queue is full. */
    boolean send(String text);
  }

  private record Pending(String id, WsOp op) {}

  private final LockApi api;
  private final Send connection;
  /**
   * Told when the session stream ended for good: normally after {@code close} (null), or ended
   * by the node (slow consumer, node stopping). The connection should close.
   */
  private final Consumer<ApiException> ended;
  /** Answers not sent yet, by the number the stream knows them by. */
  private final Map<Long, Pending> pending = new HashMap<>();
  /** Null until the first session op. */
  private SessionStream stream;
  private boolean streamEnded;
  private long nextCorrelation = 1; // 0 is the correlation id of pushed events

  WsSession(LockApi api, Send connection, Consumer<ApiException> ended) {
    this.api = api;
    this.connection = connection;
    this.ended = ended;
  }

  /**
   * The API key the connection was opened with (null: none, or auth is off), as the gRPC
   * {@code Session} call takes it: once, when the stream opens; every entry of the stream carries
   * it, and the state machine checks its permissions at apply. Throws the key's refusal.
   */
  private String keyIdOfCaller() {
    return api instanceof AuthorizedLockApi a ? a.caller().keyId() : null;
  }

  /** Whether a well-formed frame of {@code op} is the session's. */
  boolean takes(WsOp op) {
    return op.sessionOnly() || (stream != null && op.sessionOwnable());
  }

  void onRequest(WsCodec.Inbound in) {
    LockService service = api instanceof LockService s ? s
        : api instanceof AuthorizedLockApi a ? a.service() : null;
    if (service == null) {
      connection.send(WsCodec.error(in.id(), in.op(), WsCodec.errorDetail(ErrorCode.UNAVAILABLE,
          "sessions are not served here", null)));
      return;
    }
    if (streamEnded) {
      connection.send(WsCodec.error(in.id(), in.op(), WsCodec.errorDetail(ErrorCode.INVALID_ARGUMENT,
          "op is refused: this connection's session stream has ended; open or resume on a new "
              + "connection", "op")));
      return;
    }
    if (stream == null) {
      String keyId;
      try {
        keyId = keyIdOfCaller();
      } catch (ApiException e) {
        connection.send(WsCodec.error(in.id(), in.op(), e.detail()));
        return;
      }
      SessionStream.Access access = api instanceof AuthorizedLockApi a ? a.sessionAccess() : SessionStream.Access.OPEN;
      stream = new SessionStream(service, keyId, access, new Sink());
    }
    long correlation = nextCorrelation++;
    pending.put(correlation, new Pending(in.id(), in.op()));
    stream.onRequest(request(correlation, in.op(), in.request()));
  }

  /** The connection closed: the session lives on until its TTL and may be resumed elsewhere. */
  void onBroken() {
    if (stream != null) {
      stream.onBroken();
    }
  }

  private static SessionRequest request(long correlation, WsOp op, Message m) {
    SessionRequest.Builder b = SessionRequest.newBuilder().setCorrelationId(correlation);
    switch (op) {
      case OPEN -> b.setOpen((OpenSessionRequest) m);
      case RESUME -> b.setResume((ResumeSessionRequest) m);
      case KEEP_ALIVE -> b.setKeepAlive((KeepAliveRequest) m);
      case CLOSE -> b.setClose((CloseSessionRequest) m);
      case ACQUIRE -> b.setAcquire((AcquireRequest) m);
      case RELEASE -> b.setRelease((ReleaseRequest) m);
      case RENEW -> b.setRenew((RenewRequest) m);
      case CANCEL_WAIT -> b.setCancelWait((CancelWaitRequest) m);
      default -> throw new IllegalArgumentException("not a session op: " + op);
    }
    return b.build();
  }

  private final class Sink implements SessionStream.Sink {
    @Override
    public boolean send(SessionResponse r) {
      if (r.hasEvent()) {
        try {
          return connection.send(WsCodec.event(r.getEvent()));
        } catch (InvalidProtocolBufferException e) {
          LOG.log(Level.WARNING, "cannot render a session event", e);
          return true;
        }
      }
      Pending p = pending.remove(r.getCorrelationId());
      if (p == null) {
        LOG.warning(() -> "a session answer for no request: " + r.getCorrelationId());
        return true;
      }
      return connection.send(frame(p, r));
    }

    @Override
    public void end(ApiException failure) {
      streamEnded = true;
      pending.clear(); // an ended stream answers nothing more; the connection closes
      ended.accept(failure);
    }
  }

  private static String frame(Pending p, SessionResponse r) {
    Message body = switch (r.getResultCase()) {
      case OPENED -> r.getOpened();
      case KEEP_ALIVE -> r.getKeepAlive();
      case ACQUIRE -> r.getAcquire();
      case RELEASE -> r.getRelease();
      case RENEW -> r.getRenew();
      case CANCEL_WAIT -> r.getCancelWait();
      case CLOSE -> r.getClose();
      default -> null;
    };
    if (body == null) {
      ErrorDetail e = r.hasError() ? r.getError()
          : WsCodec.errorDetail(ErrorCode.INTERNAL_ERROR, "internal error", null);
      return WsCodec.error(p.id(), p.op(), unprefixed(e, streamOpName(p.op())));
    }
    try {
      return WsCodec.reply(p.id(), p.op(), body);
    } catch (InvalidProtocolBufferException e) {
      LOG.log(Level.WARNING, "cannot render a session answer", e);
      return WsCodec.error(p.id(), p.op(), WsCodec.errorDetail(ErrorCode.INTERNAL_ERROR, "internal error", null));
    }
  }

  /** The name of {@code op} in the stream's request (its oneof field), which prefixes field names. */
  private static String streamOpName(WsOp op) {
    return switch (op) {
      case KEEP_ALIVE -> "keep_alive";
      case CANCEL_WAIT -> "cancel_wait";
      default -> op.wireName();
    };
  }

  /**
   * {@code e} with the stream's op prefix taken off its field and message
   * ({@code acquire.lock_id: must not be empty} → {@code lock_id: must not be empty}); a field
   * that is the op itself ("this stream already has a session") becomes {@code op}.
   */
  static ErrorDetail unprefixed(ErrorDetail e, String streamOp) {
    String field = e.getDetailsMap().get("field");
    if (field == null) {
      return e;
    }
    String prefix = streamOp + ".";
    ErrorDetail.Builder b = e.toBuilder();
    if (field.equals(streamOp)) {
      b.putDetails("field", "op");
    } else if (field.startsWith(prefix)) {
      b.putDetails("field", field.substring(prefix.length()));
    }
    if (e.getMessage().startsWith(prefix)) {
      b.setMessage(e.getMessage().substring(prefix.length()));
    }
    return b.build();
  }
}
