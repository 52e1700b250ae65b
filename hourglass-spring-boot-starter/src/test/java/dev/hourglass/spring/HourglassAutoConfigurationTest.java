package dev.hourglass.spring;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import dev.hourglass.client.HourglassClient;
import dev.hourglass.client.Job;
import dev.hourglass.client.JobRequest;
import dev.hourglass.client.JobState;
import dev.hourglass.client.worker.JobContext;
import dev.hourglass.client.worker.NonRetryableException;
import io.micrometer.core.instrument.MeterRegistry;
import io.micrometer.core.instrument.simple.SimpleMeterRegistry;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.CountDownLatch;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.springframework.boot.autoconfigure.AutoConfigurations;
import org.springframework.boot.health.contributor.Health;
import org.springframework.boot.health.contributor.Status;
import org.springframework.boot.jackson.autoconfigure.JacksonAutoConfiguration;
import org.springframework.boot.test.context.runner.ApplicationContextRunner;

/** The starter in a real Spring context, against a real server on loopback. */
class HourglassAutoConfigurationTest {
  private static final Duration WAIT = Duration.ofSeconds(20);

  @TempDir Path dir;
  LoopbackServer server;

  @BeforeEach
  void start() throws Exception {
    server = LoopbackServer.start(dir);
  }

  @AfterEach
  void stop() {
    server.close();
  }

  /** Payload and result: a record with a two-word field, written by the SDK as snake_case. */
  record Email(String toAddress, String subject) {}

  record Receipt(String messageId, int generation) {}

  static class Mailer {
    @HourglassHandler("send-email")
    Receipt send(JobContext ctx, Email email) {
      return new Receipt("to-" + email.toAddress() + "-" + email.subject(), ctx.generation());
    }

    @HourglassHandler("always-fails")
    public void fail(List<Integer> numbers) {
      throw new NonRetryableException("cannot sum " + numbers);
    }
  }

  static class SecondMailer {
    @HourglassHandler("send-email")
    void sendAgain(Email email) {}
  }

  static class TwoPayloads {
    @HourglassHandler("bad")
    void handle(Email a, Email b) {}
  }

  static class Slow {
    final CountDownLatch started = new CountDownLatch(1);

    @HourglassHandler("slow")
    String run() throws InterruptedException {
      started.countDown();
      Thread.sleep(300);
      return "finished";
    }
  }

  private ApplicationContextRunner runner() {
    return new ApplicationContextRunner()
        .withConfiguration(
            AutoConfigurations.of(JacksonAutoConfiguration.class, HourglassAutoConfiguration.class))
        .withPropertyValues(
            "hourglass.url=" + server.url(),
            "hourglass.worker.enabled=true",
            "hourglass.worker.id=spring-w1",
            "hourglass.worker.poll-wait=500ms",
            "hourglass.worker.capacity=2");
  }

  @Test
  void handlerBeanRunsASubmittedJobAndItsResultIsStored() {
    runner()
        .withBean(Mailer.class)
        .run(
            context -> {
              assertThat(context).hasNotFailed();
              HourglassClient client = context.getBean(HourglassClient.class);
              String id =
                  client
                      .submit(
                          JobRequest.builder("send-email")
                              .payload(new Email("a@example.com", "hi"))
                              .build())
                      .jobId();
              await().atMost(WAIT).until(() -> client.job(id).state() == JobState.SUCCEEDED);
              Job job = client.job(id);
              assertThat(job.result())
                  .contains("\"message_id\":\"to-a@example.com-hi\"")
                  .contains("\"generation\":1");
              assertThat(job.attempts())
                  .singleElement()
                  .satisfies(a -> assertThat(a.workerId()).isEqualTo("spring-w1"));
            });
  }

  @Test
  void workerMetricsCountRunsCompletionsAndFailuresByTask() {
    runner()
        .withBean(Mailer.class)
        .withBean(MeterRegistry.class, SimpleMeterRegistry::new)
        .run(
            context -> {
              HourglassClient client = context.getBean(HourglassClient.class);
              MeterRegistry meters = context.getBean(MeterRegistry.class);
              for (int i = 0; i < 3; i++) {
                client.submit(
                    JobRequest.builder("send-email").payload(new Email("b" + i, "s")).build());
              }
              String failing =
                  client
                      .submit(JobRequest.builder("always-fails").payload(List.of(1, 2)).build())
                      .jobId();
              await()
                  .atMost(WAIT)
                  .until(
                      () ->
                          meters
                                      .find("hourglass.worker.jobs.completed")
                                      .tag("task", "send-email")
                                      .counters()
                                      .stream()
                                      .mapToDouble(c -> c.count())
                                      .sum()
                                  == 3
                              && meters
                                      .find("hourglass.worker.jobs.failed")
                                      .tag("task", "always-fails")
                                      .tag("state", "dead")
                                      .counters()
                                      .size()
                                  == 1);
              assertThat(client.job(failing).state()).isEqualTo(JobState.DEAD);
              assertThat(client.job(failing).attempts())
                  .singleElement()
                  .satisfies(a -> assertThat(a.error()).contains("cannot sum [1, 2]"));
              assertThat(
                      meters
                          .get("hourglass.worker.handler.duration")
                          .tag("task", "send-email")
                          .tag("outcome", "success")
                          .timer()
                          .count())
                  .isEqualTo(3);
              assertThat(
                      meters
                          .get("hourglass.worker.handler.duration")
                          .tag("task", "always-fails")
                          .tag("outcome", "error")
                          .timer()
                          .count())
                  .isEqualTo(1);
              assertThat(
                      meters
                          .get("hourglass.worker.jobs.failed")
                          .tag("task", "always-fails")
                          .counter()
                          .count())
                  .isEqualTo(1);
              assertThat(meters.get("hourglass.worker.jobs.in.flight").gauge().value()).isZero();
              assertThat(meters.find("hourglass.worker.leases.lost").counters()).isEmpty();
            });
  }

  @Test
  void twoHandlersForOneTaskFailTheStartUpNamingBothMethods() {
    runner()
        .withBean(Mailer.class)
        .withBean(SecondMailer.class)
        .run(
            context -> {
              assertThat(context).hasFailed();
              assertThat(context.getStartupFailure())
                  .rootCause()
                  .hasMessageContaining("two @HourglassHandler methods for task \"send-email\"")
                  .hasMessageContaining(Mailer.class.getName() + ".send(JobContext, Email)")
                  .hasMessageContaining(SecondMailer.class.getName() + ".sendAgain(Email)");
            });
  }

  @Test
  void anUnsupportedSignatureFailsTheStartUpNamingTheMethod() {
    runner()
        .withBean(TwoPayloads.class)
        .run(
            context -> {
              assertThat(context).hasFailed();
              assertThat(context.getStartupFailure())
                  .rootCause()
                  .hasMessageContaining(TwoPayloads.class.getName() + ".handle(Email, Email)")
                  .hasMessageContaining("unsupported signature");
            });
  }

  @Test
  void anUnknownHourglassKeyFailsTheStartUp() {
    runner()
        .withBean(Mailer.class)
        .withPropertyValues("hourglass.worker.capacty=3")
        .run(
            context -> {
              assertThat(context).hasFailed();
              assertThat(context.getStartupFailure())
                  .hasStackTraceContaining("hourglass.worker.capacty");
            });
  }

  @Test
  void healthIsDownWhileTheServerIsStoppedAndUpWhenItReturns() throws Exception {
    runner()
        .withBean(Mailer.class)
        .run(
            context -> {
              HourglassHealthIndicator health = context.getBean(HourglassHealthIndicator.class);
              await().atMost(WAIT).until(() -> health.health(true).getStatus().equals(Status.UP));
              Health up = health.health(true);
              assertThat(up.getDetails())
                  .containsEntry("worker", "spring-w1")
                  .containsEntry("registered", true)
                  .containsEntry("url", server.url());
              server.stop();
              assertThat(health.health(true).getStatus()).isEqualTo(Status.DOWN);
              server.restart();
              await().atMost(WAIT).until(() -> health.health(true).getStatus().equals(Status.UP));
            });
  }

  @Test
  void closingTheContextLetsARunningHandlerFinishAndDeregistersTheWorker() {
    Slow slow = new Slow();
    String[] id = new String[1];
    HourglassClient observer = HourglassClient.builder(server.url()).build();
    runner()
        .withBean(Slow.class, () -> slow)
        .run(
            context -> {
              id[0] =
                  context
                      .getBean(HourglassClient.class)
                      .submit(JobRequest.builder("slow").build())
                      .jobId();
              assertThat(
                      slow.started.await(WAIT.toSeconds(), java.util.concurrent.TimeUnit.SECONDS))
                  .isTrue();
            }); // closes the context while the handler sleeps
    assertThat(observer.job(id[0]).state()).isEqualTo(JobState.SUCCEEDED);
    assertThat(observer.workers())
        .noneSatisfy(w -> assertThat(w.workerId()).isEqualTo("spring-w1"));
    observer.close();
  }
}
