package dev.hourglass.wal.durable;

import dev.hourglass.core.engine.EngineConfig;
import dev.hourglass.wal.FsyncPolicy;
import java.nio.file.Path;

/**
 * How a {@link DurableEngine} keeps its state.
 *
 * @param dataDir holds {@code log/} (segments) and {@code snapshots/}; locked while open
 * @param engine the engine's settings for a new data directory; an existing one keeps the
 *     settings recorded in its snapshots, since replaying the log under other settings could
 *     reject commands that were already acknowledged
 * @param fsync when appends are forced to disk; {@code always} unless testing
 * @param snapshotEveryRecords take a snapshot (and drop older segments) after this many records;
 *     bounds recovery time, at the price of writing the whole state each time
 * @param repairCorruption start even when the log holds corruption, dropping what follows it
 */
public record DurableOptions(
    Path dataDir,
    EngineConfig engine,
    FsyncPolicy fsync,
    long snapshotEveryRecords,
    boolean repairCorruption) {

  public static final long SNAPSHOT_EVERY_RECORDS_DEFAULT = 1_000_000;

  public static DurableOptions of(Path dataDir, EngineConfig engine, FsyncPolicy fsync) {
    return new DurableOptions(dataDir, engine, fsync, SNAPSHOT_EVERY_RECORDS_DEFAULT, false);
  }

  public DurableOptions withSnapshotEveryRecords(long records) {
    return new DurableOptions(dataDir, engine, fsync, records, repairCorruption);
  }

  public DurableOptions withRepairCorruption(boolean repair) {
    return new DurableOptions(dataDir, engine, fsync, snapshotEveryRecords, repair);
  }
}
