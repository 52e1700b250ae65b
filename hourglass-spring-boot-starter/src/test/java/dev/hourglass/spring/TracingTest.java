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
import io.opentelemetry.sdk.OpenTelemetrySdk;
import io.opentelemetry.sdk.testing.exporter.InMemorySpanExporter;
import io.opentelemetry.sdk.trace.SdkTracerProvider;
import io.opentelemetry.sdk.trace.data.SpanData;
import io.opentelemetry.sdk.trace.export.SimpleSpanProcessor;
import java.nio.file.Path;
import java.time.Duration;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.springframework.boot.autoconfigure.AutoConfigurations;
import org.springframework.boot.test.context.runner.ApplicationContextRunner;

/** Each attempt runs in a span that is current on the handler's thread. */
class TracingTest {
  private static final Duration WAIT = Duration.ofSeconds(20);

  @TempDir Path dir;
  LoopbackServer server;
  final InMemorySpanExporter spans = InMemorySpanExporter.create();
  OpenTelemetrySdk otel;

  @BeforeEach
  void start() throws Exception {
    server = LoopbackServer.start(dir);
    otel = OpenTelemetrySdk.builder().setTracerProvider(SdkTracerProvider.builder()
        .addSpanProcessor(SimpleSpanProcessor.create(spans)).build()).build();
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
        .withPropertyValues("hourglass.url=" + server.url(), "hourglass.worker.enabled=true",
            "hourglass.worker.poll-wait=500ms")
        .withBean(OpenTelemetry.class, () -> otel)
        .withBean(Traced.class, () -> traced)
        .run(context -> {
          HourglassClient client = context.getBean(HourglassClient.class);
          String ok = client.submit(JobRequest.builder("traced").queue("q1").build()).jobId();
          String bad = client.submit(JobRequest.builder("broken").maxAttempts(1).build())
              .jobId();
          await().atMost(WAIT).until(() -> client.job(ok).state() == JobState.SUCCEEDED
              && client.job(bad).state() == JobState.DEAD);
          await().atMost(WAIT).until(() -> spans.getFinishedSpanItems().size() == 2);
          SpanData okSpan = span("process traced");
          assertThat(okSpan.getKind()).isEqualTo(SpanKind.CONSUMER);
          assertThat(okSpan.getTraceId()).isEqualTo(traced.traceIds.get(ok));
          assertThat(okSpan.getAttributes().get(AttributeKey.stringKey("messaging.message.id")))
              .isEqualTo(ok);
          assertThat(okSpan.getAttributes()
              .get(AttributeKey.stringKey("messaging.destination.name"))).isEqualTo("q1");
          assertThat(okSpan.getStatus().getStatusCode()).isEqualTo(StatusCode.UNSET);
          SpanData badSpan = span("process broken");
          assertThat(badSpan.getStatus().getStatusCode()).isEqualTo(StatusCode.ERROR);
          assertThat(badSpan.getEvents()).anySatisfy(e -> assertThat(e.getName())
              .isEqualTo("exception"));
        });
  }

  private SpanData span(String name) {
    return spans.getFinishedSpanItems().stream().filter(s -> s.getName().equals(name))
        .findFirst().orElseThrow(() -> new AssertionError("no span " + name + " in "
            + spans.getFinishedSpanItems()));
  }
}
