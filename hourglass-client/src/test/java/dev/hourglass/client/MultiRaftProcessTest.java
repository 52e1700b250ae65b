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
 * Goal: three `hourglass server --partitions 4` replica processes run one Raft group per partition
 * with the leaders spread over all three replicas (leader priorities put partition p's leader on
 * replica p mod 3); a worker whose client knows one replica only completes jobs of every partition
 * (its calls for partitions led elsewhere are forwarded); the replica that leads two partitions is
 * SIGKILLed under load: only those two partitions elect (the others keep their leader and term), no
 * acknowledged submit is lost, no job is completed twice, and every job ends SUCCEEDED.
 *
 * <p>Timing: the replicas run with a 2-4 s election timeout, so that a partition whose leader is
 * alive elects only if a replica stalls for 2 s (a loaded two-core machine stalls for hundreds of
 * milliseconds, not seconds); every wait is bounded but generous, and no assertion is on a
 * duration.
 */
class MultiRaftProcessTest {
  static final int PARTITIONS = 4;
  static final Duration WAIT = Duration.ofSeconds(90);

  /** Small heaps and C1 only: three replicas and the test share two cores. */
  static final List<String> JVM = List.of("-Xmx256m", "-XX:TieredStopAtLevel=1");

  /**
   * Why 2-4 s: the assertion that a partition whose leader lives keeps its term must not fail
   * because a busy machine starved a heartbeat; the victim's partitions then fail over in 2-8 s.
   * The write timeout (5 s by default) must exceed the maximum.
   */
  static final List<String> SERVER =
      List.of("--partitions", Integer.toString(PARTITIONS), "--election-timeout", "2000-4000");

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
  void leadersSpreadOneReplicaServesEveryPartitionAndALostReplicaFailsOverOnlyItsPartitions()
      throws Exception {
    long t0 = System.nanoTime();
    replicas = new LocalReplicaSet(dir, 3, JVM, SERVER);
    replicas.startAll();
    // Partition p's leader is replica p mod 3: s1 leads 0 and 3, s2 leads 1, s3 leads 2.
    ClusterStatus spread =
        await()
            .atMost(WAIT.multipliedBy(2))
            .pollInterval(Duration.ofMillis(200))
            .until(() -> status(replicas.urls().get(2)), MultiRaftProcessTest::spreadByPriority);
    Map<Integer, String> leaders = leaders(spread);
    System.out.println("leaders by partition: " + leaders);
    assertThat(new HashSet<>(leaders.values())).as("replicas leading").hasSize(3);
    String victim = leaders.get(0);
    Set<Integer> victimLed = partitionsLedBy(leaders, victim);
    assertThat(victimLed).containsExactlyInAnyOrder(0, 3);
    // The worker knows only the replica that leads partition 2: most of its leases and
    // completions are forwarded to the other partitions' leaders.
    String observer = leaders.get(2);
    URI observerUrl = replicas.urls().get(replicas.indexOf(observer));
    for (URI u : replicas.urls()) {
      await().atMost(WAIT).until(() -> ready(u));
    }

    submitClient = HourglassClient.builder(urls()).failoverTimeout(Duration.ofSeconds(30)).build();
    workerClient =
        HourglassClient.builder(observerUrl.toString())
            .failoverTimeout(Duration.ofSeconds(30))
            .build();

    Set<String> submitted = ConcurrentHashMap.newKeySet();
    Map<String, Integer> completions = new ConcurrentHashMap<>();
    Set<Integer> partitionsCompleted = ConcurrentHashMap.newKeySet();
    Map<Integer, AtomicInteger> afterKill = new ConcurrentHashMap<>();
    var killed = new AtomicBoolean();
    var unknown = new AtomicInteger();
    threads.add(Thread.ofPlatform().name("submitter").start(() -> submit(submitted, unknown)));
    threads.add(
        Thread.ofPlatform()
            .name("worker")
            .start(
                () ->
                    work(
                        10,
                        completions,
                        unknown,
                        p -> {
                          partitionsCompleted.add(p);
                          if (killed.get()) {
                            afterKill
                                .computeIfAbsent(p, k -> new AtomicInteger())
                                .incrementAndGet();
                          }
                        })));

    await()
        .atMost(WAIT)
        .until(
            () ->
                submitted.size() >= 300
                    && completions.size() >= 150
                    && partitionsCompleted.size() == PARTITIONS);
    ClusterStatus before = status(observerUrl);
    assertThat(leaders(before)).as("leaders just before the kill").isEqualTo(leaders);
    replicas.kill(replicas.indexOf(victim)); // SIGKILL under load
    killed.set(true);
    long killedAt = System.nanoTime();
    // The victim's partitions elect among the two left and serve the worker again.
    await()
        .atMost(WAIT)
        .until(
            () ->
                victimLed.stream()
                    .allMatch(p -> afterKill.getOrDefault(p, new AtomicInteger()).get() >= 10));
    long servedAfterMillis = (System.nanoTime() - killedAt) / 1_000_000;
    ClusterStatus after =
        await()
            .atMost(WAIT)
            .pollInterval(Duration.ofMillis(200))
            .until(
                () -> status(observerUrl),
                s ->
                    s != null
                        && victimLed.stream()
                            .allMatch(
                                p ->
                                    leaders(s).containsKey(p)
                                        && !victim.equals(leaders(s).get(p))));
    System.out.printf(
        "after the kill of %s: every partition served again within %d ms; leaders %s -> %s;"
            + " terms %s -> %s%n",
        victim, servedAfterMillis, leaders, leaders(after), terms(before), terms(after));
    stop.set(true);
    for (Thread t : threads) {
      t.join(WAIT.toMillis());
    }
    threads.clear();

    // Drain: the jobs whose leases the failover cut short run out (5 s) and are leased again.
    stop.set(false);
    threads.add(
        Thread.ofPlatform().name("drain").start(() -> work(50, completions, null, p -> {})));
    // A completion whose answer the failover lost is applied but not acknowledged: done when no
    // job waits anywhere (nothing new arrives, so none becomes unfinished again).
    await()
        .atMost(WAIT)
        .pollInterval(Duration.ofMillis(500))
        .until(() -> PartitionedProcessKillTest.unfinished(submitClient.counts()) == 0);
    System.out.printf(
        "acknowledged: submits=%d completions=%d; calls with unknown outcome=%d; %d s in all%n",
        submitted.size(),
        completions.size(),
        unknown.get(),
        (System.nanoTime() - t0) / 1_000_000_000);

    for (int p = 0; p < PARTITIONS; p++) {
      var was = before.partitions().get(p);
      var now = after.partitions().get(p);
      if (victimLed.contains(p)) {
        assertThat(now.term())
            .as("partition %d, led by the victim: elected", p)
            .isGreaterThan(was.term());
      } else {
        assertThat(now.leader()).as("partition %d's leader", p).isEqualTo(was.leader());
        assertThat(now.term()).as("partition %d's term: no election", p).isEqualTo(was.term());
      }
    }
    assertThat(partitionsCompleted)
        .as("partitions the one-replica worker completed jobs of")
        .hasSize(PARTITIONS);
    assertThat(completions)
        .as("acknowledged completions per job")
        .allSatisfy((job, n) -> assertThat(n).isEqualTo(1));
    for (String id : submitted) {
      assertThat(submitClient.job(id).state()).as(id).isEqualTo(JobState.SUCCEEDED);
    }
  }

  /** Submits batches of 10 until stopped; a batch whose answer is lost counts as unknown. */
  void submit(Set<String> submitted, AtomicInteger unknown) {
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
  }

  /**
   * Leases up to {@code max} at a time through the one-replica client and completes each; a call
   * whose answer is lost leaves a lease that runs out (5 s) and is leased again.
   */
  void work(
      int max,
      Map<String, Integer> completions,
      AtomicInteger unknown,
      java.util.function.IntConsumer completedIn) {
    while (!stop.get()) {
      try {
        for (Assignment a :
            workerClient.lease(
                "w1", max, Duration.ofMillis(500), List.of(), Duration.ofSeconds(5))) {
          workerClient.complete(a.jobId(), "w1", a.generation(), null);
          completions.merge(a.jobId(), 1, Integer::sum);
          completedIn.accept(PartitionRouting.partitionOfId(a.jobId(), PARTITIONS));
        }
      } catch (RuntimeException unknownOutcome) {
        if (unknown != null) {
          unknown.incrementAndGet();
        }
        pause(100);
      }
    }
  }

  /** Every partition has the leader its priority names: replica p mod 3. */
  static boolean spreadByPriority(ClusterStatus s) {
    if (s == null) {
      return false;
    }
    Map<Integer, String> leaders = leaders(s);
    for (int p = 0; p < PARTITIONS; p++) {
      if (!("s" + (p % 3 + 1)).equals(leaders.get(p))) {
        return false;
      }
    }
    return true;
  }

  static Set<Integer> partitionsLedBy(Map<Integer, String> leaders, String node) {
    Set<Integer> out = new HashSet<>();
    leaders.forEach(
        (p, l) -> {
          if (l.equals(node)) {
            out.add(p);
          }
        });
    return out;
  }

  static Map<Integer, Long> terms(ClusterStatus s) {
    Map<Integer, Long> out = new HashMap<>();
    for (ClusterStatus.Partition p : s.partitions()) {
      out.put(p.partition(), p.term());
    }
    return out;
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
