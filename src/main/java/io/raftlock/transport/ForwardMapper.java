package io.raftlock.transport;

import io.raftlock.node.Applied;
import io.raftlock.node.ProposalException;
import io.raftlock.proto.peer.ForwardApplied;
import io.raftlock.proto.peer.ForwardRejected;
import io.raftlock.proto.peer.ForwardReply;
import io.raftlock.proto.peer.ForwardRequest;
import io.raftlock.proto.peer.RejectReason;

/**
 * Maps the Forward call's messages: a command out, an {@link Applied} or a
 * {@link ProposalException} back. Reasons map by name, one to one; whatever the sender cannot
 * read (no outcome, an unknown reason from a newer peer) becomes {@code FORWARD_FAILED}: the
 * leader may or may not have applied the command, which is exactly what that reason says.
 *
 * <p>Across the transport an {@code Applied}'s result is the encoded {@code byte[]} (see
 * {@link io.raftlock.node.PeerTransport}). Bytes leave without a copy (the command and the encoded result are not
 * modified after they are handed over) and are copied once on arrival.
 *
 * <p>Stateless; safe from any thread.
 */
public final class ForwardMapper {
  private ForwardMapper() {}

  public static ForwardRequest request(String from, byte[] command) {
    return ForwardRequest.newBuilder()
        .setFrom(from)
        .setCommand(MessageMapper.wrap(command, 0, command.length))
        .build();
  }

  /** The reply for a command applied at {@code applied}; its result must be a {@code byte[]}. */
  public static ForwardReply applied(Applied applied) {
    byte[] result = (byte[]) applied.result();
    return ForwardReply.newBuilder()
        .setApplied(ForwardApplied.newBuilder()
            .setIndex(applied.index())
            .setTerm(applied.term())
            .setResult(MessageMapper.wrap(result, 0, result.length)))
        .build();
  }

  public static ForwardReply rejected(ProposalException e) {
    return ForwardReply.newBuilder()
        .setRejected(ForwardRejected.newBuilder()
            .setReason(RejectReason.valueOf("REJECT_REASON_" + e.reason().name()))
            .setLeaderHint(e.leaderHint() == null ? "" : e.leaderHint()))
        .build();
  }

  /**
   * What the sender reads from {@code reply}: the {@link Applied} (result: a fresh
   * {@code byte[]}), or throws the rejection's {@link ProposalException}.
   */
  public static Applied outcome(ForwardReply reply) {
    switch (reply.getOutcomeCase()) {
      case APPLIED -> {
        ForwardApplied a = reply.getApplied();
        return new Applied(a.getIndex(), a.getTerm(), a.getResult().toByteArray());
      }
      case REJECTED -> {
        ForwardRejected r = reply.getRejected();
        String hint = r.getLeaderHint().isEmpty() ? null : r.getLeaderHint();
        throw new ProposalException(reason(r.getReason()), hint);
      }
      default -> throw new ProposalException(ProposalException.Reason.FORWARD_FAILED, null);
    }
  }

  static ProposalException.Reason reason(RejectReason wire) {
    String name = wire.name();
    if (wire == RejectReason.UNRECOGNIZED || wire == RejectReason.REJECT_REASON_UNSPECIFIED) {
      return ProposalException.Reason.FORWARD_FAILED;
    }
    // Every wire name is "REJECT_REASON_" + a Reason name (tested both ways).
    return ProposalException.Reason.valueOf(name.substring("REJECT_REASON_".length()));
  }
}
