package io.raftlock.storage;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.ByteBuffer;
import java.nio.channels.FileChannel;
import java.nio.channels.FileLock;
import java.nio.channels.OverlappingFileLockException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;

/**
 * Exclusive ownership of a node's data directory, held from before its log is opened until the
 * node has stopped: an OS file lock on {@value #FILE_NAME}, so a second process (or a second node
 * in this JVM) given the same directory is refused before it touches the live log. The OS drops
 * the lock when the process dies, so a crash never leaves a stale lock behind; the pid written
 * into the file only serves the refusal message.
 */
public final class DataDirLock implements AutoCloseable {
  public static final String FILE_NAME = "raftlock.lock";

  private final FileChannel channel;
  private final FileLock lock;

  private DataDirLock(FileChannel channel, FileLock lock) {
    this.channel = channel;
    this.lock = lock;
  }

  /** The directory's lock, creating the directory; {@link InUseException} when another holds it. */
  public static DataDirLock acquire(Path dataDir) {
    Path dir = dataDir.toAbsolutePath().normalize();
    Path file = dir.resolve(FILE_NAME);
    FileChannel channel = null;
    try {
      Files.createDirectories(dir);
      channel = FileChannel.open(file, StandardOpenOption.CREATE, StandardOpenOption.READ, StandardOpenOption.WRITE);
      FileLock lock;
      try {
        lock = channel.tryLock();
      } catch (OverlappingFileLockException e) {
        lock = null; // held by this JVM
      }
      if (lock == null) {
        String holder = holder(channel);
        channel.close();
        throw new InUseException(dir, holder);
      }
      channel.truncate(0);
      channel.write(ByteBuffer.wrap((ProcessHandle.current().pid() + "\n").getBytes(StandardCharsets.US_ASCII)), 0);
      return new DataDirLock(channel, lock);
    } catch (IOException e) {
      closeQuietly(channel);
      throw new UncheckedIOException("cannot lock data directory " + dir + ": " + e.getMessage(), e);
    }
  }

  /** Releases the directory; idempotent. */
  @Override
  public void close() {
    try {
      if (lock.isValid()) {
        lock.release();
      }
      channel.close();
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
  }

  private static String holder(FileChannel channel) throws IOException {
    ByteBuffer b = ByteBuffer.allocate(32);
    channel.read(b, 0);
    String pid = new String(b.array(), 0, b.position(), StandardCharsets.US_ASCII).trim();
    return pid.matches("[0-9]{1,19}") ? pid : null;
  }

  private static void closeQuietly(FileChannel channel) {
    if (channel != null) {
      try {
        channel.close();
      } catch (IOException ignored) {
        // already failing with the first error
      }
    }
  }

  /** Another process (or node of this process) holds the directory. */
  public static final class InUseException extends IllegalStateException {
    private final transient Path dataDir;

    InUseException(Path dataDir, String holderPid) {
      super("data directory " + dataDir + " is in use by another RaftLock node"
          + (holderPid == null ? "" : " (process " + holderPid + ")")
          + "; stop it first, or give this node its own data directory");
      this.dataDir = dataDir;
    }

    public Path dataDir() {
      return dataDir;
    }
  }
}
