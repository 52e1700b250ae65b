package dev.hourglass.cli.commands;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.MissingNode;
import dev.hourglass.client.worker.HandlerProvider;
import dev.hourglass.client.worker.JobContext;
import dev.hourglass.client.worker.JobHandler;
import java.util.LinkedHashMap;
import java.util.Map;

/**
 * The demo handlers every {@code hourglass worker} has:
 *
 * <ul>
 *   <li>{@code sleep}: payload {@code {"ms": 500}}; sleeps, answers {@code {"slept_ms": 500}}.
 *   <li>{@code echo}: answers its payload.
 *   <li>{@code fail-n-times}: payload {@code {"n": 2, "ms": 100}}; attempts 1..n fail, the next
 *       succeeds (after sleeping ms each time).
 * </ul>
 */
public final class BuiltinHandlers implements HandlerProvider {
  @Override
  public Map<String, JobHandler> handlers() {
    var m = new LinkedHashMap<String, JobHandler>();
    m.put(
        "sleep",
        ctx -> {
          long ms = payload(ctx).path("ms").asLong(500);
          Thread.sleep(ms);
          return Map.of("slept_ms", ms, "worker", ctx.workerId());
        });
    m.put(
        "echo",
        ctx -> payload(ctx).isMissingNode() ? Map.of("worker", ctx.workerId()) : payload(ctx));
    m.put(
        "fail-n-times",
        ctx -> {
          int n = payload(ctx).path("n").asInt(2);
          Thread.sleep(payload(ctx).path("ms").asLong(100));
          int attempt = ctx.attempt();
          if (attempt <= n) {
            throw new IllegalStateException("planned failure " + attempt + " of " + n);
          }
          return Map.of("succeeded_on_attempt", attempt, "worker", ctx.workerId());
        });
    return m;
  }

  /** The payload as a tree; a missing node (whose fields read as the defaults) when none. */
  private static JsonNode payload(JobContext ctx) {
    JsonNode p = ctx.payloadAs(JsonNode.class);
    return p == null ? MissingNode.getInstance() : p;
  }
}
