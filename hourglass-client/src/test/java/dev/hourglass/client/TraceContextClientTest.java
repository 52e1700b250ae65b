package dev.hourglass.client;

import static org.assertj.core.api.Assertions.assertThat;

import io.opentelemetry.api.trace.Span;
import io.opentelemetry.api.trace.SpanContext;
import io.opentelemetry.api.trace.Tracer;
import io.opentelemetry.context.Scope;
import io.opentelemetry.sdk.testing.exporter.InMemorySpanExporter;
import io.opentelemetry.sdk.trace.SdkTracerProvider;
import io.opentelemetry.sdk.trace.export.SimpleSpanProcessor;
import java.io.File;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.time.Duration;
import java.util.Arrays;
import java.util.List;
import java.util.concurrent.TimeUnit;
import java.util.stream.Collectors;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * A submit stores the current OpenTelemetry span's trace context with the job (one job, each job of
 * a batch, a schedule); an explicit one wins; with no current span, or no OpenTelemetry on the
 * class path at all, the job has none. Every assignment of the job answers it.
 */
class TraceContextClientTest {
  static final String GIVEN = "00-0af7651916cd43dd8448eb211c80319c-b7ad6b7169203331-01";
  @TempDir Path dir;
  TestServer t;
  SdkTracerProvider tracing;
  Tracer tracer;

  @BeforeEach
  void start() throws Exception {
    t = TestServer.start(dir);
    // Without a span processor the SDK hands out no-op spans, which carry no context.
    tracing =
        SdkTracerProvider.builder()
            .addSpanProcessor(SimpleSpanProcessor.create(InMemorySpanExporter.create()))
            .build();
    tracer = tracing.get("test");
  }

  @AfterEach
  void stop() {
    tracing.close();
    t.close();
  }

  static String traceparent(SpanContext c) {
    return "00-" + c.getTraceId() + "-" + c.getSpanId() + "-" + c.getTraceFlags().asHex();
  }

  @Test
  void aSubmitStoresTheCurrentSpansContextWithEachJob() {
    Span span = tracer.spanBuilder("submitter").startSpan();
    String one;
    List<Submitted> batch;
    Schedule schedule;
    String explicit;
    try (Scope ignored = span.makeCurrent()) {
      one = t.client.submit(JobRequest.builder("t").queue("traced").build()).jobId();
      batch =
          t.client.submitBatch(
              List.of(
                  JobRequest.builder("t").jobId("p").build(),
                  JobRequest.builder("t").jobId("c").dependsOn("p").build()));
      schedule =
          t.client.createSchedule(
              JobRequest.builder("t").cron("0 0 1 1 *").scheduleId("yearly").build());
      explicit =
          t.client
              .submit(JobRequest.builder("t").traceparent(GIVEN).tracestate("a=1").build())
              .jobId();
    } finally {
      span.end();
    }
    String expected = traceparent(span.getSpanContext());
    assertThat(t.client.job(one).traceparent()).isEqualTo(expected);
    assertThat(t.client.job(one).tracestate()).isNull();
    assertThat(batch)
        .allSatisfy(s -> assertThat(t.client.job(s.jobId()).traceparent()).isEqualTo(expected));
    assertThat(schedule.scheduleId()).isEqualTo("yearly");
    assertThat(t.client.job(explicit).traceparent()).isEqualTo(GIVEN);
    assertThat(t.client.job(explicit).tracestate()).isEqualTo("a=1");

    List<Assignment> leased =
        t.client.lease("w1", 1, Duration.ofSeconds(5), List.of("traced"), Duration.ofSeconds(30));
    assertThat(leased)
        .singleElement()
        .satisfies(
            a -> {
              assertThat(a.traceparent()).isEqualTo(expected);
              assertThat(a.attempt()).isEqualTo(1);
            });
  }

  @Test
  void withoutACurrentSpanAJobHasNoContext() {
    String id = t.client.submit(JobRequest.builder("t").build()).jobId();
    assertThat(t.client.job(id).traceparent()).isNull();
  }

  /**
   * The SDK runs without opentelemetry-api: a child JVM whose class path lacks every OpenTelemetry
   * jar submits a job, and the job has no trace context.
   */
  @Test
  void withoutOpenTelemetryOnTheClassPathASubmitStillWorks() throws Exception {
    String classPath =
        Arrays.stream(System.getProperty("java.class.path").split(File.pathSeparator))
            .filter(e -> !e.contains("opentelemetry"))
            .collect(Collectors.joining(File.pathSeparator));
    Process p =
        new ProcessBuilder(
                Path.of(System.getProperty("java.home"), "bin", "java").toString(),
                "-cp",
                classPath,
                SubmitMain.class.getName(),
                t.url())
            .redirectErrorStream(true)
            .start();
    assertThat(p.waitFor(60, TimeUnit.SECONDS)).as("child exited").isTrue();
    String out = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8).trim();
    assertThat(p.exitValue()).as(out).isZero();
    String id = out.lines().reduce((a, b) -> b).orElseThrow();
    assertThat(t.client.job(id).task()).isEqualTo("no-otel");
    assertThat(t.client.job(id).traceparent()).isNull();
  }

  /** Submits one job and prints its id; fails if OpenTelemetry is on its class path. */
  public static final class SubmitMain {
    public static void main(String[] args) {
      try {
        Class.forName("io.opentelemetry.context.Context");
        throw new IllegalStateException("OpenTelemetry is on the class path");
      } catch (ClassNotFoundException expected) {
        // the point of this process
      }
      try (HourglassClient c = HourglassClient.builder(args[0]).build()) {
        System.out.println(c.submit(JobRequest.builder("no-otel").build()).jobId());
      }
    }
  }
}
