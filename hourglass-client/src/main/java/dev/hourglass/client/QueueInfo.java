package dev.hourglass.client;

import com.fasterxml.jackson.databind.JsonNode;
import dev.hourglass.client.internal.Json;
import java.util.LinkedHashMap;
import java.util.Map;

/**
 * A queue's settings and counts.
 *
 * @param queue its name
 * @param paused whether leasing from it is paused
 * @param maxRunning at most this many of its jobs run at once (0: no limit)
 * @param running its jobs running now
 * @param counts its jobs by state name
 * @param readyByPriority its READY jobs by priority (as text)
 * @param unrunnable its READY jobs that no live worker can run, by task type (empty: none)
 */
public record QueueInfo(
    String queue,
    boolean paused,
    int maxRunning,
    int running,
    Map<String, Long> counts,
    Map<String, Long> readyByPriority,
    Map<String, Long> unrunnable) {
  static QueueInfo of(JsonNode n) {
    return new QueueInfo(
        Json.text(n, "queue"),
        n.path("paused").asBoolean(),
        n.path("max_running").asInt(),
        n.path("running").asInt(),
        longs(n.path("counts")),
        longs(n.path("ready_by_priority")),
        longs(n.path("unrunnable")));
  }

  private static Map<String, Long> longs(JsonNode n) {
    var m = new LinkedHashMap<String, Long>();
    n.properties().forEach(e -> m.put(e.getKey(), e.getValue().asLong()));
    return java.util.Collections.unmodifiableMap(m);
  }
}
