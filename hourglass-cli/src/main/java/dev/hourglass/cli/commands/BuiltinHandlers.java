package dev.hourglass.cli.commands;

import dev.hourglass.client.worker.HandlerProvider;
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
    m.put("sleep", ctx -> {
      long ms = ctx.payloadJson().path("ms").asLong(500);
      Thread.sleep(ms);
      return Map.of("slept_ms", ms, "worker", ctx.workerId());
    });
    m.put("echo", ctx -> ctx.payloadJson().isMissingNode() ? Map.of("worker", ctx.workerId())
        : ctx.payloadJson());
    m.put("fail-n-times", ctx -> {
      int n = ctx.payloadJson().path("n").asInt(2);
      Thread.sleep(ctx.payloadJson().path("ms").asLong(100));
      int attempt = ctx.attempt();
      if (attempt <= n) {
        throw new IllegalStateException("planned failure " + attempt + " of " + n);
      }
      return Map.of("succeeded_on_attempt", attempt, "worker", ctx.workerId());
    });
    return m;
  }
}
