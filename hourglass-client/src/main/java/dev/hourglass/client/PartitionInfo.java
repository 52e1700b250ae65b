package dev.hourglass.client;

import com.fasterxml.jackson.databind.JsonNode;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * One partition of a node ({@code GET /api/v1/partitions}): an engine with its own log behind the
 * node's one API.
 *
 * @param partition its number, from 0
 * @param counts its jobs per state name (READY, RUNNING, ...)
 * @param logPosition the position of its last durable command in its log
 */
public record PartitionInfo(int partition, Map<String, Long> counts, long logPosition) {

  /** Every partition of a {@code /api/v1/partitions} answer, in order. */
  static List<PartitionInfo> listOf(JsonNode n) {
    List<PartitionInfo> out = new ArrayList<>();
    for (JsonNode p : n.path("partitions")) {
      Map<String, Long> counts = new LinkedHashMap<>();
      p.path("counts").properties().forEach(e -> counts.put(e.getKey(), e.getValue().asLong()));
      out.add(
          new PartitionInfo(
              p.path("partition").asInt(), Map.copyOf(counts), p.path("log_position").asLong()));
    }
    return List.copyOf(out);
  }
}
