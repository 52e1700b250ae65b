package dev.hourglass.bench.cluster;

import dev.hourglass.client.Assignment;
import dev.hourglass.client.ClusterStatus;
import dev.hourglass.client.HourglassClient;
import dev.hourglass.client.HourglassException;
import dev.hourglass.client.JobRequest;
import dev.hourglass.client.JobState;
import dev.hourglass.runtime.PartitionRouting;
import dev.hourglass.testkit.LocalReplicaSet;
import java.net.URI;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicLong;
import java.util.concurrent.atomic.AtomicLongArray;

/**
 * The failover phase of {@link ClusterHttpBenchmark} for replicas with {@code --partitions N}:
 * every replica answers every call, so "another replica answered" says nothing; what counts is when
 * each partition the victim led commits again. Under a steady load (submitters through every
 * replica, workers that lease and complete, one prober per partition submitting a job routed to it
 * every 10 ms), the replica leading the most partitions is SIGKILLed, restarted and caught up
 * before the next kill. Per kill it prints, for each partition, the time from the kill to its first
 * acknowledged submit sent after the kill, and which partitions elected (their term moved). At the
 * end the submits stop and the workers go on until every job is finished; it prints the
 * acknowledged submits, those lost (no replica knows them), those not SUCCEEDED by state, and the
 * jobs whose completion was acknowledged more than once.
 *
 * <p>Thread-safety: driven from one thread; its load threads share only concurrent maps.
 */
final class PartitionFailovers {
  /** Why: the prober's period, the resolution of the failover times measured. */
  private static final long PROBE_MILLIS = 10;

  /** Why: a bound on every wait for the cluster (elections, restarts, the drain). */
  private static final Duration PATIENCE = Duration.ofSeconds(300);

  /**
   * Why two submitters and four workers: each job is leased and completed by its own calls
   * (forwarded to its partition's leader when needed), so completing costs more than submitting in
   * batches of ten; with more submitters the backlog only grows and the drain takes minutes.
   */
  private static final int SUBMITTERS = 2;

  private static final int WORKERS = 4;

  /** Why 10 s: ten completes in a row, through a failover, fit; a cut lease returns soon. */
  private static final Duration LEASE = Duration.ofSeconds(10);

  private final LocalReplicaSet replicas;
  private final int partitions;
  private final AtomicBoolean stopSubmitting = new AtomicBoolean();
  private final AtomicBoolean stopWorking = new AtomicBoolean();
  private final Set<String> acknowledged = ConcurrentHashMap.newKeySet();
  private final Map<String, Integer> completions = new ConcurrentHashMap<>();
  private final AtomicLong unknownOutcomes = new AtomicLong();

  /** The current kill's time (nanoTime); a probe sent after it sets its partition's first ack. */
  private volatile long killedAtNanos = Long.MAX_VALUE;

  private final AtomicLongArray firstAckNanos;

  PartitionFailovers(LocalReplicaSet replicas, int partitions) {
    this.replicas = replicas;
    this.partitions = partitions;
    this.firstAckNanos = new AtomicLongArray(partitions);
  }

  void run(int kills, long settleMillis, long submitPauseMillis) throws Exception {
    String all = String.join(",", replicas.urls().stream().map(URI::toString).toList());
    List<Thread> submitters = new ArrayList<>();
    List<Thread> workers = new ArrayList<>();
    List<HourglassClient> clients = new ArrayList<>();
    for (int c = 0; c < SUBMITTERS; c++) {
      var client = client(all);
      clients.add(client);
      int id = c;
      submitters.add(Thread.ofVirtual().start(() -> submit(client, "s" + id, submitPauseMillis)));
    }
    for (int p = 0; p < partitions; p++) {
      var client = client(all);
      clients.add(client);
      int part = p;
      submitters.add(Thread.ofVirtual().start(() -> probe(client, part)));
    }
    for (int w = 0; w < WORKERS; w++) {
      // Each worker starts at another replica; it moves on when that one is down.
      var client = client(rotated(w));
      clients.add(client);
      String id = "w" + w;
      workers.add(Thread.ofVirtual().start(() -> work(client, id)));
    }
    List<Long> victimTimes = new ArrayList<>();
    long otherWorstMillis = 0;
    int otherElections = 0;
    int victimElections = 0;
    for (int k = 0; k < kills; k++) {
      sleep(settleMillis);
      ClusterStatus before = awaitEveryPartitionLed((k + 1) % replicas.size());
      int victim = mostLeading(before, k);
      int observer = (victim + 1) % replicas.size();
      Set<Integer> led = ledBy(before, replicas.peers().get(victim).id());
      for (int p = 0; p < partitions; p++) {
        firstAckNanos.set(p, 0);
      }
      long killedAt = System.nanoTime();
      killedAtNanos = killedAt;
      replicas.kill(victim);
      long[] millis = awaitEveryPartitionServed(killedAt);
      ClusterStatus after = awaitLeadersOtherThan(observer, led, before);
      List<Integer> elected = new ArrayList<>();
      for (int p = 0; p < partitions; p++) {
        if (term(after, p) != term(before, p)) {
          elected.add(p);
        }
        if (led.contains(p)) {
          victimTimes.add(millis[p]);
          victimElections += term(after, p) != term(before, p) ? 1 : 0;
        } else {
          otherWorstMillis = Math.max(otherWorstMillis, millis[p]);
          otherElections += term(after, p) != term(before, p) ? 1 : 0;
        }
      }
      System.out.printf(
          "kill %d: %s (led partitions %s) down; first acknowledged submit per partition after"
              + " %s ms; partitions that elected: %s%n",
          k + 1, replicas.peers().get(victim).id(), led, fmt(millis), elected);
      killedAtNanos = Long.MAX_VALUE;
      replicas.start(victim);
      awaitCaughtUp(victim, observer);
    }
    stopSubmitting.set(true);
    for (Thread t : submitters) {
      t.join(PATIENCE.toMillis());
    }
    drain(clients.get(0));
    stopWorking.set(true);
    for (Thread t : workers) {
      t.join(PATIENCE.toMillis());
    }
    report(clients.get(0), kills, victimTimes, victimElections, otherWorstMillis, otherElections);
    clients.forEach(HourglassClient::close);
  }

  private static void sleep(long millis) {
    try {
      Thread.sleep(millis);
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
    }
  }

  /**
   * A job of the run: attempts to spare, since every kill cuts the leases of the jobs a worker
   * holds there short (each such lease counts as an attempt when it runs out).
   */
  private static JobRequest.Builder job() {
    return JobRequest.builder("chaos").maxAttempts(20).backoff(Duration.ofMillis(100));
  }

  private HourglassClient client(String urls) {
    return HourglassClient.builder(urls).failoverTimeout(Duration.ofSeconds(30)).build();
  }

  /** Every replica's URL, starting with replica {@code first}. */
  private String rotated(int first) {
    List<String> out = new ArrayList<>();
    for (int i = 0; i < replicas.size(); i++) {
      out.add(replicas.urls().get((first + i) % replicas.size()).toString());
    }
    return String.join(",", out);
  }

  private void submit(HourglassClient client, String prefix, long pauseMillis) {
    for (long b = 0; !stopSubmitting.get(); b++) {
      List<JobRequest> batch = new ArrayList<>();
      for (int i = 0; i < 10; i++) {
        batch.add(job().jobId(prefix + "-" + b + "-" + i).build());
      }
      try {
        client.submitBatch(batch).forEach(s -> acknowledged.add(s.jobId()));
      } catch (HourglassException unknown) {
        unknownOutcomes.incrementAndGet(); // applied or not: not counted as acknowledged
      }
      sleep(pauseMillis);
    }
  }

  private void work(HourglassClient client, String worker) {
    while (!stopWorking.get()) {
      leaseAndComplete(client, worker);
    }
  }

  /** One poll; a call whose answer is lost leaves a lease that runs out and is leased again. */
  private void leaseAndComplete(HourglassClient client, String worker) {
    try {
      for (Assignment a : client.lease(worker, 10, Duration.ofMillis(500), List.of(), LEASE)) {
        client.complete(a.jobId(), worker, a.generation(), null);
        completions.merge(a.jobId(), 1, Integer::sum);
      }
    } catch (HourglassException unknown) {
      unknownOutcomes.incrementAndGet();
      sleep(100);
    }
  }

  private void probe(HourglassClient client, int partition) {
    for (long n = 0; !stopSubmitting.get(); n++) {
      String id = idIn(partition, "probe" + partition + "-" + n + "-");
      long sent = System.nanoTime();
      try {
        client.submit(job().jobId(id).build());
        acknowledged.add(id);
        long now = System.nanoTime();
        if (sent > killedAtNanos) {
          firstAckNanos.compareAndSet(partition, 0, now);
        }
      } catch (HourglassException unknown) {
        unknownOutcomes.incrementAndGet();
      }
      sleep(PROBE_MILLIS);
    }
  }

  private String idIn(int partition, String prefix) {
    for (int i = 0; ; i++) {
      if (PartitionRouting.partitionOfId(prefix + i, partitions) == partition) {
        return prefix + i;
      }
    }
  }

  /** Per partition: milliseconds from the kill to its first acknowledged submit sent after it. */
  private long[] awaitEveryPartitionServed(long killedAt) {
    long deadline = killedAt + PATIENCE.toNanos();
    long[] out = new long[partitions];
    for (int p = 0; p < partitions; p++) {
      while (firstAckNanos.get(p) == 0) {
        if (System.nanoTime() > deadline) {
          throw new IllegalStateException(
              "partition " + p + " acknowledged no submit within " + PATIENCE + " of the kill");
        }
        sleep(1);
      }
      out[p] = (firstAckNanos.get(p) - killedAt) / 1_000_000;
    }
    return out;
  }

  /** Replica {@code observer}'s status once it names a leader for every partition. */
  private ClusterStatus awaitEveryPartitionLed(int observer) {
    long deadline = System.nanoTime() + PATIENCE.toNanos();
    while (System.nanoTime() < deadline) {
      ClusterStatus s = status(observer);
      if (s != null
          && s.partitions().size() == partitions
          && s.partitions().stream().allMatch(p -> p.leader() != null)) {
        return s;
      }
      sleep(100);
    }
    throw new IllegalStateException("a partition had no leader for " + PATIENCE);
  }

  /**
   * The replica that leads the most partitions, the k-th in turn among equals. Leaderships do not
   * return to a restarted replica while writes never pause (Ratis hands a leadership to a member of
   * higher priority only when that member holds the leader's last entry), so the survivors of
   * earlier kills lead more; the victim is always a leader of some.
   */
  private int mostLeading(ClusterStatus s, int k) {
    int best = -1;
    int bestCount = -1;
    for (int i = 0; i < replicas.size(); i++) {
      int r = (k + i) % replicas.size();
      int n = ledBy(s, replicas.peers().get(r).id()).size();
      if (n > bestCount) {
        best = r;
        bestCount = n;
      }
    }
    return best;
  }

  /** Until the restarted replica names every leader and has applied what the others commit. */
  private void awaitCaughtUp(int restarted, int observer) {
    long deadline = System.nanoTime() + PATIENCE.toNanos();
    while (System.nanoTime() < deadline) {
      ClusterStatus mine = status(restarted);
      ClusterStatus theirs = status(observer);
      if (mine != null
          && theirs != null
          && mine.partitions().size() == partitions
          && mine.partitions().stream()
              .allMatch(
                  p ->
                      p.leader() != null
                          && p.lastAppliedIndex()
                              >= theirs.partitions().get(p.partition()).commitIndex() - 1000)) {
        return;
      }
      sleep(100);
    }
    throw new IllegalStateException(
        "replica "
            + replicas.peers().get(restarted).id()
            + " did not catch up within "
            + PATIENCE
            + ":\n"
            + replicas.tail(restarted, 40));
  }

  /** The status once every partition {@code led} has a leader other than its old one. */
  private ClusterStatus awaitLeadersOtherThan(int observer, Set<Integer> led, ClusterStatus was) {
    long deadline = System.nanoTime() + PATIENCE.toNanos();
    while (System.nanoTime() < deadline) {
      ClusterStatus s = status(observer);
      if (s != null
          && led.stream()
              .allMatch(
                  p ->
                      leader(s, p) != null
                          && !leader(s, p).equals(leader(was, p))
                          && term(s, p) > term(was, p))) {
        return s;
      }
      sleep(50);
    }
    throw new IllegalStateException("partitions " + led + " elected no leader within " + PATIENCE);
  }

  private ClusterStatus status(int replica) {
    try (var one =
        HourglassClient.builder(replicas.urls().get(replica).toString())
            .requestTimeout(Duration.ofSeconds(5))
            .build()) {
      return one.clusterStatus();
    } catch (HourglassException down) {
      return null;
    }
  }

  private static Set<Integer> ledBy(ClusterStatus s, String node) {
    Set<Integer> out = new java.util.TreeSet<>();
    for (ClusterStatus.Partition p : s.partitions()) {
      if (node.equals(p.leader())) {
        out.add(p.partition());
      }
    }
    return out;
  }

  private static String leader(ClusterStatus s, int partition) {
    return s.partitions().get(partition).leader();
  }

  private static long term(ClusterStatus s, int partition) {
    return s.partitions().get(partition).term();
  }

  private static String fmt(long[] millis) {
    var b = new StringBuilder("[");
    for (int p = 0; p < millis.length; p++) {
      b.append(p == 0 ? "" : ", ").append(p).append(": ").append(millis[p]);
    }
    return b.append(']').toString();
  }

  /** Until the workers have finished every job (the leases cut short by kills run out first). */
  private void drain(HourglassClient client) {
    long deadline = System.nanoTime() + PATIENCE.toNanos();
    while (System.nanoTime() < deadline) {
      if (unfinished(client) == 0) {
        return;
      }
      sleep(500);
    }
    List<String> stuck = new ArrayList<>();
    for (String id : acknowledged) {
      var job = client.job(id);
      if (!job.state().isFinished() && stuck.size() < 5) {
        stuck.add(job.toString());
      }
    }
    throw new IllegalStateException(
        "jobs still unfinished "
            + PATIENCE
            + " after the last kill: "
            + client.counts()
            + "; for example "
            + stuck);
  }

  private static long unfinished(HourglassClient client) {
    return client.counts().entrySet().stream()
        .filter(e -> !e.getKey().isFinished())
        .mapToLong(Map.Entry::getValue)
        .sum();
  }

  private void report(
      HourglassClient client,
      int kills,
      List<Long> victimTimes,
      int victimElections,
      long otherWorstMillis,
      int otherElections) {
    // Each acknowledged job read back, eight at a time; "absent" counts a job no replica knows.
    Map<String, Long> lostByState = new ConcurrentHashMap<>();
    try (var pool = java.util.concurrent.Executors.newFixedThreadPool(8)) {
      for (String id : acknowledged) {
        pool.submit(
            () -> {
              String state;
              try {
                state = client.job(id).state().name();
              } catch (HourglassException notFound) {
                state = "absent";
              }
              if (!state.equals(JobState.SUCCEEDED.name())) {
                lostByState.merge(state, 1L, Long::sum);
              }
            });
      }
    }
    long lost = lostByState.getOrDefault("absent", 0L);
    long doubles = completions.values().stream().filter(n -> n > 1).count();
    long[] sorted = victimTimes.stream().mapToLong(Long::longValue).sorted().toArray();
    System.out.printf(
        "partition failover over %d kills (%d partitions of killed leaders): min %d, median %d,"
            + " p99 %d, max %d ms; elections there %d; partitions whose leader lived: slowest first"
            + " acknowledged submit %d ms, elections %d%n",
        kills,
        sorted.length,
        sorted.length == 0 ? -1 : sorted[0],
        sorted.length == 0 ? -1 : sorted[sorted.length / 2],
        sorted.length == 0 ? -1 : sorted[Math.min(sorted.length - 1, (int) (0.99 * sorted.length))],
        sorted.length == 0 ? -1 : sorted[sorted.length - 1],
        victimElections,
        otherWorstMillis,
        otherElections);
    System.out.printf(
        "acknowledged submits %,d, lost (no replica knows it) %d, not SUCCEEDED by state %s;"
            + " acknowledged completions %,d, completed twice %d; calls with an unknown outcome"
            + " %,d%n",
        acknowledged.size(), lost, lostByState, completions.size(), doubles, unknownOutcomes.get());
  }
}
