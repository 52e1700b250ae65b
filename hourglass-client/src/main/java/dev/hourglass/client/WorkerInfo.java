package dev.hourglass.client;

import com.fasterxml.jackson.databind.JsonNode;
import dev.hourglass.client.internal.Json;
import java.time.Duration;
import java.time.Instant;
import java.util.List;

/**
 * A worker as the server sees it.
 *
 * @param workerId its id
 * @param capacity jobs it may hold at once
 * @param queues the queues it serves (empty: all)
 * @param inFlight jobs it holds now
 * @param lastSeenAt its last call
 * @param heartbeatTimeout silent this long, it is declared dead and its jobs are retried
 * @param alive whether it is alive
 * @param tasks the task types it can run (empty: any)
 */
public record WorkerInfo(
    String workerId,
    int capacity,
    List<String> queues,
    int inFlight,
    Instant lastSeenAt,
    Duration heartbeatTimeout,
    boolean alive,
    List<String> tasks) {
  /**
   * A worker that can run any task type.
   *
   * @param workerId its id
   * @param capacity jobs it may hold at once
   * @param queues the queues it serves (empty: all)
   * @param inFlight jobs it holds now
   * @param lastSeenAt its last call
   * @param heartbeatTimeout silent this long, it is declared dead and its jobs are retried
   * @param alive whether it is alive
   */
  public WorkerInfo(
      String workerId,
      int capacity,
      List<String> queues,
      int inFlight,
      Instant lastSeenAt,
      Duration heartbeatTimeout,
      boolean alive) {
    this(workerId, capacity, queues, inFlight, lastSeenAt, heartbeatTimeout, alive, List.of());
  }

  static WorkerInfo of(JsonNode n) {
    return new WorkerInfo(
        Json.text(n, "worker_id"),
        n.path("capacity").asInt(),
        Json.strings(n, "queues"),
        n.path("in_flight").asInt(),
        Json.instant(n, "last_seen_at"),
        Duration.ofMillis(n.path("heartbeat_timeout_ms").asLong()),
        n.path("alive").asBoolean(),
        Json.strings(n, "tasks"));
  }
}
