package dev.hourglass.core.engine;

import static org.assertj.core.api.Assertions.assertThat;

import dev.hourglass.core.command.Command;
import dev.hourglass.core.command.JobSpec;
import dev.hourglass.core.command.ScheduleSpec;
import dev.hourglass.core.command.ScheduleSpec.CatchUp;
import dev.hourglass.core.command.ScheduleSpec.Overlap;
import dev.hourglass.core.event.ErrorCode;
import dev.hourglass.core.event.Event.ScheduleFired;
import dev.hourglass.core.view.JobState;
import dev.hourglass.core.view.ScheduleView;
import java.time.Instant;
import org.junit.jupiter.api.Test;

class ScheduleTest {
  static final long MINUTE = 60_000;
  final EngineFixture f = new EngineFixture();

  {
    f.now = Instant.parse("2024-01-15T09:00:30Z").toEpochMilli();
  }

  ScheduleSpec everyMinute(Overlap overlap, CatchUp catchUp, long window) {
    return new ScheduleSpec(
        "tick",
        "* * * * *",
        "UTC",
        JobSpec.of("ignored", "report", "{}"),
        overlap,
        catchUp,
        window);
  }

  ScheduleView view() {
    return f.engine.queries().schedule("tick").orElseThrow();
  }

  @Test
  void eachFiringCreatesOneJobNamedByScheduleAndFireTime() {
    f.applied(new Command.PutSchedule(f.now, everyMinute(Overlap.ALLOW, CatchUp.ONCE, 0)));
    var events = f.applied(new Command.Tick(f.now += 30_000));
    long fireAt = Instant.parse("2024-01-15T09:01:00Z").toEpochMilli();
    assertThat(events).contains(new ScheduleFired("tick", fireAt, "tick@" + fireAt));
    assertThat(f.state("tick@" + fireAt)).isEqualTo(JobState.READY);
    // A replayed or repeated tick at the same time cannot create the firing again.
    f.applied(new Command.Tick(f.now));
    assertThat(view().fired()).isEqualTo(1);
  }

  @Test
  void overlapSkipSkipsWhileThePreviousRunIsLiveAndCountsIt() {
    f.applied(new Command.PutSchedule(f.now, everyMinute(Overlap.SKIP, CatchUp.ONCE, 0)));
    f.advance(30_000);
    f.leaseOne("w");
    f.advance(MINUTE);
    assertThat(view().fired()).isEqualTo(1);
    assertThat(view().skipped()).isEqualTo(1);
  }

  @Test
  void overlapQueueOneRunsOneDeferredFiringWhenTheLiveRunEnds() {
    f.applied(new Command.PutSchedule(f.now, everyMinute(Overlap.QUEUE_ONE, CatchUp.ONCE, 0)));
    f.advance(30_000);
    var granted = f.applied(new Command.LeaseJobs(f.now, "w", 1, java.util.List.of(), 3_600_000));
    var first =
        (dev.hourglass.core.event.Event.LeaseGranted)
            granted.stream()
                .filter(e -> e instanceof dev.hourglass.core.event.Event.LeaseGranted)
                .findFirst()
                .orElseThrow();
    f.applied(new Command.RegisterWorker(f.now, "w", 1, java.util.List.of(), 3_600_000));
    f.advance(MINUTE);
    f.advance(MINUTE);
    assertThat(view().fired()).isEqualTo(1);
    assertThat(view().skipped()).isEqualTo(1); // the third firing: one is queued already
    f.complete(first);
    assertThat(view().fired()).isEqualTo(2);
    assertThat(f.engine.queries().count(JobState.READY)).isEqualTo(1);
  }

  @Test
  void catchUpOnceFiresOnceForAllMissedFirings() {
    f.applied(new Command.PutSchedule(f.now, everyMinute(Overlap.ALLOW, CatchUp.ONCE, 0)));
    f.advance(10 * MINUTE); // downtime: ten firings due, nine overtaken by a later one
    assertThat(view().fired()).isEqualTo(1); // one job for all of them: the latest firing
    assertThat(view().skipped()).isEqualTo(9);
  }

  @Test
  void catchUpEachWithinWindowFiresOnlyTheRecentMissedOnes() {
    f.applied(
        new Command.PutSchedule(
            f.now, everyMinute(Overlap.ALLOW, CatchUp.EACH_WITHIN_WINDOW, 4 * MINUTE)));
    f.advance(10 * MINUTE);
    // Firings at 09:01..09:10; now is 09:10:30. Missed (overtaken by a later one): 09:01..09:09.
    // Within 4 minutes: 09:07, 09:08, 09:09; plus 09:10 on time.
    assertThat(view().fired()).isEqualTo(4);
    assertThat(view().skipped()).isEqualTo(6);
  }

  @Test
  void catchUpSkipFiresNoneOfTheMissed() {
    f.applied(new Command.PutSchedule(f.now, everyMinute(Overlap.ALLOW, CatchUp.SKIP, 0)));
    f.advance(10 * MINUTE);
    assertThat(view().fired()).isEqualTo(1);
    assertThat(view().skipped()).isEqualTo(9);
  }

  @Test
  void aPausedScheduleSkipsAndAResumedOneFiresAgain() {
    f.applied(new Command.PutSchedule(f.now, everyMinute(Overlap.ALLOW, CatchUp.ONCE, 0)));
    f.applied(new Command.SetSchedulePaused(f.now, "tick", true));
    f.advance(MINUTE);
    assertThat(view().fired()).isZero();
    assertThat(view().skipped()).isEqualTo(1);
    f.applied(new Command.SetSchedulePaused(f.now, "tick", false));
    f.advance(MINUTE);
    assertThat(view().fired()).isEqualTo(1);
  }

  @Test
  void badCronIsRejectedAndUnknownSchedulesToo() {
    var bad =
        new ScheduleSpec(
            "s", "61 * * * *", "UTC", JobSpec.of("x", "t", null), Overlap.ALLOW, CatchUp.ONCE, 0);
    assertThat(f.rejected(new Command.PutSchedule(f.now, bad)).code())
        .isEqualTo(ErrorCode.INVALID_SCHEDULE);
    assertThat(f.rejected(new Command.DeleteSchedule(f.now, "nope")).code())
        .isEqualTo(ErrorCode.UNKNOWN_SCHEDULE);
  }

  @Test
  void anExpressionThatParsesButCannotBeEvaluatedIsRejectedUntouched() {
    // cron-utils parses "the weekday nearest February 31st" and then fails to evaluate it.
    var poison =
        new ScheduleSpec(
            "s",
            "0 0 0 31W 2 ?",
            "UTC",
            JobSpec.of("x", "t", null),
            Overlap.ALLOW,
            CatchUp.ONCE,
            0);
    assertThat(f.rejected(new Command.PutSchedule(f.now, poison)).code())
        .isEqualTo(ErrorCode.INVALID_SCHEDULE);
  }

  @Test
  void aMonthTheExpressionCannotBeEvaluatedInIsSkippedNotFatal() {
    // Day 31 nearest weekday: fine in 31-day months, unevaluable in 30-day ones.
    var spec =
        new ScheduleSpec(
            "w31",
            "0 0 0 31W * ?",
            "UTC",
            JobSpec.of("x", "t", null),
            Overlap.ALLOW,
            CatchUp.EACH_WITHIN_WINDOW,
            400L * 24 * 3_600_000);
    f.applied(new Command.PutSchedule(f.now, spec));
    f.advance(365L * 24 * 3_600_000);
    assertThat(f.engine.queries().schedule("w31").orElseThrow().fired()).isBetween(5L, 7L);
  }

  @Test
  void deletingAScheduleStopsItsFirings() {
    f.applied(new Command.PutSchedule(f.now, everyMinute(Overlap.ALLOW, CatchUp.ONCE, 0)));
    f.applied(new Command.DeleteSchedule(f.now, "tick"));
    f.advance(5 * MINUTE);
    assertThat(f.engine.queries().jobsHeld()).isZero();
  }
}
