package dev.hourglass.sim;

import java.io.IOException;
import java.nio.file.FileSystem;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Random;
import java.util.Set;
import java.util.TreeMap;

/*
 * Implementation notes: the disk contract the simulator holds the log to.
 *
 * The disk keeps, per file (an inode), its current bytes and the bytes as of its last force; and
 * two namespaces (name -> inode): the current one, and the durable one as of the last force of
 * each directory. That is the POSIX contract the log is written against:
 *  - write() changes only the current bytes; force() makes the current bytes durable.
 *  - create, rename and delete change only the current namespace; forcing the directory makes
 *    its entries durable. Directories themselves are durable once created (a simplification: the
 *    log creates its directories once, before any record).
 *  - A crash (power loss) keeps the durable namespace with each file's durable bytes, plus, for a
 *    file whose unforced writes only appended, a random part of that unforced tail: nothing, a
 *    torn prefix, all of it, or as many zero bytes (the size reached the disk, the data did not);
 *    rarely with one bit flipped. Unforced writes inside the durable part are lost.
 *
 * Each boot is a new SimFileSystem over the same disk; a crash ends the boot, and every channel or
 * path of an ended boot fails with IOException from then on, as a dead process does nothing more.
 *
 * Every mutating operation is counted and offered to the crash plan first, so a run can crash at
 * any chosen write, force, rename or delete: between an append and its force, between a force and
 * the answer, in the middle of a snapshot.
 *
 * Thread-safety: every method is synchronized on the disk. The log's flusher thread writes and
 * forces while the simulator's thread waits for it, so the order of operations is deterministic.
 */

/** A simulated disk that loses unforced data on a crash, as real disks may. */
final class SimDisk {
  /** What a mutating operation does, for the crash plan and the trace. */
  enum Op {
    WRITE,
    FORCE,
    TRUNCATE,
    RENAME,
    DELETE,
    FORCE_DIRECTORY
  }

  /** Decides, before each mutating operation, whether the power fails there. */
  interface CrashPlan {
    boolean crashBefore(Op op, String path);
  }

  /** How a crash treated the unforced tails, for the run's statistics. */
  record CrashReport(int tornTails, int zeroTails, int keptTails, int droppedTails, int bitFlips) {}

  static final class Inode {
    final boolean directory;
    byte[] data = new byte[0];
    int size;
    int durableSize;

    /** Null while the durable bytes are {@code data[0, durableSize)}: only appends since. */
    byte[] durableData;

    Inode(boolean directory) {
      this.directory = directory;
    }

    /** Before a write or truncate inside the durable part: the durable bytes get a copy. */
    void detachDurable() {
      if (durableData == null) {
        durableData = Arrays.copyOf(data, durableSize);
      }
    }

    void force() {
      durableData = null;
      durableSize = size;
    }
  }

  private final Random random;
  private final double bitFlipChance;
  private TreeMap<String, Inode> current = new TreeMap<>();
  private TreeMap<String, Inode> durable = new TreeMap<>();
  private final Set<String> locks = new HashSet<>();
  private CrashPlan plan = (op, path) -> false;
  private int boot;
  private long ops;
  private final List<CrashReport> crashes = new ArrayList<>();

  SimDisk(long seed, double bitFlipChance) {
    this.random = new Random(seed);
    this.bitFlipChance = bitFlipChance;
    Inode root = new Inode(true);
    current.put("/", root);
    durable.put("/", root);
  }

  /** A new boot: a file system over what the disk holds now. */
  synchronized FileSystem boot() {
    return new SimFileSystem(this, boot);
  }

  synchronized void plan(CrashPlan plan) {
    this.plan = plan;
  }

  synchronized long ops() {
    return ops;
  }

  synchronized List<CrashReport> crashes() {
    return List.copyOf(crashes);
  }

  /** Powers off now: only the durable state (and random parts of unforced tails) survives. */
  synchronized void crash() {
    int torn = 0;
    int zeros = 0;
    int kept = 0;
    int dropped = 0;
    int flips = 0;
    TreeMap<String, Inode> image = new TreeMap<>();
    for (Map.Entry<String, Inode> e : durable.entrySet()) {
      Inode old = e.getValue();
      Inode copy = new Inode(old.directory);
      if (!old.directory) {
        byte[] base =
            old.durableData != null ? old.durableData : Arrays.copyOf(old.data, old.durableSize);
        int tail = old.durableData == null ? old.size - old.durableSize : 0;
        int keep = 0;
        boolean zero = false;
        if (tail > 0) {
          int mode = random.nextInt(10);
          if (mode < 4) {
            dropped++;
          } else if (mode < 7) {
            keep = 1 + random.nextInt(tail);
            torn += keep < tail ? 1 : 0;
            kept += keep == tail ? 1 : 0;
          } else if (mode < 9) {
            keep = tail;
            kept++;
          } else {
            keep = 1 + random.nextInt(tail);
            zero = true;
            zeros++;
          }
        }
        byte[] bytes = Arrays.copyOf(base, base.length + keep);
        if (keep > 0 && !zero) {
          System.arraycopy(old.data, old.durableSize, bytes, base.length, keep);
          if (random.nextDouble() < bitFlipChance) {
            bytes[base.length + random.nextInt(keep)] ^= (byte) (1 << random.nextInt(8));
            flips++;
          }
        }
        copy.data = bytes;
        copy.size = bytes.length;
        copy.durableSize = bytes.length;
      }
      image.put(e.getKey(), copy);
    }
    current = image;
    durable = new TreeMap<>(image);
    locks.clear();
    boot++;
    crashes.add(new CrashReport(torn, zeros, kept, dropped, flips));
  }

  /** Everything written so far, as a clean shutdown would leave it: for replay checks. */
  synchronized void forceAll() {
    for (Inode inode : current.values()) {
      if (!inode.directory) {
        inode.force();
      }
    }
    durable = new TreeMap<>(current);
  }

  // ---------------------------------------------------------------- operations of one boot

  void checkAlive(int ofBoot) throws IOException {
    if (ofBoot != boot) {
      throw new IOException("simulated power loss: this process died with boot " + ofBoot);
    }
  }

  /** Counts a mutating operation and lets the crash plan fail the power before it. */
  void mutate(int ofBoot, Op op, String path) throws IOException {
    checkAlive(ofBoot);
    ops++;
    if (plan.crashBefore(op, path)) {
      crash();
      throw new IOException("simulated power loss before " + op + " of " + path);
    }
  }

  synchronized Inode inode(int ofBoot, String path) throws IOException {
    checkAlive(ofBoot);
    return current.get(path);
  }

  synchronized Inode createFile(int ofBoot, String path) throws IOException {
    checkAlive(ofBoot);
    Inode parent = current.get(SimPath.parentOf(path));
    if (parent == null || !parent.directory) {
      throw new java.nio.file.NoSuchFileException(path, null, "no such directory");
    }
    return current.computeIfAbsent(path, p -> new Inode(false));
  }

  synchronized void createDirectory(int ofBoot, String path) throws IOException {
    checkAlive(ofBoot);
    if (current.containsKey(path)) {
      throw new java.nio.file.FileAlreadyExistsException(path);
    }
    for (String p = SimPath.parentOf(path);
        p != null && !current.containsKey(p);
        p = SimPath.parentOf(p)) {
      Inode dir = new Inode(true);
      current.put(p, dir);
      durable.put(p, dir);
    }
    Inode dir = new Inode(true);
    current.put(path, dir);
    durable.put(path, dir);
  }

  synchronized void write(int ofBoot, String path, Inode inode, byte[] src, long position)
      throws IOException {
    mutate(ofBoot, Op.WRITE, path);
    int end = Math.toIntExact(position + src.length);
    if (position < inode.durableSize) {
      inode.detachDurable();
    }
    if (end > inode.data.length) {
      inode.data = Arrays.copyOf(inode.data, Math.max(end, inode.data.length * 2));
    }
    if (position > inode.size) {
      Arrays.fill(inode.data, inode.size, (int) position, (byte) 0);
    }
    System.arraycopy(src, 0, inode.data, (int) position, src.length);
    inode.size = Math.max(inode.size, end);
  }

  synchronized void truncate(int ofBoot, String path, Inode inode, long size) throws IOException {
    if (size >= inode.size) {
      checkAlive(ofBoot);
      return;
    }
    mutate(ofBoot, Op.TRUNCATE, path);
    if (size < inode.durableSize) {
      inode.detachDurable();
    }
    inode.size = (int) size;
  }

  synchronized void force(int ofBoot, String path, Inode inode) throws IOException {
    if (inode.directory) {
      mutate(ofBoot, Op.FORCE_DIRECTORY, path);
      durable.keySet().removeIf(p -> path.equals(SimPath.parentOf(p)));
      for (Map.Entry<String, Inode> e : current.entrySet()) {
        if (path.equals(SimPath.parentOf(e.getKey()))) {
          durable.put(e.getKey(), e.getValue());
        }
      }
      return;
    }
    mutate(ofBoot, Op.FORCE, path);
    inode.force();
  }

  synchronized void rename(int ofBoot, String from, String to) throws IOException {
    mutate(ofBoot, Op.RENAME, from);
    Inode inode = current.remove(from);
    if (inode == null) {
      throw new java.nio.file.NoSuchFileException(from);
    }
    current.put(to, inode);
  }

  synchronized void delete(int ofBoot, String path) throws IOException {
    checkAlive(ofBoot);
    Inode inode = current.get(path);
    if (inode == null) {
      throw new java.nio.file.NoSuchFileException(path);
    }
    mutate(ofBoot, Op.DELETE, path);
    current.remove(path);
  }

  /** The direct children of {@code dir}, by name (a deterministic order, unlike real disks). */
  synchronized List<String> list(int ofBoot, String dir) throws IOException {
    checkAlive(ofBoot);
    List<String> children = new ArrayList<>();
    for (String p : current.keySet()) {
      if (!p.equals(dir) && dir.equals(SimPath.parentOf(p))) {
        children.add(p);
      }
    }
    return children;
  }

  synchronized boolean lock(int ofBoot, String path) throws IOException {
    checkAlive(ofBoot);
    return locks.add(path);
  }

  synchronized void unlock(int ofBoot, String path) {
    if (ofBoot == boot) {
      locks.remove(path);
    }
  }
}
