package dev.hourglass.runtime;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.channels.FileChannel;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.nio.file.StandardOpenOption;
import java.util.ArrayList;
import java.util.List;

/**
 * Where each partition keeps its log and snapshots inside a data directory, and the guard that a
 * directory is always opened with the partition count it was created with (the routing of every id
 * depends on the count, so another count would look for jobs in the wrong partitions).
 *
 * <p>Layout: one partition uses the data directory itself, exactly as before partitions existed
 * ({@code log/}, {@code snapshots/}), and records nothing, so an existing directory keeps working.
 * N > 1 partitions use {@code partition-0/} to {@code partition-<N-1>/}, each a complete engine
 * directory, and the count is recorded in the file {@code partitions} (one line, the number),
 * written and made durable (file and directory forced) before any partition is used. A directory
 * with no such file that holds a log or snapshots has one partition.
 *
 * <p>Stateless and thread-safe; the data directory lock is taken by each partition's engine.
 */
public final class PartitionLayout {
  private PartitionLayout() {}

  /** The file that records the partition count of a data directory with more than one. */
  public static final String COUNT_FILE = "partitions";

  /**
   * The engine directory of each partition, creating the layout for a new data directory.
   *
   * @throws IOException when the directory was created with another partition count, or its count
   *     file is unreadable
   */
  public static List<Path> directories(Path dataDir, int partitions) throws IOException {
    if (partitions < 1 || partitions > PartitionRouting.PARTITIONS_MAX) {
      throw new IllegalArgumentException(
          "partitions=" + partitions + " is outside [1, " + PartitionRouting.PARTITIONS_MAX + "]");
    }
    int recorded = recordedCount(dataDir);
    if (recorded != 0 && recorded != partitions) {
      throw new IOException(
          ("data directory %s holds %d partition%s but the server was started"
                  + " with --partitions %d; start it with --partitions %d (every job's partition follows"
                  + " from the count, so it is fixed when the directory is created; changing it is not"
                  + " supported yet)")
              .formatted(dataDir, recorded, recorded == 1 ? "" : "s", partitions, recorded));
    }
    if (partitions == 1) {
      return List.of(dataDir);
    }
    if (recorded == 0) {
      Files.createDirectories(dataDir);
      Path tmp = dataDir.resolve(COUNT_FILE + ".tmp");
      try (FileChannel ch =
          FileChannel.open(
              tmp,
              StandardOpenOption.CREATE,
              StandardOpenOption.WRITE,
              StandardOpenOption.TRUNCATE_EXISTING)) {
        ch.write(ByteBuffer.wrap((partitions + "\n").getBytes(StandardCharsets.US_ASCII)));
        ch.force(true);
      }
      Files.move(tmp, dataDir.resolve(COUNT_FILE), StandardCopyOption.ATOMIC_MOVE);
    }
    List<Path> out = new ArrayList<>(partitions);
    for (int p = 0; p < partitions; p++) {
      out.add(Files.createDirectories(dataDir.resolve("partition-" + p)));
    }
    // Why: until the directory is forced, a power loss can keep the partitions' directories (and
    // the jobs in them) but lose the count, and the next start would take any count.
    forceDirectory(dataDir);
    return out;
  }

  private static void forceDirectory(Path dir) throws IOException {
    try (FileChannel ch = FileChannel.open(dir, StandardOpenOption.READ)) {
      ch.force(true);
    }
  }

  /** The recorded count; 1 for a single-partition directory; 0 for a new (or empty) one. */
  static int recordedCount(Path dataDir) throws IOException {
    Path file = dataDir.resolve(COUNT_FILE);
    if (Files.exists(file)) {
      String text = Files.readString(file, StandardCharsets.US_ASCII).trim();
      try {
        int n = Integer.parseInt(text);
        if (n >= 2 && n <= PartitionRouting.PARTITIONS_MAX) {
          return n;
        }
      } catch (NumberFormatException e) {
        // one message below
      }
      throw new IOException(
          "the partition count file "
              + file
              + " holds \""
              + text
              + "\", not a"
              + " count in [2, "
              + PartitionRouting.PARTITIONS_MAX
              + "]; it was damaged: restore it"
              + " (the number of partition-N directories)");
    }
    boolean single =
        Files.exists(dataDir.resolve("log")) || Files.exists(dataDir.resolve("snapshots"));
    return single ? 1 : 0;
  }
}
