package dev.hourglass.wal;

/**
 * Counters since open, for metrics and benchmarks. Each field is read without a common lock, so a
 * snapshot may mix values from two adjacent batches.
 *
 * @param batches group-commit batches written (one write burst each)
 * @param fsyncs {@code force} calls on segment files, including those at segment rolls
 * @param records records written
 * @param bytesWritten frame bytes written, headers excluded
 * @param segmentRolls new segments created
 */
public record WalStats(
    long batches, long fsyncs, long records, long bytesWritten, long segmentRolls) {}
