package dev.hourglass.client;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import dev.hourglass.runtime.PartitionRouting;
import dev.hourglass.testkit.LocalReplicaSet;
import java.net.URI;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.HashSet;
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
 * Goal: three `hourglass server --partitions 2` replica processes run one Raft group per partition
 * with the leaders on different replicas; a worker whose client knows only a replica that leads no
 * partition completes jobs of both partitions (its calls are forwarded to each partition's leader);
 * the leader of one partition is SIGKILLed under load, that partition fails over, and no
 * acknowledged submit is lost and no job is completed twice.
 */
class MultiRaftProcessTest {
  static final int PARTITIONS = 2;
  static final Duration WAIT = Duration.ofSeconds(60);

  /** Small heaps and C1 only: three replicas and the test share two cores. */
  static final List<String> JVM = List.of("-Xmx256m", "-XX:TieredStopAtLevel=1");

  /** Kept when a test fails: the replicas' logs are {@code <dir>/<node id>.log}. */
  @TempDir(cleanup = CleanupMode.ON_SUCCESS)
  Path dir;

  LocalReplicaSet replicas;
  HourglassClient submitClient;
  HourglassClient workerClient;
  final AtomicBoolean stop = new AtomicBoolean();
  final List<Thread> threads = new ArrayList<>();

  @AfterEach
  void tearDown() throws InterruptedException {
    stop.set(true);
    for (Thread t : threads) {
      t.join(WAIT.toMillis());
    }
    if (submitClient != null) {
      submitClient.close();
    }
    if (workerClient != null) {
      workerClient.close();
    }
    if (replicas != null) {
      replicas.close();
    }
  }

  @Test
  void leadersSpreadOneReplicaServesEveryPartitionAndALostLeaderLosesNothing() throws Exception {
    replicas =
        new LocalReplicaSet(dir, 3, JVM, List.of("--partitions", Integer.toString(PARTITIONS)));
    replicas.startAll();
    // Leader priorities put partition p's leader on replica p (mod 3): spread over two replicas.
    ClusterStatus spread =
        await()
            .atMost(WAIT.multipliedBy(2))
            .pollInterval(Duration.ofMillis(200))
            .until(
                () -> status(replicas.urls().get(2)),
                s ->
                    s != null
                        && leaders(s).size() == PARTITIONS
                        && new HashSet<>(leaders(s).values()).size() == PARTITIONS);
    Map<Integer, String> leaders = leaders(spread);
    System.out.println("leaders by partition: " + leaders);
    String idle =
        replicas.peers().stream()
            .map(p -> p.id())
            .filter(id -> !leaders.containsValue(id))
            .findFirst()
            .orElseThrow();
    String victim = leaders.get(0);
    URI idleUrl = replicas.urls().get(replicas.indexOf(idle));
    for (URI u : replicas.urls()) {
      await().atMost(WAIT).until(() -> ready(u));
    }

    submitClient = HourglassClient.builder(urls()).failoverTimeout(Duration.ofSeconds(30)).build();
    // The worker knows one replica only, one that leads nothing: every lease and completion it
    // makes is forwarded to a partition's leader.
    workerClient =
        HourglassClient.builder(idleUrl.toString()).failoverTimeout(Duration.ofSeconds(30)).build();

    Set<String> submitted = ConcurrentHashMap.newKeySet();
    Map<String, Integer> completions = new ConcurrentHashMap<>();
    Set<Integer> partitionsCompleted = ConcurrentHashMap.newKeySet();
    var afterKill = new AtomicInteger();
    var killed = new AtomicBoolean();
    var unknown = new AtomicInteger();
    threads.add(
        Thread.ofPlatform()
            .name("submitter")
            .start(
                () -> {
                  for (int b = 0; !stop.get(); b++) {
                    List<JobRequest> batch = new ArrayList<>();
                    for (int i = 0; i < 10; i++) {
                      batch.add(JobRequest.builder("t").jobId("j" + b + "-" + i).build());
                    }
                    try {
                      submitClient.submitBatch(batch).forEach(s -> submitted.add(s.jobId()));
                    } catch (RuntimeException unknownOutcome) {
                      unknown.incrementAndGet(); // this batch may or may not have been applied
                      pause(100);
                    }
                    pause(20);
                  }
                }));
    threads.add(
        Thread.ofPlatform()
            .name("worker")
            .start(
                () -> {
                  while (!stop.get()) {
                    try {
                      for (Assignment a :
                          workerClient.lease(
                              "w1", 10, Duration.ofMillis(500), List.of(), Duration.ofSeconds(5))) {
                        workerClient.complete(a.jobId(), "w1", a.generation(), null);
                        completions.merge(a.jobId(), 1, Integer::sum);
                        partitionsCompleted.add(
                            PartitionRouting.partitionOfId(a.jobId(), PARTITIONS));
                        if (killed.get()
                            && PartitionRouting.partitionOfId(a.jobId(), PARTITIONS) == 0) {
                          afterKill.incrementAndGet();
                        }
                      }
                    } catch (RuntimeException unknownOutcome) {
                      unknown.incrementAndGet(); // its lease runs out and the job is leased again
                      pause(100);
                    }
                  }
                }));

    await().atMost(WAIT).until(() -> submitted.size() >= 200 && completions.size() >= 100);
    long otherTerm = term(status(idleUrl), 1);
    replicas.kill(replicas.indexOf(victim)); // SIGKILL the leader of partition 0 under load
    killed.set(true);
    // Partition 0 elects a new leader among the two left and serves the worker again.
    await().atMost(WAIT).until(() -> afterKill.get() >= 20);
    ClusterStatus after = status(idleUrl);
    System.out.printf(
        "after the kill of %s: leaders %s; partition 1 term %d -> %d%n",
        victim, leaders(after), otherTerm, term(after, 1));
    stop.set(true);
    for (Thread t : threads) {
      t.join(WAIT.toMillis());
    }
    threads.clear();

    // Drain: the jobs whose leases the failover cut short run out (5 s) and are leased again.
    stop.set(false);
    threads.add(
        Thread.ofPlatform()
            .name("drain")
            .start(
                () -> {
                  while (!stop.get()) {
                    try {
                      for (Assignment a :
                          workerClient.lease(
                              "w1", 50, Duration.ofMillis(500), List.of(), Duration.ofSeconds(5))) {
                        workerClient.complete(a.jobId(), "w1", a.generation(), null);
                        completions.merge(a.jobId(), 1, Integer::sum);
                      }
                    } catch (RuntimeException unknownOutcome) {
                      pause(100);
                    }
                  }
                }));
    // A completion whose answer the failover lost is applied but not acknowledged: done when no
    // job waits anywhere (nothing new arrives, so none becomes unfinished again).
    await()
        .atMost(WAIT)
        .pollInterval(Duration.ofMillis(500))
        .until(() -> PartitionedProcessKillTest.unfinished(submitClient.counts()) == 0);
    System.out.printf(
        "acknowledged: submits=%d completions=%d; calls with unknown outcome=%d%n",
        submitted.size(), completions.size(), unknown.get());

    assertThat(partitionsCompleted)
        .as("partitions the one-replica worker completed jobs of")
        .containsExactlyInAnyOrder(0, 1);
    assertThat(completions)
        .as("acknowledged completions per job")
        .allSatisfy((job, n) -> assertThat(n).isEqualTo(1));
    for (String id : submitted) {
      assertThat(submitClient.job(id).state()).as(id).isEqualTo(JobState.SUCCEEDED);
    }
  }

  static Map<Integer, String> leaders(ClusterStatus s) {
    Map<Integer, String> out = new HashMap<>();
    for (ClusterStatus.Partition p : s.partitions()) {
      if (p.leader() != null) {
        out.put(p.partition(), p.leader());
      }
    }
    return out;
  }

  static long term(ClusterStatus s, int partition) {
    return s.partitions().get(partition).term();
  }

  String urls() {
    return String.join(",", replicas.urls().stream().map(URI::toString).toList());
  }

  /** One replica's own view, or null while it does not answer. */
  static ClusterStatus status(URI replica) {
    try (var one =
        HourglassClient.builder(replica.toString()).requestTimeout(Duration.ofSeconds(5)).build()) {
      return one.clusterStatus();
    } catch (HourglassException down) {
      return null;
    }
  }

  static boolean ready(URI replica) {
    try (var one =
        HourglassClient.builder(replica.toString()).requestTimeout(Duration.ofSeconds(5)).build()) {
      return one.ready();
    }
  }

  static void pause(long millis) {
    try {
      Thread.sleep(millis);
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
    }
  }
}
