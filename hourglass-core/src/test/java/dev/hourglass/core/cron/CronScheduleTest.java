package dev.hourglass.core.cron;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.time.Instant;
import java.time.ZonedDateTime;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.Test;

class CronScheduleTest {

  private static long at(String iso) {
    return Instant.parse(iso).toEpochMilli();
  }

  private static List<String> firings(CronSchedule cron, String fromIso, String toIso) {
    List<String> out = new ArrayList<>();
    long t = at(fromIso);
    while ((t = cron.nextFireAfter(t)) >= 0 && t <= at(toIso)) {
      out.add(Instant.ofEpochMilli(t).toString());
    }
    return out;
  }

  @Test
  void unixFiveFieldExpressionsFireAtTheirWallClockTimeInUtc() {
    CronSchedule midnight = CronSchedule.parse("0 0 * * *", "UTC");
    assertThat(midnight.nextFireAfter(at("2024-01-15T09:00:00Z")))
        .isEqualTo(at("2024-01-16T00:00:00Z"));
  }

  @Test
  void firingsFallOnWholeSecondsWhateverTheMillisecondsOfTheStart() {
    CronSchedule everySecond = CronSchedule.parse("* * * * * ?", "UTC");
    assertThat(firings(everySecond, "2024-01-15T08:59:58.500Z", "2024-01-15T09:00:01Z"))
        .containsExactly("2024-01-15T08:59:59Z", "2024-01-15T09:00:00Z", "2024-01-15T09:00:01Z");
    assertThat(everySecond.nextFireAfter(at("2024-01-15T09:00:00Z")))
        .isEqualTo(at("2024-01-15T09:00:01Z"));
  }

  @Test
  void quartzSixAndSevenFieldExpressionsAreAccepted() {
    CronSchedule everyTenSeconds = CronSchedule.parse("*/10 * * * * ?", "UTC");
    assertThat(everyTenSeconds.nextFireAfter(at("2024-01-15T09:00:03Z")))
        .isEqualTo(at("2024-01-15T09:00:10Z"));
    CronSchedule withYear = CronSchedule.parse("0 30 6 1 1 ? 2030", "UTC");
    assertThat(withYear.nextFireAfter(at("2024-01-15T09:00:00Z")))
        .isEqualTo(at("2030-01-01T06:30:00Z"));
  }

  @Test
  void nextRunCrossesMonthAndYearEnds() {
    CronSchedule monthly = CronSchedule.parse("0 0 1 * *", "UTC");
    assertThat(monthly.nextFireAfter(at("2024-01-31T12:00:00Z")))
        .isEqualTo(at("2024-02-01T00:00:00Z"));
    assertThat(monthly.nextFireAfter(at("2024-12-31T23:59:59Z")))
        .isEqualTo(at("2025-01-01T00:00:00Z"));
    CronSchedule leapDay = CronSchedule.parse("0 0 29 2 *", "UTC");
    assertThat(leapDay.nextFireAfter(at("2024-03-01T00:00:00Z")))
        .isEqualTo(at("2028-02-29T00:00:00Z"));
  }

  @Test
  void aDailyJobInTheSpringGapFiresOnceAtTheTransition() {
    // Berlin, 2024-03-31: clocks jump from 02:00 to 03:00 local (01:00Z). 02:30 does not exist.
    CronSchedule cron = CronSchedule.parse("30 2 * * *", "Europe/Berlin");
    assertThat(firings(cron, "2024-03-29T12:00:00Z", "2024-04-01T12:00:00Z"))
        .containsExactly(
            "2024-03-30T01:30:00Z", // 02:30 CET
            "2024-03-31T01:00:00Z", // the gap: fires at the transition, 03:00 CEST
            "2024-04-01T00:30:00Z"); // 02:30 CEST
  }

  @Test
  void aDailyJobInTheAutumnOverlapFiresOnceNotTwice() {
    // Berlin, 2024-10-27: 03:00 CEST falls back to 02:00 CET; 02:30 happens twice.
    CronSchedule cron = CronSchedule.parse("30 2 * * *", "Europe/Berlin");
    assertThat(firings(cron, "2024-10-26T12:00:00Z", "2024-10-28T12:00:00Z"))
        .containsExactly(
            "2024-10-27T00:30:00Z", // first 02:30 (CEST); the second one (01:30Z) does not fire
            "2024-10-28T01:30:00Z"); // 02:30 CET
  }

  @Test
  void anHourlyJobNeitherDoublesNorDropsAcrossBothTransitions() {
    CronSchedule hourly = CronSchedule.parse("0 * * * *", "Europe/Berlin");
    List<String> spring = firings(hourly, "2024-03-30T22:30:00Z", "2024-03-31T03:30:00Z");
    // Local hours 00, 01, [02 missing], 03, 04, 05: five firings in five real hours.
    assertThat(spring)
        .containsExactly(
            "2024-03-30T23:00:00Z",
            "2024-03-31T00:00:00Z",
            "2024-03-31T01:00:00Z",
            "2024-03-31T02:00:00Z",
            "2024-03-31T03:00:00Z");
    List<String> autumn = firings(hourly, "2024-10-26T21:30:00Z", "2024-10-27T03:30:00Z");
    // Local 00, 01, 02 (first), 03, 04: each wall-clock hour fires once.
    assertThat(autumn)
        .doesNotHaveDuplicates()
        .containsExactly(
            "2024-10-26T22:00:00Z",
            "2024-10-26T23:00:00Z",
            "2024-10-27T00:00:00Z",
            "2024-10-27T02:00:00Z",
            "2024-10-27T03:00:00Z");
  }

  @Test
  void badExpressionsAndZonesAreRejectedWithSpecificMessages() {
    assertThatThrownBy(() -> CronSchedule.parse("0 0 * *", "UTC")).hasMessageContaining("4 fields");
    assertThatThrownBy(() -> CronSchedule.parse("99 0 * * *", "UTC"))
        .hasMessageContaining("invalid cron expression \"99 0 * * *\"");
    assertThatThrownBy(() -> CronSchedule.parse("0 0 * * *", "Mars/Olympus"))
        .hasMessageContaining("unknown time zone \"Mars/Olympus\"");
  }

  @Test
  void firingsAreStrictlyIncreasingOverAYearInANonUtcZone() {
    CronSchedule cron = CronSchedule.parse("*/30 * * * *", "America/New_York");
    long t = ZonedDateTime.parse("2024-01-01T00:00:00Z").toInstant().toEpochMilli();
    for (int i = 0; i < 17_568; i++) {
      long next = cron.nextFireAfter(t);
      assertThat(next).isGreaterThan(t);
      t = next;
    }
  }
}
