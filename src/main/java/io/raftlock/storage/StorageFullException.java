package io.raftlock.storage;

/**
 * Free space on the data volume fell below the configured reserve, so storage refused a batch that
 * carries new log entries without touching the disk. The batch is not durable; like every storage
 * failure it stops the store. Drivers avoid reaching it by checking
 * {@link ChronicleRaftStorage#belowSpaceReserve()} before proposing.
 */
public final class StorageFullException extends java.io.IOException {
  public StorageFullException(String message) {
    super(message);
  }
}
