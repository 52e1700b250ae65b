package dev.hourglass.spring;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import dev.hourglass.client.HourglassClient;
import dev.hourglass.client.JobRequest;
import dev.hourglass.client.JobState;
import dev.hourglass.client.worker.JobContext;
import io.opentelemetry.api.OpenTelemetry;
import io.opentelemetry.api.common.AttributeKey;
import io.opentelemetry.api.trace.Span;
import io.opentelemetry.api.trace.SpanKind;
import io.opentelemetry.api.trace.StatusCode;
import io.opentelemetry.context.Scope;
import io.opentelemetry.sdk.OpenTelemetrySdk;
import io.opentelemetry.sdk.testing.exporter.InMemorySpanExporter;
import io.opentelemetry.sdk.trace.SdkTracerProvider;
import io.opentelemetry.sdk.trace.data.SpanData;
import io.opentelemetry.sdk.trace.export.SimpleSpanProcessor;
import java.nio.file.Path;
import java.time.Duration;
import java.util.Comparator;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.stream.Stream;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.springframework.boot.autoconfigure.AutoConfigurations;
import org.springframework.boot.test.context.runner.ApplicationContextRunner;

/**
 * Each attempt runs in a span that is current on the handler's thread and links to the span that
 * submitted the job.
 */
class TracingTest {
  private static final Duration WAIT = Duration.ofSeconds(20);
  private static final AttributeKey<String> JOB_ID = AttributeKey.stringKey("hourglass.job_id");
  private static final AttributeKey<String> TASK = AttributeKey.stringKey("hourglass.task");
  private static final AttributeKey<Long> ATTEMPT = AttributeKey.longKey("hourglass.attempt");
  private static final AttributeKey<Long> GENERATION = AttributeKey.longKey("hourglass.generation");

  @TempDir Path dir;
  LoopbackServer server;
  final InMemorySpanExporter spans = InMemorySpanExporter.create();
  OpenTelemetrySdk otel;

  @BeforeEach
  void start() throws Exception {
    server = LoopbackServer.start(dir);
    otel =
        OpenTelemetrySdk.builder()
            .setTracerProvider(
                SdkTracerProvider.builder()
                    .addSpanProcessor(SimpleSpanProcessor.create(spans))
                    .build())
            .build();
  }

  @AfterEach
  void stop() {
    otel.close();
    server.close();
  }

  /** Records the trace id current inside each handler run, by job id. */
  static class Traced {
    final Map<String, String> traceIds = new ConcurrentHashMap<>();

    @HourglassHandler("traced")
    String run(JobContext ctx) {
      traceIds.put(ctx.jobId(), Span.current().getSpanContext().getTraceId());
      return "ok";
    }

    @HourglassHandler("broken")
    String broken() {
      throw new IllegalStateException("no disk");
    }
  }

  @Test
  void eachAttemptRunsInACurrentSpanAndAFailureMarksItError() {
    Traced traced = new Traced();
    new ApplicationContextRunner()
        .withConfiguration(AutoConfigurations.of(HourglassAutoConfiguration.class))
        .withPropertyValues(
            "hourglass.url=" + server.url(),
            "hourglass.worker.enabled=true",
            "hourglass.worker.poll-wait=500ms")
        .withBean(OpenTelemetry.class, () -> otel)
        .withBean(Traced.class, () -> traced)
        .run(
            context -> {
              HourglassClient client = context.getBean(HourglassClient.class);
              String ok = client.submit(JobRequest.builder("traced").queue("q1").build()).jobId();
              String bad =
                  client.submit(JobRequest.builder("broken").maxAttempts(1).build()).jobId();
              await()
                  .atMost(WAIT)
                  .until(
                      () ->
                          client.job(ok).state() == JobState.SUCCEEDED
                              && client.job(bad).state() == JobState.DEAD);
              await().atMost(WAIT).until(() -> spans.getFinishedSpanItems().size() == 2);
              SpanData okSpan = span("process traced");
              assertThat(okSpan.getKind()).isEqualTo(SpanKind.CONSUMER);
              assertThat(okSpan.getTraceId()).isEqualTo(traced.traceIds.get(ok));
              assertThat(okSpan.getAttributes().get(AttributeKey.stringKey("messaging.message.id")))
                  .isEqualTo(ok);
              assertThat(
                      okSpan
                          .getAttributes()
                          .get(AttributeKey.stringKey("messaging.destination.name")))
                  .isEqualTo("q1");
              assertThat(okSpan.getStatus().getStatusCode()).isEqualTo(StatusCode.UNSET);
              SpanData badSpan = span("process broken");
              assertThat(badSpan.getStatus().getStatusCode()).isEqualTo(StatusCode.ERROR);
              assertThat(badSpan.getEvents())
                  .anySatisfy(e -> assertThat(e.getName()).isEqualTo("exception"));
            });
  }

  /** Fails each job's first attempt, succeeds on the next. */
  static class Flaky {
    final Map<String, Boolean> failedOnce = new ConcurrentHashMap<>();

    @HourglassHandler("flaky")
    String run(JobContext ctx) {
      if (failedOnce.putIfAbsent(ctx.jobId(), true) == null) {
        throw new IllegalStateException("first attempt fails");
      }
      return "ok";
    }
  }

  /**
   * Goal: the span of every attempt links to the span that submitted the job, the submitter's
   * context travelling with the job through the server: over a retry (two attempts, one span each,
   * both linked) and to a DAG child submitted in the same batch, which runs only after its parent
   * and still links to the submitter.
   */
  @Test
  void everyAttemptsSpanLinksToTheSubmittersSpanOverARetryAndADagChild() {
    new ApplicationContextRunner()
        .withConfiguration(AutoConfigurations.of(HourglassAutoConfiguration.class))
        .withPropertyValues(
            "hourglass.url=" + server.url(),
            "hourglass.worker.enabled=true",
            "hourglass.worker.poll-wait=500ms")
        .withBean(OpenTelemetry.class, () -> otel)
        .withBean(Flaky.class, Flaky::new)
        .run(
            context -> {
              HourglassClient client = context.getBean(HourglassClient.class);
              Span submitter = otel.getTracer("test").spanBuilder("submit").startSpan();
              try (Scope ignored = submitter.makeCurrent()) {
                client.submit(
                    JobRequest.builder("flaky")
                        .jobId("retried")
                        .maxAttempts(3)
                        .backoff(Duration.ZERO)
                        .build());
                client.submitBatch(
                    List.of(
                        JobRequest.builder("flaky")
                            .jobId("dag-parent")
                            .backoff(Duration.ZERO)
                            .build(),
                        JobRequest.builder("flaky")
                            .jobId("dag-child")
                            .dependsOn("dag-parent")
                            .backoff(Duration.ZERO)
                            .build()));
              } finally {
                submitter.end();
              }
              await()
                  .atMost(WAIT)
                  .until(
                      () ->
                          Stream.of("retried", "dag-parent", "dag-child")
                              .allMatch(id -> client.job(id).state() == JobState.SUCCEEDED));
              await().atMost(WAIT).until(() -> attemptSpans().size() == 6);
              for (String id : List.of("retried", "dag-parent", "dag-child")) {
                List<SpanData> attempts =
                    attemptSpans().stream()
                        .filter(s -> id.equals(s.getAttributes().get(JOB_ID)))
                        .sorted(Comparator.comparing(s -> s.getAttributes().get(ATTEMPT)))
                        .toList();
                assertThat(attempts).as(id).hasSize(2);
                for (int i = 0; i < 2; i++) {
                  SpanData s = attempts.get(i);
                  assertThat(s.getLinks())
                      .as(id)
                      .singleElement()
                      .satisfies(
                          l ->
                              assertThat(l.getSpanContext().getSpanId())
                                  .isEqualTo(submitter.getSpanContext().getSpanId()));
                  assertThat(s.getLinks().get(0).getSpanContext().getTraceId())
                      .isEqualTo(submitter.getSpanContext().getTraceId());
                  assertThat(s.getParentSpanContext().isValid()).isFalse();
                  assertThat(s.getAttributes().get(ATTEMPT)).isEqualTo(i + 1L);
                  assertThat(s.getAttributes().get(GENERATION)).isEqualTo(i + 1L);
                  assertThat(s.getAttributes().get(TASK)).isEqualTo("flaky");
                  assertThat(s.getStatus().getStatusCode())
                      .isEqualTo(i == 0 ? StatusCode.ERROR : StatusCode.UNSET);
                }
              }
              assertThat(client.job("dag-child").traceparent())
                  .contains(submitter.getSpanContext().getTraceId());
            });
  }

  @Test
  void aJobWithoutTraceContextGetsASpanWithoutLinks() {
    new ApplicationContextRunner()
        .withConfiguration(AutoConfigurations.of(HourglassAutoConfiguration.class))
        .withPropertyValues(
            "hourglass.url=" + server.url(),
            "hourglass.worker.enabled=true",
            "hourglass.worker.poll-wait=500ms")
        .withBean(OpenTelemetry.class, () -> otel)
        .withBean(Traced.class, Traced::new)
        .run(
            context -> {
              HourglassClient client = context.getBean(HourglassClient.class);
              String id = client.submit(JobRequest.builder("traced").build()).jobId();
              await().atMost(WAIT).until(() -> client.job(id).state() == JobState.SUCCEEDED);
              await().atMost(WAIT).until(() -> spans.getFinishedSpanItems().size() == 1);
              assertThat(span("process traced").getLinks()).isEmpty();
              assertThat(client.job(id).traceparent()).isNull();
            });
  }

  private List<SpanData> attemptSpans() {
    return spans.getFinishedSpanItems().stream()
        .filter(s -> s.getName().equals("process flaky"))
        .toList();
  }

  private SpanData span(String name) {
    return spans.getFinishedSpanItems().stream()
        .filter(s -> s.getName().equals(name))
        .findFirst()
        .orElseThrow(
            () -> new AssertionError("no span " + name + " in " + spans.getFinishedSpanItems()));
  }
}
