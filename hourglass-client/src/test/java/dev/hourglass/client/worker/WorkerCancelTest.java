package dev.hourglass.client.worker;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import dev.hourglass.client.HourglassClient;
import dev.hourglass.client.HourglassException;
import dev.hourglass.client.Job;
import dev.hourglass.client.JobRequest;
import dev.hourglass.client.JobState;
import dev.hourglass.client.TestServer;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicReference;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * A running handler hears of a cancel or a timeout through the worker's signal poll, long before
 * its next heartbeat: every worker here heartbeats only every 30 s and leases for 60 s, so the
 * bounded waits below (a few seconds, for a loaded machine) pass only through the signal.
 */
class WorkerCancelTest {
  /** Far below the 30 s heartbeat interval, far above the signal's milliseconds. */
  private static final Duration PROMPTLY = Duration.ofSeconds(10);

  private static final Duration WAIT = Duration.ofSeconds(15);

  @TempDir Path dir;
  TestServer ts;
  HourglassClient client;
  Worker worker;
  final List<Cancellation> heard = new CopyOnWriteArrayList<>();
  final List<HourglassException> lost = new CopyOnWriteArrayList<>();
  final AtomicInteger reported = new AtomicInteger();
  final CountDownLatch handlerStarted = new CountDownLatch(1);
  final CountDownLatch handlerInterrupted = new CountDownLatch(1);
  final AtomicReference<Cancellation> seenByHandler = new AtomicReference<>();

  @BeforeEach
  void start() throws Exception {
    ts = TestServer.start(dir);
    client = ts.client;
    worker =
        Worker.builder(client)
            .workerId("w-cancel")
            .capacity(2)
            .lease(Duration.ofSeconds(60))
            .heartbeatInterval(Duration.ofSeconds(30))
            .pollWait(Duration.ofSeconds(5))
            .backoff(Duration.ofMillis(20), Duration.ofMillis(200))
            .handler(
                "block",
                ctx -> {
                  handlerStarted.countDown();
                  try {
                    Thread.sleep(120_000);
                  } catch (InterruptedException e) {
                    seenByHandler.set(ctx.cancellation().orElse(null));
                    handlerInterrupted.countDown();
                  }
                  return "finished anyway"; // a handler that returns after the cancel: not reported
                })
            .listener(
                new WorkerListener() {
                  @Override
                  public void onCancelled(JobContext ctx, Cancellation c) {
                    heard.add(c);
                  }

                  @Override
                  public void onLeaseLost(JobContext ctx, HourglassException refusal) {
                    lost.add(refusal);
                  }

                  @Override
                  public void onCompleted(JobContext ctx, Object result) {
                    reported.incrementAndGet();
                  }

                  @Override
                  public void onFailed(JobContext ctx, Throwable error, JobState state) {
                    reported.incrementAndGet();
                  }
                })
            .build()
            .start();
  }

  @AfterEach
  void stop() {
    worker.shutdown(Duration.ZERO);
    ts.close();
  }

  @Test
  void aCancelledJobsHandlerIsInterruptedAndToldWhyWithinASecondOrSo() throws Exception {
    String id = client.submit(JobRequest.builder("block").build()).jobId();
    assertThat(handlerStarted.await(WAIT.toSeconds(), TimeUnit.SECONDS)).isTrue();
    long cancelledAt = System.nanoTime();
    client.cancel(id, "customer closed the account");
    assertThat(handlerInterrupted.await(PROMPTLY.toMillis(), TimeUnit.MILLISECONDS))
        .as("handler interrupted long before the 30 s heartbeat")
        .isTrue();
    System.out.printf(
        "cancel reached the handler in %d ms%n",
        TimeUnit.NANOSECONDS.toMillis(System.nanoTime() - cancelledAt));
    assertThat(seenByHandler.get())
        .isEqualTo(new Cancellation(Cancellation.Cause.CANCELLED, "customer closed the account"));
    await().atMost(WAIT).until(() -> worker.inFlight() == 0);
    assertThat(heard).containsExactly(seenByHandler.get());
    assertThat(lost).as("no lease-lost report for a cancel").isEmpty();
    assertThat(reported).as("the handler's late result is not reported").hasValue(0);
    Job job = client.job(id);
    assertThat(job.state()).isEqualTo(JobState.CANCELLED);
    assertThat(job.attempts()).extracting(Job.Attempt::outcome).containsExactly("CANCELLED");
  }

  @Test
  void aTimedOutJobsHandlerIsInterruptedAndToldSoWithinASecondOrSo() throws Exception {
    String id =
        client
            .submit(
                JobRequest.builder("block").timeout(Duration.ofMillis(500)).maxAttempts(1).build())
            .jobId();
    assertThat(handlerStarted.await(WAIT.toSeconds(), TimeUnit.SECONDS)).isTrue();
    assertThat(handlerInterrupted.await(PROMPTLY.toMillis(), TimeUnit.MILLISECONDS))
        .as("handler interrupted long before the 30 s heartbeat")
        .isTrue();
    Cancellation c = seenByHandler.get();
    assertThat(c.cause()).isEqualTo(Cancellation.Cause.TIMED_OUT);
    assertThat(c.reason()).contains("timeout_ms=500");
    await().atMost(WAIT).until(() -> worker.inFlight() == 0);
    assertThat(heard).containsExactly(c);
    assertThat(lost).isEmpty();
    assertThat(reported).hasValue(0);
    Job job = client.job(id);
    assertThat(job.state()).isEqualTo(JobState.DEAD);
    assertThat(job.attempts()).extracting(Job.Attempt::outcome).containsExactly("EXPIRED");
  }
}
