package dev.hourglass.client.worker;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.awaitility.Awaitility.await;

import dev.hourglass.client.HourglassClient;
import dev.hourglass.client.HourglassException;
import dev.hourglass.client.Job;
import dev.hourglass.client.JobRequest;
import dev.hourglass.client.JobState;
import dev.hourglass.client.TestServer;
import java.io.BufferedReader;
import java.io.InputStreamReader;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Goal: a worker process killed with SIGKILL mid-job has its job re-run by another worker exactly
 * once, and its late completion (as a zombie would send it) is refused.
 */
@Tag("crash")
class WorkerProcessKillTest {
  @TempDir Path dir;

  @Test
  void aSigkilledWorkersJobIsRerunOnceElsewhereAndItsLateCompletionRefused() throws Exception {
    try (TestServer ts = TestServer.start(dir)) {
      HourglassClient client = ts.client;
      String id = client.submit(JobRequest.builder("slow").backoff(Duration.ZERO).build()).jobId();
      Process victim =
          new ProcessBuilder(
                  javaBin(),
                  "-cp",
                  System.getProperty("java.class.path"),
                  KillableWorkerMain.class.getName(),
                  ts.url(),
                  "victim")
              .redirectError(dir.resolve("victim.err").toFile())
              .start();
      try (var out =
          new BufferedReader(
              new InputStreamReader(victim.getInputStream(), StandardCharsets.UTF_8))) {
        String line;
        do {
          line = out.readLine();
          assertThat(line).as("victim output (stderr in victim.err)").isNotNull();
        } while (!line.startsWith("RUNNING"));
        assertThat(line).isEqualTo("RUNNING " + id + " 1");
        victim.destroyForcibly(); // SIGKILL
        assertThat(victim.waitFor(10, TimeUnit.SECONDS)).isTrue();
      }

      var runs = new AtomicInteger();
      try (Worker rescuer =
          Worker.builder(client)
              .workerId("rescuer")
              .capacity(2)
              .pollWait(Duration.ofSeconds(2))
              .handler(
                  "slow",
                  ctx -> {
                    runs.incrementAndGet();
                    return "finished by " + ctx.workerId() + " in generation " + ctx.generation();
                  })
              .build()
              .start()) {
        await()
            .atMost(Duration.ofSeconds(20))
            .until(() -> client.job(id).state() == JobState.SUCCEEDED);
      }
      Job job = client.job(id);
      assertThat(runs).hasValue(1);
      assertThat(job.result()).isEqualTo("\"finished by rescuer in generation 2\"");
      assertThat(job.attempts())
          .extracting(Job.Attempt::workerId)
          .containsExactly("victim", "rescuer");
      assertThat(job.attempts().get(0).outcome()).isIn("EXPIRED", "WORKER_DIED");
      assertThat(job.attempts().stream().filter(a -> "SUCCEEDED".equals(a.outcome()))).hasSize(1);

      // The victim's completion, had it been sent late by a zombie, is refused.
      assertThatThrownBy(() -> client.complete(id, "victim", 1, "zombie result"))
          .isInstanceOfSatisfying(
              HourglassException.class, e -> assertThat(e.status()).isEqualTo(409));
      assertThat(client.job(id).result()).isEqualTo(job.result());
      assertThat(List.of(client.job(id).generation())).containsExactly(2);
    }
  }

  private static String javaBin() {
    return Path.of(System.getProperty("java.home"), "bin", "java").toString();
  }
}
