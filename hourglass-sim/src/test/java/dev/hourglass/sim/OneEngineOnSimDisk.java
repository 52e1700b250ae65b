package dev.hourglass.sim;

import dev.hourglass.core.engine.EngineConfig;
import dev.hourglass.wal.FsyncPolicy;
import dev.hourglass.wal.durable.DurableOptions;
import java.nio.file.FileSystem;

/**
 * Options for one durable engine on a boot of a {@link SimDisk}, as the single-engine tests use.
 */
final class OneEngineOnSimDisk {
  private OneEngineOnSimDisk() {}

  /** Its data in /data, fsync on every commit, a snapshot every 3 records, small segments. */
  static DurableOptions options(FileSystem fs) {
    return new DurableOptions(
        fs.getPath("/data"),
        EngineConfig.DEFAULTS,
        new FsyncPolicy.Always(),
        3,
        1_000_000_000L,
        false,
        4096);
  }
}
