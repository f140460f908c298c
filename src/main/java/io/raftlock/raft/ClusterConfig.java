package io.raftlock.raft;

import java.io.ByteArrayOutputStream;
import java.io.DataInputStream;
import java.io.DataOutputStream;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.util.Collections;
import java.util.Set;
import java.util.SortedSet;
import java.util.TreeSet;

/**
 * Cluster membership: voters decide elections and commits; learners receive the log but never
 * count toward a quorum (Raft thesis §4.2.1). Sorted sets keep every iteration deterministic.
 */
public record ClusterConfig(SortedSet<String> voters, SortedSet<String> learners) {
  public ClusterConfig {
    voters = Collections.unmodifiableSortedSet(new TreeSet<>(voters));
    learners = Collections.unmodifiableSortedSet(new TreeSet<>(learners));
    for (String l : learners) {
      if (voters.contains(l)) {
        throw new IllegalArgumentException("node " + l + " is both voter and learner");
      }
    }
  }

  public static ClusterConfig ofVoters(Set<String> voters) {
    return new ClusterConfig(new TreeSet<>(voters), new TreeSet<>());
  }

  public boolean isVoter(String id) {
    return voters.contains(id);
  }

  public boolean isMember(String id) {
    return voters.contains(id) || learners.contains(id);
  }

  /** All members, voters first then learners, each group sorted. */
  public SortedSet<String> members() {
    TreeSet<String> all = new TreeSet<>(voters);
    all.addAll(learners);
    return all;
  }

  /** This configuration with {@code id} a learner (and no longer a voter). */
  public ClusterConfig withLearner(String id) {
    TreeSet<String> v = new TreeSet<>(voters);
    v.remove(id);
    TreeSet<String> l = new TreeSet<>(learners);
    l.add(id);
    return new ClusterConfig(v, l);
  }

  /** This configuration with {@code id} a voter (and no longer a learner). */
  public ClusterConfig withVoter(String id) {
    TreeSet<String> v = new TreeSet<>(voters);
    v.add(id);
    TreeSet<String> l = new TreeSet<>(learners);
    l.remove(id);
    return new ClusterConfig(v, l);
  }

  /** This configuration without {@code id}, voter or learner. */
  public ClusterConfig without(String id) {
    TreeSet<String> v = new TreeSet<>(voters);
    v.remove(id);
    TreeSet<String> l = new TreeSet<>(learners);
    l.remove(id);
    return new ClusterConfig(v, l);
  }

  /** Smallest number of voters that forms a majority. */
  public int quorum() {
    return voters.size() / 2 + 1;
  }

  public byte[] encode() {
    ByteArrayOutputStream bytes = new ByteArrayOutputStream();
    try (DataOutputStream out = new DataOutputStream(bytes)) {
      out.writeByte(1); // format version
      out.writeInt(voters.size());
      for (String v : voters) {
        out.writeUTF(v);
      }
      out.writeInt(learners.size());
      for (String l : learners) {
        out.writeUTF(l);
      }
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
    return bytes.toByteArray();
  }

  public static ClusterConfig decode(byte[] data) {
    try (DataInputStream in = new DataInputStream(new java.io.ByteArrayInputStream(data))) {
      int version = in.readByte();
      if (version != 1) {
        throw new IllegalArgumentException("unknown cluster config format " + version);
      }
      TreeSet<String> voters = new TreeSet<>();
      for (int n = in.readInt(); n > 0; n--) {
        voters.add(in.readUTF());
      }
      TreeSet<String> learners = new TreeSet<>();
      for (int n = in.readInt(); n > 0; n--) {
        learners.add(in.readUTF());
      }
      return new ClusterConfig(voters, learners);
    } catch (IOException e) {
      throw new IllegalArgumentException("corrupt cluster config", e);
    }
  }
}
