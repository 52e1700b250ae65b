package dev.hourglass.sim;

import static org.assertj.core.api.Assertions.assertThat;

import dev.hourglass.core.command.Command;
import dev.hourglass.core.command.JobSpec;
import dev.hourglass.core.engine.EngineConfig;
import dev.hourglass.wal.FsyncPolicy;
import dev.hourglass.wal.durable.DurableEngine;
import dev.hourglass.wal.durable.DurableOptions;
import java.nio.ByteBuffer;
import java.nio.channels.FileChannel;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.util.concurrent.atomic.AtomicBoolean;
import org.junit.jupiter.api.Test;

/** The simulated disk keeps the contract the log relies on, and the real log runs on it. */
class SimDiskTest {

  @Test
  void unforcedWritesAndUnforcedNamesDoNotSurviveACrash() throws Exception {
    SimDisk disk = new SimDisk(1, 0);
    Path dir = disk.boot().getPath("/d");
    Files.createDirectories(dir);
    try (FileChannel ch =
        FileChannel.open(
            dir.resolve("forced"), StandardOpenOption.CREATE, StandardOpenOption.WRITE)) {
      ch.write(ByteBuffer.wrap(new byte[] {1, 2, 3}));
      ch.force(false);
    }
    try (FileChannel d = FileChannel.open(dir, StandardOpenOption.READ)) {
      d.force(true);
    }
    FileChannel.open(dir.resolve("unnamed"), StandardOpenOption.CREATE, StandardOpenOption.WRITE)
        .force(false);
    disk.crash();
    Path after = disk.boot().getPath("/d");
    assertThat(Files.exists(after.resolve("forced"))).isTrue();
    assertThat(Files.exists(after.resolve("unnamed"))).isFalse();
    try (FileChannel ch = FileChannel.open(after.resolve("forced"), StandardOpenOption.READ)) {
      assertThat(ch.size()).isEqualTo(3);
    }
  }

  @Test
  void theRealDurableEngineRecoversEveryForcedCommandFromTheSimulatedDisk() throws Exception {
    SimDisk disk = new SimDisk(7, 0);
    AtomicBoolean failNextForce = new AtomicBoolean();
    disk.plan(
        (op, path) ->
            op == SimDisk.Op.FORCE && path.endsWith(".wal") && failNextForce.getAndSet(false));
    DurableOptions options =
        new DurableOptions(
            disk.boot().getPath("/data"),
            EngineConfig.DEFAULTS,
            new FsyncPolicy.Always(),
            3,
            1_000_000_000L,
            false,
            4096);
    DurableEngine first = DurableEngine.open(options);
    for (int i = 0; i < 10; i++) {
      first.apply(new Command.SubmitJob(1_000, JobSpec.of("j" + i, "t", "{}")));
    }
    failNextForce.set(true);
    try {
      first.apply(new Command.SubmitJob(1_000, JobSpec.of("lost", "t", "{}")));
      throw new AssertionError("the append was acknowledged without a force");
    } catch (java.io.IOException expected) {
      // the power failed before the force: the record was never acknowledged
    }
    // The command was applied in memory before its force failed: the engine must refuse to build
    // on a state the log lacks.
    org.assertj.core.api.Assertions.assertThatThrownBy(
            () -> first.apply(new Command.SubmitJob(1_000, JobSpec.of("after", "t", "{}"))))
        .isInstanceOf(IllegalStateException.class)
        .hasMessageContaining("Reopen");
    try {
      first.close();
    } catch (java.io.IOException expected) {
      // the process is gone
    }
    DurableEngine second =
        DurableEngine.open(
            new DurableOptions(
                disk.boot().getPath("/data"),
                EngineConfig.DEFAULTS,
                new FsyncPolicy.Always(),
                3,
                1_000_000_000L,
                false,
                4096));
    for (int i = 0; i < 10; i++) {
      assertThat(second.queries().job("j" + i)).as("j" + i).isPresent();
    }
    second.close();
  }
}
