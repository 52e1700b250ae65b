package dev.hourglass.core.engine;

import static org.assertj.core.api.Assertions.assertThat;

import dev.hourglass.core.command.Command;
import dev.hourglass.core.command.JobSpec;
import dev.hourglass.core.command.ScheduleSpec;
import dev.hourglass.core.command.ScheduleSpec.CatchUp;
import dev.hourglass.core.command.ScheduleSpec.Overlap;
import dev.hourglass.core.event.Event;
import dev.hourglass.core.event.Event.ScheduleFired;
import java.time.Instant;
import java.util.List;
import org.junit.jupiter.api.Test;

/**
 * Catch-up after an outage, in simulated time: a schedule firing every 2 s, then no command for the
 * outage, then one tick. Every policy must create exactly the jobs it promises for any outage
 * length, short or long, with the misfire threshold at its default of 60 s and at 0.
 */
class CatchUpTest {
  static final long[] OUTAGES_MILLIS = {5_000, 59_000, 61_000, 84_000, 3_600_000};

  /** Puts the ticks half a second after the even seconds at which the schedule fires. */
  static final long START = Instant.parse("2024-01-15T09:00:00.500Z").toEpochMilli();

  record Result(long fired, long skipped, long due) {}

  static Result outage(CatchUp catchUp, long windowMillis, long thresholdMillis, long outage) {
    var f = new EngineFixture(EngineConfig.DEFAULTS.withMisfireThresholdMillis(thresholdMillis));
    f.now = START;
    f.applied(
        new Command.PutSchedule(
            f.now,
            new ScheduleSpec(
                "s",
                "*/2 * * * * ?",
                "UTC",
                JobSpec.of("ignored", "t", null),
                Overlap.ALLOW,
                catchUp,
                windowMillis)));
    List<Event> events = f.applied(new Command.Tick(f.now += outage));
    long fired = events.stream().filter(e -> e instanceof ScheduleFired).count();
    var view = f.engine.queries().schedule("s").orElseThrow();
    assertThat(view.fired()).isEqualTo(fired);
    // Normal operation resumes: a tick at the next firing's exact time runs it, whatever the
    // policy and threshold.
    long next = view.nextFireAtMillis();
    assertThat(next).isGreaterThan(f.now).isLessThanOrEqualTo(f.now + 2_000);
    f.applied(new Command.Tick(f.now = next));
    assertThat(f.engine.queries().schedule("s").orElseThrow().fired()).isEqualTo(fired + 1);
    return new Result(fired, view.skipped(), (outage + 500) / 2_000);
  }

  @Test
  void skipRunsOnlyTheOnTimeFiringAfterAnyOutage() {
    for (long outage : OUTAGES_MILLIS) {
      Result r = outage(CatchUp.SKIP, 0, 60_000, outage);
      assertThat(r.fired()).as("fired after %d ms", outage).isEqualTo(1);
      assertThat(r.skipped()).as("skipped after %d ms", outage).isEqualTo(r.due() - 1);
      // Threshold 0: the latest firing is 0.5 to 1.5 s late, so it is missed too.
      r = outage(CatchUp.SKIP, 0, 0, outage);
      assertThat(r.fired()).as("fired after %d ms, threshold 0", outage).isZero();
      assertThat(r.skipped()).isEqualTo(r.due());
    }
  }

  @Test
  void onceRunsExactlyOneJobAfterAnyOutage() {
    for (long threshold : new long[] {60_000, 0}) {
      for (long outage : OUTAGES_MILLIS) {
        Result r = outage(CatchUp.ONCE, 0, threshold, outage);
        assertThat(r.fired()).as("fired after %d ms, threshold %d", outage, threshold).isEqualTo(1);
        assertThat(r.skipped()).isEqualTo(r.due() - 1);
      }
    }
  }

  @Test
  void eachWithinWindowRunsTheFiringsOfTheWindowAfterAnyOutage() {
    for (long threshold : new long[] {60_000, 0}) {
      for (long outage : OUTAGES_MILLIS) {
        String what = "after " + outage + " ms, threshold " + threshold;
        // Window 0 is the skip policy.
        Result r = outage(CatchUp.EACH_WITHIN_WINDOW, 0, threshold, outage);
        assertThat(r.fired()).as("window 0 %s", what).isEqualTo(threshold == 0 ? 0 : 1);
        // 10 s: the firings at most 10 s old, i.e. the last five (two after a 5 s outage).
        r = outage(CatchUp.EACH_WITHIN_WINDOW, 10_000, threshold, outage);
        assertThat(r.fired()).as("window 10 s %s", what).isEqualTo(Math.min(r.due(), 5));
        assertThat(r.fired() + r.skipped()).isEqualTo(r.due());
        // A window longer than the outage: every firing runs.
        r = outage(CatchUp.EACH_WITHIN_WINDOW, 7_200_000, threshold, outage);
        assertThat(r.fired()).as("window 2 h %s", what).isEqualTo(r.due());
        assertThat(r.skipped()).isZero();
      }
    }
  }

  @Test
  void afterMoreFiringsThanOneTickListsTheLatestOneStillDecides() {
    // A schedule every second, then a day without commands: 86,400 firings, more than
    // CATCH_UP_FIRINGS_MAX. ONCE still runs the latest one, and SKIP the on-time one.
    for (CatchUp catchUp : new CatchUp[] {CatchUp.ONCE, CatchUp.SKIP}) {
      var f = new EngineFixture();
      f.now = START;
      f.applied(
          new Command.PutSchedule(
              f.now,
              new ScheduleSpec(
                  "s",
                  "* * * * * ?",
                  "UTC",
                  JobSpec.of("ignored", "t", null),
                  Overlap.ALLOW,
                  catchUp,
                  0)));
      List<Event> events = f.applied(new Command.Tick(f.now += 24 * 3_600_000L));
      long latest = f.now - 500;
      assertThat(events.stream().filter(e -> e instanceof ScheduleFired).toList())
          .as("catch-up %s", catchUp)
          .containsExactly(new ScheduleFired("s", latest, "s@" + latest));
      assertThat(f.engine.queries().schedule("s").orElseThrow().nextFireAtMillis())
          .isEqualTo(latest + 1_000);
    }
  }
}
