package dev.hourglass.client;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.hourglass.client.SteadyLoad.Grant;
import dev.hourglass.testkit.LocalReplicaSet;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.HashMap;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.stream.Collectors;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.CleanupMode;
import org.junit.jupiter.api.io.TempDir;

/**
 * Goal: with three `hourglass server` replica processes under a steady submit/lease/complete load
 * through the SDK client, SIGKILL the leader several times; each time another replica serves again,
 * the killed replica restarts and catches up, and the recorded history shows no acknowledged job
 * lost, no job completed twice and no job assigned twice while a lease on it was live; at the end
 * every replica holds the same state. Snapshots every 200 entries and 64 KiB log segments make the
 * leaders snapshot and purge their logs during the failovers.
 */
class ProcessFailoverTest {
  static final int KILLS = 5;
  static final Duration WAIT = Duration.ofSeconds(60);

  /** Small heaps and C1 only: three replicas and the test share two cores. */
  static final List<String> JVM = List.of("-Xmx256m", "-XX:TieredStopAtLevel=1");

  private static final ObjectMapper MAPPER = new ObjectMapper();

  /** Kept when a test fails: the replicas' logs are {@code <dir>/<node id>.log}. */
  @TempDir(cleanup = CleanupMode.ON_SUCCESS)
  Path dir;

  LocalReplicaSet replicas;
  HourglassClient client;
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
    if (replicas != null) {
      replicas.close();
    }
  }

  @Test
  void leaderKilledRepeatedlyUnderLoadLosesNothingAndNeverDoubleAssigns() throws Exception {
    replicas =
        new LocalReplicaSet(
            dir, 3, JVM, List.of("--raft-snapshot-every", "200", "--raft-segment-bytes", "65536"));
    replicas.startAll();
    client =
        HourglassClient.builder(urls(replicas)).failoverTimeout(Duration.ofSeconds(30)).build();
    load = new SteadyLoad(client, "job");
    loadThread = Thread.ofPlatform().name("steady-load").start(load);
    // Generous: three JVMs starting on two shared cores take 10-30 s to elect a first leader.
    await().atMost(WAIT.multipliedBy(2)).until(() -> load.acks.get() > 50);

    List<Long> failoverMillis = new ArrayList<>();
    for (int k = 0; k < KILLS; k++) {
      URI leader = load.lastAckFrom();
      int victim = replicas.urls().indexOf(leader);
      long acksBefore = load.acks.get();
      long killedAt = System.nanoTime();
      replicas.kill(victim);
      await()
          .atMost(WAIT)
          .until(() -> load.lastAckNanos() > killedAt && !leader.equals(load.lastAckFrom()));
      long ms = (load.lastAckNanos() - killedAt) / 1_000_000;
      failoverMillis.add(ms);
      System.out.printf(
          "failover %d: killed leader %s, %s served after %d ms%n",
          k + 1, leader, load.lastAckFrom(), ms);

      replicas.start(victim);
      long target = status(load.lastAckFrom()).commitIndex();
      awaitCaughtUp(replicas, victim, target);
      assertThat(load.acks.get()).isGreaterThan(acksBefore);
    }
    System.out.println(
        "failover millis: "
            + failoverMillis
            + "; acknowledged jobs: "
            + load.ackedJobs.size()
            + "; calls with unknown outcome: "
            + load.failures.get());

    load.stop();
    loadThread.join(WAIT.toMillis());
    checkHistory();
    awaitReplicasIdentical(replicas, dir);
  }

  void checkHistory() {
    assertThat(load.anomalies).as("what the worker must never see").isEmpty();
    List<String> acked = new ArrayList<>(load.ackedJobs);
    assertThat(acked).hasSizeGreaterThan(100);
    List<String> lost = new ArrayList<>();
    for (String id : acked) {
      try {
        client.job(id);
      } catch (HourglassException e) {
        if (!e.is(ErrorCode.UNKNOWN_JOB)) {
          throw e;
        }
        lost.add(id);
      }
    }
    assertThat(lost).as("acknowledged submits missing after failovers").isEmpty();

    assertThat(load.completions)
        .as("acknowledged completions per job")
        .allSatisfy((job, n) -> assertThat(n).isEqualTo(1));
    for (String job : load.completions.keySet()) {
      assertThat(client.job(job).state()).as(job).isEqualTo(JobState.SUCCEEDED);
    }

    Map<String, List<Grant>> byJob = new HashMap<>();
    for (Grant g : load.grants) {
      byJob.computeIfAbsent(g.jobId(), j -> new ArrayList<>()).add(g);
    }
    byJob.forEach(
        (job, list) -> {
          list.sort(Comparator.comparingInt(Grant::generation));
          for (int i = 1; i < list.size(); i++) {
            Grant prev = list.get(i - 1);
            Grant next = list.get(i);
            long nextGrantedAt = next.expiresAtMillis() - SteadyLoad.LEASE.toMillis();
            assertThat(next.generation())
                .as("generations of %s", job)
                .isGreaterThan(prev.generation());
            assertThat(nextGrantedAt)
                .as("two live assignments of %s: %s then %s", job, prev, next)
                .isGreaterThanOrEqualTo(prev.expiresAtMillis());
          }
        });
  }

  static String urls(LocalReplicaSet replicas) {
    return replicas.urls().stream().map(URI::toString).collect(Collectors.joining(","));
  }

  /** One replica's own view ({@code GET /api/v1/cluster} answers locally on every replica). */
  static ClusterStatus status(URI replica) {
    try (var one =
        HourglassClient.builder(replica.toString()).requestTimeout(Duration.ofSeconds(5)).build()) {
      return one.clusterStatus();
    }
  }

  /** Until replica {@code i} answers and has applied at least {@code index}. */
  static void awaitCaughtUp(LocalReplicaSet replicas, int i, long index) {
    URI url = replicas.urls().get(i);
    await()
        .atMost(WAIT.multipliedBy(2))
        .ignoreExceptions()
        .until(() -> status(url).lastAppliedIndex() >= index);
  }

  /**
   * Once writes stop, every replica reaches the same applied index with byte-identical engine state
   * (the digest of its canonical snapshot, {@code GET /api/v1/cluster/digest}).
   */
  static void awaitReplicasIdentical(LocalReplicaSet replicas, Path logs) {
    try (HttpClient http = HttpClient.newBuilder().connectTimeout(Duration.ofSeconds(2)).build()) {
      await()
          .atMost(WAIT)
          .pollInterval(Duration.ofMillis(200))
          .ignoreExceptions()
          .alias("replicas converge (their logs are in " + logs + ")")
          .untilAsserted(
              () -> {
                Set<String> digests = new HashSet<>();
                for (URI url : replicas.urls()) {
                  HttpResponse<String> r =
                      http.send(
                          HttpRequest.newBuilder(url.resolve("/api/v1/cluster/digest"))
                              .timeout(Duration.ofSeconds(10))
                              .build(),
                          HttpResponse.BodyHandlers.ofString());
                  assertThat(r.statusCode()).as("digest of " + url).isEqualTo(200);
                  JsonNode d = MAPPER.readTree(r.body());
                  digests.add(
                      d.get("applied_index").asLong() + "/" + d.get("state_crc32c").asText());
                }
                assertThat(digests).as("replicas' applied index / state digest").hasSize(1);
              });
    }
  }
}
