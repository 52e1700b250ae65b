package dev.hourglass.client;

import static dev.hourglass.client.ProcessFailoverTest.awaitCaughtUp;
import static dev.hourglass.client.ProcessFailoverTest.awaitReplicasIdentical;
import static dev.hourglass.client.ProcessFailoverTest.status;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.catchThrowableOfType;

import dev.hourglass.testkit.LocalReplicaSet;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.CleanupMode;
import org.junit.jupiter.api.io.TempDir;

/**
 * Goal: with three `hourglass server` replica processes, a follower restarted after the leader
 * purged its log catches up through InstallSnapshot; with a majority lost, writes fail with a clear
 * 503 instead of hanging; the whole group SIGKILLed and restarted keeps every acknowledged job.
 */
class ProcessRecoveryTest {
  /**
   * The replicas log the cluster package at INFO, so that the test can see a snapshot being
   * installed; this module's own logback-test.xml, on their classpath too, keeps only warnings.
   */
  static final String REPLICA_LOGBACK =
      """
      <configuration>
        <appender name="STDERR" class="ch.qos.logback.core.ConsoleAppender">
          <target>System.err</target>
          <encoder><pattern>%d{HH:mm:ss.SSS} %-5level %logger{20} %msg%n</pattern></encoder>
        </appender>
        <logger name="dev.hourglass.cluster" level="INFO"/>
        <root level="WARN"><appender-ref ref="STDERR"/></root>
      </configuration>
      """;

  /** Kept when a test fails: the replicas' logs are {@code <dir>/<node id>.log}. */
  @TempDir(cleanup = CleanupMode.ON_SUCCESS)
  Path dir;

  LocalReplicaSet replicas;
  HourglassClient client;
  final List<String> acked = new ArrayList<>();
  int seq;

  @AfterEach
  void tearDown() {
    if (client != null) {
      client.close();
    }
    if (replicas != null) {
      replicas.close();
    }
  }

  /** Submits {@code batches} batches of two jobs, each one log entry; every one must succeed. */
  void submitBatches(int batches) {
    for (int b = 0; b < batches; b++) {
      List<String> ids = List.of("j" + seq++, "j" + seq++);
      List<JobRequest> jobs =
          ids.stream().map(id -> JobRequest.builder("t").jobId(id).build()).toList();
      assertThat(client.submitBatch(jobs)).extracting(Submitted::jobId).isEqualTo(ids);
      acked.addAll(ids);
    }
  }

  void assertAllAckedPresent() {
    for (String id : acked) {
      assertThat(client.job(id).state()).as(id).isEqualTo(JobState.READY);
    }
  }

  @Test
  void installSnapshotCatchUpMajorityLossAndWholeClusterRestart() throws Exception {
    Path logback = Files.writeString(dir.resolve("replica-logback.xml"), REPLICA_LOGBACK);
    List<String> jvm = new ArrayList<>(ProcessFailoverTest.JVM);
    jvm.add("-Dlogback.configurationFile=" + logback);
    replicas =
        new LocalReplicaSet(
            dir, 3, jvm, List.of("--raft-snapshot-every", "50", "--raft-segment-bytes", "16384"));
    replicas.startAll();
    // Generous: after each start, three JVMs on two shared cores take 10-30 s to elect a leader.
    client =
        HourglassClient.builder(ProcessFailoverTest.urls(replicas))
            .failoverTimeout(Duration.ofSeconds(120))
            .build();
    submitBatches(10);
    int follower = (replicas.urls().indexOf(client.baseUrl()) + 1) % 3;
    awaitReplicasIdentical(replicas, dir);

    // 1. A follower misses enough entries that the leader has snapshotted and purged past it.
    replicas.kill(follower);
    submitBatches(300);
    replicas.start(follower);
    awaitCaughtUp(replicas, follower, status(client.baseUrl()).commitIndex());
    assertThat(Files.readString(replicas.log(follower)))
        .as("restarted follower caught up through InstallSnapshot")
        .contains("installed snapshot from the leader");
    awaitReplicasIdentical(replicas, dir);

    // 2. Majority lost: writes are refused with a clear 503 instead of hanging.
    int survivor = replicas.urls().indexOf(client.baseUrl());
    for (int i = 0; i < 3; i++) {
      if (i != survivor) {
        replicas.kill(i);
      }
    }
    try (var alone =
        HourglassClient.builder(replicas.urls().get(survivor).toString())
            .failoverTimeout(Duration.ofSeconds(4))
            .build()) {
      var refused =
          catchThrowableOfType(
              HourglassException.class,
              () -> alone.submit(JobRequest.builder("t").jobId("during-outage").build()));
      assertThat(refused).as("a write without a majority").isNotNull();
      assertThat(refused.status()).as(refused.toString()).isEqualTo(503);
      assertThat(refused.code()).isIn(ErrorCode.NO_LEADER, ErrorCode.UNAVAILABLE);
      assertThat(refused.detail()).containsAnyOf("majority", "leader");
      assertThat(refused.retryAfterSeconds()).isNotNull();
    }
    for (int i = 0; i < 3; i++) {
      if (i != survivor) {
        replicas.start(i);
      }
    }
    submitBatches(5);

    // 3. The whole group SIGKILLed and restarted: every acknowledged job is still there.
    for (int i = 0; i < 3; i++) {
      replicas.kill(i);
    }
    replicas.startAll();
    assertAllAckedPresent();
    submitBatches(5);
    assertAllAckedPresent();
    awaitReplicasIdentical(replicas, dir);
  }
}
