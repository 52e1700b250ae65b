package dev.hourglass.spring;

import dev.hourglass.client.worker.JobContext;
import dev.hourglass.client.worker.JobHandler;
import io.opentelemetry.api.OpenTelemetry;
import io.opentelemetry.api.trace.Span;
import io.opentelemetry.api.trace.SpanKind;
import io.opentelemetry.api.trace.StatusCode;
import io.opentelemetry.api.trace.Tracer;
import io.opentelemetry.context.Scope;

/**
 * Runs each attempt in an OpenTelemetry span ({@code process <task>}, kind CONSUMER), current on
 * the handler's thread, so that the handler's own calls (HTTP, JDBC) nest under it. A handler
 * that throws marks the span ERROR with the exception.
 *
 * <p>The span is a new trace: it is not linked to the span that submitted the job, because a
 * job has no field in which the server would keep the submitter's {@code traceparent}.
 * Thread-safe: the tracer is.
 */
final class TracingInterceptor implements HandlerInterceptor {
  private final Tracer tracer;

  TracingInterceptor(OpenTelemetry otel) {
    this.tracer = otel.getTracer("dev.hourglass.spring");
  }

  @Override
  public Object around(JobContext ctx, JobHandler next) throws Exception {
    Span span = tracer.spanBuilder("process " + ctx.task()).setSpanKind(SpanKind.CONSUMER)
        .setAttribute("messaging.system", "hourglass")
        .setAttribute("messaging.operation.type", "process")
        .setAttribute("messaging.destination.name", ctx.queue())
        .setAttribute("messaging.message.id", ctx.jobId())
        .setAttribute("hourglass.task", ctx.task())
        .setAttribute("hourglass.generation", ctx.generation())
        .setAttribute("hourglass.worker.id", ctx.workerId())
        .startSpan();
    try (Scope ignored = span.makeCurrent()) {
      return next.handle(ctx);
    } catch (Exception | Error e) {
      span.recordException(e);
      span.setStatus(StatusCode.ERROR, e.getClass().getSimpleName());
      throw e;
    } finally {
      span.end();
    }
  }
}
