package dev.hourglass.client;

import com.fasterxml.jackson.databind.JsonNode;
import dev.hourglass.client.internal.Json;
import java.util.LinkedHashMap;
import java.util.Map;

/**
 * A queue's scheduling policy, as {@code GET /api/v1/queues} shows it.
 *
 * @param queue its name
 * @param weight its share under the weighted lease strategy (default 1)
 * @param ratePerSecond its rate limit in jobs per second, or null for none
 * @param burst the rate limit's burst, or null for none
 * @param fairness {@code round_robin} when its fairness keys are served in turn, else {@code none}
 * @param keyWeights jobs per turn of the keys named (1 for the others)
 * @param activeKeys fairness keys with READY jobs now
 */
public record QueuePolicy(
    String queue,
    int weight,
    Double ratePerSecond,
    Integer burst,
    String fairness,
    Map<String, Integer> keyWeights,
    long activeKeys) {
  static QueuePolicy of(JsonNode n) {
    var weights = new LinkedHashMap<String, Integer>();
    n.path("key_weights").properties().forEach(e -> weights.put(e.getKey(), e.getValue().asInt()));
    JsonNode rate = n.path("rate_per_second");
    JsonNode burst = n.path("burst");
    return new QueuePolicy(
        Json.text(n, "queue"),
        n.path("weight").asInt(1),
        rate.isNumber() ? rate.asDouble() : null,
        burst.isNumber() ? burst.asInt() : null,
        n.path("fairness").asText("none"),
        java.util.Collections.unmodifiableMap(weights),
        n.path("active_keys").asLong());
  }

  /**
   * Whether this is a new queue's policy: weight 1, no rate limit, not fair.
   *
   * @return true for the defaults
   */
  public boolean isDefault() {
    return weight == 1 && ratePerSecond == null && !"round_robin".equals(fairness);
  }
}
