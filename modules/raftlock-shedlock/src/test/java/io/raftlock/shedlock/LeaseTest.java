package io.raftlock.shedlock;

import static org.junit.jupiter.api.Assertions.assertEquals;

import java.time.Duration;
import org.junit.jupiter.api.Test;

/** lockAtMostFor as the lease the server is asked for. */
class LeaseTest {
  @Test
  void aLeaseBelowTheServersMinimumIsRaisedToOneSecond() {
    assertEquals(com.google.protobuf.Duration.newBuilder().setSeconds(1).build(),
        RaftLockLockProvider.lease(Duration.ofMillis(50)));
  }

  @Test
  void otherLeasesAreSentAsTheyAre() {
    assertEquals(com.google.protobuf.Duration.newBuilder().setSeconds(1).setNanos(500_000_000).build(),
        RaftLockLockProvider.lease(Duration.ofMillis(1_500)));
    assertEquals(com.google.protobuf.Duration.newBuilder().setSeconds(300).build(),
        RaftLockLockProvider.lease(Duration.ofMinutes(5)));
  }
}
