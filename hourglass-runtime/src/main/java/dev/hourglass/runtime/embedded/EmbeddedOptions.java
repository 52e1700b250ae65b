package dev.hourglass.runtime.embedded;

import dev.hourglass.core.engine.EngineConfig;
import dev.hourglass.runtime.LoopLimits;
import dev.hourglass.runtime.TimeSource;
import dev.hourglass.wal.FsyncPolicy;
import java.nio.file.Path;
import java.util.Objects;

/**
 * How an {@link EmbeddedHourglass} keeps its jobs: where, how durably, under which engine settings
 * and loop bounds. Immutable: each {@code with*} method returns a copy, so an options value can be
 * shared and reused like a builder that cannot be half-built.
 *
 * <pre>{@code
 * var options = EmbeddedOptions.of(Path.of("data/jobs"))
 *     .withEngine(EngineConfig.DEFAULTS.withRetentionMillis(Duration.ofHours(1).toMillis()))
 *     .withFsync(new FsyncPolicy.Batch(Duration.ofMillis(2)));
 * }</pre>
 *
 * @param dataDir holds the write-ahead log ({@code log/}) and snapshots ({@code snapshots/});
 *     created if missing, and locked while open so that two processes never share it
 * @param engine the engine's settings (retention, default lease, worker timeout, payload bound) for
 *     a new data directory; an existing one keeps the settings it was created with, since replaying
 *     its log under other settings could refuse commands that were acknowledged
 * @param fsync when the log forces appends to disk; {@code Always} (the default) acknowledges a
 *     call only after its command reached stable storage
 * @param limits the engine loop's bounds (inbox, batch sizes, parked long polls, reply timeout)
 * @param time the clock that stamps commands and times waits; {@link TimeSource#system()} unless a
 *     test or simulation drives time itself
 */
public record EmbeddedOptions(
    Path dataDir, EngineConfig engine, FsyncPolicy fsync, LoopLimits limits, TimeSource time) {

  /**
   * Checks that no field is null.
   *
   * @throws NullPointerException if any field is null
   */
  public EmbeddedOptions {
    Objects.requireNonNull(dataDir, "dataDir");
    Objects.requireNonNull(engine, "engine");
    Objects.requireNonNull(fsync, "fsync");
    Objects.requireNonNull(limits, "limits");
    Objects.requireNonNull(time, "time");
  }

  /**
   * The defaults on {@code dataDir}: {@link EngineConfig#DEFAULTS}, fsync {@code always}, the
   * server's loop bounds ({@link LoopLimits#DEFAULTS}) and the system clock.
   *
   * @param dataDir the data directory
   * @return the options
   * @throws NullPointerException if dataDir is null
   */
  public static EmbeddedOptions of(Path dataDir) {
    return new EmbeddedOptions(
        dataDir,
        EngineConfig.DEFAULTS,
        new FsyncPolicy.Always(),
        LoopLimits.DEFAULTS,
        TimeSource.system());
  }

  /**
   * These options with other engine settings (see the {@code engine} parameter: a new data
   * directory only).
   *
   * @param config the engine settings
   * @return a copy
   * @throws NullPointerException if config is null
   */
  public EmbeddedOptions withEngine(EngineConfig config) {
    return new EmbeddedOptions(dataDir, config, fsync, limits, time);
  }

  /**
   * These options with another fsync policy.
   *
   * @param policy when the log is forced to disk
   * @return a copy
   * @throws NullPointerException if policy is null
   */
  public EmbeddedOptions withFsync(FsyncPolicy policy) {
    return new EmbeddedOptions(dataDir, engine, policy, limits, time);
  }

  /**
   * These options with other loop bounds.
   *
   * @param loopLimits the bounds
   * @return a copy
   * @throws NullPointerException if loopLimits is null
   */
  public EmbeddedOptions withLimits(LoopLimits loopLimits) {
    return new EmbeddedOptions(dataDir, engine, fsync, loopLimits, time);
  }

  /**
   * These options with another clock.
   *
   * @param source the clock
   * @return a copy
   * @throws NullPointerException if source is null
   */
  public EmbeddedOptions withTime(TimeSource source) {
    return new EmbeddedOptions(dataDir, engine, fsync, limits, source);
  }
}
