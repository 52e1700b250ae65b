package dev.hourglass.testkit;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.awaitility.Awaitility.await;

import dev.hourglass.cluster.ClusterClient;
import dev.hourglass.core.command.Command.SubmitJobs;
import dev.hourglass.core.command.JobSpec;
import dev.hourglass.core.view.JobState;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Goal: with three replica processes, a follower restarted after the leader purged its log
 * catches up through InstallSnapshot; with a majority lost, writes fail with a clear error; the
 * whole cluster killed and restarted keeps every acknowledged job.
 */
class ProcessRecoveryTest {
  static final Duration WAIT = Duration.ofSeconds(60);

  @TempDir Path dir;
  LocalCluster cluster;
  ClusterClient client;
  final List<String> acked = new ArrayList<>();
  int seq;

  @AfterEach
  void tearDown() throws IOException {
    if (client != null) {
      client.close();
    }
    if (cluster != null) {
      cluster.close();
    }
  }

  void submitBatches(int batches) throws IOException {
    for (int b = 0; b < batches; b++) {
      List<JobSpec> specs = List.of(JobSpec.of("j" + seq++, "t", "p"), JobSpec.of("j" + seq++,
          "t", "p"));
      assertThat(client.submit(List.of(new SubmitJobs(0, specs))).outcomes().get(0).isApplied())
          .isTrue();
      specs.forEach(s -> acked.add(s.jobId()));
    }
  }

  void assertAllAckedPresent() throws IOException {
    List<JobState> states = client.jobStates(acked);
    assertThat(states).hasSize(acked.size()).doesNotContainNull();
  }

  @Test
  void installSnapshotCatchUpMajorityLossAndWholeClusterRestart() throws Exception {
    cluster = new LocalCluster(dir, 3, ProcessFailoverTest.JVM, List.of("--snapshot-every", "50",
        "--log-segment-bytes", "16384"));
    cluster.startAll();
    client = new ClusterClient(cluster.peers(), Duration.ofSeconds(60), Duration.ofSeconds(3));
    submitBatches(10);
    String leader = client.leaderId();
    int follower = (cluster.indexOf(leader) + 1) % 3;
    String followerId = cluster.peers().get(follower).id();
    ProcessFailoverTest.awaitReplicasIdentical(cluster, client);

    // 1. A follower misses enough entries that the leader has snapshotted and purged past it.
    cluster.kill(follower);
    submitBatches(300);
    cluster.start(follower);
    long target = client.leaderStatus().lastAppliedIndex();
    await().atMost(WAIT).ignoreExceptions()
        .until(() -> client.status(followerId, target).lastAppliedIndex() >= target);
    assertThat(Files.readString(cluster.log(follower)))
        .as("restarted follower caught up through InstallSnapshot")
        .contains("installed snapshot from the leader");
    ProcessFailoverTest.awaitReplicasIdentical(cluster, client);

    // 2. Majority lost: writes are refused with a clear error instead of hanging.
    String current = client.leaderId();
    int survivor = cluster.indexOf(current);
    for (int i = 0; i < 3; i++) {
      if (i != survivor) {
        cluster.kill(i);
      }
    }
    try (var impatient = new ClusterClient(cluster.peers(), Duration.ofSeconds(4),
        Duration.ofSeconds(2))) {
      assertThatThrownBy(() -> impatient.submit(List.of(new SubmitJobs(0,
          List.of(JobSpec.of("during-outage", "t", "p"))))))
          .isInstanceOf(IOException.class)
          .hasMessageContaining("cluster unavailable");
    }
    for (int i = 0; i < 3; i++) {
      if (i != survivor) {
        cluster.start(i);
      }
    }
    submitBatches(5);

    // 3. The whole cluster SIGKILLed and restarted: every acknowledged job is still there.
    for (int i = 0; i < 3; i++) {
      cluster.kill(i);
    }
    cluster.startAll();
    assertAllAckedPresent();
    submitBatches(5);
    assertAllAckedPresent();
    ProcessFailoverTest.awaitReplicasIdentical(cluster, client);
  }
}
