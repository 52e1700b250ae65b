package dev.hourglass.core.command;

/**
 * A recurring schedule: a cron expression in a time zone, the job each firing creates, and what to
 * do about overlapping runs and firings missed while the scheduler was down.
 *
 * @param scheduleId unique name; each firing creates the job {@code <scheduleId>@<fireMillis>}
 * @param cron Unix 5-field or Quartz 6/7-field expression, told apart by the number of fields
 * @param timeZone an IANA zone id such as {@code Europe/Berlin}; wall-clock times are in this zone
 * @param template the job every firing creates (its jobId and runAt are ignored)
 * @param overlap what to do when a firing comes while the previous run is still live
 * @param catchUp what to do with firings missed by more than {@code misfireThresholdMillis}
 * @param catchUpWindowMillis with {@link CatchUp#EACH_WITHIN_WINDOW}, how far back missed firings
 *     are still fired
 */
public record ScheduleSpec(
    String scheduleId,
    String cron,
    String timeZone,
    JobSpec template,
    Overlap overlap,
    CatchUp catchUp,
    long catchUpWindowMillis) {

  /** What a firing does while the previous firing's job is still live (not terminal). */
  public enum Overlap {
    /** Skip the firing and count it. */
    SKIP,
    /** Remember at most one firing and run it when the live one ends. */
    QUEUE_ONE,
    /** Run every firing. */
    ALLOW
  }

  /** What to do with firings missed during downtime. */
  public enum CatchUp {
    /** Fire once for all missed firings (the most recent one), count the rest as skipped. */
    ONCE,
    /** Fire each missed firing that lies within the window, count the older ones as skipped. */
    EACH_WITHIN_WINDOW,
    /** Fire none of the missed firings, count them all as skipped. */
    SKIP
  }

  public static ScheduleSpec of(String scheduleId, String cron, String timeZone, JobSpec template) {
    return new ScheduleSpec(scheduleId, cron, timeZone, template, Overlap.ALLOW, CatchUp.ONCE, 0);
  }
}
