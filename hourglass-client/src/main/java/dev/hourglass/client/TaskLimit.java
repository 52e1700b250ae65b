package dev.hourglass.client;

import com.fasterxml.jackson.databind.JsonNode;
import dev.hourglass.client.internal.Json;

/**
 * A task type's limits over all its queues and workers, as {@link HourglassClient#setTaskLimits}
 * and {@link HourglassClient#taskLimits} answer them.
 *
 * @param task the task type
 * @param maxRunning at most this many of its jobs run at once; 0 for no limit
 * @param running its jobs running now
 * @param ratePerSecond its rate limit in jobs per second, or null for none
 * @param burst the rate limit's burst, or null for none
 */
public record TaskLimit(
    String task, int maxRunning, int running, Double ratePerSecond, Integer burst) {
  static TaskLimit of(JsonNode n) {
    JsonNode rate = n.path("rate_per_second");
    JsonNode burst = n.path("burst");
    return new TaskLimit(
        Json.text(n, "task"),
        n.path("max_running").asInt(),
        n.path("running").asInt(),
        rate.isNumber() ? rate.asDouble() : null,
        burst.isNumber() ? burst.asInt() : null);
  }
}
