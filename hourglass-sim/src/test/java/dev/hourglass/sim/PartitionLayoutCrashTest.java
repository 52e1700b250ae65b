package dev.hourglass.sim;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.hourglass.core.command.Command;
import dev.hourglass.core.command.JobSpec;
import dev.hourglass.core.engine.EngineConfig;
import dev.hourglass.runtime.PartitionLayout;
import dev.hourglass.runtime.PartitionRouting;
import dev.hourglass.wal.FsyncPolicy;
import dev.hourglass.wal.durable.DurableEngine;
import dev.hourglass.wal.durable.DurableOptions;
import java.io.IOException;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.Test;

/**
 * A new data directory with several partitions survives a power loss right after its first
 * acknowledged job with its partition count: a restart with another count is refused (it would look
 * for every job in the wrong partition), and one with the same count finds the job.
 */
class PartitionLayoutCrashTest {

  @Test
  void aPowerLossAfterTheFirstForcedJobLeavesADirectoryThatStarts() throws Exception {
    for (long diskSeed = 1; diskSeed <= 40; diskSeed++) {
      SimDisk disk = new SimDisk(diskSeed, 0);
      List<DurableEngine> engines = new ArrayList<>();
      for (Path dir : PartitionLayout.directories(disk.boot().getPath("/data"), 3)) {
        engines.add(DurableEngine.open(options(dir)));
      }
      String id = "j1";
      engines
          .get(PartitionRouting.partitionOfId(id, 3))
          .apply(new Command.SubmitJob(1_000, JobSpec.of(id, "t", "{}")));
      disk.crash();
      assertThatThrownBy(() -> PartitionLayout.directories(disk.boot().getPath("/data"), 2))
          .as("disk seed %d", diskSeed)
          .isInstanceOf(IOException.class)
          .hasMessageContaining("holds 3 partitions");
      List<Path> dirs = PartitionLayout.directories(disk.boot().getPath("/data"), 3);
      DurableEngine again =
          DurableEngine.open(options(dirs.get(PartitionRouting.partitionOfId(id, 3))));
      assertThat(again.queries().job(id)).as("disk seed %d", diskSeed).isPresent();
    }
  }

  private static DurableOptions options(Path dir) {
    return new DurableOptions(
        dir, EngineConfig.DEFAULTS, new FsyncPolicy.Always(), 1_000, 1_000_000_000L, false, 4096);
  }
}
