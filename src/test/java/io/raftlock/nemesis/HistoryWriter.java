package io.raftlock.nemesis;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import java.io.FileOutputStream;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.channels.FileChannel;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * Appends one process's operation history as JSON Lines (nemesis contract §2): one object per
 * line, {@code t} = {@link System#nanoTime()}, the line handed to the OS by a single unbuffered
 * {@code write} as soon as it is built. So a {@code kill -9} loses at most the line being written,
 * and the process being killed cannot leave half of an earlier line behind.
 *
 * <p>A session client has two lanes, each with at most one operation outstanding: the workload
 * (no {@code lane} field) and its keep-alives ({@code "lane":"keepalive"}). Operations in a
 * session carry {@code "session":ID}; an ok {@code open} carries the session it opened.
 *
 * <p>Re-opening the history of a killed process (a restart with the same id) first cuts off a
 * half-written last line, then answers every invoke left open (one per lane at most) with an
 * {@code info} completion ({@code "error":"KILLED"}, timed at the restart), so that every invoke
 * still has exactly one completion and lines never run together.
 *
 * <p>Thread-safe (the workload thread writes, a shutdown hook closes); after {@link #close()}
 * lines are dropped, so a completion that races with shutdown leaves its invoke unanswered, which
 * the checker reads as {@code info}.
 */
public final class HistoryWriter implements AutoCloseable {
  private static final ObjectMapper JSON = new ObjectMapper();

  private final String process;
  private final FileOutputStream out;
  private boolean closed;

  public HistoryWriter(Path file, String process) throws IOException {
    Path parent = file.toAbsolutePath().getParent();
    if (parent != null) {
      Files.createDirectories(parent);
    }
    this.process = process;
    List<JsonNode> open = repair(file);
    this.out = new FileOutputStream(file.toFile(), true);
    for (JsonNode invoke : open) {
      end(invoke.hasNonNull("lane") ? invoke.get("lane").asText() : null,
          invoke.path("session").asLong(0), "info", invoke.path("f").asText(),
          invoke.path("lock").asText(), invoke.hasNonNull("token") ? invoke.get("token").asLong() : null,
          "KILLED");
    }
  }

  /** Drops a partial last line; returns the invokes left unanswered (one per lane at most). */
  private static List<JsonNode> repair(Path file) throws IOException {
    if (!Files.exists(file) || Files.size(file) == 0) {
      return List.of();
    }
    byte[] bytes = Files.readAllBytes(file);
    int end = bytes.length;
    while (end > 0 && bytes[end - 1] != '\n') {
      end--;
    }
    if (end < bytes.length) {
      try (FileChannel ch = FileChannel.open(file, StandardOpenOption.WRITE)) {
        ch.truncate(end);
      }
    }
    Map<String, JsonNode> open = new LinkedHashMap<>();
    for (String line : new String(bytes, 0, end, StandardCharsets.UTF_8).split("\n")) {
      JsonNode node;
      try {
        node = line.isBlank() ? null : JSON.readTree(line);
      } catch (IOException e) {
        node = null; // not ours to fix: the checker reports a malformed line
      }
      if (node != null && node.hasNonNull("type")) {
        String lane = node.path("lane").asText("");
        if ("invoke".equals(node.get("type").asText())) {
          open.put(lane, node);
        } else {
          open.remove(lane);
        }
      }
    }
    return new ArrayList<>(open.values());
  }

  /** Records the invocation of {@code f} on {@code lock} (token for release/renew/write, else null); returns its time. */
  public long invoke(String f, String lock, Long token) {
    return line(null, 0, "invoke", f, lock, token, null);
  }

  /** An invoke on {@code lane} (null: the workload's) in {@code session} (0: none). */
  public long invoke(String lane, long session, String f, String lock, Long token) {
    return line(lane, session, "invoke", f, lock, token, null);
  }

  public long ok(String f, String lock, Long token) {
    return line(null, 0, "ok", f, lock, token, null);
  }

  public long ok(String lane, long session, String f, String lock, Long token) {
    return line(lane, session, "ok", f, lock, token, null);
  }

  /** A successful read: {@code holder} null and token 0 when the lock is free. */
  public long okRead(String lock, String holder, long token) {
    ObjectNode line = base("ok", "read", lock);
    if (holder == null) {
      line.putNull("holder");
    } else {
      line.put("holder", holder);
    }
    line.put("token", token);
    return write(line);
  }

  /** A completion of type {@code fail} or {@code info} with its error label. */
  public long end(String type, String f, String lock, Long token, String error) {
    return end(null, 0, type, f, lock, token, error);
  }

  public long end(String lane, long session, String type, String f, String lock, Long token, String error) {
    if (!type.equals("fail") && !type.equals("info")) {
      throw new IllegalArgumentException("type must be fail or info, got " + type);
    }
    return line(lane, session, type, f, lock, token, error);
  }

  private long line(String lane, long session, String type, String f, String lock, Long token, String error) {
    ObjectNode line = base(type, f, lock);
    if (lane != null) {
      line.put("lane", lane);
    }
    if (session != 0) {
      line.put("session", session);
    }
    if (token != null) {
      line.put("token", token);
    }
    if (error != null) {
      line.put("error", error);
    }
    return write(line);
  }

  private ObjectNode base(String type, String f, String lock) {
    ObjectNode line = JSON.createObjectNode();
    line.put("process", process);
    line.put("type", type);
    line.put("f", f);
    line.put("lock", lock);
    return line;
  }

  /**
   * Stamps and appends one line; returns its time. Stamped under the lock, so that the lines of
   * the two lanes are in time order in the file.
   */
  private synchronized long write(ObjectNode line) {
    long t = System.nanoTime();
    if (closed) {
      return t;
    }
    line.put("t", t);
    byte[] bytes = (line.toString() + "\n").getBytes(StandardCharsets.UTF_8);
    try {
      out.write(bytes); // unbuffered: one write(2) per line
    } catch (IOException e) {
      throw new UncheckedIOException("cannot append to the history", e);
    }
    return t;
  }


  @Override
  public synchronized void close() throws IOException {
    if (!closed) {
      closed = true;
      out.close();
    }
  }
}
