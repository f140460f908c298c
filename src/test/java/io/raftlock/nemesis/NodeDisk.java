package io.raftlock.nemesis;

import io.raftlock.storage.StoreProbe;
import java.io.IOException;
import java.io.RandomAccessFile;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.util.List;
import java.util.Random;

/**
 * A node's data directory: on its own loop-mounted ext4 image when the machine allows it (root,
 * mkfs.ext4, loop devices), else a plain directory (power loss and disk full are then skipped).
 *
 * <p><b>What power loss simulates.</b> After {@code kill -9} (no {@code sync}), the image file is
 * copied <em>while still mounted</em>. The copy holds what the loop device had written into the
 * image: everything the node fsynced (an fsync on the ext4 goes through the loop device) plus
 * whatever the kernel wrote back on its own. Dirty pages still in the ext4 page cache, including
 * unsynced writes to memory-mapped files, are not in the copy: they are lost as in a power cut.
 * The original is then unmounted and replaced by the copy, which is mounted again (ext4 replays its
 * journal). The copy is not one atomic instant (background writeback may run during it, the node
 * being already dead).
 *
 * <p><b>Torn power loss</b> ({@link #tornPowerLoss}): the node's last writes are first all synced
 * to the image, so the copy holds everything the node wrote; then, on the copy, the records the
 * node had not yet acknowledged (above its durable mark, {@link LogTailScan}) lose random pages or
 * sectors, or their tail, as a power cut in the middle of their write may leave them, in any order
 * ({@link TornWrites}). Only sound for a node that syncs its durable mark before acknowledging.
 * Not simulated: damage to bytes the node had synced (a disk that breaks its fsync promise), and
 * torn in-place rewrites of earlier pages (Chronicle's index and header words, the hard-state slot).
 */
final class NodeDisk implements AutoCloseable {
  /** Sparse; the storage refuses to append below 256 MiB free, so the image must be well above that. */
  private static final long IMAGE_BYTES = 1L << 30;

  private final Path dir;
  private final boolean loop;
  private boolean mounted;

  private NodeDisk(Path dir, boolean loop) {
    this.dir = dir;
    this.loop = loop;
  }

  /** A plain directory under {@code dir}. */
  static NodeDisk plain(Path dir) throws IOException {
    Files.createDirectories(dir.resolve("data"));
    return new NodeDisk(dir, false);
  }

  /** A fresh sparse ext4 image under {@code dir}, loop-mounted on {@code dir/mnt}. */
  static NodeDisk loop(Path dir) throws IOException {
    Files.createDirectories(dir.resolve("mnt"));
    NodeDisk disk = new NodeDisk(dir, true);
    try (RandomAccessFile f = new RandomAccessFile(disk.image().toFile(), "rw")) {
      f.setLength(IMAGE_BYTES);
    }
    // -m 0: the nodes run as root, which may use ext4's reserved blocks; reserve none so that
    // "disk full" is full for them too.
    Shell.check("mkfs.ext4", "-q", "-F", "-m", "0", disk.image().toString());
    disk.mount();
    Files.createDirectories(disk.dataDir());
    return disk;
  }

  /** Why loop-mounted images cannot be used, or null when they can (probed with a tiny image). */
  static String loopUnavailableReason(Path scratch) {
    if (!Shell.isRoot()) {
      return "not root: loop mounts need root";
    }
    if (!Shell.onPath("mkfs.ext4") || !Shell.onPath("mount")) {
      return "mkfs.ext4 or mount is missing";
    }
    Path probe = scratch.resolve("loop-probe");
    try {
      NodeDisk d = loop(probe);
      d.close();
      return null;
    } catch (IOException | RuntimeException e) {
      Shell.run("umount", probe.resolve("mnt").toString());
      return "cannot loop-mount an ext4 image: " + e.getMessage();
    } finally {
      Shell.run("rm", "-rf", probe.toString());
    }
  }

  boolean isLoop() {
    return loop;
  }

  Path dataDir() {
    return loop ? dir.resolve("mnt").resolve("data") : dir.resolve("data");
  }

  private Path image() {
    return dir.resolve("disk.img");
  }

  private Path mountPoint() {
    return dir.resolve("mnt");
  }

  private void mount() {
    Shell.check("mount", "-o", "loop", image().toString(), mountPoint().toString());
    mounted = true;
  }

  private void unmount() {
    if (!mounted) {
      return;
    }
    Shell.Result r = Shell.run("umount", mountPoint().toString());
    if (!r.ok()) {
      // Something still holds a file open; detach now, the kernel finishes when it is closed.
      Shell.run("umount", "-l", mountPoint().toString());
    }
    mounted = false;
  }

  /**
   * Replaces the disk by a copy of what had reached the image (see the class comment). The node
   * must be dead. Returns the size of the image's data, for the log.
   */
  String powerLoss() {
    requireLoop();
    Path crashed = dir.resolve("disk.img.crash");
    Shell.check("cp", "--sparse=always", image().toString(), crashed.toString());
    unmount();
    try {
      Files.move(crashed, image(), StandardCopyOption.REPLACE_EXISTING);
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
    mount();
    return "image copied without sync and remounted";
  }

  /**
   * Power loss in the middle of the node's last, unacknowledged writes (see the class comment): all
   * its writes synced to the image, the image copied and remounted, then the records above the
   * durable mark damaged as {@code random} chooses. The node must be dead. Returns what was done.
   */
  String tornPowerLoss(Random random) throws IOException {
    requireLoop();
    // syncfs: the dead node's dirty pages (its unsynced appends) reach the image, so the tear
    // below chooses which of them survive instead of losing all of them.
    Shell.check("sync", "-f", mountPoint().toString());
    powerLoss();
    List<LogTailScan.Span> spans = LogTailScan.unacknowledged(dataDir());
    TornWrites.Plan plan = TornWrites.choose(spans, random);
    TornWrites.apply(plan);
    String mark = StoreProbe.durableMark(dataDir()).map(m -> m.term() + "/" + m.index()).orElse("none");
    return "all writes synced, image copied and remounted; durable mark " + mark + ", " + plan.describe();
  }

  /** Fills the file system until writes fail with ENOSPC; returns the bytes left free. */
  long fill() {
    requireLoop();
    Path fill = mountPoint().resolve("fill");
    long usable = usable();
    // fallocate takes nearly all of it at once; dd then takes the last blocks until ENOSPC.
    Shell.run("fallocate", "-l", Long.toString(Math.max(4096, usable - (1 << 20))), fill.toString());
    Shell.run("sh", "-c", "dd if=/dev/zero of=" + fill + "-tail bs=4096 2>/dev/null; true");
    return usable();
  }

  /** Frees what {@link #fill()} took. */
  void unfill() {
    if (loop) {
      Shell.run("rm", "-f", mountPoint().resolve("fill").toString(), mountPoint().resolve("fill-tail").toString());
    }
  }

  private long usable() {
    try {
      return Files.getFileStore(mountPoint()).getUsableSpace();
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
  }

  private void requireLoop() {
    if (!loop) {
      throw new IllegalStateException("not on a loop-mounted image");
    }
  }

  /** Unmounts and deletes the image (the node must be dead). Safe to call twice. */
  @Override
  public void close() {
    if (loop) {
      unmount();
      Shell.run("rm", "-f", image().toString(), dir.resolve("disk.img.crash").toString());
    }
  }
}
