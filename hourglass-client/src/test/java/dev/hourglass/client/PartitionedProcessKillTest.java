package dev.hourglass.client;

import static org.assertj.core.api.Assertions.assertThat;

import dev.hourglass.client.worker.JobContext;
import dev.hourglass.client.worker.Worker;
import dev.hourglass.client.worker.WorkerListener;
import dev.hourglass.runtime.PartitionRouting;
import dev.hourglass.server.ServerMain;
import dev.hourglass.testkit.LocalProcesses;
import java.net.ServerSocket;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicInteger;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.CleanupMode;
import org.junit.jupiter.api.io.TempDir;

/**
 * Goal: a `hourglass server --partitions 4` process SIGKILLed while jobs are submitted, leased and
 * completed loses no acknowledged submit and no acknowledged completion, completes no job twice,
 * and after the restart one SDK worker completes the rest, taking jobs from all four partitions.
 */
class PartitionedProcessKillTest {
  static final int PARTITIONS = 4;

  @TempDir(cleanup = CleanupMode.ON_SUCCESS)
  Path dir;

  LocalProcesses node;
  HourglassClient client;

  @AfterEach
  void tearDown() {
    if (client != null) {
      client.close();
    }
    if (node != null) {
      node.close();
    }
  }

  @Test
  void sigkillUnderLoadLosesNothingAcknowledgedAndCompletesNothingTwice() throws Exception {
    int port;
    try (var s = new ServerSocket(0)) {
      port = s.getLocalPort();
    }
    String url = "http://127.0.0.1:" + port;
    List<String> args =
        List.of(
            "--data-dir",
            dir.resolve("data").toString(),
            "--port",
            Integer.toString(port),
            "--partitions",
            Integer.toString(PARTITIONS));
    node =
        new LocalProcesses(
            dir, List.of("node"), List.of("-Xmx256m"), ServerMain.class.getName(), i -> args);
    node.start(0);
    client = HourglassClient.builder(url).requestTimeout(Duration.ofSeconds(10)).build();
    awaitReady();

    Set<String> submitted = ConcurrentHashMap.newKeySet();
    Map<String, Integer> completions = new ConcurrentHashMap<>();
    var stop = new AtomicBoolean();
    var submitter =
        Thread.ofPlatform()
            .start(
                () -> {
                  for (int b = 0; !stop.get() && b < 10_000; b++) {
                    List<JobRequest> batch = new ArrayList<>();
                    for (int i = 0; i < 20; i++) {
                      String key = "k" + (b * 20 + i) % 37;
                      batch.add(
                          i % 2 == 0
                              ? JobRequest.builder("t").jobId("j" + b + "-" + i).build()
                              : JobRequest.builder("t")
                                  .partitionKey(key)
                                  .jobId(key + "~j" + b + "-" + i)
                                  .build());
                    }
                    try {
                      client.submitBatch(batch).forEach(s -> submitted.add(s.jobId()));
                    } catch (RuntimeException unknownOutcome) {
                      return; // the node died: this batch may or may not have been applied
                    }
                  }
                });
    var completer =
        Thread.ofPlatform()
            .start(
                () -> {
                  while (!stop.get()) {
                    try {
                      for (Assignment a :
                          client.lease(
                              "w1",
                              20,
                              Duration.ofMillis(200),
                              List.of(),
                              Duration.ofSeconds(30))) {
                        client.complete(a.jobId(), "w1", a.generation(), null);
                        completions.merge(a.jobId(), 1, Integer::sum);
                      }
                    } catch (RuntimeException unknownOutcome) {
                      return;
                    }
                  }
                });
    for (int i = 0; i < 6000 && (submitted.size() < 3000 || completions.size() < 500); i++) {
      Thread.sleep(10);
    }
    node.kill(0); // SIGKILL under load
    stop.set(true);
    submitter.join(30_000);
    completer.join(30_000);
    System.out.printf(
        "acknowledged before the SIGKILL: submits=%d completions=%d%n",
        submitted.size(), completions.size());
    assertThat(submitted.size()).as("acknowledged submits before the kill").isPositive();

    node.start(0);
    awaitReady();
    for (String id : submitted) {
      assertThat(client.job(id)).as(id).isNotNull();
    }
    completions.forEach(
        (id, n) -> {
          assertThat(n).as("acknowledged completions of %s", id).isEqualTo(1);
          assertThat(client.job(id).state()).as(id).isEqualTo(JobState.SUCCEEDED);
        });

    Set<Integer> partitionsServed = ConcurrentHashMap.newKeySet();
    var drained = new AtomicInteger();
    try (Worker w =
        Worker.builder(client)
            .workerId("drain")
            .capacity(16)
            .pollWait(Duration.ofSeconds(1))
            .handler("t", ctx -> null)
            .listener(
                new WorkerListener() {
                  @Override
                  public void onCompleted(JobContext ctx, Object result) {
                    partitionsServed.add(PartitionRouting.partitionOfId(ctx.jobId(), PARTITIONS));
                    drained.incrementAndGet();
                  }
                })
            .build()
            .start()) {
      // Leases of w1 that were not completed before the kill run out first (30 s by default),
      // then their jobs retry. Done when no job waits anywhere: nothing new arrives, so a
      // partition with no unfinished job stays so, and one read of each partition suffices.
      for (int i = 0; i < 1800 && unfinished(client.counts()) > 0; i++) {
        Thread.sleep(100);
      }
    }
    for (String id : submitted) {
      assertThat(client.job(id).state()).as(id).isEqualTo(JobState.SUCCEEDED);
    }
    assertThat(partitionsServed)
        .as("partitions one worker took jobs from")
        .containsExactlyInAnyOrder(0, 1, 2, 3);
    assertThat(drained.get()).isPositive();
  }

  static long unfinished(Map<JobState, Long> counts) {
    long n = 0;
    for (JobState s :
        List.of(
            JobState.PENDING,
            JobState.SCHEDULED,
            JobState.READY,
            JobState.RUNNING,
            JobState.FAILED)) {
      n += counts.getOrDefault(s, 0L);
    }
    return n;
  }

  void awaitReady() throws InterruptedException {
    for (int i = 0; i < 1200; i++) { // two shared cores: a JVM may take a while to start
      if (client.ready()) {
        return;
      }
      Thread.sleep(100);
    }
    throw new AssertionError("the node did not become ready: " + node.tail(0, 40));
  }
}
