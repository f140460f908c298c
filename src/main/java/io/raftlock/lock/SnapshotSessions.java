package io.raftlock.lock;

import java.util.ArrayList;
import java.util.List;

/**
 * The sessions section of a version-3, -4 or -5 snapshot, read before the locks that refer to it. Holds
 * and waits are not stored with a session: they are rebuilt from the locks and waiters that name
 * it.
 */
final class SnapshotSessions {
  static final SnapshotSessions NONE = new SnapshotSessions(List.of());

  private final List<Session> sessions;

  private SnapshotSessions(List<Session> sessions) {
    this.sessions = sessions;
  }

  /** Reads the section; {@code withPrincipals} from version 4 on, {@code withAcks} from 5 on. */
  static SnapshotSessions read(ByteReader r, boolean withPrincipals, boolean withAcks) {
    // A session takes at least 6 bytes: the bound keeps the list proportional to the input.
    int count = r.readCount(r.remaining() / 6, "session count");
    List<Session> sessions = new ArrayList<>(count);
    long previousId = 0;
    for (int i = 0; i < count; i++) {
      long id = r.readSignedVarLong();
      if (id <= previousId) {
        throw new LockCodecException("sessions not in ascending id order");
      }
      previousId = id;
      String name = r.readString();
      long ttlMs = r.readSignedVarLong();
      long expiresAtMs = r.readSignedVarLong();
      String[] metadata = LockState.flatten(LockCommandCodec.readMetadata(r));
      Session s = new Session(id, name, ttlMs, metadata, expiresAtMs);
      s.principal = withPrincipals ? r.readString() : "";
      s.answeredBelow = withAcks ? r.readSignedVarLong() : 0;
      if (s.answeredBelow < 0) {
        throw new LockCodecException("negative answeredBelow in session " + id);
      }
      readRequests(r, s, withAcks);
      sessions.add(s);
    }
    return new SnapshotSessions(sessions);
  }

  private static void readRequests(ByteReader r, Session s, boolean withAcks) {
    int count = r.readCount(r.remaining(), "session request count");
    for (int i = 0; i < count; i++) {
      String requestId = r.readString();
      if (s.lookup(requestId) != null) {
        throw new LockCodecException("duplicate request id in session " + s.id);
      }
      long seq = withAcks ? r.readSignedVarLong() : 0;
      s.remember(new Session.Remembered(requestId, seq, r.readSignedVarLong(), ReplyCodec.read(r)),
          Integer.MAX_VALUE);
    }
  }

  void restoreInto(SessionTable table) {
    for (Session s : sessions) {
      table.addUnordered(s);
    }
  }
}
