package dev.hourglass.client;

import com.fasterxml.jackson.databind.JsonNode;
import dev.hourglass.client.internal.Json;
import java.time.Instant;
import java.util.Arrays;
import java.util.Locale;

/**
 * A recurring schedule: each firing creates the job {@code <scheduleId>@<fire time>}.
 *
 * @param scheduleId its id
 * @param cron the cron expression
 * @param timeZone the IANA time zone the expression is read in
 * @param task the task type of the jobs it creates
 * @param queue their queue
 * @param payload their payload's JSON text, or null
 * @param overlap what a firing does while the previous job is still live
 * @param catchUp what it does with firings it missed
 * @param paused whether firings are skipped
 * @param nextFireAt the next firing, or null
 * @param lastFireAt the last firing, or null
 * @param fired firings so far
 * @param skipped firings skipped (paused or overlap)
 * @param liveJobs jobs it created that are not terminal
 */
public record Schedule(
    String scheduleId,
    String cron,
    String timeZone,
    String task,
    String queue,
    String payload,
    Overlap overlap,
    CatchUp catchUp,
    boolean paused,
    Instant nextFireAt,
    Instant lastFireAt,
    long fired,
    long skipped,
    int liveJobs) {

  /** What a firing does while the previous firing's job is still live (not finished). */
  public enum Overlap {
    /** Run every firing (the default). */
    ALLOW,
    /** Skip the firing and count it. */
    SKIP,
    /** Remember at most one firing and run it when the live one ends. */
    QUEUE_ONE;

    /**
     * Parses a policy as the API and the CLI spell it, in any case.
     *
     * @param name {@code allow}, {@code skip} or {@code queue_one}
     * @return the policy
     * @throws IllegalArgumentException if the name is none of them (or null)
     */
    public static Overlap parse(String name) {
      return Schedule.parse(Overlap.class, name, "overlap");
    }
  }

  /** What a schedule does with firings it missed (the server was down, or it was paused). */
  public enum CatchUp {
    /** Fire once for all missed firings, count the rest as skipped (the default). */
    ONCE,
    /** Fire each missed firing within the catch-up window, count older ones as skipped. */
    EACH_WITHIN_WINDOW,
    /** Fire none of the missed firings, count them all as skipped. */
    SKIP;

    /**
     * Parses a policy as the API and the CLI spell it, in any case.
     *
     * @param name {@code once}, {@code each_within_window} or {@code skip}
     * @return the policy
     * @throws IllegalArgumentException if the name is none of them (or null)
     */
    public static CatchUp parse(String name) {
      return Schedule.parse(CatchUp.class, name, "catch_up");
    }
  }

  static Schedule of(JsonNode n) {
    return new Schedule(
        Json.text(n, "schedule_id"),
        Json.text(n, "cron"),
        Json.text(n, "time_zone"),
        Json.text(n, "task"),
        Json.text(n, "queue"),
        Json.raw(n, "payload"),
        Overlap.parse(Json.text(n, "overlap")),
        CatchUp.parse(Json.text(n, "catch_up")),
        n.path("paused").asBoolean(),
        Json.instant(n, "next_fire_at"),
        Json.instant(n, "last_fire_at"),
        n.path("fired").asLong(),
        n.path("skipped").asLong(),
        n.path("live_jobs").asInt());
  }

  /** The policy's name as the API spells it in requests: lower case. */
  static String wireName(Enum<?> policy) {
    return policy.name().toLowerCase(Locale.ROOT);
  }

  private static <E extends Enum<E>> E parse(Class<E> type, String name, String field) {
    for (E e : type.getEnumConstants()) {
      if (e.name().equalsIgnoreCase(name)) {
        return e;
      }
    }
    throw new IllegalArgumentException(
        field
            + "=\""
            + name
            + "\" is not one of "
            + Arrays.stream(type.getEnumConstants()).map(Schedule::wireName).toList());
  }
}
