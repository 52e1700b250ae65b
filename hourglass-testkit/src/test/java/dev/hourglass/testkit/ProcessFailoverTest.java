package dev.hourglass.testkit;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import dev.hourglass.cluster.ClusterClient;
import dev.hourglass.cluster.ClusterQuery.Status;
import dev.hourglass.core.view.JobState;
import dev.hourglass.testkit.SteadyLoad.Grant;
import java.io.IOException;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Goal: with three replica processes under a steady submit/lease/complete load, SIGKILL the
 * leader several times; each time a new leader serves again, the killed replica restarts and
 * catches up, and the recorded history shows no acknowledged job lost, no job completed twice and
 * no job assigned twice while a lease on it was live.
 */
class ProcessFailoverTest {
  static final int KILLS = 5;
  static final Duration WAIT = Duration.ofSeconds(60);
  /** Client-side: C1 only, small heap; JIT compilation otherwise eats the two cores. */
  static final List<String> JVM = List.of("-Xmx256m", "-XX:TieredStopAtLevel=1");

  @TempDir Path dir;
  LocalCluster cluster;
  ClusterClient client;
  Thread loadThread;
  SteadyLoad load;

  @AfterEach
  void tearDown() throws Exception {
    if (load != null) {
      load.stop();
      loadThread.join(WAIT.toMillis());
    }
    if (client != null) {
      client.close();
    }
    if (cluster != null) {
      cluster.close();
    }
  }

  @Test
  void leaderKilledRepeatedlyUnderLoadLosesNothingAndNeverDoubleAssigns() throws Exception {
    cluster = new LocalCluster(dir, 3, JVM, List.of("--snapshot-every", "200",
        "--log-segment-bytes", "65536"));
    cluster.startAll();
    client = new ClusterClient(cluster.peers(), Duration.ofSeconds(30), Duration.ofSeconds(3));
    load = new SteadyLoad(client, "job");
    loadThread = new Thread(load, "steady-load");
    loadThread.start();
    await().atMost(Duration.ofSeconds(90)).until(() -> load.acks.get() > 50);

    List<Long> failoverMillis = new ArrayList<>();
    for (int k = 0; k < KILLS; k++) {
      String leader = await().atMost(WAIT).until(load::lastAckLeader, id -> id != null);
      int victim = cluster.indexOf(leader);
      long acksBefore = load.acks.get();
      long killedAt = System.nanoTime();
      cluster.kill(victim);
      await().atMost(WAIT).until(() -> load.lastAckNanos() > killedAt
          && !leader.equals(load.lastAckLeader()));
      long ms = (load.lastAckNanos() - killedAt) / 1_000_000;
      failoverMillis.add(ms);
      System.out.printf("failover %d: killed leader %s, new leader %s served after %d ms%n", k + 1,
          leader, load.lastAckLeader(), ms);

      cluster.start(victim);
      long target = client.leaderStatus().lastAppliedIndex();
      String id = cluster.peers().get(victim).id();
      await().atMost(WAIT).ignoreExceptions()
          .until(() -> client.status(id, target).lastAppliedIndex() >= target);
      assertThat(load.acks.get()).isGreaterThan(acksBefore);
    }
    System.out.println("failover millis: " + failoverMillis);

    load.stop();
    loadThread.join(WAIT.toMillis());
    checkHistory();
    awaitReplicasIdentical(cluster, client);
  }

  void checkHistory() throws IOException {
    List<String> acked = new ArrayList<>(load.ackedJobs);
    assertThat(acked).hasSizeGreaterThan(100);
    List<JobState> states = client.jobStates(acked);
    List<String> lost = new ArrayList<>();
    for (int i = 0; i < acked.size(); i++) {
      if (states.get(i) == null) {
        lost.add(acked.get(i));
      }
    }
    assertThat(lost).as("acknowledged submits missing after failovers").isEmpty();

    assertThat(load.completions).as("acknowledged completions per job")
        .allSatisfy((job, n) -> assertThat(n).isEqualTo(1));
    List<String> completed = new ArrayList<>(load.completions.keySet());
    assertThat(client.jobStates(completed)).containsOnly(JobState.SUCCEEDED);

    Map<String, List<Grant>> byJob = new HashMap<>();
    for (Grant g : load.grants) {
      byJob.computeIfAbsent(g.jobId(), j -> new ArrayList<>()).add(g);
    }
    byJob.forEach((job, list) -> {
      list.sort(Comparator.comparingInt(Grant::generation));
      for (int i = 1; i < list.size(); i++) {
        Grant prev = list.get(i - 1);
        Grant next = list.get(i);
        long nextGrantedAt = next.expiresAtMillis() - SteadyLoad.LEASE_MILLIS;
        assertThat(next.generation()).as("generations of %s", job)
            .isGreaterThan(prev.generation());
        assertThat(next.term()).as("fencing terms of %s", job).isGreaterThanOrEqualTo(prev.term());
        assertThat(load.completions.containsKey(job) || nextGrantedAt >= prev.expiresAtMillis())
            .as("two live assignments of %s: %s then %s", job, prev, next).isTrue();
      }
    });
  }

  static void awaitReplicasIdentical(LocalCluster cluster, ClusterClient client) {
    await().atMost(WAIT).ignoreExceptions().untilAsserted(() -> {
      Status leader = client.leaderStatus();
      for (var p : cluster.peers()) {
        Status s = client.status(p.id(), leader.lastAppliedIndex());
        assertThat(s.lastAppliedIndex()).isEqualTo(leader.lastAppliedIndex());
        assertThat(s.stateCrc()).as("state of %s", p.id()).isEqualTo(leader.stateCrc());
      }
    });
  }
}
