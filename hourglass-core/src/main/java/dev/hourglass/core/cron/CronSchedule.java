package dev.hourglass.core.cron;

import com.cronutils.model.Cron;
import com.cronutils.model.CronType;
import com.cronutils.model.definition.CronDefinitionBuilder;
import com.cronutils.model.time.ExecutionTime;
import com.cronutils.parser.CronParser;
import java.time.DateTimeException;
import java.time.Instant;
import java.time.LocalDateTime;
import java.time.ZoneId;
import java.time.ZoneOffset;
import java.time.ZonedDateTime;
import java.time.temporal.ChronoUnit;
import java.time.zone.ZoneOffsetTransition;
import java.time.zone.ZoneRules;
import java.util.Optional;

/**
 * A parsed cron expression in a time zone that answers "when is the next firing after t?".
 *
 * <p>Implementation notes. Cron expressions speak of wall-clock times, and daylight saving makes
 * wall-clock time skip an hour in spring and repeat one in autumn. Asking a cron library about
 * zoned times directly has, in every scheduler we know of, produced doubled or dropped firings
 * around those transitions. So the cron arithmetic is done on wall-clock time alone (as if the zone
 * had no transitions, i.e. in UTC), and each wall-clock firing is then placed on the time line with
 * these rules:
 *
 * <ul>
 *   <li>a wall time that exists once maps to its instant;
 *   <li>a wall time in the autumn overlap exists twice: the earlier instant is used and the later
 *       one never fires, so a daily 02:30 job fires once that night;
 *   <li>a wall time in the spring gap does not exist: it fires at the transition instant (03:00
 *       when clocks jump from 02:00 to 03:00), so a daily 02:30 job still fires that night;
 *   <li>firings are strictly increasing: a wall time that maps to an instant not after the previous
 *       firing (several gap times collapsing onto one transition) is skipped.
 * </ul>
 *
 * <p>Parsing costs tens of microseconds, so instances are meant to be cached. Immutable and
 * thread-safe.
 */
public final class CronSchedule {
  /** Guards against expressions that never fire again (e.g. a year in the past). */
  private static final int MAX_STEPS = 10_000;

  private static final CronParser UNIX =
      new CronParser(CronDefinitionBuilder.instanceDefinitionFor(CronType.UNIX));
  private static final CronParser QUARTZ =
      new CronParser(CronDefinitionBuilder.instanceDefinitionFor(CronType.QUARTZ));

  private final String expression;
  private final ZoneId zone;
  private final ExecutionTime executionTime;

  private CronSchedule(String expression, ZoneId zone, ExecutionTime executionTime) {
    this.expression = expression;
    this.zone = zone;
    this.executionTime = executionTime;
  }

  /**
   * Parses a Unix 5-field or Quartz 6/7-field expression (told apart by the number of fields).
   *
   * @throws IllegalArgumentException naming the expression and what is wrong with it
   */
  public static CronSchedule parse(String expression, String timeZone) {
    if (expression == null || expression.isBlank()) {
      throw new IllegalArgumentException("cron expression is empty; give e.g. \"0 0 * * *\"");
    }
    String trimmed = expression.trim();
    int fields = trimmed.split("\\s+").length;
    CronParser parser =
        switch (fields) {
          case 5 -> UNIX;
          case 6, 7 -> QUARTZ;
          default ->
              throw new IllegalArgumentException(
                  "cron expression \""
                      + trimmed
                      + "\" has "
                      + fields
                      + " fields; expected 5 (Unix)"
                      + " or 6-7 (Quartz, with seconds and optional year)");
        };
    ZoneId zone;
    try {
      zone = ZoneId.of(timeZone == null || timeZone.isBlank() ? "UTC" : timeZone);
    } catch (DateTimeException e) {
      throw new IllegalArgumentException(
          "unknown time zone \"" + timeZone + "\"; use an IANA id such as Europe/Berlin or UTC", e);
    }
    Cron cron;
    try {
      cron = parser.parse(trimmed).validate();
    } catch (IllegalArgumentException e) {
      throw new IllegalArgumentException(
          "invalid cron expression \"" + trimmed + "\": " + e.getMessage(), e);
    }
    return new CronSchedule(trimmed, zone, ExecutionTime.forCron(cron));
  }

  public String expression() {
    return expression;
  }

  public ZoneId zone() {
    return zone;
  }

  /**
   * The first firing strictly after {@code afterMillis}, or -1 if there is none. Never throws:
   * cron-utils accepts some expressions it cannot always evaluate (e.g. {@code 0 0 0 31W 2 ?}, "the
   * weekday nearest February 31st"); a month it fails on has no firing and the search moves on, so
   * such an expression can neither fail a tick nor a replay of the log.
   */
  public long nextFireAfter(long afterMillis) {
    // Whole seconds: cron-utils carries a fraction of a second into the firings of a seconds
    // field of "*" (after 09:00:00.500 it answers 09:00:01.500). Every firing is on a whole
    // second, and the first one after the truncated time is still after afterMillis.
    LocalDateTime wall =
        LocalDateTime.ofInstant(Instant.ofEpochMilli(afterMillis), zone)
            .truncatedTo(ChronoUnit.SECONDS);
    for (int step = 0; step < MAX_STEPS; step++) {
      Optional<ZonedDateTime> next;
      try {
        next = executionTime.nextExecution(wall.atZone(ZoneOffset.UTC));
      } catch (DateTimeException | IllegalArgumentException e) {
        // Move on a day at a time: which later date the library chokes on is not known, and a
        // bigger jump could skip a valid firing. A failing month costs about 30 retries.
        // End of the day (not the next midnight, which may itself be a firing), always forward.
        LocalDateTime endOfDay = wall.toLocalDate().plusDays(1).atStartOfDay().minusNanos(1);
        wall = endOfDay.isAfter(wall) ? endOfDay : wall.plusDays(1);
        continue;
      }
      if (next.isEmpty()) {
        return -1;
      }
      wall = next.get().toLocalDateTime();
      long instant = toInstantMillis(wall);
      if (instant > afterMillis) {
        return instant;
      }
    }
    return -1;
  }

  private long toInstantMillis(LocalDateTime wall) {
    ZoneRules rules = zone.getRules();
    ZoneOffsetTransition transition = rules.getTransition(wall);
    if (transition != null && transition.isGap()) {
      return transition.getInstant().toEpochMilli();
    }
    // In an overlap the earlier offset is the first of the valid offsets.
    ZoneOffset offset = rules.getValidOffsets(wall).get(0);
    return wall.toInstant(offset).toEpochMilli();
  }

  @Override
  public String toString() {
    return expression + " (" + zone + ")";
  }
}
