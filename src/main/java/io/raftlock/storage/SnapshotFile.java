package io.raftlock.storage;

import com.fasterxml.jackson.annotation.JsonInclude;
import com.fasterxml.jackson.databind.DeserializationFeature;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.raftlock.raft.ClusterConfig;
import io.raftlock.raft.Snapshot;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.channels.FileChannel;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.nio.file.StandardOpenOption;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.util.Arrays;
import java.util.HexFormat;
import java.util.List;

/**
 * The backup file of {@code raftlock snapshot save} and {@code restore}: one JSON header line,
 * then the body, which is a snapshot exactly as a node stores it ({@code snapshots/*.snap}, see
 * {@link SnapshotStore}: index, term, configuration, state-machine bytes, CRC32C).
 *
 * <pre>
 * {"format":"raftlock-snapshot","version":1,"index":812,"term":3,"voters":[...],"learners":[],
 *  "node":"node-2","linearizable":true,"savedAt":"2030-01-01T00:00:00Z","bodyBytes":N,"bodySha256":"..."}\n
 * &lt;N bytes of body&gt;
 * </pre>
 *
 * <p>The header is for people and for refusing a bad file early; the body is the truth: loading
 * checks the format and version, the body's length (a copy cut short is TRUNCATED), its
 * SHA-256, its own CRC32C and encoding, and that the header's index, term and members are the
 * body's. Written to {@code FILE.partial}, synced, then renamed, so a visible file is complete.
 */
public final class SnapshotFile {
  public static final String FORMAT = "raftlock-snapshot";
  public static final int VERSION = 1;
  /** A header line longer than this is not ours. */
  private static final int MAX_HEADER_BYTES = 1 << 20;
  private static final ObjectMapper JSON = new ObjectMapper()
      .configure(DeserializationFeature.FAIL_ON_UNKNOWN_PROPERTIES, false)
      .setSerializationInclusion(JsonInclude.Include.NON_NULL);

  private SnapshotFile() {}

  /** The header line; {@code node}, {@code savedAt} are informational. */
  public record Header(String format, int version, long index, long term, List<String> voters,
      List<String> learners, String node, boolean linearizable, String savedAt, long bodyBytes,
      String bodySha256) {}

  /** A verified file: its header and the snapshot of its body. */
  public record Loaded(Header header, Snapshot snapshot) {}

  /** Writes {@code s} to {@code file} with a header naming {@code node}, {@code savedAt}. */
  public static Header write(Path file, Snapshot s, String node, boolean linearizable, String savedAt)
      throws IOException {
    byte[] body = SnapshotStore.encode(s);
    ClusterConfig c = s.meta().config();
    Header h = new Header(FORMAT, VERSION, s.index(), s.term(), List.copyOf(c.voters()), List.copyOf(c.learners()),
        node, linearizable, savedAt, body.length, sha256(body));
    byte[] line = (JSON.writeValueAsString(h) + "\n").getBytes(StandardCharsets.UTF_8);
    Path partial = file.resolveSibling(file.getFileName() + ".partial");
    try (FileChannel ch = FileChannel.open(partial, StandardOpenOption.CREATE, StandardOpenOption.TRUNCATE_EXISTING,
        StandardOpenOption.WRITE)) {
      ByteBuffer[] parts = {ByteBuffer.wrap(line), ByteBuffer.wrap(body)};
      while (parts[1].hasRemaining()) {
        ch.write(parts);
      }
      ch.force(true);
      Files.move(partial, file, StandardCopyOption.REPLACE_EXISTING, StandardCopyOption.ATOMIC_MOVE);
      Fsync.directory(file.toAbsolutePath().getParent());
    } finally {
      Files.deleteIfExists(partial);
    }
    return h;
  }

  /** Reads and verifies {@code file}; any refusal is a {@link SnapshotFileException}. */
  public static Loaded read(Path file) throws SnapshotFileException {
    byte[] all;
    try {
      all = Files.readAllBytes(file);
    } catch (IOException | OutOfMemoryError e) {
      throw new SnapshotFileException(SnapshotFileException.Reason.UNREADABLE, "cannot read " + file + ": " + e, e);
    }
    int newline = indexOf(all, (byte) '\n', MAX_HEADER_BYTES);
    Header h = header(all, newline);
    byte[] body = Arrays.copyOfRange(all, newline + 1, all.length);
    if (body.length < h.bodyBytes()) {
      throw new SnapshotFileException(SnapshotFileException.Reason.TRUNCATED, "the body has " + body.length
          + " of its " + h.bodyBytes() + " bytes: the file was cut short");
    }
    if (body.length > h.bodyBytes() || !sha256(body).equals(h.bodySha256())) {
      throw new SnapshotFileException(SnapshotFileException.Reason.CORRUPT, body.length > h.bodyBytes()
          ? "the file has " + (body.length - h.bodyBytes()) + " bytes after its body"
          : "the body's SHA-256 is not the header's: the file is damaged");
    }
    Snapshot s;
    try {
      s = SnapshotStore.decode(body);
    } catch (IOException | RuntimeException e) {
      throw new SnapshotFileException(SnapshotFileException.Reason.CORRUPT, "the body is not a snapshot: "
          + e.getMessage(), e);
    }
    ClusterConfig c = s.meta().config();
    if (s.index() != h.index() || s.term() != h.term() || !List.copyOf(c.voters()).equals(h.voters())
        || !List.copyOf(c.learners()).equals(h.learners())) {
      throw new SnapshotFileException(SnapshotFileException.Reason.HEADER_MISMATCH, "the header says index "
          + h.index() + ", term " + h.term() + ", voters " + h.voters() + ", learners " + h.learners()
          + "; the body holds index " + s.index() + ", term " + s.term() + ", " + c);
    }
    return new Loaded(h, s);
  }

  private static Header header(byte[] all, int newline) throws SnapshotFileException {
    if (newline < 0 || all[0] != '{') {
      throw notOurs("no header line");
    }
    Header h;
    try {
      h = JSON.readValue(all, 0, newline, Header.class);
    } catch (IOException e) {
      throw notOurs("the header line is not JSON");
    }
    if (!FORMAT.equals(h.format())) {
      throw notOurs("format '" + h.format() + "'");
    }
    if (h.version() != VERSION) {
      throw new SnapshotFileException(SnapshotFileException.Reason.UNSUPPORTED_VERSION, "format version "
          + h.version() + "; this build reads version " + VERSION);
    }
    if (h.bodyBytes() < 0 || h.bodySha256() == null || h.voters() == null || h.learners() == null) {
      throw new SnapshotFileException(SnapshotFileException.Reason.CORRUPT, "the header lacks bodyBytes, "
          + "bodySha256, voters or learners");
    }
    return h;
  }

  private static SnapshotFileException notOurs(String why) {
    return new SnapshotFileException(SnapshotFileException.Reason.NOT_A_SNAPSHOT,
        "not a RaftLock snapshot file (" + why + ")");
  }

  private static int indexOf(byte[] a, byte b, int limit) {
    for (int i = 0; i < Math.min(a.length, limit); i++) {
      if (a[i] == b) {
        return i;
      }
    }
    return -1;
  }

  static String sha256(byte[] bytes) {
    try {
      return HexFormat.of().formatHex(MessageDigest.getInstance("SHA-256").digest(bytes));
    } catch (NoSuchAlgorithmException e) {
      throw new IllegalStateException("every JVM has SHA-256", e);
    }
  }
}
