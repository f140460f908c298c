package io.raftlock.storage;

import java.io.IOException;
import java.nio.channels.FileChannel;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;

/** Durability helpers for directory entries (a rename is durable only once its directory is). */
final class Fsync {
  private Fsync() {}

  /** fsyncs a directory so that file creations, renames and deletions in it survive power loss. */
  static void directory(Path dir) throws IOException {
    try (FileChannel ch = FileChannel.open(dir, StandardOpenOption.READ)) {
      ch.force(true);
    }
  }
}
