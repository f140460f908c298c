package io.raftlock.transport;

import io.raftlock.proto.peer.PeerEnvelope;
import io.raftlock.proto.peer.SnapshotChunk;
import io.raftlock.raft.Message;

/**
 * Reassembles one InstallSnapshot call on the receiver. The first chunk must carry the header
 * (from the call's sender, to this node); every chunk must start where the previous one ended;
 * the total may not exceed the announced size nor {@code maxBytes}. The buffer is allocated once,
 * at the announced size, so a snapshot costs its size and one copy out of the received frames.
 *
 * <p>Not thread-safe; confined to the context of the call it belongs to.
 */
final class SnapshotAssembler {
  private final String sender;
  private final String self;
  private final int maxBytes;
  private PeerEnvelope header;
  private byte[] data;
  private int filled;

  SnapshotAssembler(String sender, String self, int maxBytes) {
    this.sender = sender;
    this.self = self;
    this.maxBytes = maxBytes;
  }

  /** Adds {@code chunk}; returns why it is refused, or {@code null} when accepted. */
  String accept(SnapshotChunk chunk) {
    if (header == null) {
      String refusal = acceptHeader(chunk);
      if (refusal != null) {
        return refusal;
      }
    } else if (chunk.hasHeader()) {
      return "a second header in one snapshot call";
    }
    int size = chunk.getData().size();
    if (chunk.getOffset() != filled) {
      return "chunk at offset " + chunk.getOffset() + ", expected " + filled;
    }
    if (size > data.length - filled) {
      return "chunk overruns the announced size " + data.length;
    }
    chunk.getData().copyTo(data, filled);
    filled += size;
    return null;
  }

  boolean started() {
    return header != null;
  }

  /** The whole snapshot once every byte arrived; throws if incomplete or corrupt. */
  Message.InstallSnapshot result() {
    if (header == null || filled != data.length) {
      throw new IllegalArgumentException(
          "snapshot incomplete: " + filled + " of " + (data == null ? "?" : data.length) + " B");
    }
    return MessageMapper.installSnapshot(header, data);
  }

  private String acceptHeader(SnapshotChunk chunk) {
    if (!chunk.hasHeader() || !chunk.getHeader().hasInstallSnapshot()) {
      return "the first chunk must carry the InstallSnapshot header";
    }
    PeerEnvelope h = chunk.getHeader();
    if (!sender.equals(h.getFrom()) || !self.equals(h.getTo())) {
      return "header from " + h.getFrom() + " to " + h.getTo() + " on a call from " + sender;
    }
    long total = h.getInstallSnapshot().getTotalBytes();
    if (total < 0 || total > maxBytes) {
      return "snapshot of " + total + " B exceeds maxSnapshotBytes " + maxBytes;
    }
    header = h;
    data = new byte[(int) total];
    return null;
  }
}
