package dev.hourglass.wal;

import java.nio.file.Path;
import java.time.Duration;
import java.util.Objects;

/**
 * Configuration of a {@link SegmentedLog}. Invalid values fail fast in the constructor; nothing is
 * clamped. Immutable and thread-safe.
 *
 * @param dir directory holding the segments and the {@code LOCK} file; created if missing
 * @param segmentBytesMax a segment rolls once appending the next record would exceed this size. A
 *     single record larger than the rest of a segment still gets a segment of its own.
 * @param recordBytesMax largest accepted record payload
 * @param fsync when appends become durable and their futures complete
 * @param repairCorruption on open, truncate at real corruption and quarantine later segments
 *     instead of failing. Loses records; for operator use after a failed open.
 */
public record WalOptions(
    Path dir,
    long segmentBytesMax,
    int recordBytesMax,
    FsyncPolicy fsync,
    boolean repairCorruption) {

  /**
   * Why 64 MiB: large enough that a roll (create, fsync file and directory) happens at most a few
   * times a second at full disk speed, small enough that compaction after a snapshot frees space in
   * useful steps and a recovery scan of the last segment takes well under a second.
   */
  public static final long SEGMENT_BYTES_DEFAULT = 64L << 20;

  /** Why: below this the segment header plus one small record would roll on every append. */
  public static final long SEGMENT_BYTES_MIN = 4L << 10;

  /**
   * Why 1 GiB: a segment is scanned and truncated as a unit at recovery; beyond this a scan of the
   * last segment delays startup for seconds. Also keeps every in-segment offset far below
   * Integer.MAX_VALUE.
   */
  public static final long SEGMENT_BYTES_MAX = 1L << 30;

  /**
   * Why 16 MiB: a record is one engine command. Anything bigger is a bug or abuse, and the group
   * commit buffer must hold at least one whole record in memory.
   */
  public static final int RECORD_BYTES_DEFAULT = 16 << 20;

  /** Why 64 MiB: records are held in memory whole (append buffer, replay); see the default. */
  public static final int RECORD_BYTES_LIMIT = 64 << 20;

  public WalOptions {
    Objects.requireNonNull(dir, "dir");
    Objects.requireNonNull(fsync, "fsync");
    if (segmentBytesMax < SEGMENT_BYTES_MIN || segmentBytesMax > SEGMENT_BYTES_MAX) {
      throw new IllegalArgumentException(
          "invalid WAL option: segmentBytesMax=%d bound=[%d, %d]; log not opened"
              .formatted(segmentBytesMax, SEGMENT_BYTES_MIN, SEGMENT_BYTES_MAX));
    }
    if (recordBytesMax < 0 || recordBytesMax > RECORD_BYTES_LIMIT) {
      throw new IllegalArgumentException(
          "invalid WAL option: recordBytesMax=%d bound=[0, %d]; log not opened"
              .formatted(recordBytesMax, RECORD_BYTES_LIMIT));
    }
  }

  /** 64 MiB segments, 16 MiB records, fsync always, no repair. */
  public static WalOptions defaults(Path dir) {
    return new WalOptions(
        dir, SEGMENT_BYTES_DEFAULT, RECORD_BYTES_DEFAULT, new FsyncPolicy.Always(), false);
  }

  public WalOptions withFsync(FsyncPolicy policy) {
    return new WalOptions(dir, segmentBytesMax, recordBytesMax, policy, repairCorruption);
  }

  public WalOptions withSegmentBytesMax(long bytes) {
    return new WalOptions(dir, bytes, recordBytesMax, fsync, repairCorruption);
  }

  public WalOptions withRecordBytesMax(int bytes) {
    return new WalOptions(dir, segmentBytesMax, bytes, fsync, repairCorruption);
  }

  public WalOptions withRepairCorruption(boolean repair) {
    return new WalOptions(dir, segmentBytesMax, recordBytesMax, fsync, repair);
  }

  /** Convenience for {@code withFsync(new FsyncPolicy.Batch(maxDelay))}. */
  public WalOptions withFsyncBatch(Duration maxDelay) {
    return withFsync(new FsyncPolicy.Batch(maxDelay));
  }
}
