package dev.hourglass.wal;

import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Objects;
import java.util.Optional;

/**
 * What {@link SegmentedLog#open} found and changed. Immutable and thread-safe.
 *
 * @param segments segment files in use after recovery
 * @param records records found in them
 * @param firstLsn LSN of the oldest retained record, or {@code lastLsn + 1} when there is none
 * @param lastLsn LSN of the newest record, 0 when the log has never held one
 * @param bytesTruncated bytes removed from segment tails (torn tail or repaired corruption)
 * @param truncations each tail removed, in file order
 * @param quarantined files renamed to {@code *.corrupt} by a repair
 * @param repaired whether real corruption was repaired (records were lost)
 * @param duration wall time of the scan
 */
public record RecoveryReport(
    int segments,
    long records,
    long firstLsn,
    long lastLsn,
    long bytesTruncated,
    List<Truncation> truncations,
    List<Path> quarantined,
    boolean repaired,
    Duration duration) {

  /**
   * One removed tail.
   *
   * @param segment the file truncated
   * @param offset its new length: the end of the last whole record
   * @param bytes how many bytes were removed
   * @param reason what the decoder found at {@code offset}
   */
  public record Truncation(Path segment, long offset, long bytes, String reason) {}

  public RecoveryReport {
    truncations = List.copyOf(truncations);
    quarantined = List.copyOf(quarantined);
    Objects.requireNonNull(duration, "duration");
  }

  /** The torn tail found in the last segment, if any. */
  public Optional<Truncation> tornTail() {
    return truncations.isEmpty() ? Optional.empty() : Optional.of(truncations.getLast());
  }
}
