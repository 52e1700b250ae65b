package dev.hourglass.runtime;

import static org.assertj.core.api.Assertions.assertThat;

import dev.hourglass.core.command.Command;
import dev.hourglass.core.command.JobSpec;
import dev.hourglass.core.engine.EngineConfig;
import dev.hourglass.runtime.EngineLoopTest.ManualTime;
import dev.hourglass.wal.FsyncPolicy;
import dev.hourglass.wal.durable.DurableEngine;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * A driven gateway over driven loops: a poll over every partition runs on the caller's thread,
 * pumping the loops instead of blocking on them, so a simulator can drive it.
 */
class DrivenPartitionsTest {
  private static final long T0 = 1_700_000_000_000L;

  @TempDir Path dir;
  final ManualTime time = new ManualTime();
  final List<LocalBackend> backends = new ArrayList<>();
  Partitions parts;

  @BeforeEach
  void open() throws Exception {
    List<EngineLoop> loops = new ArrayList<>();
    for (Path p : PartitionLayout.directories(dir, 3)) {
      var backend =
          new LocalBackend(
              DurableEngine.open(p, EngineConfig.DEFAULTS, new FsyncPolicy.NeverUnsafeForTests()));
      backends.add(backend);
      loops.add(EngineLoop.driven(backend, LoopLimits.DEFAULTS, EngineLoopListener.NONE, time));
    }
    time.wall.set(T0);
    parts = Partitions.driven(loops, LoopLimits.DEFAULTS, time);
  }

  @AfterEach
  void close() throws Exception {
    parts.close();
    for (var b : backends) {
      b.close();
    }
  }

  @Test
  void aPollOverEveryPartitionLeasesOnTheCallersThread() {
    List<String> ids = List.of("a", "b", "c", "d", "e", "f");
    for (String id : ids) {
      parts
          .loopForId(id)
          .write(new Command.SubmitJob(T0, JobSpec.of(id, "t", "{}")), 0, (o, q) -> o);
    }
    List<EngineLoop.Assignment> got = new ArrayList<>();
    for (int round = 0; round < 10 && got.size() < ids.size(); round++) {
      got.addAll(parts.lease("w1", 6, List.of(), List.of(), 10_000, 0));
    }
    assertThat(got)
        .extracting(EngineLoop.Assignment::jobId)
        .containsExactlyInAnyOrderElementsOf(ids);
    for (var a : got) {
      int generation =
          backends
              .get(parts.partitionOf(a.jobId()))
              .read(q -> q.job(a.jobId()).orElseThrow().generation());
      assertThat(generation).isEqualTo(a.generation());
    }
  }

  @Test
  void aDrivenPollDoesNotParkItAnswersAfterOneRound() {
    assertThat(parts.lease("w1", 2, List.of(), List.of(), 10_000, 60_000)).isEmpty();
    assertThat(parts.parkedCount()).isZero();
  }
}
