package io.raftlock.transport;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;

import io.raftlock.node.Applied;
import io.raftlock.node.ProposalException;
import io.raftlock.proto.peer.ForwardRejected;
import io.raftlock.proto.peer.ForwardReply;
import io.raftlock.proto.peer.ForwardRequest;
import io.raftlock.proto.peer.RejectReason;
import net.jqwik.api.Example;
import net.jqwik.api.ForAll;
import net.jqwik.api.Property;
import net.jqwik.api.constraints.AlphaChars;
import net.jqwik.api.constraints.NumericChars;
import net.jqwik.api.constraints.StringLength;

/** The Forward call's messages survive the wire: to proto, to bytes, back, and mapped again. */
class ForwardMapperTest {

  @Property(tries = 500)
  void aRequestSurvivesTheWire(@ForAll @AlphaChars @NumericChars @StringLength(min = 1, max = 12)
      String from, @ForAll byte[] command) throws Exception {
    ForwardRequest back = ForwardRequest.parseFrom(ForwardMapper.request(from, command).toByteArray());
    assertEquals(from, back.getFrom());
    assertArrayEquals(command, back.getCommand().toByteArray());
  }

  @Property(tries = 500)
  void anAppliedReplySurvivesTheWire(@ForAll long index, @ForAll long term, @ForAll byte[] result)
      throws Exception {
    ForwardReply wire = ForwardReply.parseFrom(
        ForwardMapper.applied(new Applied(index, term, result)).toByteArray());
    Applied back = ForwardMapper.outcome(wire);
    assertEquals(index, back.index()); // uint64 carries every long bit for bit
    assertEquals(term, back.term());
    assertArrayEquals(result, (byte[]) back.result());
  }

  @Example
  void everyReasonSurvivesTheWireWithAndWithoutAHint() throws Exception {
    for (ProposalException.Reason reason : ProposalException.Reason.values()) {
      for (String hint : new String[] {"n2", null}) {
        ForwardReply wire = ForwardReply.parseFrom(
            ForwardMapper.rejected(new ProposalException(reason, hint)).toByteArray());
        ProposalException back =
            assertThrows(ProposalException.class, () -> ForwardMapper.outcome(wire));
        assertEquals(reason, back.reason());
        assertEquals(hint, back.leaderHint());
      }
    }
  }

  @Example
  void everyWireReasonNamesAReason() {
    for (RejectReason wire : RejectReason.values()) {
      if (wire != RejectReason.UNRECOGNIZED && wire != RejectReason.REJECT_REASON_UNSPECIFIED) {
        assertEquals("REJECT_REASON_" + ForwardMapper.reason(wire).name(), wire.name());
      }
    }
  }

  @Example
  void whatTheSenderCannotReadIsAFailedForward() {
    ForwardReply empty = ForwardReply.getDefaultInstance();
    ForwardReply unset = ForwardReply.newBuilder()
        .setRejected(ForwardRejected.newBuilder().setLeaderHint("n1")).build();
    ForwardReply unknown = ForwardReply.newBuilder()
        .setRejected(ForwardRejected.newBuilder().setReasonValue(999)).build();
    for (ForwardReply reply : new ForwardReply[] {empty, unset, unknown}) {
      ProposalException e = assertThrows(ProposalException.class, () -> ForwardMapper.outcome(reply));
      assertEquals(ProposalException.Reason.FORWARD_FAILED, e.reason());
    }
  }
}
