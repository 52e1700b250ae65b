package dev.hourglass.core.engine;

import static org.assertj.core.api.Assertions.assertThat;

import dev.hourglass.core.codec.FastDataInput;
import dev.hourglass.core.command.Command;
import dev.hourglass.core.command.JobSpec;
import dev.hourglass.core.event.ErrorCode;
import dev.hourglass.core.event.Event.LeaseGranted;
import dev.hourglass.core.event.Outcome.Rejected;
import dev.hourglass.core.view.JobState;
import dev.hourglass.core.view.LeaseEnd;
import java.io.ByteArrayInputStream;
import java.util.List;
import org.junit.jupiter.api.Nested;
import org.junit.jupiter.api.Test;

/** How a lease holder learns of a cancel or a timeout, and how a re-drive resumes a pipeline. */
class CancelAndRedriveTest {
  final EngineFixture f = new EngineFixture();

  @Nested
  class TheHolderOfAnEndedAttempt {
    @Test
    void hearsCancelledOnEveryReportWithTheReason() {
      f.submit("a");
      LeaseGranted g = f.leaseOne("w");
      f.applied(new Command.CancelJob(f.now, "a", "wrong customer"));
      int gen = g.generation();
      for (Command c :
          List.of(
              new Command.HeartbeatJob(f.now, "a", "w", gen, 0),
              new Command.CompleteJob(f.now, "a", "w", gen, null),
              new Command.FailJob(f.now, "a", "w", gen, "x", true),
              new Command.ReleaseJob(f.now, "a", "w", gen))) {
        Rejected r = f.rejected(c);
        assertThat(r.code()).as("%s", c).isEqualTo(ErrorCode.CANCELLED);
        assertThat(r.detail()).contains("wrong customer");
      }
      assertThat(f.engine.queries().leaseEnded("a", "w", gen))
          .contains(new LeaseEnd("a", gen, LeaseEnd.Kind.CANCELLED, "wrong customer"));
    }

    @Test
    void hearsTimedOutUntilTheJobIsLeasedAgainThenStaleGeneration() {
      f.submit(
          JobSpec.of("a", "t", null)
              .withTimeout(5_000)
              .withMaxAttempts(3)
              .withBackoff(new dev.hourglass.core.command.Backoff(1_000, 1_000, false)));
      LeaseGranted g = f.leaseOne("w");
      assertThat(f.engine.queries().leaseEnded("a", "w", g.generation())).isEmpty();
      f.advance(5_000);
      assertThat(f.state("a")).isEqualTo(JobState.FAILED);
      Rejected r = f.rejected(new Command.HeartbeatJob(f.now, "a", "w", g.generation(), 0));
      assertThat(r.code()).isEqualTo(ErrorCode.TIMED_OUT);
      assertThat(r.detail()).contains("timeout_ms=5000");
      assertThat(f.engine.queries().leaseEnded("a", "w", g.generation()).orElseThrow().kind())
          .isEqualTo(LeaseEnd.Kind.TIMED_OUT);
      f.advance(1_000);
      LeaseGranted again = f.leaseOne("w2");
      assertThat(again.generation()).isEqualTo(g.generation() + 1);
      assertThat(f.rejected(new Command.CompleteJob(f.now, "a", "w", g.generation(), null)).code())
          .as("fencing stays exact")
          .isEqualTo(ErrorCode.STALE_GENERATION);
      assertThat(f.engine.queries().leaseEnded("a", "w", g.generation()).orElseThrow().kind())
          .as("the signal read still knows why")
          .isEqualTo(LeaseEnd.Kind.TIMED_OUT);
    }

    @Test
    void thatLostItsLeaseWithoutATimeoutHearsIllegalTransitionAsBefore() {
      f.submit(JobSpec.of("a", "t", null).withTimeout(60_000).withMaxAttempts(3));
      LeaseGranted g = f.leaseOne("w"); // the fixture leases for 10 s
      f.advance(10_000);
      assertThat(f.rejected(new Command.HeartbeatJob(f.now, "a", "w", g.generation(), 0)).code())
          .isEqualTo(ErrorCode.ILLEGAL_TRANSITION);
      assertThat(f.engine.queries().leaseEnded("a", "w", g.generation()).orElseThrow().kind())
          .isEqualTo(LeaseEnd.Kind.LEASE_LOST);
    }

    @Test
    void isTheOnlyOneToHearIt() {
      f.submit("a");
      LeaseGranted g = f.leaseOne("w");
      f.applied(new Command.CancelJob(f.now, "a", null));
      assertThat(f.rejected(new Command.HeartbeatJob(f.now, "a", "w2", g.generation(), 0)).code())
          .isEqualTo(ErrorCode.ILLEGAL_TRANSITION);
      assertThat(
              f.rejected(new Command.HeartbeatJob(f.now, "a", "w", g.generation() + 1, 0)).code())
          .isEqualTo(ErrorCode.ILLEGAL_TRANSITION);
      assertThat(f.engine.queries().leaseEnded("a", "w2", g.generation()).orElseThrow().kind())
          .isEqualTo(LeaseEnd.Kind.LEASE_LOST);
    }
  }

  @Nested
  class ReDrivingADeadParent {
    private void dies(String id) {
      LeaseGranted g = f.leaseOne("w");
      assertThat(g.jobId()).isEqualTo(id);
      f.fail(g, false);
      assertThat(f.state(id)).isEqualTo(JobState.DEAD);
    }

    private void succeeds(String id) {
      LeaseGranted g = f.leaseOne("w");
      assertThat(g.jobId()).isEqualTo(id);
      f.complete(g);
    }

    private void redrive(String id) {
      f.applied(new Command.RedriveJob(f.now, id));
    }

    private void child(String id, String... parents) {
      f.submit(JobSpec.of(id, "t", null).withDependsOn(List.of(parents)));
    }

    @Test
    void revivesAChainWhichThenRunsInOrder() {
      f.submit("p");
      child("c", "p");
      child("gc", "c");
      dies("p");
      assertThat(f.state("gc")).isEqualTo(JobState.CANCELLED);
      redrive("p");
      assertThat(f.state("p")).isEqualTo(JobState.READY);
      assertThat(f.state("c")).isEqualTo(JobState.PENDING);
      assertThat(f.state("gc")).isEqualTo(JobState.PENDING);
      assertThat(f.engine.queries().job("c").orElseThrow().reason()).isNull();
      succeeds("p");
      assertThat(f.state("c")).isEqualTo(JobState.READY);
      assertThat(f.state("gc")).isEqualTo(JobState.PENDING);
      succeeds("c");
      succeeds("gc");
    }

    @Test
    void revivesADiamondOnceAndItsJoinWaitsForBothSides() {
      f.submit("p");
      child("a", "p");
      child("b", "p");
      child("d", "a", "b");
      dies("p");
      redrive("p");
      assertThat(List.of(f.state("a"), f.state("b"), f.state("d"))).containsOnly(JobState.PENDING);
      succeeds("p");
      succeeds("a");
      assertThat(f.state("d")).isEqualTo(JobState.PENDING);
      succeeds("b");
      assertThat(f.state("d")).isEqualTo(JobState.READY);
    }

    @Test
    void revivesAJoinReachedByPathsOfDifferentLengths() {
      f.submit("p");
      child("x", "p");
      child("y", "x");
      child("c", "p", "y");
      dies("p");
      redrive("p");
      assertThat(List.of(f.state("x"), f.state("y"), f.state("c"))).containsOnly(JobState.PENDING);
      succeeds("p");
      succeeds("x");
      succeeds("y");
      assertThat(f.state("c")).isEqualTo(JobState.READY);
    }

    @Test
    void leavesAChildAUserCancelledAndItsDescendantsCancelled() {
      f.submit("p");
      child("c1", "p");
      child("gc1", "c1");
      child("c2", "p");
      f.applied(new Command.CancelJob(f.now, "c1", "not this one"));
      dies("p");
      redrive("p");
      assertThat(f.state("c1")).isEqualTo(JobState.CANCELLED);
      assertThat(f.engine.queries().job("c1").orElseThrow().reason()).isEqualTo("not this one");
      assertThat(f.state("gc1")).isEqualTo(JobState.CANCELLED);
      assertThat(f.state("c2")).isEqualTo(JobState.PENDING);
    }

    @Test
    void keepsAChildWithAnotherDeadParentCancelledUntilThatParentIsReDrivenToo() {
      f.submit("p1");
      f.submit("p2");
      child("c", "p1", "p2");
      dies("p1");
      dies("p2");
      redrive("p1");
      assertThat(f.state("c")).isEqualTo(JobState.CANCELLED);
      redrive("p2");
      assertThat(f.state("c")).isEqualTo(JobState.PENDING);
      succeeds("p1");
      assertThat(f.state("c")).isEqualTo(JobState.PENDING);
      succeeds("p2");
      assertThat(f.state("c")).isEqualTo(JobState.READY);
    }

    @Test
    void revivesAChildThatWasSubmittedAfterItsParentDied() {
      f.submit("p");
      dies("p");
      child("late", "p");
      assertThat(f.state("late")).isEqualTo(JobState.CANCELLED);
      redrive("p");
      assertThat(f.state("late")).isEqualTo(JobState.PENDING);
      succeeds("p");
      assertThat(f.state("late")).isEqualTo(JobState.READY);
    }

    @Test
    void countsTheParentsThatSucceededMeanwhile() {
      f.submit("p");
      f.submit("ok");
      child("c", "p", "ok");
      dies("p");
      succeeds("ok"); // c was cancelled, yet it is still among ok's children: harmless
      redrive("p");
      assertThat(f.state("c")).isEqualTo(JobState.PENDING);
      succeeds("p");
      assertThat(f.state("c")).isEqualTo(JobState.READY);
    }

    @Test
    void keepsTheRevivedJobsThroughRetentionAndEvictsThemOnlyOnceFinishedAgain() throws Exception {
      // Goal: the cancellation's retention entry stays behind a revival; it must neither evict
      // the live job nor hold back the ones behind it, and a snapshot must count it the same.
      EngineFixture r = new EngineFixture(EngineConfig.DEFAULTS.withRetentionMillis(60_000));
      r.submit("p");
      r.submit(JobSpec.of("c", "t", null).withDependsOn(List.of("p")));
      r.fail(r.leaseOne("w"), false);
      assertThat(r.state("c")).isEqualTo(JobState.CANCELLED);
      r.advance(30_000);
      r.applied(new Command.RedriveJob(r.now, "p"));
      r.submit("other");
      r.complete(r.leaseOne("w")); // p succeeds, c is READY
      r.applied(new Command.CancelJob(r.now, "c", "changed my mind")); // c's second entry
      Engine restored =
          EngineSnapshot.read(
              new FastDataInput(new ByteArrayInputStream(EngineSnapshot.toBytes(r.engine)), 4096));
      assertThat(EngineSnapshot.toBytes(restored)).isEqualTo(EngineSnapshot.toBytes(r.engine));
      r.advance(30_000); // the first entry of c is 60 s old: dropped, c stays
      assertThat(r.state("c")).isEqualTo(JobState.CANCELLED);
      Command tick = new Command.Tick(r.now);
      restored.apply(tick);
      assertThat(EngineSnapshot.toBytes(restored)).isEqualTo(EngineSnapshot.toBytes(r.engine));
      r.advance(30_000);
      assertThat(r.state("c")).isNull();
      assertThat(r.state("p")).isNull();
      assertThat(r.engine.queries().count(JobState.CANCELLED)).isZero();
    }

    @Test
    void aFullRetentionQueueNeverEvictsARevivedJob() {
      EngineFixture r = new EngineFixture(EngineConfig.DEFAULTS.withFinishedJobsMax(2));
      r.submit(JobSpec.of("p", "t", null).withMaxAttempts(1));
      r.submit(JobSpec.of("c", "t", null).withDependsOn(List.of("p")));
      r.fail(r.leaseOne("w"), true);
      r.applied(new Command.RedriveJob(r.now, "p"));
      for (String id : List.of("x1", "x2", "x3")) {
        r.submit(id);
        r.applied(new Command.CancelJob(r.now, id, null));
      }
      assertThat(r.state("c")).isEqualTo(JobState.PENDING);
      assertThat(r.state("x1")).isNull();
      assertThat(r.state("x2")).isEqualTo(JobState.CANCELLED);
      assertThat(r.state("x3")).isEqualTo(JobState.CANCELLED);
    }
  }
}
