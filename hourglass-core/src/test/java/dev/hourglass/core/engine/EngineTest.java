package dev.hourglass.core.engine;

import static org.assertj.core.api.Assertions.assertThat;

import dev.hourglass.core.command.Backoff;
import dev.hourglass.core.command.Command;
import dev.hourglass.core.command.JobSpec;
import dev.hourglass.core.command.ScheduleSpec;
import dev.hourglass.core.event.ErrorCode;
import dev.hourglass.core.event.Event;
import dev.hourglass.core.event.Event.JobDeduplicated;
import dev.hourglass.core.event.Event.JobTransitioned;
import dev.hourglass.core.event.Event.LeaseGranted;
import dev.hourglass.core.event.Event.LeaseLost;
import dev.hourglass.core.event.Outcome.Assignment;
import dev.hourglass.core.event.Outcome.Rejected;
import dev.hourglass.core.id.Ids;
import dev.hourglass.core.view.JobFilter;
import dev.hourglass.core.view.JobState;
import dev.hourglass.core.view.JobView;
import java.util.List;
import org.junit.jupiter.api.Nested;
import org.junit.jupiter.api.Test;

class EngineTest {
  final EngineFixture f = new EngineFixture();

  @Nested
  class Submitting {
    @Test
    void aJobWithoutParentsOrDelayIsReadyAtOnce() {
      f.submit("a");
      assertThat(f.state("a")).isEqualTo(JobState.READY);
      assertThat(f.engine.queries().count(JobState.READY)).isEqualTo(1);
    }

    @Test
    void aDelayedJobIsScheduledUntilItsTimeThenReady() {
      f.submit(JobSpec.of("a", "t", null).withRunAt(f.now + 5_000));
      assertThat(f.state("a")).isEqualTo(JobState.SCHEDULED);
      f.advance(4_999);
      assertThat(f.state("a")).isEqualTo(JobState.SCHEDULED);
      f.advance(1);
      assertThat(f.state("a")).isEqualTo(JobState.READY);
    }

    @Test
    void aDuplicateIdIsRejected() {
      f.submit("a");
      Rejected r = f.rejected(new Command.SubmitJob(f.now, JobSpec.of("a", "t", null)));
      assertThat(r.code()).isEqualTo(ErrorCode.DUPLICATE_JOB_ID);
      assertThat(r.detail()).contains("a");
    }

    @Test
    void aSecondSubmitWithTheSameIdempotencyKeyReturnsTheFirstJob() {
      f.submit(JobSpec.of("a", "t", null).withIdempotencyKey("invoice-42"));
      var events =
          f.applied(
              new Command.SubmitJob(
                  f.now, JobSpec.of("b", "t", null).withIdempotencyKey("invoice-42")));
      assertThat(events).containsExactly(new JobDeduplicated("a", "invoice-42"));
      assertThat(f.state("b")).isNull();
      assertThat(f.engine.queries().jobsHeld()).isEqualTo(1);
    }

    @Test
    void invalidFieldsAreRejectedWithTheFieldNamed() {
      assertThat(f.rejected(new Command.SubmitJob(f.now, JobSpec.of("", "t", null))).detail())
          .contains("job_id");
      assertThat(
              f.rejected(
                      new Command.SubmitJob(f.now, JobSpec.of("a", "t", null).withMaxAttempts(0)))
                  .detail())
          .contains("max_attempts");
      EngineFixture small = new EngineFixture(EngineConfig.DEFAULTS.withPayloadBytesMax(10));
      Rejected r =
          small.rejected(new Command.SubmitJob(small.now, JobSpec.of("a", "t", "\"0123456789\"")));
      assertThat(r.code()).isEqualTo(ErrorCode.INVALID_ARGUMENT);
      assertThat(r.detail()).contains("payloadBytesMax=10");
    }

    @Test
    void idsAndNamesOutsideTheAlphabetAreRejectedNamingTheFieldAndTheRule() {
      String tooLong = "x".repeat(Ids.ID_BYTES_MAX + 1);
      List<Command> bad =
          List.of(
              new Command.SubmitJob(f.now, JobSpec.of("a/b", "t", null)),
              new Command.SubmitJob(f.now, JobSpec.of("a\nb", "t", null)),
              new Command.SubmitJob(f.now, JobSpec.of("a b", "t", null)),
              new Command.SubmitJob(f.now, JobSpec.of("..", "t", null)),
              new Command.SubmitJob(f.now, JobSpec.of(tooLong, "t", null)),
              new Command.SubmitJob(f.now, JobSpec.of("a", "t/u", null)),
              new Command.SubmitJob(f.now, JobSpec.of("a", "t", null).withQueue("q?x")),
              new Command.SubmitJob(
                  f.now, JobSpec.of("a", "t", null).withIdempotencyKey("k\u0000")),
              new Command.SubmitJob(
                  f.now,
                  JobSpec.of("a", "t", null).withIdempotencyKey("k".repeat(Ids.ID_BYTES_MAX + 1))),
              new Command.SubmitJob(
                  f.now, JobSpec.of("a", "t", null).withDependsOn(List.of("p#1"))),
              new Command.RegisterWorker(f.now, "w/1", 1, List.of(), 0),
              new Command.SetQueuePaused(f.now, "q\tx", true),
              new Command.SetTaskConcurrency(f.now, "caf\u00e9", 1),
              new Command.PutSchedule(
                  f.now,
                  ScheduleSpec.of("s/1", "* * * * *", "UTC", JobSpec.of("ignored", "t", null))),
              new Command.PutSchedule(
                  f.now,
                  ScheduleSpec.of(
                      "s".repeat(Ids.SCHEDULE_ID_BYTES_MAX + 1),
                      "* * * * *",
                      "UTC",
                      JobSpec.of("ignored", "t", null))));
      for (Command c : bad) {
        Rejected r = f.rejected(c);
        assertThat(r.code()).as("%s", c).isEqualTo(ErrorCode.INVALID_ARGUMENT);
        assertThat(r.detail())
            .as("%s", c)
            .containsAnyOf(
                "job_id",
                "task",
                "queue",
                "idempotency_key",
                "depends_on",
                "worker_id",
                "schedule_id")
            .containsAnyOf(Ids.ALPHABET, "UTF-8 bytes");
      }
      assertThat(f.engine.queries().jobsHeld()).isZero();
    }

    @Test
    void uuidsAndEveryCharacterOfTheAlphabetAreAcceptedUpToTheLengthBound() {
      f.submit("0190a1b2-c3d4-7e5f-8a9b-0c1d2e3f4a5b");
      f.submit(
          JobSpec.of("AZaz09-_.:@~", "send.email:v2", null)
              .withQueue("team@eu~1")
              .withIdempotencyKey("order 42/charge \u00e9"));
      f.submit("y".repeat(Ids.ID_BYTES_MAX));
      f.applied(
          new Command.PutSchedule(
              f.now,
              ScheduleSpec.of(
                  "s".repeat(Ids.SCHEDULE_ID_BYTES_MAX),
                  "* * * * *",
                  "UTC",
                  JobSpec.of("x", "t", null))));
      assertThat(f.engine.queries().jobsHeld()).isEqualTo(3);
      f.advance(61_000); // the schedule fires: <schedule_id>@<millis> is an id as well
      var fired = f.engine.queries().jobs(new JobFilter(null, null, "t"), null, 10).items();
      assertThat(fired)
          .isNotEmpty()
          .allSatisfy(j -> assertThat(Ids.problem("job_id", j.jobId())).as(j.jobId()).isNull());
    }

    @Test
    void anUnknownParentIsRejected() {
      Rejected r =
          f.rejected(
              new Command.SubmitJob(
                  f.now, JobSpec.of("b", "t", null).withDependsOn(List.of("nope"))));
      assertThat(r.code()).isEqualTo(ErrorCode.UNKNOWN_PARENT);
      assertThat(r.detail()).contains("nope");
    }

    @Test
    void aSelfDependencyIsACycle() {
      Rejected r =
          f.rejected(
              new Command.SubmitJob(f.now, JobSpec.of("a", "t", null).withDependsOn(List.of("a"))));
      assertThat(r.code()).isEqualTo(ErrorCode.DEPENDENCY_CYCLE);
    }

    @Test
    void aCycleInsideABatchIsRejectedAndNothingIsCreated() {
      Rejected r =
          f.rejected(
              new Command.SubmitJobs(
                  f.now,
                  List.of(
                      JobSpec.of("a", "t", null).withDependsOn(List.of("c")),
                      JobSpec.of("b", "t", null).withDependsOn(List.of("a")),
                      JobSpec.of("c", "t", null).withDependsOn(List.of("b")),
                      JobSpec.of("d", "t", null))));
      assertThat(r.code()).isEqualTo(ErrorCode.DEPENDENCY_CYCLE);
      assertThat(r.detail()).contains("[a, b, c]");
      assertThat(f.engine.queries().jobsHeld()).isZero();
    }

    @Test
    void aBatchMayListChildrenBeforeTheirParents() {
      f.applied(
          new Command.SubmitJobs(
              f.now,
              List.of(
                  JobSpec.of("child", "t", null).withDependsOn(List.of("parent")),
                  JobSpec.of("parent", "t", null))));
      assertThat(f.state("parent")).isEqualTo(JobState.READY);
      assertThat(f.state("child")).isEqualTo(JobState.PENDING);
    }
  }

  @Nested
  class Dependencies {
    @Test
    void aJobListsItsDependentsAfterTheyStopWaitingAndAfterASnapshot() throws Exception {
      // Goal: the dashboard draws a finished DAG, so dependents outlive the waiting-children list,
      // and a snapshot rebuilds them in the same order.
      f.submit("p");
      f.submit(JobSpec.of("c1", "t", null).withDependsOn(List.of("p")));
      f.submit(JobSpec.of("c2", "t", null).withDependsOn(List.of("p")));
      f.submit(JobSpec.of("gc", "t", null).withDependsOn(List.of("c1", "c2")));
      f.complete(f.leaseOne("w"));
      assertThat(f.state("c1")).isEqualTo(JobState.READY);
      assertThat(f.engine.queries().job("p").orElseThrow().dependents())
          .containsExactly("c1", "c2");
      assertThat(f.engine.queries().job("c2").orElseThrow().dependents()).containsExactly("gc");
      assertThat(f.engine.queries().job("gc").orElseThrow().dependents()).isEmpty();
      Engine restored =
          EngineSnapshot.read(
              new dev.hourglass.core.codec.FastDataInput(
                  new java.io.ByteArrayInputStream(EngineSnapshot.toBytes(f.engine)), 4096));
      assertThat(restored.queries().job("p").orElseThrow().dependents())
          .containsExactly("c1", "c2");
      assertThat(restored.queries().job("c1").orElseThrow().dependents()).containsExactly("gc");
    }

    @Test
    void aChildRunsOnlyAfterAllItsParentsSucceeded() {
      f.submit("p1");
      f.submit("p2");
      f.submit(JobSpec.of("c", "t", null).withDependsOn(List.of("p1", "p2")));
      assertThat(f.state("c")).isEqualTo(JobState.PENDING);
      f.complete(f.leaseOne("w"));
      assertThat(f.state("c")).isEqualTo(JobState.PENDING);
      f.complete(f.leaseOne("w"));
      assertThat(f.state("c")).isEqualTo(JobState.READY);
    }

    @Test
    void aChildOfADeadParentIsCancelledWithTheReason() {
      f.submit(JobSpec.of("p", "t", null).withMaxAttempts(1));
      f.submit(JobSpec.of("c", "t", null).withDependsOn(List.of("p")));
      f.submit(JobSpec.of("gc", "t", null).withDependsOn(List.of("c")));
      f.fail(f.leaseOne("w"), true);
      assertThat(f.state("p")).isEqualTo(JobState.DEAD);
      assertThat(f.state("c")).isEqualTo(JobState.CANCELLED);
      assertThat(f.state("gc")).isEqualTo(JobState.CANCELLED);
      assertThat(f.engine.queries().job("c").orElseThrow().reason()).contains("p", "DEAD");
    }

    @Test
    void aChildSubmittedAfterItsParentSucceededIsReady() {
      f.submit("p");
      f.complete(f.leaseOne("w"));
      f.submit(JobSpec.of("c", "t", null).withDependsOn(List.of("p")));
      assertThat(f.state("c")).isEqualTo(JobState.READY);
    }

    @Test
    void cancellingAParentCancelsItsDependants() {
      f.submit("p");
      f.submit(JobSpec.of("c", "t", null).withDependsOn(List.of("p")));
      f.applied(new Command.CancelJob(f.now, "p", "not needed"));
      assertThat(f.state("c")).isEqualTo(JobState.CANCELLED);
    }
  }

  @Nested
  class Leasing {
    @Test
    void leasesGoByPriorityThenDeadlineThenAge() {
      f.submit(JobSpec.of("old-low", "t", null).withPriority(1));
      f.submit(JobSpec.of("late-deadline", "t", null).withPriority(5).withDeadline(9_000_000));
      f.submit(JobSpec.of("no-deadline", "t", null).withPriority(5));
      f.submit(JobSpec.of("early-deadline", "t", null).withPriority(5).withDeadline(2_000_000));
      f.submit(JobSpec.of("high", "other", null).withPriority(9));
      List<String> order = f.lease("w", 10).stream().map(LeaseGranted::jobId).toList();
      assertThat(order)
          .containsExactly("high", "early-deadline", "late-deadline", "no-deadline", "old-low");
    }

    @Test
    void aWorkerNeverHoldsMoreThanItsCapacity() {
      for (int i = 0; i < 5; i++) {
        f.submit("j" + i);
      }
      f.applied(new Command.RegisterWorker(f.now, "w", 2, List.of(), 0));
      assertThat(f.lease("w", 10)).hasSize(2);
      assertThat(f.lease("w", 10)).isEmpty();
    }

    @Test
    void aWorkerOnlyGetsJobsFromItsQueues() {
      f.submit(JobSpec.of("a", "t", null).withQueue("emails"));
      f.submit(JobSpec.of("b", "t", null).withQueue("reports"));
      var granted = f.applied(new Command.LeaseJobs(f.now, "w", 10, List.of("reports"), 0));
      assertThat(granted)
          .filteredOn(LeaseGranted.class::isInstance)
          .extracting("jobId")
          .containsExactly("b");
    }

    @Test
    void aPausedQueueLeasesNothingUntilResumed() {
      f.submit("a");
      f.applied(new Command.SetQueuePaused(f.now, "default", true));
      assertThat(f.lease("w", 1)).isEmpty();
      f.applied(new Command.SetQueuePaused(f.now, "default", false));
      assertThat(f.lease("w", 1)).hasSize(1);
    }

    @Test
    void aTaskConcurrencyLimitHoldsAcrossWorkers() {
      for (int i = 0; i < 5; i++) {
        f.submit(JobSpec.of("charge" + i, "charge-card", null));
      }
      f.submit(JobSpec.of("mail", "send-email", null));
      f.applied(new Command.SetTaskConcurrency(f.now, "charge-card", 3));
      assertThat(f.lease("w1", 2)).extracting(LeaseGranted::task).containsOnly("charge-card");
      var second = f.lease("w2", 5);
      assertThat(second)
          .extracting(LeaseGranted::task)
          .containsExactly("charge-card", "send-email");
      assertThat(f.engine.queries().count(JobState.RUNNING)).isEqualTo(4);
    }

    @Test
    void aTaskLimitSetWhileItsJobsRunCountsThem() {
      for (int i = 0; i < 3; i++) {
        f.submit(JobSpec.of("charge" + i, "charge-card", null));
      }
      assertThat(f.lease("w1", 2)).hasSize(2);
      f.applied(new Command.SetTaskConcurrency(f.now, "charge-card", 2));
      assertThat(f.lease("w2", 1)).as("two already run, the limit is two").isEmpty();
      assertThat(f.engine.queries().grantableJobsMax()).isZero();
    }

    @Test
    void aQueueConcurrencyLimitHolds() {
      for (int i = 0; i < 5; i++) {
        f.submit("j" + i);
      }
      f.applied(new Command.SetQueueConcurrency(f.now, "default", 2));
      assertThat(f.lease("w1", 5)).hasSize(2);
      assertThat(f.lease("w2", 5)).isEmpty();
    }

    @Test
    void generationsGrowWithEveryAssignment() {
      f.submit(JobSpec.of("a", "t", null).withBackoff(new Backoff(0, 0, false)));
      LeaseGranted first = f.leaseOne("w1");
      assertThat(first.generation()).isEqualTo(1);
      f.fail(first, true);
      f.advance(0);
      LeaseGranted second = f.leaseOne("w2");
      assertThat(second.generation()).isEqualTo(2);
    }
  }

  @Nested
  class Fencing {
    @Test
    void aSecondAssignmentInTheSameGenerationIsRejectedWithTheExistingOne() {
      f.submit("job1");
      f.applied(new Command.AssignJob(f.now, "job1", "w1", 1, 0));
      Rejected r = f.rejected(new Command.AssignJob(f.now, "job1", "w2", 1, 0));
      assertThat(r.code()).isEqualTo(ErrorCode.ALREADY_ASSIGNED);
      assertThat(r.detail()).isEqualTo("Job already assigned in generation 1");
      assertThat(r.existing()).isEqualTo(new Assignment("job1", "w1", 1));
    }

    @Test
    void aHigherGenerationSupersedesAndTheOldHolderIsFencedOff() {
      f.submit("job1");
      f.applied(new Command.AssignJob(f.now, "job1", "w1", 1, 0));
      f.applied(new Command.AssignJob(f.now, "job1", "w2", 2, 0));
      Rejected r = f.rejected(new Command.CompleteJob(f.now, "job1", "w1", 1, null));
      assertThat(r.code()).isEqualTo(ErrorCode.STALE_GENERATION);
      f.applied(new Command.CompleteJob(f.now, "job1", "w2", 2, null));
      JobView v = f.engine.queries().job("job1").orElseThrow();
      assertThat(v.attempts()).extracting("outcome").containsExactly("SUPERSEDED", "SUCCEEDED");
    }

    @Test
    void anOlderGenerationAssignmentIsRejected() {
      f.submit("job1");
      f.applied(new Command.AssignJob(f.now, "job1", "w1", 3, 0));
      assertThat(f.rejected(new Command.AssignJob(f.now, "job1", "w2", 2, 0)).code())
          .isEqualTo(ErrorCode.STALE_GENERATION);
    }

    @Test
    void aZombiesLateCompletionChangesNothing() {
      f.submit(JobSpec.of("a", "t", null).withBackoff(new Backoff(0, 0, false)));
      LeaseGranted zombie = f.leaseOne("w1");
      f.advance(10_000); // lease of 10 s expires
      assertThat(f.state("a")).isEqualTo(JobState.READY);
      LeaseGranted fresh = f.leaseOne("w2");
      Rejected late =
          f.rejected(new Command.CompleteJob(f.now, "a", "w1", zombie.generation(), ""));
      assertThat(late.code()).isEqualTo(ErrorCode.STALE_GENERATION);
      assertThat(late.detail()).contains("generation 1", "generation 2");
      f.complete(fresh);
      assertThat(f.state("a")).isEqualTo(JobState.SUCCEEDED);
    }

    @Test
    void aReportFromTheWrongWorkerIsRejected() {
      f.submit("a");
      LeaseGranted g = f.leaseOne("w1");
      Rejected r = f.rejected(new Command.HeartbeatJob(f.now, "a", "w2", g.generation(), 0));
      assertThat(r.code()).isEqualTo(ErrorCode.NOT_LEASE_HOLDER);
      assertThat(r.detail()).contains("w1");
    }

    @Test
    void reportsOnUnknownOrFinishedJobsAreRejected() {
      assertThat(f.rejected(new Command.CompleteJob(f.now, "ghost", "w", 1, null)).code())
          .isEqualTo(ErrorCode.UNKNOWN_JOB);
      f.submit("a");
      LeaseGranted g = f.leaseOne("w");
      f.complete(g);
      Rejected twice = f.rejected(new Command.CompleteJob(f.now, "a", "w", g.generation(), null));
      assertThat(twice.code()).isEqualTo(ErrorCode.ILLEGAL_TRANSITION);
      assertThat(twice.detail()).contains("SUCCEEDED");
    }
  }

  @Nested
  class RetriesAndDeadLetters {
    @Test
    void aFailedJobRetriesAfterExponentialBackoff() {
      f.submit(JobSpec.of("a", "t", null).withBackoff(new Backoff(1_000, 60_000, false)));
      f.fail(f.leaseOne("w"), true);
      assertThat(f.state("a")).isEqualTo(JobState.FAILED);
      f.advance(1_999);
      assertThat(f.state("a")).isEqualTo(JobState.FAILED);
      f.advance(1);
      assertThat(f.state("a")).isEqualTo(JobState.READY);
      f.fail(f.leaseOne("w"), true);
      f.advance(3_999);
      assertThat(f.state("a")).isEqualTo(JobState.FAILED);
      f.advance(1);
      assertThat(f.state("a")).isEqualTo(JobState.READY);
    }

    @Test
    void backoffIsCappedAndJitterIsDeterministicAndBounded() {
      Backoff b = new Backoff(1_000, 5_000, true);
      for (int failures = 1; failures < 10; failures++) {
        long d = b.delayMillis("job", failures);
        long full = Math.min(5_000, 1_000L << failures);
        assertThat(d).isBetween(0L, full).isEqualTo(b.delayMillis("job", failures));
      }
      assertThat(new Backoff(1_000, Long.MAX_VALUE, false).delayMillis("j", 200))
          .isEqualTo(Long.MAX_VALUE);
    }

    @Test
    void exhaustedAttemptsDeadLetterTheJobAndRedriveGivesAFreshBudget() {
      f.submit(JobSpec.of("a", "t", null).withMaxAttempts(2).withBackoff(new Backoff(0, 0, false)));
      f.fail(f.leaseOne("w"), true);
      f.advance(0);
      f.fail(f.leaseOne("w"), true);
      assertThat(f.state("a")).isEqualTo(JobState.DEAD);
      assertThat(f.engine.queries().deadLetters(10))
          .extracting(JobView::jobId)
          .containsExactly("a");
      f.applied(new Command.RedriveJob(f.now, "a"));
      assertThat(f.state("a")).isEqualTo(JobState.READY);
      assertThat(f.engine.queries().deadLetters(10)).isEmpty();
      assertThat(f.engine.queries().job("a").orElseThrow().failures()).isZero();
    }

    @Test
    void aNonRetryableFailureGoesStraightToTheDeadLetterQueue() {
      f.submit("a");
      f.fail(f.leaseOne("w"), false);
      assertThat(f.state("a")).isEqualTo(JobState.DEAD);
    }

    @Test
    void runNowMakesAWaitingJobReadyAndRefusesOthers() {
      f.submit(JobSpec.of("later", "t", null).withRunAt(f.now + 3_600_000));
      f.applied(new Command.RunJobNow(f.now, "later"));
      assertThat(f.state("later")).isEqualTo(JobState.READY);
      Rejected r = f.rejected(new Command.RunJobNow(f.now, "later"));
      assertThat(r.code()).isEqualTo(ErrorCode.ILLEGAL_TRANSITION);
      assertThat(r.detail()).contains("READY");
      f.fail(f.leaseOne("w"), true);
      f.applied(new Command.RunJobNow(f.now, "later"));
      assertThat(f.state("later")).isEqualTo(JobState.READY);
    }

    @Test
    void onlyDeadJobsCanBeRedriven() {
      f.submit("a");
      Rejected r = f.rejected(new Command.RedriveJob(f.now, "a"));
      assertThat(r.code()).isEqualTo(ErrorCode.ILLEGAL_TRANSITION);
      assertThat(r.detail()).contains("READY");
    }

    @Test
    void aJobRunningPastItsTimeoutFailsEvenWhileHeartbeating() {
      f.submit(JobSpec.of("a", "t", null).withTimeout(3_000).withMaxAttempts(1));
      LeaseGranted g = f.leaseOne("w");
      f.advance(2_000);
      f.applied(new Command.HeartbeatJob(f.now, "a", "w", g.generation(), 10_000));
      f.advance(1_000);
      assertThat(f.state("a")).isEqualTo(JobState.DEAD);
      assertThat(f.engine.queries().job("a").orElseThrow().attempts().get(0).error())
          .contains("timed out");
    }
  }

  @Nested
  class Events {
    /** Goal: a consumer can count lost leases by cause without parsing the cause text. */
    @Test
    void aLostLeaseSaysWhetherItExpiredTimedOutItsWorkerDiedOrItWasSuperseded() {
      f.applied(new Command.RegisterWorker(f.now, "mortal", 5, List.of(), 5_000));
      f.submit(JobSpec.of("silent", "t", null).withQueue("q1"));
      f.applied(new Command.AssignJob(f.now, "silent", "w", 1, 3_000));
      f.submit(JobSpec.of("slow", "t", null).withQueue("q2").withTimeout(2_000));
      f.applied(new Command.AssignJob(f.now, "slow", "w", 1, 60_000));
      f.submit(JobSpec.of("orphan", "t", null).withQueue("q3"));
      f.applied(new Command.AssignJob(f.now, "orphan", "mortal", 1, 60_000));
      f.submit(JobSpec.of("taken", "t", null).withQueue("q4"));
      f.applied(new Command.AssignJob(f.now, "taken", "w", 1, 60_000));
      List<Event> events =
          new java.util.ArrayList<>(
              f.applied(new Command.AssignJob(f.now, "taken", "w2", 2, 60_000)));
      f.now += 1_000;
      f.applied(new Command.HeartbeatJob(f.now, "slow", "w", 1, 60_000));
      for (int i = 0; i < 4; i++) {
        f.now += 1_000;
        events.addAll(f.applied(new Command.Tick(f.now)));
      }
      assertThat(events)
          .filteredOn(LeaseLost.class::isInstance)
          .map(e -> (LeaseLost) e)
          .extracting(LeaseLost::jobId, LeaseLost::reason)
          .containsExactlyInAnyOrder(
              org.assertj.core.groups.Tuple.tuple("taken", LeaseLost.Reason.SUPERSEDED),
              org.assertj.core.groups.Tuple.tuple("slow", LeaseLost.Reason.TIMED_OUT),
              org.assertj.core.groups.Tuple.tuple("silent", LeaseLost.Reason.LEASE_EXPIRED),
              org.assertj.core.groups.Tuple.tuple("orphan", LeaseLost.Reason.WORKER_DIED));
    }

    @Test
    void everyTransitionNamesTheJobsQueueAndTask() {
      List<Event> events =
          new java.util.ArrayList<>(
              f.applied(
                  new Command.SubmitJob(
                      f.now, JobSpec.of("a", "resize", null).withQueue("images"))));
      events.addAll(f.applied(new Command.LeaseJobs(f.now, "w", 1, List.of(), 10_000)));
      assertThat(events)
          .filteredOn(JobTransitioned.class::isInstance)
          .hasSize(3)
          .allSatisfy(
              e -> {
                assertThat(((JobTransitioned) e).queue()).isEqualTo("images");
                assertThat(((JobTransitioned) e).task()).isEqualTo("resize");
              });
    }
  }

  @Nested
  class Workers {
    @Test
    void aSilentWorkerIsDeclaredDeadAndItsJobsAreReclaimedAtOnce() {
      f.applied(new Command.RegisterWorker(f.now, "w", 5, List.of(), 5_000));
      f.submit(JobSpec.of("a", "t", null).withBackoff(new Backoff(0, 0, false)));
      f.submit(JobSpec.of("b", "t", null).withBackoff(new Backoff(0, 0, false)));
      f.applied(new Command.LeaseJobs(f.now, "w", 2, List.of(), 60_000));
      f.advance(5_000);
      assertThat(f.engine.queries().workers().get(0).alive()).isFalse();
      f.advance(0);
      assertThat(f.state("a")).isEqualTo(JobState.READY);
      assertThat(f.state("b")).isEqualTo(JobState.READY);
    }

    @Test
    void heartbeatsKeepALeaseAlive() {
      f.submit("a");
      LeaseGranted g = f.leaseOne("w");
      for (int i = 0; i < 5; i++) {
        f.advance(8_000);
        f.applied(new Command.HeartbeatJob(f.now, "a", "w", g.generation(), 10_000));
      }
      assertThat(f.state("a")).isEqualTo(JobState.RUNNING);
    }

    @Test
    void aDeregisteringWorkerReleasesItsJobsWithoutSpendingAttempts() {
      f.submit("a");
      f.leaseOne("w");
      f.applied(new Command.DeregisterWorker(f.now, "w"));
      assertThat(f.state("a")).isEqualTo(JobState.READY);
      assertThat(f.engine.queries().job("a").orElseThrow().failures()).isZero();
    }

    @Test
    void unacknowledgedAssignmentsAreOwedOncePerWorkerInOrder() {
      f.submit("job1");
      f.submit("job2");
      f.submit("job3");
      f.applied(new Command.AssignJob(f.now, "job1", "w1", 0, 0));
      f.applied(new Command.AssignJob(f.now, "job2", "w2", 0, 0));
      f.applied(new Command.AssignJob(f.now, "job3", "w1", 0, 0));
      assertThat(f.engine.queries().workersOwedNotifications()).containsExactly("w1", "w2");
      f.applied(new Command.AcknowledgeAssignment(f.now, "job1", "w1", 1));
      f.applied(new Command.AcknowledgeAssignment(f.now, "job3", "w1", 1));
      assertThat(f.engine.queries().workersOwedNotifications()).containsExactly("w2");
    }
  }

  @Nested
  class Cancelling {
    @Test
    void finishedJobsCannotBeCancelled() {
      f.submit("a");
      f.complete(f.leaseOne("w"));
      Rejected r = f.rejected(new Command.CancelJob(f.now, "a", null));
      assertThat(r.code()).isEqualTo(ErrorCode.ILLEGAL_TRANSITION);
      assertThat(r.detail()).contains("cancel", "SUCCEEDED");
    }

    @Test
    void cancellingARunningJobFencesItsWorker() {
      f.submit("a");
      LeaseGranted g = f.leaseOne("w");
      f.applied(new Command.CancelJob(f.now, "a", "operator"));
      assertThat(f.rejected(new Command.CompleteJob(f.now, "a", "w", g.generation(), null)).code())
          .isEqualTo(ErrorCode.CANCELLED);
      assertThat(
              f.rejected(new Command.CompleteJob(f.now, "a", "other", g.generation(), null)).code())
          .isEqualTo(ErrorCode.ILLEGAL_TRANSITION);
      assertThat(f.engine.queries().workers().get(0).inFlight()).isZero();
    }
  }

  @Nested
  class Retention {
    @Test
    void finishedJobsAreEvictedAfterTheRetentionPeriod() {
      EngineFixture r = new EngineFixture(EngineConfig.DEFAULTS.withRetentionMillis(60_000));
      r.submit("a");
      r.complete(r.leaseOne("w"));
      r.advance(59_999);
      assertThat(r.state("a")).isEqualTo(JobState.SUCCEEDED);
      r.advance(1);
      assertThat(r.state("a")).isNull();
      assertThat(r.engine.queries().count(JobState.SUCCEEDED)).isZero();
    }
  }

  @Test
  void countsByStateAndQueueFollowEveryTransition() {
    f.submit(JobSpec.of("a", "t", null).withQueue("q1").withPriority(2));
    f.submit(JobSpec.of("b", "t", null).withQueue("q1").withPriority(2));
    f.submit(JobSpec.of("c", "t", null).withQueue("q2"));
    f.leaseOne("w");
    var q1 =
        f.engine.queries().queues().stream()
            .filter(q -> q.name().equals("q1"))
            .findFirst()
            .orElseThrow();
    assertThat(q1.countsByState())
        .containsEntry(JobState.READY, 1L)
        .containsEntry(JobState.RUNNING, 1L);
    assertThat(q1.readyByPriority()).containsEntry(2, 1L);
    assertThat(f.engine.queries().countsByState()).containsEntry(JobState.READY, 2L);
  }

  @Test
  void listingPagesNewestFirstWithAFilter() {
    for (int i = 0; i < 25; i++) {
      f.submit(JobSpec.of("j" + i, i % 2 == 0 ? "even" : "odd", null));
    }
    var filter = new dev.hourglass.core.view.JobFilter(null, null, "even");
    var first = f.engine.queries().jobs(filter, null, 5);
    assertThat(first.items())
        .extracting(JobView::jobId)
        .containsExactly("j24", "j22", "j20", "j18", "j16");
    var second = f.engine.queries().jobs(filter, first.nextCursor(), 100);
    assertThat(second.items()).hasSize(8);
    assertThat(second.nextCursor()).isNull();
  }
}
