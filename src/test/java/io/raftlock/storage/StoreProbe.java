package io.raftlock.storage;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Optional;

/**
 * A stopped node's data directory seen with the store's own classes, for test tools outside this
 * package (the nemesis tears only log records above the durable mark). Writes nothing.
 */
public final class StoreProbe {
  private StoreProbe() {}

  /**
   * A durable mark: with {@code markBeforeAck}, every entry the node ever acknowledged is at or
   * below it in Raft's log order (§5.4.1).
   */
  public record Mark(long index, long term) {
    /** True when an entry at (term, index) is strictly above this mark in Raft's log order. */
    public boolean isBelow(long entryTerm, long entryIndex) {
      return entryTerm > term || (entryTerm == term && entryIndex > index);
    }
  }

  /** The newest valid hard-state record's mark ({@link HardStateFile}); empty when there is no file. */
  public static Optional<Mark> durableMark(Path dataDir) throws IOException {
    if (!Files.exists(dataDir.resolve(HardStateFile.NAME))) {
      return Optional.empty();
    }
    try (HardStateFile f = HardStateFile.open(dataDir)) {
      return Optional.of(new Mark(f.current().durableIndex(), f.current().durableTerm()));
    }
  }

  /** The Chronicle queue directory inside a data directory. */
  public static Path logDir(Path dataDir) {
    return dataDir.resolve(ChronicleLog.DIR);
  }

  /** The file of a segment (Chronicle cycle) in {@link #logDir}. */
  public static Path segmentFile(Path dataDir, int segment) {
    return logDir(dataDir).resolve(ChronicleLog.segmentName(segment));
  }
}
