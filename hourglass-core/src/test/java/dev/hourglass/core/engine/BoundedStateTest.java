package dev.hourglass.core.engine;

import static org.assertj.core.api.Assertions.assertThat;

import dev.hourglass.core.codec.FastDataInput;
import dev.hourglass.core.command.Command;
import dev.hourglass.core.command.JobSpec;
import dev.hourglass.core.event.ErrorCode;
import dev.hourglass.core.event.Event.LeaseGranted;
import dev.hourglass.core.view.JobState;
import dev.hourglass.core.view.Page;
import dev.hourglass.core.view.WorkerView;
import java.io.ByteArrayInputStream;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.Test;

/** What the engine forgets so that churning workers, queues and task names do not grow it. */
class BoundedStateTest {
  static final long HOUR = 3_600_000;
  final EngineFixture f = new EngineFixture(EngineConfig.DEFAULTS.withRetentionMillis(HOUR));

  List<String> workerIds() {
    return f.engine.queries().workers().stream().map(WorkerView::workerId).toList();
  }

  void register(String worker, long timeoutMillis) {
    f.applied(new Command.RegisterWorker(f.now, worker, 1, List.of(), timeoutMillis));
  }

  @Test
  void aDeadWorkerIsListedForTheRetentionAfterItsDeathThenForgotten() {
    register("w1", 10_000);
    register("w2", 20_000);
    f.advance(20_000); // both died: w1 at +10 s, w2 at +20 s
    assertThat(f.engine.queries().workers()).extracting(WorkerView::alive).containsOnly(false);
    f.advance(HOUR - 10_001);
    assertThat(workerIds()).containsExactly("w1", "w2");
    f.advance(1); // w1's death + 1 h
    assertThat(workerIds()).containsExactly("w2");
    assertThat(f.engine.queries().nextWakeupMillis()).isEqualTo(f.now + 10_000);
    f.advance(10_000);
    assertThat(workerIds()).isEmpty();
    // Forgotten means unknown: a heartbeat is refused, a lease registers the worker afresh.
    assertThat(f.rejected(new Command.WorkerHeartbeat(f.now, "w1")).code())
        .isEqualTo(ErrorCode.UNKNOWN_WORKER);
    f.lease("w1", 1);
    assertThat(f.engine.queries().worker("w1").orElseThrow().alive()).isTrue();
  }

  @Test
  void aWorkerHeardFromAgainBeforeTheRetentionEndsIsKept() {
    register("w1", 10_000);
    f.advance(HOUR);
    f.applied(new Command.WorkerHeartbeat(f.now, "w1"));
    f.advance(HOUR / 2);
    assertThat(workerIds()).containsExactly("w1");
    f.advance(HOUR); // dead again since 10 s after the heartbeat, for longer than the retention
    assertThat(workerIds()).isEmpty();
  }

  @Test
  void aWorkerRetentionOfZeroForgetsAWorkerWhenItDies() {
    var g = new EngineFixture(EngineConfig.DEFAULTS.withWorkerRetentionMillis(0));
    g.applied(new Command.RegisterWorker(g.now, "w", 1, List.of(), 1_000));
    g.submit("a");
    g.leaseOne("w");
    g.advance(1_000);
    assertThat(g.engine.queries().workers()).isEmpty();
    assertThat(g.state("a")).isEqualTo(JobState.FAILED); // its lease was reclaimed first
  }

  @Test
  void manyWorkersDieAndAreForgottenInTheOrderTheyDied() {
    for (int i = 0; i < 200; i++) {
      register(String.format("w%03d", i), 1_000 + 7L * ((i * 37) % 200));
    }
    f.advance(HOUR + 1_000);
    // Death times are 1,000 + 7 * k ms for k = (i * 37) % 200, a permutation of 0..199.
    assertThat(workerIds()).hasSize(199);
    f.advance(7 * 100);
    assertThat(workerIds()).hasSize(99);
    f.advance(7 * 99);
    assertThat(workerIds()).isEmpty();
  }

  @Test
  void anIdleQueueAtItsDefaultsIsDroppedAndComesBackOnDemand() {
    for (int i = 0; i < 100; i++) {
      f.submit(JobSpec.of("j" + i, "t", null).withQueue("q" + i));
    }
    f.applied(new Command.SetQueuePaused(f.now, "q0", true));
    assertThat(f.engine.queries().queuesHeld()).isEqualTo(100);
    for (int i = 0; i < 100; i++) {
      f.applied(new Command.CancelJob(f.now, "j" + i, "not needed"));
    }
    assertThat(f.engine.queries().queuesHeld()).isEqualTo(100); // cancelled jobs are kept 1 h
    f.advance(HOUR);
    assertThat(f.engine.queries().queues()).extracting(v -> v.name()).containsExactly("q0");
    f.applied(new Command.SetQueuePaused(f.now, "q0", false));
    assertThat(f.engine.queries().queuesHeld()).isZero();
    var q0 = f.engine.queries().queue("q0");
    assertThat(q0.paused()).isFalse();
    assertThat(q0.maxRunning()).isZero();
    // A queue given a limit and a job, then emptied and reset, is dropped too.
    f.applied(new Command.SetQueueConcurrency(f.now, "q1", 1));
    f.submit(JobSpec.of("k", "t", null).withQueue("q1"));
    f.complete(f.leaseOne("w"));
    f.applied(new Command.SetQueueConcurrency(f.now, "q1", 0));
    assertThat(f.engine.queries().queuesHeld()).isEqualTo(1); // k is still held
    f.advance(HOUR);
    assertThat(f.engine.queries().queuesHeld()).isZero();
    // ...and comes back on demand, with its defaults, READY jobs and all.
    f.submit(JobSpec.of("m", "t", null).withQueue("q1"));
    assertThat(f.engine.queries().queue("q1").maxRunning()).isZero();
    assertThat(f.leaseOne("w").jobId()).isEqualTo("m");
  }

  @Test
  void aTaskEntryExistsOnlyWhileTheTaskHasALimitOrRunningJobs() {
    f.applied(new Command.SetTaskConcurrency(f.now, "never-used", 3));
    f.applied(new Command.SetTaskConcurrency(f.now, "never-used", 0));
    assertThat(f.engine.queries().taskEntriesHeld()).isZero();
    f.submit(JobSpec.of("a", "t", null));
    LeaseGranted g = f.leaseOne("w");
    assertThat(f.engine.queries().taskEntriesHeld()).isEqualTo(1);
    f.complete(g);
    assertThat(f.engine.queries().taskEntriesHeld()).isZero();
  }

  @Test
  void aTaskLimitSetWhileJobsRunCountsThem() {
    for (String id : List.of("a", "b", "c")) {
      f.submit(JobSpec.of(id, "t", null));
    }
    f.applied(new Command.RegisterWorker(f.now, "w", 10, List.of(), 0));
    List<LeaseGranted> running = f.lease("w", 2);
    f.applied(new Command.SetTaskConcurrency(f.now, "t", 2));
    assertThat(f.lease("w", 1)).as("two of t run, and the limit is two").isEmpty();
    f.complete(running.get(0));
    assertThat(f.lease("w", 5)).hasSize(1);
  }

  @Test
  void workersArePagedInIdOrder() {
    for (int i = 24; i >= 0; i--) {
      register(String.format("w%02d", i), 0);
    }
    List<String> seen = new ArrayList<>();
    String cursor = null;
    int pages = 0;
    do {
      Page<WorkerView> page = f.engine.queries().workers(cursor, 10);
      page.items().forEach(w -> seen.add(w.workerId()));
      cursor = page.nextCursor();
      pages++;
      assertThat(pages).isLessThanOrEqualTo(3);
    } while (cursor != null);
    assertThat(pages).isEqualTo(3);
    assertThat(seen).hasSize(25).isSorted().doesNotHaveDuplicates();
    assertThat(f.engine.queries().workers("w19", 10).items())
        .extracting(WorkerView::workerId)
        .containsExactly("w20", "w21", "w22", "w23", "w24");
    assertThat(f.engine.queries().workers("zzz", 10).items()).isEmpty();
    assertThat(f.engine.queries().workers("w24", 10).nextCursor()).isNull();
  }

  static Engine restore(byte[] snapshot) throws Exception {
    return EngineSnapshot.read(new FastDataInput(new ByteArrayInputStream(snapshot), 4096));
  }

  @Test
  void aSnapshotKeepsTheWorkerRetentionAndTheDeadWorkersDueForEviction() throws Exception {
    var g = new EngineFixture(EngineConfig.DEFAULTS.withWorkerRetentionMillis(5_000));
    g.applied(new Command.RegisterWorker(g.now, "w1", 1, List.of(), 1_000));
    g.applied(new Command.RegisterWorker(g.now, "w2", 1, List.of(), 60_000));
    g.advance(1_000); // w1 dies
    Engine restored = restore(EngineSnapshot.toBytes(g.engine));
    assertThat(restored.config().workerRetentionMillis()).isEqualTo(5_000);
    assertThat(restored.queries().nextWakeupMillis()).isEqualTo(g.now + 5_000);
    restored.apply(new Command.Tick(g.now + 5_000));
    g.advance(5_000);
    assertThat(restored.queries().workers())
        .isEqualTo(g.engine.queries().workers())
        .extracting(WorkerView::workerId)
        .containsExactly("w2");
    assertThat(EngineSnapshot.toBytes(restored)).isEqualTo(EngineSnapshot.toBytes(g.engine));
  }

  @Test
  void aFormatOneSnapshotIsReadWithTheDefaultWorkerRetention() throws Exception {
    f.applied(new Command.SetTaskConcurrency(f.now, "t", 2));
    byte[] current = EngineSnapshot.toBytes(f.engine);
    // Format 1 lacks the 8 bytes of the worker retention, which follow the config's first 48.
    var old = new java.io.ByteArrayOutputStream();
    old.write(current, 0, 4);
    old.write(new byte[] {0, 0, 0, 1});
    old.write(current, 8, 40);
    old.write(current, 56, current.length - 56);
    Engine restored = restore(old.toByteArray());
    assertThat(restored.config()).isEqualTo(f.engine.config());
    assertThat(restored.config().workerRetentionMillis()).isEqualTo(HOUR);
    assertThat(EngineSnapshot.toBytes(restored)).isEqualTo(current);
  }
}
