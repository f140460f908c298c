package io.raftlock.storage;

import io.raftlock.raft.HardState;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.channels.FileChannel;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.nio.file.StandardOpenOption;
import java.util.zip.CRC32C;

/**
 * The hard state ({@code currentTerm}, {@code votedFor}, {@code commitIndex}) and the durable mark
 * (last index and term ever reported durable), in one small file that is replaced atomically.
 *
 * <p>Atomicity without a rename per commit: the file holds two 4 KiB slots, each a complete
 * checksummed record with a sequence number. A write goes to the slot <em>not</em> holding the
 * newest record and is then {@code fdatasync}ed; a torn write can only damage that slot, so a
 * reader always finds either the previous or the new record intact (the technique of file system
 * superblock copies). This costs one write + fdatasync on a preallocated file per group commit,
 * where temp-file + fsync + rename + directory fsync would cost three or four syncs. The file itself
 * is created once by temp file + fsync + rename + directory fsync, so it never exists half made.
 *
 * <p>Slot layout (little endian): magic "RLHS", version u8, seq i64, term i64, commit i64,
 * durableIndex i64, durableTerm i64, votedFor length u16 (0xFFFF = none), votedFor UTF-8,
 * CRC32C over everything before it; the rest of the slot is zero. Owned by the log writer thread
 * after recovery.
 */
final class HardStateFile implements AutoCloseable {
  static final String NAME = "hardstate";
  private static final int SLOT = 4096;
  private static final int MAGIC = 0x53484c52; // "RLHS" little endian
  private static final int NO_VOTE = 0xFFFF;

  /** What the file holds. */
  record Stored(HardState hardState, long durableIndex, long durableTerm) {
    static final Stored EMPTY = new Stored(HardState.EMPTY, 0, 0);
  }

  private final Path path;
  private final FileChannel channel;
  private final ByteBuffer buffer = ByteBuffer.allocateDirect(SLOT).order(ByteOrder.LITTLE_ENDIAN);
  private long seq;
  private Stored current;

  private HardStateFile(Path path, FileChannel channel, long seq, Stored current) {
    this.path = path;
    this.channel = channel;
    this.seq = seq;
    this.current = current;
  }

  /** Opens (creating it durably when absent) and reads the newest valid record. */
  static HardStateFile open(Path dir) throws IOException {
    Path path = dir.resolve(NAME);
    if (!Files.exists(path)) {
      create(dir, path);
    }
    FileChannel ch = FileChannel.open(path, StandardOpenOption.READ, StandardOpenOption.WRITE);
    try {
      ByteBuffer all = ByteBuffer.allocate(2 * SLOT).order(ByteOrder.LITTLE_ENDIAN);
      while (all.hasRemaining() && ch.read(all, all.position()) > 0) {
        // read until both slots are in
      }
      Decoded a = decode(all, 0);
      Decoded b = decode(all, SLOT);
      Decoded newest = a == null ? b : b == null ? a : a.seq >= b.seq ? a : b;
      if (newest == null) {
        throw new IOException("hard state file " + path + " has no valid slot: refusing to start "
            + "without the last term and vote");
      }
      return new HardStateFile(path, ch, newest.seq, newest.stored);
    } catch (IOException | RuntimeException e) {
      ch.close();
      throw e;
    }
  }

  private static void create(Path dir, Path path) throws IOException {
    Path tmp = dir.resolve(NAME + ".tmp");
    try (FileChannel ch = FileChannel.open(tmp, StandardOpenOption.CREATE,
        StandardOpenOption.TRUNCATE_EXISTING, StandardOpenOption.WRITE)) {
      ByteBuffer both = ByteBuffer.allocate(2 * SLOT).order(ByteOrder.LITTLE_ENDIAN);
      encode(both, 0, Stored.EMPTY);
      both.clear();
      while (both.hasRemaining()) {
        ch.write(both);
      }
      ch.force(true);
    }
    Files.move(tmp, path, StandardCopyOption.ATOMIC_MOVE);
    Fsync.directory(dir);
  }

  Stored current() {
    return current;
  }

  Path path() {
    return path;
  }

  /** Durably replaces the record; returns only once it is on disk. */
  void write(Stored next) throws IOException {
    long nextSeq = seq + 1;
    buffer.clear();
    encode(buffer, nextSeq, next);
    buffer.clear();
    long offset = (nextSeq & 1) * SLOT;
    while (buffer.hasRemaining()) {
      channel.write(buffer, offset + buffer.position());
    }
    channel.force(false);
    seq = nextSeq;
    current = next;
  }

  private static void encode(ByteBuffer b, long seq, Stored s) {
    int start = b.position();
    b.putInt(MAGIC).put((byte) 1).putLong(seq);
    b.putLong(s.hardState().currentTerm()).putLong(s.hardState().commitIndex());
    b.putLong(s.durableIndex()).putLong(s.durableTerm());
    String vote = s.hardState().votedFor();
    if (vote == null) {
      b.putShort((short) NO_VOTE);
    } else {
      byte[] v = vote.getBytes(StandardCharsets.UTF_8);
      if (v.length >= 2048) {
        throw new IllegalArgumentException("votedFor id too long: " + v.length + " bytes");
      }
      b.putShort((short) v.length).put(v);
    }
    CRC32C crc = new CRC32C();
    crc.update(b.duplicate().flip().position(start));
    b.putInt((int) crc.getValue());
    while (b.position() < start + SLOT) {
      b.put((byte) 0);
    }
  }

  private record Decoded(long seq, Stored stored) {}

  /** The record in the slot at {@code offset}, or null when the slot is torn, empty or corrupt. */
  private static Decoded decode(ByteBuffer all, int offset) {
    ByteBuffer b = all.duplicate().order(ByteOrder.LITTLE_ENDIAN).position(offset).limit(offset + SLOT);
    if (b.getInt() != MAGIC || b.get() != 1) {
      return null;
    }
    long seq = b.getLong();
    long term = b.getLong();
    long commit = b.getLong();
    long durableIndex = b.getLong();
    long durableTerm = b.getLong();
    int len = b.getShort() & 0xFFFF;
    String vote = null;
    if (len != NO_VOTE) {
      if (len >= 2048) {
        return null;
      }
      byte[] v = new byte[len];
      b.get(v);
      vote = new String(v, StandardCharsets.UTF_8);
    }
    CRC32C crc = new CRC32C();
    crc.update(b.duplicate().limit(b.position()).position(offset));
    if (b.getInt() != (int) crc.getValue() || term < 0 || commit < 0) {
      return null;
    }
    return new Decoded(seq, new Stored(new HardState(term, vote, commit), durableIndex, durableTerm));
  }

  @Override
  public void close() throws IOException {
    channel.close();
  }
}
