package dev.hourglass.runtime;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.hourglass.core.command.Command;
import dev.hourglass.core.command.JobSpec;
import dev.hourglass.core.engine.EngineConfig;
import dev.hourglass.core.event.Outcome;
import dev.hourglass.core.view.JobState;
import dev.hourglass.runtime.EngineLoopTest.ManualTime;
import dev.hourglass.wal.FsyncPolicy;
import dev.hourglass.wal.durable.DurableEngine;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * A driven loop: nothing happens until the test pumps it, on the test's own thread, and time is
 * only what the manual clock says. So every assertion here is exact, with no waiting.
 */
class DrivenEngineLoopTest {
  private static final long T0 = 1_700_000_000_000L;

  @TempDir Path dir;
  final ManualTime time = new ManualTime();
  LocalBackend backend;
  EngineLoop loop;

  @BeforeEach
  void open() throws Exception {
    backend =
        new LocalBackend(
            DurableEngine.open(dir, EngineConfig.DEFAULTS, new FsyncPolicy.NeverUnsafeForTests()));
    loop = EngineLoop.driven(backend, LoopLimits.DEFAULTS, EngineLoopListener.NONE, time);
  }

  @AfterEach
  void close() throws Exception {
    loop.close();
    backend.close();
  }

  @Test
  void nothingIsAppliedUntilTheCallerPumpsTheLoop() {
    var submitted =
        loop.write(new Command.SubmitJob(T0, JobSpec.of("j1", "t", "{}")), 0, (o, q) -> o);
    assertThat(submitted).isNotDone();
    assertThat(backend.position()).isZero();
    assertThat(loop.runUntilIdle()).isEqualTo(1);
    assertThat(submitted.join()).isInstanceOf(Outcome.Applied.class);
    assertThat(loop.step()).isFalse();
  }

  @Test
  void queuedWritesAreOneGroupCommit() {
    var a = loop.write(new Command.SubmitJob(T0, JobSpec.of("a", "t", "{}")), 0, (o, q) -> o);
    var b = loop.write(new Command.SubmitJob(T0, JobSpec.of("b", "t", "{}")), 0, (o, q) -> o);
    assertThat(loop.step()).isTrue();
    assertThat(a.join().isApplied() && b.join().isApplied()).isTrue();
    assertThat(loop.step()).isFalse();
  }

  @Test
  void aDueJobIsTickedOnlyWhenTheManualClockReachesIt() {
    loop.write(
        new Command.SubmitJob(T0, JobSpec.of("later", "t", "{}").withRunAt(T0 + 5_000)),
        0,
        (o, q) -> o);
    loop.runUntilIdle();
    assertThat(loop.step()).isFalse();
    time.wall.set(T0 + 4_999);
    assertThat(loop.step()).isFalse();
    time.wall.set(T0 + 5_000);
    assertThat(loop.step()).isTrue(); // the tick
    JobState state = backend.read(q -> q.job("later").orElseThrow().state());
    assertThat(state).isEqualTo(JobState.READY);
    assertThat(loop.step()).isFalse();
  }

  @Test
  void aParkedLeaseIsGrantedInTheTurnThatMadeAJobReadyAndExpiresByTheManualClock() {
    var waiting = loop.lease("w1", 1, List.of(), List.of(), 30_000, 5_000);
    loop.runUntilIdle();
    assertThat(waiting).isNotDone();
    loop.write(new Command.SubmitJob(T0, JobSpec.of("j1", "t", "{}")), 0, (o, q) -> o);
    loop.runUntilIdle();
    assertThat(waiting.join()).extracting(EngineLoop.Assignment::jobId).containsExactly("j1");

    var empty = loop.lease("w1", 1, List.of(), List.of(), 30_000, 5_000);
    loop.runUntilIdle();
    assertThat(empty).isNotDone();
    time.nanos.addAndGet(Duration.ofMillis(5_000).toNanos());
    assertThat(loop.runUntilIdle()).isEqualTo(1);
    assertThat(empty.join()).isEmpty();
  }

  @Test
  void aDrivenLoopHasNoThreadToStartAndAThreadedOneCannotBeStepped() throws Exception {
    assertThatThrownBy(loop::start).isInstanceOf(IllegalStateException.class);
    var threaded = new EngineLoop(backend, LoopLimits.DEFAULTS, EngineLoopListener.NONE, time);
    assertThatThrownBy(threaded::step).isInstanceOf(IllegalStateException.class);
  }

  @Test
  void closingADrivenLoopAnswersWhatIsQueuedThenRefusesNewWork() throws Exception {
    var queued = loop.write(new Command.SubmitJob(T0, JobSpec.of("j1", "t", "{}")), 0, (o, q) -> o);
    var parked = loop.lease("w2", 1, List.of("other"), List.of(), 30_000, 60_000);
    loop.close();
    assertThat(queued.join().isApplied()).isTrue();
    assertThat(parked.join()).isEmpty();
    assertThat(loop.healthy()).isFalse();
    assertThatThrownBy(() -> loop.read(q -> null)).isInstanceOf(EngineLoopException.Stopped.class);
  }
}
