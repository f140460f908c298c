package io.raftlock.cli;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import com.google.protobuf.InvalidProtocolBufferException;
import com.google.protobuf.MessageOrBuilder;
import com.google.protobuf.Timestamp;
import com.google.protobuf.util.JsonFormat;
import io.raftlock.client.RaftLockException;
import io.raftlock.proto.api.ErrorDetail;
import java.io.PrintStream;
import java.time.Duration;
import java.time.Instant;
import java.util.concurrent.CompletionException;
import java.util.function.Supplier;

/**
 * What the commands print: the human lines, the {@code --json} documents and the error reports.
 * Jackson and protobuf's JSON printer are loaded only when a JSON document is made, so human
 * output does not pay for them.
 */
final class Output {
  private Output() {}

  /** One mapper, made on first use. */
  private static final class Holder {
    static final ObjectMapper JSON = new ObjectMapper();
  }

  static ObjectMapper json() {
    return Holder.JSON;
  }

  static ObjectNode object() {
    return json().createObjectNode();
  }

  static ObjectNode protoJson(MessageOrBuilder m) {
    try {
      return (ObjectNode) json().readTree(JsonFormat.printer().omittingInsignificantWhitespace().print(m));
    } catch (InvalidProtocolBufferException | JsonProcessingException e) {
      throw new IllegalStateException("cannot print " + m.getClass().getSimpleName(), e);
    }
  }

  static com.google.protobuf.Duration proto(Duration d) {
    return com.google.protobuf.Duration.newBuilder().setSeconds(d.getSeconds()).setNanos(d.getNano()).build();
  }

  static Timestamp timestamp(Instant i) {
    return Timestamp.newBuilder().setSeconds(i.getEpochSecond()).setNanos(i.getNano()).build();
  }

  static Instant instant(Timestamp t) {
    return Instant.ofEpochSecond(t.getSeconds(), t.getNanos());
  }

  /** Plain concatenation, no {@code String.format}: a one-shot command need not start the Formatter. */
  static String describeLock(LockView l, Instant now) {
    StringBuilder sb = new StringBuilder()
        .append("lock       ").append(l.lockId()).append('\n')
        .append("owner      ").append(l.ownerId()).append('\n')
        .append("token      ").append(l.version()).append('\n')
        .append("acquired   ").append(l.acquiredAt()).append('\n')
        .append("expires    ").append(l.expiresAt()).append(" (in ")
        .append(Durations.human(Duration.between(now, l.expiresAt()))).append(")\n")
        .append("waiters    ").append(l.waiterCount());
    for (LockView.Waiter w : l.waiters()) {
      sb.append("\n  ").append(w.position()).append(". ").append(w.clientId()).append(" priority ")
          .append(w.priority()).append(", gives up at ").append(w.timeoutAt());
    }
    if (!l.metadata().isEmpty()) {
      sb.append("\nmetadata   ").append(l.metadata());
    }
    return sb.toString();
  }

  /** An in-band refusal: the response as JSON on stdout, or one line on stderr; its exit code. */
  static int refused(CliContext c, Supplier<ObjectNode> json, String human, ErrorDetail e) {
    if (c.json) {
      c.out.println(json.get());
    } else {
      c.err.println(human);
    }
    return Cli.exitCodeOf(e.getCode());
  }

  /** A failed call: {@code {"error":{...}}} on {@code out} with --json, else one line on {@code err}. */
  static int failure(String command, Throwable t, boolean asJson, PrintStream out, PrintStream err) {
    int code = Cli.exitCodeOf(t);
    Throwable e = unwrap(t);
    if (asJson) {
      ObjectNode j = object();
      ObjectNode error = j.putObject("error");
      error.put("code", e instanceof RaftLockException r ? r.code().name() : e.getClass().getSimpleName());
      error.put("message", message(e));
      if (e instanceof RaftLockException r && r.field() != null) {
        error.put("field", r.field());
      }
      error.put("exitCode", code);
      out.println(j);
    } else {
      String prefix = code == Cli.UNAVAILABLE ? "cluster unavailable: " : "";
      err.println(command + ": " + prefix + message(e));
    }
    return code;
  }

  /** A usage error as a JSON document (with --json; the human text goes to stderr as well). */
  static void usageErrorJson(PrintStream out, String message) {
    ObjectNode j = object();
    j.putObject("error").put("code", "USAGE").put("message", message).put("exitCode", Cli.USAGE);
    out.println(j);
  }

  static Throwable unwrap(Throwable t) {
    return t instanceof CompletionException && t.getCause() != null ? t.getCause() : t;
  }

  static String message(Throwable t) {
    Throwable e = unwrap(t);
    if (e instanceof RaftLockException r) {
      return r.code() + (r.field() != null ? " (" + r.field() + ")" : "") + ": " + r.getMessage();
    }
    return e.getMessage() == null ? e.getClass().getSimpleName() : e.getMessage();
  }

  static String describe(ErrorDetail e) {
    return e.getCode() + (e.getMessage().isEmpty() ? "" : ": " + e.getMessage());
  }
}
