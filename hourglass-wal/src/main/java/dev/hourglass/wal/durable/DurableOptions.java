package dev.hourglass.wal.durable;

import dev.hourglass.core.engine.EngineConfig;
import dev.hourglass.wal.FsyncPolicy;
import dev.hourglass.wal.WalOptions;
import java.nio.file.Path;

/**
 * How a {@link DurableEngine} keeps its state.
 *
 * @param dataDir holds {@code log/} (segments) and {@code snapshots/}; locked while open
 * @param engine the engine's settings for a new data directory; an existing one keeps the settings
 *     recorded in its snapshots, since replaying the log under other settings could reject commands
 *     that were already acknowledged
 * @param fsync when appends are forced to disk; {@code always} unless testing
 * @param snapshotEveryRecords take a snapshot (and drop older segments) after this many records;
 *     bounds recovery time, at the price of writing the whole state each time
 * @param snapshotEveryMillis also take one when this long has passed since the last and records
 *     were written since, so a slow trickle of commands still gets compacted
 * @param repairCorruption start even when the log holds corruption, dropping what follows it
 * @param segmentBytesMax log segment size; the unit in which the log is compacted
 */
public record DurableOptions(
    Path dataDir,
    EngineConfig engine,
    FsyncPolicy fsync,
    long snapshotEveryRecords,
    long snapshotEveryMillis,
    boolean repairCorruption,
    long segmentBytesMax) {

  public static final long SNAPSHOT_EVERY_RECORDS_DEFAULT = 1_000_000;
  public static final long SNAPSHOT_EVERY_MILLIS_DEFAULT = 10 * 60_000;

  public static DurableOptions of(Path dataDir, EngineConfig engine, FsyncPolicy fsync) {
    return new DurableOptions(
        dataDir,
        engine,
        fsync,
        SNAPSHOT_EVERY_RECORDS_DEFAULT,
        SNAPSHOT_EVERY_MILLIS_DEFAULT,
        false,
        WalOptions.SEGMENT_BYTES_DEFAULT);
  }

  public DurableOptions withSnapshotEveryRecords(long records) {
    return new DurableOptions(
        dataDir, engine, fsync, records, snapshotEveryMillis, repairCorruption, segmentBytesMax);
  }

  public DurableOptions withRepairCorruption(boolean repair) {
    return new DurableOptions(
        dataDir, engine, fsync, snapshotEveryRecords, snapshotEveryMillis, repair, segmentBytesMax);
  }

  public DurableOptions withSegmentBytesMax(long bytes) {
    return new DurableOptions(
        dataDir, engine, fsync, snapshotEveryRecords, snapshotEveryMillis, repairCorruption, bytes);
  }
}
