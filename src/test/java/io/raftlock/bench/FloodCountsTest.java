package io.raftlock.bench;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;

import org.junit.jupiter.api.Test;

/** A flood process's last line carries its counts to the parent (FloodBench, the nemesis). */
class FloodCountsTest {
  @Test
  void theCountsLineReadsBackAsTheSameCounts() {
    FloodClients.Counts counts = new FloodClients.Counts(656_357, 561_540, 425_294, 231_063, 7, 1);
    assertEquals(counts, FloodClients.Counts.parse(counts.toString()));
    assertEquals(counts, FloodClients.Counts.parse(counts + "\n"));
  }

  @Test
  void anythingElseIsRefused() {
    assertThrows(IllegalArgumentException.class, () -> FloodClients.Counts.parse(FloodClients.STARTED));
    assertThrows(IllegalArgumentException.class, () -> FloodClients.Counts.parse("sent 1, held back 2"));
  }
}
