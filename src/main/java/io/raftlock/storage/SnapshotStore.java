package io.raftlock.storage;

import io.raftlock.raft.ClusterConfig;
import io.raftlock.raft.Snapshot;
import io.raftlock.raft.SnapshotMeta;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.channels.FileChannel;
import java.nio.file.DirectoryStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.nio.file.StandardOpenOption;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
import java.util.function.Consumer;
import java.util.zip.CRC32C;

/**
 * Snapshot files: {@code snap-<index>-<term>.snap}, index zero-padded so names sort by index.
 *
 * <p>Format (little endian): magic "RLSN", version u8, index i64, term i64, config length i32,
 * config ({@link ClusterConfig#encode()}), data length i32, data, CRC32C over everything before.
 * A file is written as {@code *.tmp}, fsynced, renamed into place and the directory fsynced, so a
 * visible {@code .snap} file is always complete; the checksum catches later damage. The newest
 * {@code keep} files survive pruning. Stateless apart from the directory: safe from the writer
 * thread and the snapshot thread because names are unique per (index, term) and writes are
 * atomic renames.
 */
final class SnapshotStore {
  private static final int MAGIC = 0x4e534c52; // "RLSN" little endian
  private static final String SUFFIX = ".snap";

  private final Path dir;
  private final int keep;

  SnapshotStore(Path dir, int keep) throws IOException {
    this.dir = Files.createDirectories(dir);
    this.keep = Math.max(1, keep);
  }

  Path dir() {
    return dir;
  }

  /** Writes {@code s} durably and prunes all but the newest {@code keep} snapshots. */
  void save(Snapshot s) throws IOException {
    String name = String.format("snap-%020d-%d", s.index(), s.term());
    Path tmp = dir.resolve(name + ".tmp");
    ByteBuffer b = ByteBuffer.wrap(encode(s));
    try (FileChannel ch = FileChannel.open(tmp, StandardOpenOption.CREATE,
        StandardOpenOption.TRUNCATE_EXISTING, StandardOpenOption.WRITE)) {
      while (b.hasRemaining()) {
        ch.write(b);
      }
      ch.force(true);
    }
    Files.move(tmp, dir.resolve(name + SUFFIX), StandardCopyOption.ATOMIC_MOVE);
    Fsync.directory(dir);
    prune();
  }

  /** The newest snapshot that verifies, or null; every damaged newer one goes to {@code problems}. */
  Snapshot newest(Consumer<String> problems) throws IOException {
    for (Path p : listNewestFirst()) {
      try {
        return read(p);
      } catch (IOException | RuntimeException e) {
        problems.accept("snapshot " + p + " is unreadable (" + e.getMessage() + "), trying an older one");
      }
    }
    return null;
  }

  /** A snapshot in the format above: the bytes of a {@code .snap} file. */
  static byte[] encode(Snapshot s) {
    byte[] config = s.meta().config().encode();
    ByteBuffer b = ByteBuffer.allocate(4 + 1 + 8 + 8 + 4 + config.length + 4 + s.data().length + 4)
        .order(ByteOrder.LITTLE_ENDIAN);
    b.putInt(MAGIC).put((byte) 1).putLong(s.index()).putLong(s.term());
    b.putInt(config.length).put(config).putInt(s.data().length).put(s.data());
    CRC32C crc = new CRC32C();
    crc.update(b.array(), 0, b.position());
    b.putInt((int) crc.getValue());
    return b.array();
  }

  static Snapshot read(Path p) throws IOException {
    return decode(Files.readAllBytes(p));
  }

  /** The snapshot {@link #encode} made, checked: checksum, magic, version, lengths. */
  static Snapshot decode(byte[] all) throws IOException {
    if (all.length < 33) {
      throw new IOException("too short: " + all.length + " bytes");
    }
    CRC32C crc = new CRC32C();
    crc.update(all, 0, all.length - 4);
    ByteBuffer b = ByteBuffer.wrap(all).order(ByteOrder.LITTLE_ENDIAN);
    if (b.getInt(all.length - 4) != (int) crc.getValue()) {
      throw new IOException("checksum mismatch");
    }
    if (b.getInt() != MAGIC || b.get() != 1) {
      throw new IOException("not a snapshot file");
    }
    long index = b.getLong();
    long term = b.getLong();
    byte[] config = new byte[b.getInt()];
    b.get(config);
    byte[] data = new byte[b.getInt()];
    b.get(data);
    return new Snapshot(new SnapshotMeta(index, term, ClusterConfig.decode(config)), data);
  }

  /** Snapshot files, highest index first (then highest term). */
  List<Path> listNewestFirst() throws IOException {
    List<Path> files = new ArrayList<>();
    try (DirectoryStream<Path> ds = Files.newDirectoryStream(dir, "snap-*" + SUFFIX)) {
      ds.forEach(files::add);
    }
    files.sort(Comparator.comparing((Path p) -> p.getFileName().toString(), SnapshotStore::compareNames)
        .reversed());
    return files;
  }

  private static int compareNames(String a, String b) {
    String[] x = a.substring(5, a.length() - SUFFIX.length()).split("-");
    String[] y = b.substring(5, b.length() - SUFFIX.length()).split("-");
    int c = Long.compare(Long.parseLong(x[0]), Long.parseLong(y[0]));
    return c != 0 ? c : Long.compare(Long.parseLong(x[1]), Long.parseLong(y[1]));
  }

  /** Deletes all but the newest {@code keep} snapshots. */
  void prune() throws IOException {
    List<Path> files = listNewestFirst();
    boolean changed = false;
    for (int i = keep; i < files.size(); i++) {
      changed |= Files.deleteIfExists(files.get(i));
    }
    if (changed) {
      Fsync.directory(dir);
    }
  }

  /** Removes temp files a crash left behind. Only at recovery: later, a writer may own one. */
  void deleteTempFiles() throws IOException {
    try (DirectoryStream<Path> ds = Files.newDirectoryStream(dir, "*.tmp")) {
      for (Path p : ds) {
        Files.deleteIfExists(p);
      }
    }
  }
}
