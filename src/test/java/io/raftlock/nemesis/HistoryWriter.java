package io.raftlock.nemesis;

import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import java.io.FileOutputStream;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;

/**
 * Appends one process's operation history as JSON Lines (nemesis contract §2): one object per
 * line, {@code t} = {@link System#nanoTime()}, the line handed to the OS by a single unbuffered
 * {@code write} as soon as it is built. So a {@code kill -9} loses at most the line being written,
 * and the process being killed cannot leave half of an earlier line behind.
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
    this.out = new FileOutputStream(file.toFile(), true);
    this.process = process;
  }

  /** Records the invocation of {@code f} on {@code lock} (token for release/renew/write, else null); returns its time. */
  public long invoke(String f, String lock, Long token) {
    long t = System.nanoTime();
    ObjectNode line = base("invoke", f, lock);
    if (token != null) {
      line.put("token", token);
    }
    write(line, t);
    return t;
  }

  public long ok(String f, String lock, Long token) {
    long t = System.nanoTime();
    ObjectNode line = base("ok", f, lock);
    if (token != null) {
      line.put("token", token);
    }
    write(line, t);
    return t;
  }

  /** A successful read: {@code holder} null and token 0 when the lock is free. */
  public long okRead(String lock, String holder, long token) {
    long t = System.nanoTime();
    ObjectNode line = base("ok", "read", lock);
    if (holder == null) {
      line.putNull("holder");
    } else {
      line.put("holder", holder);
    }
    line.put("token", token);
    write(line, t);
    return t;
  }

  /** A completion of type {@code fail} or {@code info} with its error label. */
  public long end(String type, String f, String lock, Long token, String error) {
    if (!type.equals("fail") && !type.equals("info")) {
      throw new IllegalArgumentException("type must be fail or info, got " + type);
    }
    long t = System.nanoTime();
    ObjectNode line = base(type, f, lock);
    if (token != null) {
      line.put("token", token);
    }
    line.put("error", error);
    write(line, t);
    return t;
  }

  private ObjectNode base(String type, String f, String lock) {
    ObjectNode line = JSON.createObjectNode();
    line.put("process", process);
    line.put("type", type);
    line.put("f", f);
    line.put("lock", lock);
    return line;
  }

  private synchronized void write(ObjectNode line, long t) {
    if (closed) {
      return;
    }
    line.put("t", t);
    byte[] bytes = (line.toString() + "\n").getBytes(StandardCharsets.UTF_8);
    try {
      out.write(bytes); // unbuffered: one write(2) per line
    } catch (IOException e) {
      throw new UncheckedIOException("cannot append to the history", e);
    }
  }

  @Override
  public synchronized void close() throws IOException {
    if (!closed) {
      closed = true;
      out.close();
    }
  }
}
