package dev.hourglass.spring;

import dev.hourglass.client.HourglassException;
import dev.hourglass.client.JobState;
import dev.hourglass.client.worker.Cancellation;
import dev.hourglass.client.worker.JobContext;
import dev.hourglass.client.worker.JobHandler;
import dev.hourglass.client.worker.WorkerListener;
import io.micrometer.core.instrument.Counter;
import io.micrometer.core.instrument.Gauge;
import io.micrometer.core.instrument.MeterRegistry;
import io.micrometer.core.instrument.Timer;
import java.time.Duration;
import java.util.Locale;
import java.util.concurrent.atomic.AtomicInteger;

/**
 * The worker's Micrometer meters, in the application's registry. It hears the SDK's {@link
 * WorkerListener} hooks for what the server accepted, and wraps each handler run ({@link
 * HandlerInterceptor}) to time it and count those in flight. The {@code task} tag is bounded: a
 * worker only leases the task types it has handlers for.
 *
 * <ul>
 *   <li>{@code hourglass.worker.handler.duration} (timer; {@code task}, {@code outcome} = success |
 *       error): each handler run; its count is the jobs run.
 *   <li>{@code hourglass.worker.jobs.completed} ({@code task}): completions the server accepted.
 *   <li>{@code hourglass.worker.jobs.failed} ({@code task}, {@code state} = failed | dead): failure
 *       reports the server accepted; dead means no attempt is left.
 *   <li>{@code hourglass.worker.jobs.in.flight} (gauge): handlers running now.
 *   <li>{@code hourglass.worker.leases.lost} ({@code task}): leases the server said were gone.
 *   <li>{@code hourglass.worker.jobs.cancelled} ({@code task}, {@code cause}), {@code
 *       hourglass.worker.jobs.released} ({@code task}), {@code
 *       hourglass.worker.server.unreachable}.
 * </ul>
 *
 * <p>Thread-safe: meters are; the in-flight count is atomic.
 */
final class WorkerMetrics implements WorkerListener, HandlerInterceptor {
  private final MeterRegistry registry;
  private final AtomicInteger inFlight = new AtomicInteger();

  WorkerMetrics(MeterRegistry registry) {
    this.registry = registry;
    Gauge.builder("hourglass.worker.jobs.in.flight", inFlight, AtomicInteger::get)
        .description("Handlers running now")
        .register(registry);
  }

  @Override
  public Object around(JobContext ctx, JobHandler next) throws Exception {
    inFlight.incrementAndGet();
    long start = System.nanoTime();
    String outcome = "error";
    try {
      Object result = next.handle(ctx);
      outcome = "success";
      return result;
    } finally {
      inFlight.decrementAndGet();
      Timer.builder("hourglass.worker.handler.duration")
          .description("Handler runs")
          .tag("task", ctx.task())
          .tag("outcome", outcome)
          .register(registry)
          .record(Duration.ofNanos(System.nanoTime() - start));
    }
  }

  @Override
  public void onCompleted(JobContext ctx, Object result) {
    count("hourglass.worker.jobs.completed", "task", ctx.task());
  }

  @Override
  public void onFailed(JobContext ctx, Throwable error, JobState state) {
    count(
        "hourglass.worker.jobs.failed",
        "task",
        ctx.task(),
        "state",
        state.name().toLowerCase(Locale.ROOT));
  }

  @Override
  public void onLeaseLost(JobContext ctx, HourglassException refusal) {
    count("hourglass.worker.leases.lost", "task", ctx.task());
  }

  @Override
  public void onCancelled(JobContext ctx, Cancellation cancellation) {
    count(
        "hourglass.worker.jobs.cancelled",
        "task",
        ctx.task(),
        "cause",
        cancellation.cause().name().toLowerCase(Locale.ROOT));
  }

  @Override
  public void onReleased(JobContext ctx) {
    count("hourglass.worker.jobs.released", "task", ctx.task());
  }

  @Override
  public void onServerUnreachable(HourglassException error, Duration backoff) {
    count("hourglass.worker.server.unreachable");
  }

  private void count(String name, String... tags) {
    Counter.builder(name).tags(tags).register(registry).increment();
  }
}
