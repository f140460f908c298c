package io.raftlock.node;

import com.fasterxml.jackson.core.type.TypeReference;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.util.Map;
import java.util.SortedMap;
import java.util.TreeMap;
import java.util.concurrent.ConcurrentSkipListMap;

/**
 * The address book: where each member listens, by node id. The Raft configuration carries ids
 * only (its CONFIG entries hold nothing but the encoded {@code ClusterConfig}), so addresses live
 * here: the configured members, plus those added at runtime (by an admin call on the leader, or
 * learned when a new member calls this node and advertises them). It is persisted as a small JSON
 * file in the data directory so a restarted node still reaches members added after its config
 * file was written.
 *
 * <p>Threading: reads from anywhere; {@link #put} on the Raft context; {@link #save} and
 * {@link #load} do blocking I/O and must run off the event loops.
 */
public final class MemberDirectory {
  /** File name inside the data directory. */
  public static final String FILE = "members.json";
  private static final ObjectMapper JSON = new ObjectMapper();

  /** A member's peer and client addresses, each {@code host:port}; client may be null. */
  public record Addresses(String peerAddress, String clientAddress) {
    public Addresses {
      if (peerAddress == null || peerAddress.isBlank()) {
        throw new IllegalArgumentException("peerAddress is required");
      }
    }
  }

  private final ConcurrentSkipListMap<String, Addresses> byId = new ConcurrentSkipListMap<>();

  public MemberDirectory(Map<String, Addresses> initial) {
    byId.putAll(initial);
  }

  public Addresses get(String id) {
    return id == null ? null : byId.get(id);
  }

  /** Records or updates {@code id}; returns true when something changed (save it then). */
  public boolean put(String id, Addresses addresses) {
    Addresses old = byId.get(id);
    Addresses merged = old != null && addresses.clientAddress() == null
        ? new Addresses(addresses.peerAddress(), old.clientAddress()) : addresses;
    if (merged.equals(old)) {
      return false;
    }
    byId.put(id, merged);
    return true;
  }

  public SortedMap<String, Addresses> snapshot() {
    return new TreeMap<>(byId);
  }

  /** Writes the book atomically (temporary file, then rename). Blocking. */
  public void save(Path dataDir) {
    try {
      Files.createDirectories(dataDir);
      Path tmp = dataDir.resolve(FILE + ".tmp");
      JSON.writerWithDefaultPrettyPrinter().writeValue(tmp.toFile(), snapshot());
      Files.move(tmp, dataDir.resolve(FILE), StandardCopyOption.REPLACE_EXISTING,
          StandardCopyOption.ATOMIC_MOVE);
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
  }

  /**
   * The saved book of {@code dataDir}, empty if none. A corrupt file fails loudly rather than
   * silently forgetting members. Blocking.
   */
  public static Map<String, Addresses> load(Path dataDir) {
    Path file = dataDir.resolve(FILE);
    if (!Files.exists(file)) {
      return Map.of();
    }
    try {
      return JSON.readValue(file.toFile(), new TypeReference<TreeMap<String, Addresses>>() {});
    } catch (IOException e) {
      throw new UncheckedIOException("unreadable member address book " + file, e);
    }
  }
}
