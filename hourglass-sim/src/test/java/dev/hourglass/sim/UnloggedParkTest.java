package dev.hourglass.sim;

import static org.assertj.core.api.Assertions.assertThat;

import dev.hourglass.core.command.Command;
import dev.hourglass.core.command.JobSpec;
import dev.hourglass.core.view.JobState;
import dev.hourglass.core.view.JobView;
import dev.hourglass.runtime.EngineLoop;
import dev.hourglass.runtime.EngineLoopListener;
import dev.hourglass.runtime.LocalBackend;
import dev.hourglass.runtime.LoopLimits;
import dev.hourglass.wal.durable.DurableEngine;
import java.util.List;
import java.util.concurrent.atomic.AtomicInteger;
import org.junit.jupiter.api.Test;

/**
 * A long poll of a registered, recently heard-from worker that finds nothing ready parks without a
 * log record, so the next submit does not wait behind a force for it; once granted, the grant is
 * logged with the submit and survives a power loss. A worker heard from longer ago than half its
 * heartbeat timeout has its poll logged as before, so polling alone keeps it alive.
 */
class UnloggedParkTest {
  private static final long T0 = 1_700_000_000_000L;
  private static final long TIMEOUT_MILLIS = 10_000;

  private final SimDisk disk = new SimDisk(17, 0);
  private final AtomicInteger logForces = new AtomicInteger();
  private final HandClock time = new HandClock(T0);

  @Test
  void aRecentWorkersEmptyPollParksWithoutAForceAndItsGrantIsDurable() throws Exception {
    DurableEngine durable = DurableEngine.open(OneEngineOnSimDisk.options(countingForces().boot()));
    var loop = registeredWorkerLoop(durable);

    int forcesBefore = logForces.get();
    var waiting = loop.lease("w1", 1, List.of(), List.of(), 30_000, 5_000);
    loop.runUntilIdle();
    assertThat(waiting).as("nothing is ready: the poll parks").isNotDone();
    assertThat(logForces.get() - forcesBefore).as("forces for the parked poll").isZero();

    loop.write(new Command.SubmitJob(T0, JobSpec.of("j1", "t", "{}")), 0, (o, q) -> o);
    loop.runUntilIdle();
    List<EngineLoop.Assignment> granted = waiting.join();
    assertThat(granted).extracting(EngineLoop.Assignment::jobId).containsExactly("j1");
    assertThat(logForces.get() - forcesBefore).as("forces from the poll to its grant").isEqualTo(1);

    disk.crash(); // the power fails right after the worker heard of its grant
    DurableEngine recovered = DurableEngine.open(OneEngineOnSimDisk.options(disk.boot()));
    try {
      JobView job = recovered.queries().job("j1").orElseThrow();
      assertThat(job.state()).isEqualTo(JobState.RUNNING);
      assertThat(job.liveAttempt().workerId()).isEqualTo("w1");
      assertThat(job.generation()).isEqualTo(granted.getFirst().generation());
    } finally {
      recovered.close();
    }
  }

  @Test
  void aPollFromAWorkerNotHeardFromForHalfItsTimeoutIsLoggedAndKeepsItAlive() throws Exception {
    DurableEngine durable = DurableEngine.open(OneEngineOnSimDisk.options(countingForces().boot()));
    var loop = registeredWorkerLoop(durable);

    time.set(T0 + TIMEOUT_MILLIS / 2);
    int forcesBefore = logForces.get();
    var waiting = loop.lease("w1", 1, List.of(), List.of(), 30_000, 5_000);
    loop.runUntilIdle();
    assertThat(waiting).isNotDone();
    assertThat(logForces.get() - forcesBefore).as("forces for the parked poll").isEqualTo(1);
    assertThat(durable.queries().worker("w1").orElseThrow().lastSeenMillis())
        .isEqualTo(T0 + TIMEOUT_MILLIS / 2);
    loop.close();
    durable.close();
  }

  private SimDisk countingForces() {
    disk.plan(
        (op, path) -> {
          if (op == SimDisk.Op.FORCE && path.endsWith(".wal")) {
            logForces.incrementAndGet();
          }
          return false;
        });
    return disk;
  }

  private EngineLoop registeredWorkerLoop(DurableEngine durable) {
    var loop =
        EngineLoop.driven(
            new LocalBackend(durable), LoopLimits.DEFAULTS, EngineLoopListener.NONE, time);
    loop.write(
        new Command.RegisterWorker(T0, "w1", 4, List.of(), TIMEOUT_MILLIS, List.of(), null),
        0,
        (o, q) -> o);
    loop.runUntilIdle();
    return loop;
  }
}
