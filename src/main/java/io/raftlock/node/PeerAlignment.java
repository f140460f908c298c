package io.raftlock.node;

import io.raftlock.raft.ClusterConfig;
import io.raftlock.raft.RaftNode;
import io.vertx.core.Vertx;
import java.nio.file.Path;
import java.util.List;
import java.util.Objects;
import java.util.Set;
import java.util.TreeSet;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.function.BooleanSupplier;
import java.util.function.Consumer;
import java.util.logging.Level;
import java.util.logging.Logger;

/**
 * Keeps the peer transport in step with the configuration in force: members that join get a
 * connection (their addresses from the {@link MemberDirectory}), members that leave lose theirs
 * after a grace period, and addresses learned at runtime are saved. Also tells listeners when the
 * latest configuration changes. Confined to the Raft context, except listener registration.
 */
final class PeerAlignment {
  private static final Logger LOG = Logger.getLogger(PeerAlignment.class.getName());
  /** How long a member that left stays connected, so the leader's parting message gets out. */
  private static final long PARTING_GRACE_MS = 1_000;

  private final String nodeId;
  private final PeerTransport transport;
  private final BooleanSupplier stopped;
  private final List<Consumer<ClusterConfig>> configListeners = new CopyOnWriteArrayList<>();
  private MemberDirectory directory; // set before start; null: peers stay as configured
  private Path directoryDir; // where the address book is saved; null: not saved
  /** The member set the transport was last aligned with (latest ∪ committed configuration). */
  private Set<String> alignedMembers = Set.of();
  private ClusterConfig lastConfig;
  private long alignedConfigIndex = -1;
  private boolean alignedConfigCommitted;
  private boolean realign; // a member's address arrived: connect it
  private Vertx vertx; // set when the verticle starts: timers and the saving worker

  PeerAlignment(String nodeId, PeerTransport transport, BooleanSupplier stopped) {
    this.nodeId = nodeId;
    this.transport = transport;
    this.stopped = stopped;
  }

  /** The verticle started on {@code vertx}; everything but registration happens after this. */
  void start(Vertx vertx) {
    this.vertx = vertx;
  }

  void follow(MemberDirectory directory, Path dataDir) {
    this.directory = Objects.requireNonNull(directory, "directory");
    this.directoryDir = dataDir;
  }

  MemberDirectory directory() {
    return directory;
  }

  void onConfigChange(Consumer<ClusterConfig> listener) {
    configListeners.add(listener);
  }

  /** Records a new member's addresses (before the drain that aligns the transport). */
  void recordAddresses(String id, String peerAddress, String clientAddress) {
    if (peerAddress != null && directory != null
        && directory.put(id, new MemberDirectory.Addresses(peerAddress, clientAddress))) {
      save();
    }
  }

  /**
   * A peer announced its addresses. Returns true when it is a member the transport should reach
   * now that its address is known: the caller then drains, which aligns.
   */
  boolean learned(String peer, String peerAddress, String clientAddress) {
    if (directory == null) {
      return false;
    }
    if (directory.put(peer, new MemberDirectory.Addresses(peerAddress, clientAddress))) {
      LOG.info(() -> nodeId + " learned the addresses of " + peer + ": peers " + peerAddress
          + ", clients " + clientAddress);
      save();
    }
    if (alignedMembers.contains(peer) && !transport.peers().contains(peer)) {
      realign = true;
      return true;
    }
    return false;
  }

  /**
   * After each drain: when the latest or the committed configuration changed, aligns the
   * transport's peers with their union (a server removed by an uncommitted entry still receives
   * the log until the entry commits). A member that left is disconnected after a grace period, so
   * the parting AppendEntries that tells it its removal committed can leave first.
   */
  void align(RaftNode raft) {
    // Hot path (every drain): the union below changes only when the latest CONFIG entry changes
    // (appended or truncated away) or commits, so nothing is computed otherwise.
    long configIndex = raft.configIndex();
    boolean configCommitted = raft.commitIndex() >= configIndex;
    if (configIndex == alignedConfigIndex && configCommitted == alignedConfigCommitted && !realign) {
      return;
    }
    alignedConfigIndex = configIndex;
    alignedConfigCommitted = configCommitted;
    realign = false;
    ClusterConfig latest = raft.clusterConfig();
    if (!latest.equals(lastConfig)) {
      lastConfig = latest;
      configListeners.forEach(l -> l.accept(latest));
    }
    if (directory == null) {
      return;
    }
    TreeSet<String> wanted = new TreeSet<>(latest.members());
    wanted.addAll(raft.configAt(raft.commitIndex()).members());
    wanted.remove(nodeId);
    alignedMembers = Set.copyOf(wanted);
    transport.admit(wanted);
    connect(wanted);
    for (String id : transport.peers()) {
      if (!wanted.contains(id)) {
        vertx.setTimer(PARTING_GRACE_MS, t -> {
          if (!stopped.getAsBoolean() && !alignedMembers.contains(id)) {
            transport.removePeer(id);
          }
        });
      }
    }
  }

  private void connect(Set<String> wanted) {
    Set<String> connected = transport.peers();
    for (String id : wanted) {
      MemberDirectory.Addresses a = directory.get(id);
      if (!connected.contains(id) && a != null) {
        try {
          transport.addPeer(id, a.peerAddress());
        } catch (IllegalArgumentException e) {
          LOG.warning(() -> nodeId + " has a bad address for member " + id + ": " + a);
        }
      }
    }
  }

  private void save() {
    if (directoryDir == null) {
      return;
    }
    MemberDirectory d = directory;
    Path dir = directoryDir;
    // Blocking file I/O: on a worker thread, in order (an older book never overwrites a newer).
    vertx.executeBlocking(() -> {
      d.save(dir);
      return null;
    }, true).onFailure(e -> LOG.log(Level.WARNING, nodeId + " could not save the member address book", e));
  }
}
