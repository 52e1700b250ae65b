package dev.hourglass.core.engine;

import static org.assertj.core.api.Assertions.assertThat;

import dev.hourglass.core.codec.CommandCodec;
import dev.hourglass.core.codec.FastDataInput;
import dev.hourglass.core.command.Command;
import dev.hourglass.core.command.JobSpec;
import dev.hourglass.core.event.ErrorCode;
import dev.hourglass.core.event.Event.LeaseGranted;
import dev.hourglass.core.view.JobState;
import dev.hourglass.core.view.UnrunnableView;
import java.io.ByteArrayInputStream;
import java.nio.ByteBuffer;
import java.util.Collections;
import java.util.List;
import org.junit.jupiter.api.Nested;
import org.junit.jupiter.api.Test;

/**
 * Task filters (a worker leases only the task types it can run), the read-only question "would this
 * lease grant anything now?", and the jobs no live worker can run.
 */
class TaskFilterTest {
  final EngineFixture f = new EngineFixture();

  List<LeaseGranted> lease(String worker, int max, List<String> queues, List<String> tasks) {
    return f.applied(new Command.LeaseJobs(f.now, worker, max, queues, 10_000, tasks)).stream()
        .filter(LeaseGranted.class::isInstance)
        .map(LeaseGranted.class::cast)
        .toList();
  }

  void register(String worker, int capacity, List<String> queues, List<String> tasks) {
    f.applied(new Command.RegisterWorker(f.now, worker, capacity, queues, 0, tasks));
  }

  int wouldGrant(String worker, int max, List<String> tasks) {
    return f.engine.queries().wouldGrant(worker, max, List.of(), tasks);
  }

  @Nested
  class Leasing {
    @Test
    void aWorkerRegisteredForOneTaskNeverGetsAnotherAndThatJobStaysReady() {
      f.submit(JobSpec.of("email", "send-email", null).withPriority(1));
      f.submit(JobSpec.of("resize", "resize-image", null).withPriority(9));
      register("mailer", 4, List.of(), List.of("send-email"));

      assertThat(f.lease("mailer", 4)).extracting(LeaseGranted::jobId).containsExactly("email");
      assertThat(f.lease("mailer", 4)).isEmpty();
      assertThat(f.engine.queries().state("resize")).isEqualTo(JobState.READY);
      assertThat(f.engine.queries().job("resize").orElseThrow().failures()).isZero();
    }

    @Test
    void aWorkerWithoutATaskFilterGetsEveryTask() {
      f.submit(JobSpec.of("email", "send-email", null));
      f.submit(JobSpec.of("resize", "resize-image", null));
      register("any", 4, List.of(), List.of());
      assertThat(f.lease("any", 4))
          .extracting(LeaseGranted::task)
          .containsExactlyInAnyOrder("send-email", "resize-image");
    }

    @Test
    void aLeaseNamingTasksUsesThemOverTheRegisteredOnes() {
      f.submit(JobSpec.of("email", "send-email", null));
      f.submit(JobSpec.of("resize", "resize-image", null));
      register("w", 4, List.of(), List.of("send-email"));
      assertThat(lease("w", 4, List.of(), List.of("resize-image")))
          .extracting(LeaseGranted::jobId)
          .containsExactly("resize");
    }

    @Test
    void aWorkerFirstSeenThroughALeaseIsRegisteredWithItsTasks() {
      f.submit(JobSpec.of("email", "send-email", null));
      f.submit(JobSpec.of("resize", "resize-image", null));
      assertThat(lease("pull", 1, List.of(), List.of("resize-image")))
          .extracting(LeaseGranted::jobId)
          .containsExactly("resize");
      assertThat(f.engine.queries().workers())
          .singleElement()
          .satisfies(w -> assertThat(w.tasks()).containsExactly("resize-image"));
      assertThat(f.lease("pull", 1))
          .as("a later lease without tasks uses the registered ones")
          .isEmpty();
    }

    @Test
    void reRegisteringReplacesTheTaskSet() {
      f.submit(JobSpec.of("resize", "resize-image", null));
      register("w", 4, List.of(), List.of("send-email"));
      assertThat(f.lease("w", 1)).isEmpty();
      register("w", 4, List.of(), List.of());
      assertThat(f.lease("w", 1)).hasSize(1);
    }

    @Test
    void badTaskNamesAreRejectedAndChangeNothing() {
      assertThat(f.rejected(new Command.LeaseJobs(f.now, "w", 1, List.of(), 0, List.of(""))).code())
          .isEqualTo(ErrorCode.INVALID_ARGUMENT);
      assertThat(
              f.rejected(
                      new Command.RegisterWorker(
                          f.now,
                          "w",
                          1,
                          List.of(),
                          0,
                          List.of("x".repeat(EngineConfig.NAME_LENGTH_MAX + 1))))
                  .detail())
          .contains("tasks[0]");
      var tooMany = Collections.nCopies(TaskFilter.TASKS_MAX + 1, "t");
      assertThat(
              f.rejected(new Command.RegisterWorker(f.now, "w", 1, List.of(), 0, tooMany)).detail())
          .contains("at most " + TaskFilter.TASKS_MAX);
    }
  }

  /** wouldGrant answers exactly what the lease would do, for every reason a lease gets nothing. */
  @Nested
  class WouldGrant {
    @Test
    void saysYesForAReadyJobAndNoWhenThereIsNone() {
      assertThat(wouldGrant("w", 3, List.of())).isZero();
      f.submit("a");
      assertThat(wouldGrant("w", 3, List.of())).isEqualTo(3);
      assertThat(f.engine.queries().grantableJobsMax()).isEqualTo(1);
    }

    @Test
    void saysNoWhileTheQueueIsAtItsLimitAndYesWhenASlotFrees() {
      f.submit("a");
      f.submit("b");
      f.applied(new Command.SetQueueConcurrency(f.now, "default", 1));
      var running = f.leaseOne("w1");
      assertThat(wouldGrant("w2", 1, List.of())).isZero();
      assertThat(f.engine.queries().grantableJobsMax()).isZero();
      f.complete(running);
      assertThat(wouldGrant("w2", 1, List.of())).isEqualTo(1);
    }

    @Test
    void saysNoWhileTheTaskIsAtItsLimitAndYesWhenTheLimitIsRaised() {
      f.submit("a");
      f.submit("b");
      f.applied(new Command.SetTaskConcurrency(f.now, "noop", 1));
      f.leaseOne("w1");
      assertThat(wouldGrant("w2", 1, List.of())).isZero();
      assertThat(f.engine.queries().grantableJobsMax()).isZero();
      f.applied(new Command.SetTaskConcurrency(f.now, "noop", 2));
      assertThat(wouldGrant("w2", 1, List.of())).isEqualTo(1);
      assertThat(f.engine.queries().grantableJobsMax()).isEqualTo(1);
    }

    @Test
    void saysNoWhileTheQueueIsPaused() {
      f.submit("a");
      f.applied(new Command.SetQueuePaused(f.now, "default", true));
      assertThat(wouldGrant("w", 1, List.of())).isZero();
      f.applied(new Command.SetQueuePaused(f.now, "default", false));
      assertThat(wouldGrant("w", 1, List.of())).isEqualTo(1);
    }

    @Test
    void saysNoWhileTheWorkerIsAtCapacity() {
      f.submit("a");
      f.submit("b");
      register("w", 1, List.of(), List.of());
      var held = f.leaseOne("w");
      assertThat(wouldGrant("w", 1, List.of())).isZero();
      assertThat(wouldGrant("other", 1, List.of())).isEqualTo(1);
      f.complete(held);
      assertThat(wouldGrant("w", 1, List.of())).isEqualTo(1);
    }

    @Test
    void saysNoForTasksTheWorkerCannotRun() {
      f.submit(JobSpec.of("resize", "resize-image", null));
      register("mailer", 1, List.of(), List.of("send-email"));
      assertThat(wouldGrant("mailer", 1, List.of())).isZero();
      assertThat(wouldGrant("mailer", 1, List.of("resize-image"))).isEqualTo(1);
      assertThat(
              f.engine
                  .queries()
                  .wouldGrant("mailer", 1, List.of("other-queue"), List.of("resize-image")))
          .isZero();
    }

    @Test
    void writesNothing() {
      f.submit("a");
      byte[] before = EngineSnapshot.toBytes(f.engine);
      wouldGrant("new-worker", 2, List.of("noop"));
      f.engine.queries().grantableJobsMax();
      assertThat(EngineSnapshot.toBytes(f.engine)).isEqualTo(before);
    }
  }

  @Nested
  class Unrunnable {
    @Test
    void listsReadyJobsWhoseTaskNoLiveWorkerRuns() {
      f.submit(JobSpec.of("e1", "send-email", null));
      f.submit(JobSpec.of("r1", "resize-image", null).withPriority(1));
      f.submit(JobSpec.of("r2", "resize-image", null).withPriority(2));
      f.submit(JobSpec.of("x", "resize-image", null).withQueue("other"));
      register("mailer", 1, List.of(), List.of("send-email"));
      assertThat(f.engine.queries().unrunnable())
          .containsExactly(
              new UnrunnableView("default", "resize-image", 2),
              new UnrunnableView("other", "resize-image", 1));
    }

    @Test
    void aWorkerServingOtherQueuesDoesNotMakeAJobRunnable() {
      f.submit(JobSpec.of("r", "resize-image", null));
      register("resizer", 1, List.of("images"), List.of("resize-image"));
      register("mailer", 1, List.of("default"), List.of("send-email"));
      assertThat(f.engine.queries().unrunnable())
          .extracting(UnrunnableView::task)
          .containsExactly("resize-image");
      register("resizer", 1, List.of("images", "default"), List.of("resize-image"));
      assertThat(f.engine.queries().unrunnable()).isEmpty();
    }

    @Test
    void aLiveWorkerWithoutAFilterRunsEverythingButADeadOneRunsNothing() {
      f.submit(JobSpec.of("r", "resize-image", null));
      f.applied(new Command.RegisterWorker(f.now, "any", 1, List.of(), 1_000, List.of()));
      assertThat(f.engine.queries().unrunnable()).isEmpty();
      f.advance(2_000); // declared dead
      assertThat(f.engine.queries().unrunnable())
          .containsExactly(new UnrunnableView("default", "resize-image", 1));
    }
  }

  @Nested
  class Formats {
    @Test
    void commandsWithTasksRoundTripAndThoseWithoutKeepTheirOldBytes() throws Exception {
      var lease = new Command.LeaseJobs(5, "w", 3, List.of("q"), 100, List.of("a", "b"));
      var register = new Command.RegisterWorker(5, "w", 3, List.of("q"), 100, List.of("a"));
      assertThat(CommandCodec.decode(CommandCodec.encode(lease))).isEqualTo(lease);
      assertThat(CommandCodec.decode(CommandCodec.encode(register))).isEqualTo(register);

      var plainLease = new Command.LeaseJobs(5, "w", 3, List.of("q"), 100);
      byte[] bytes = CommandCodec.encode(plainLease);
      assertThat(bytes[1]).as("tag of a lease without tasks").isEqualTo((byte) 8);
      assertThat(CommandCodec.decode(bytes)).isEqualTo(plainLease);
      assertThat(CommandCodec.encode(lease)[1]).isEqualTo((byte) 24);
      byte[] plainRegister =
          CommandCodec.encode(new Command.RegisterWorker(5, "w", 3, List.of(), 100));
      assertThat(plainRegister[1]).isEqualTo((byte) 5);
    }

    @Test
    void aSnapshotKeepsTheWorkersTasksAndAFormatOneSnapshotStillReads() throws Exception {
      register("w", 2, List.of("q"), List.of("a", "b"));
      Engine restored = read(EngineSnapshot.toBytes(f.engine));
      assertThat(restored.queries().workers()).isEqualTo(f.engine.queries().workers());
      f.submit(JobSpec.of("b1", "b", null).withQueue("q"));
      f.submit(JobSpec.of("c1", "c", null).withQueue("q"));
      restored.apply(new Command.SubmitJob(f.now, JobSpec.of("b1", "b", null).withQueue("q")));
      restored.apply(new Command.SubmitJob(f.now, JobSpec.of("c1", "c", null).withQueue("q")));
      assertThat(restored.queries().wouldGrant("w", 2, List.of(), List.of())).isEqualTo(2);
      assertThat(restored.queries().unrunnable())
          .extracting(UnrunnableView::task)
          .containsExactly("c");

      byte[] noWorkers = EngineSnapshot.toBytes(new Engine());
      ByteBuffer.wrap(noWorkers).putInt(4, 1); // a snapshot written before task sets existed
      assertThat(read(noWorkers).queries().workers()).isEmpty();
    }

    private Engine read(byte[] bytes) throws Exception {
      return EngineSnapshot.read(new FastDataInput(new ByteArrayInputStream(bytes), 4096));
    }
  }
}
