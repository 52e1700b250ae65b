package dev.hourglass.spring;

import dev.hourglass.client.worker.JobContext;
import dev.hourglass.client.worker.JobHandler;
import io.opentelemetry.api.OpenTelemetry;
import io.opentelemetry.api.trace.Span;
import io.opentelemetry.api.trace.SpanBuilder;
import io.opentelemetry.api.trace.SpanContext;
import io.opentelemetry.api.trace.SpanKind;
import io.opentelemetry.api.trace.StatusCode;
import io.opentelemetry.api.trace.Tracer;
import io.opentelemetry.api.trace.propagation.W3CTraceContextPropagator;
import io.opentelemetry.context.Context;
import io.opentelemetry.context.Scope;
import io.opentelemetry.context.propagation.TextMapGetter;
import java.util.List;

/**
 * Runs each attempt in an OpenTelemetry span ({@code process <task>}, kind CONSUMER), current on
 * the handler's thread, so that the handler's own calls (HTTP, JDBC) nest under it. A handler that
 * throws marks the span ERROR with the exception; a success leaves the status unset, as
 * OpenTelemetry asks of instrumentation.
 *
 * <p>The span starts a trace of its own and <em>links</em> to the span that submitted the job: the
 * client stored that span's W3C {@code traceparent} with the job, and the lease hands it to every
 * attempt, so each retry's span links to the same submitter. A link rather than a parent, because
 * one submit may lead to many attempts, hours apart, and a trace that stays open for the job's
 * whole life is not what tracing back ends show well. Thread-safe: the tracer is.
 */
final class TracingInterceptor implements HandlerInterceptor {
  private static final TextMapGetter<JobContext> TRACE_FIELDS =
      new TextMapGetter<>() {
        @Override
        public Iterable<String> keys(JobContext ctx) {
          return List.of("traceparent", "tracestate");
        }

        @Override
        public String get(JobContext ctx, String key) {
          if (ctx == null) {
            return null;
          }
          return switch (key) {
            case "traceparent" -> ctx.traceparent();
            case "tracestate" -> ctx.tracestate();
            default -> null;
          };
        }
      };

  private final Tracer tracer;

  TracingInterceptor(OpenTelemetry otel) {
    this.tracer = otel.getTracer("dev.hourglass.spring");
  }

  @Override
  public Object around(JobContext ctx, JobHandler next) throws Exception {
    SpanBuilder builder =
        tracer
            .spanBuilder("process " + ctx.task())
            .setSpanKind(SpanKind.CONSUMER)
            .setNoParent()
            .setAttribute("messaging.system", "hourglass")
            .setAttribute("messaging.operation.type", "process")
            .setAttribute("messaging.destination.name", ctx.queue())
            .setAttribute("messaging.message.id", ctx.jobId())
            .setAttribute("hourglass.job_id", ctx.jobId())
            .setAttribute("hourglass.task", ctx.task())
            .setAttribute("hourglass.attempt", ctx.attempt())
            .setAttribute("hourglass.generation", ctx.generation())
            .setAttribute("hourglass.worker.id", ctx.workerId());
    SpanContext submitter = submitter(ctx);
    if (submitter.isValid()) {
      builder.addLink(submitter);
    }
    Span span = builder.startSpan();
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

  /** The submitter's span context from the job's trace fields; invalid when it has none. */
  static SpanContext submitter(JobContext ctx) {
    if (ctx.traceparent() == null) {
      return SpanContext.getInvalid();
    }
    Context extracted =
        W3CTraceContextPropagator.getInstance().extract(Context.root(), ctx, TRACE_FIELDS);
    return Span.fromContext(extracted).getSpanContext();
  }
}
