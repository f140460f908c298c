package io.raftlock.codec;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.raftlock.raft.Entry;
import io.raftlock.raft.EntryType;
import java.nio.ByteBuffer;
import java.util.Arrays;
import java.util.SplittableRandom;
import org.junit.jupiter.api.Test;

class EntryFrameTest {
  private static ByteBuffer encode(Entry e) {
    ByteBuffer b = ByteBuffer.allocate(EntryFrame.frameBytes(e.data().length));
    EntryFrame.encode(e, b);
    assertFalse(b.hasRemaining(), "frameBytes() is exact");
    return b.flip();
  }

  @Test
  void roundTripsEveryEntryType() throws Exception {
    for (EntryType t : EntryType.values()) {
      Entry e = new Entry(7, 42, t, new byte[] {1, 2, 3});
      assertEquals(e, EntryFrame.decode(encode(e)).toEntry());
    }
    ByteBuffer marker = ByteBuffer.allocate(EntryFrame.frameBytes(0));
    EntryFrame.encodeTruncate(3, 10, marker);
    EntryFrame.Frame f = EntryFrame.decode(marker.flip());
    assertFalse(f.isEntry());
    assertEquals(10, f.index());
  }

  @Test
  void everySingleBitFlipIsDetected() {
    Entry e = Entry.normal(3, 99, "hello raft".getBytes());
    byte[] good = Arrays.copyOf(encode(e).array(), EntryFrame.frameBytes(e.data().length));
    for (int bit = 0; bit < good.length * 8; bit++) {
      byte[] bad = good.clone();
      bad[bit / 8] ^= (byte) (1 << (bit % 8));
      assertThrows(EntryFrame.FrameException.class, () -> EntryFrame.decode(ByteBuffer.wrap(bad)),
          "bit " + bit);
    }
  }

  @Test
  void truncatedAndZeroedFramesAreRejected() {
    SplittableRandom r = new SplittableRandom(1);
    byte[] data = new byte[200];
    r.nextBytes(data);
    byte[] good = encode(Entry.normal(1, 1, data)).array();
    for (int len = 0; len < good.length; len++) {
      byte[] cut = Arrays.copyOf(good, len);
      assertThrows(EntryFrame.FrameException.class, () -> EntryFrame.decode(ByteBuffer.wrap(cut)));
    }
    assertThrows(EntryFrame.FrameException.class,
        () -> EntryFrame.decode(ByteBuffer.wrap(new byte[good.length])));
    assertTrue(good.length > 0);
  }
}
