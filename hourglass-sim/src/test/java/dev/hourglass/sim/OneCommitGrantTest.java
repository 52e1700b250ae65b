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
 * A job submitted while a worker's long poll is parked for it is granted in the same group commit
 * as its submit: one force of the log from the submit to the worker's answer, not two. And the
 * answer still goes out only after that force: a power loss right after the worker heard of the
 * grant loses neither the job nor the grant.
 */
class OneCommitGrantTest {
  private static final long T0 = 1_700_000_000_000L;

  @Test
  void aParkedPollIsGrantedInTheSubmitsOwnForceAndTheGrantSurvivesAPowerLossAfterTheAnswer()
      throws Exception {
    SimDisk disk = new SimDisk(11, 0);
    AtomicInteger logForces = new AtomicInteger();
    disk.plan(
        (op, path) -> {
          if (op == SimDisk.Op.FORCE && path.endsWith(".wal")) {
            logForces.incrementAndGet();
          }
          return false;
        });
    DurableEngine durable = DurableEngine.open(OneEngineOnSimDisk.options(disk.boot()));
    var backend = new LocalBackend(durable);
    var loop =
        EngineLoop.driven(backend, LoopLimits.DEFAULTS, EngineLoopListener.NONE, new HandClock(T0));
    var waiting = loop.lease("w1", 1, List.of(), List.of(), 30_000, 5_000);
    loop.runUntilIdle();
    assertThat(waiting).as("the poll parks: nothing is ready").isNotDone();

    int forcesBefore = logForces.get();
    loop.write(new Command.SubmitJob(T0, JobSpec.of("j1", "t", "{}")), 0, (o, q) -> o);
    loop.runUntilIdle();

    assertThat(waiting).isDone();
    List<EngineLoop.Assignment> granted = waiting.join();
    assertThat(granted).extracting(EngineLoop.Assignment::jobId).containsExactly("j1");
    assertThat(logForces.get() - forcesBefore)
        .as("forces of the log from the submit to the worker's answer")
        .isEqualTo(1);

    disk.crash(); // the power fails right after the worker heard of its grant
    DurableEngine recovered = DurableEngine.open(OneEngineOnSimDisk.options(disk.boot()));
    try {
      JobView job = recovered.queries().job("j1").orElseThrow();
      assertThat(job.state()).isEqualTo(JobState.RUNNING);
      assertThat(job.generation()).isEqualTo(granted.getFirst().generation());
      assertThat(job.liveAttempt().workerId()).isEqualTo("w1");
    } finally {
      recovered.close();
    }
  }
}
