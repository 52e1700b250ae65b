package dev.hourglass.bench.cluster;

import com.fasterxml.jackson.databind.ObjectMapper;
import dev.hourglass.testkit.LocalReplicaSet;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicLong;
import java.util.concurrent.atomic.AtomicReference;
import java.util.function.IntFunction;

/**
 * Three `hourglass server` replica processes on 127.0.0.1 driven over HTTP from this (fourth) JVM:
 * replicated durable submit throughput, failover time, and elections at a steady load; see
 * docs/BENCHMARKS.md (Cluster over HTTP).
 *
 * <pre>
 * ./hourglass bench cluster-http [--seconds 10] [--kills 50] [--election-timeout 150-300]
 *     [--steady-minutes 0] [--steady-rate 0] [--steady-outstanding 2000] [--jvm "-Xmx1g"]
 *     [--skip-throughput] [--skip-batched] [--settle-ms 300] [--submit-pause-ms 2]
 *     [--skip-single] [--partitions 1] [--warmup-seconds 5]
 * </pre>
 *
 * <p>{@code --partitions N} gives every replica {@code --partitions N} (one Raft group per
 * partition, leaders spread over the replicas, any replica answers any call: docs/CLUSTER.md); the
 * clients of the throughput phases then spread over the replicas instead of all following the one
 * leader. Each throughput phase prints the CPU seconds per million jobs of the replicas and of this
 * driver, read from the processes' CPU time, and where each replica's CPU went by kind of thread.
 *
 * <p>With {@code --partitions N} and kills, the failover phase is {@link PartitionFailovers}: the
 * replicas are killed in turn under a submit and complete load, and it reports each partition's
 * failover, which partitions elected, and the acknowledged submits lost and jobs completed twice.
 *
 * <p>Failover time is what a client sees: from the leader's SIGKILL to the first acknowledged
 * (committed) submit answered by another replica, with clients retrying every 10 ms on the replicas
 * in turn and following redirects (a 503 OVERLOADED is retried after its Retry-After instead). The
 * steady phase submits at a fixed rate with a bounded number outstanding and counts term changes
 * (each is an election) in {@code GET /api/v1/cluster}: with no kills, any is spurious.
 */
public final class ClusterHttpBenchmark {
  private static final ObjectMapper MAPPER = new ObjectMapper();
  private final LocalReplicaSet replicas;
  private final HttpClient http =
      HttpClient.newBuilder()
          .version(HttpClient.Version.HTTP_1_1)
          .connectTimeout(Duration.ofSeconds(2))
          .executor(Executors.newVirtualThreadPerTaskExecutor())
          .build();
  private final AtomicInteger leaderGuess = new AtomicInteger();
  private final AtomicLong lastAckNanos = new AtomicLong();
  private final AtomicReference<Integer> lastAckFrom = new AtomicReference<>();

  /** 503 OVERLOADED or UNAVAILABLE answers, each followed by its Retry-After pause. */
  private final AtomicLong overloaded = new AtomicLong();

  /** More than one partition: any replica serves any call, so clients spread over them. */
  private final boolean spread;

  private ClusterHttpBenchmark(LocalReplicaSet replicas, boolean spread) {
    this.replicas = replicas;
    this.spread = spread;
  }

  public static void main(String[] args) throws Exception {
    int seconds = 10;
    int warmupSeconds = 5;
    int kills = 50;
    String election = "500-1000";
    double steadyMinutes = 0;
    int steadyRate = 0;
    int steadyOutstanding = 2_000;
    long settleMillis = 300;
    long submitPauseMillis = 2;
    String jvm = "-Xmx1g";
    boolean throughput = true;
    boolean batched = true;
    boolean single = true;
    int partitions = 1;
    for (int i = 0; i < args.length; i++) {
      String flag = args[i];
      if (flag.equals("--skip-throughput")) {
        throughput = false;
        continue;
      }
      if (flag.equals("--skip-batched")) {
        // The batched phase leaves millions of never-completed jobs in every replica's heap,
        // which the one-job phase after it then pays for in garbage collection.
        batched = false;
        continue;
      }
      if (flag.equals("--skip-single")) {
        single = false;
        continue;
      }
      if (++i >= args.length) {
        throw new IllegalArgumentException("flag " + flag + " needs a value");
      }
      String value = args[i];
      switch (flag) {
        case "--seconds" -> seconds = Integer.parseInt(value);
        case "--warmup-seconds" -> warmupSeconds = Integer.parseInt(value);
        case "--kills" -> kills = Integer.parseInt(value);
        case "--election-timeout" -> election = value;
        case "--steady-minutes" -> steadyMinutes = Double.parseDouble(value);
        case "--steady-rate" -> steadyRate = Integer.parseInt(value);
        case "--steady-outstanding" -> steadyOutstanding = Integer.parseInt(value);
        case "--settle-ms" -> settleMillis = Long.parseLong(value);
        case "--submit-pause-ms" -> submitPauseMillis = Long.parseLong(value);
        case "--jvm" -> jvm = value;
        case "--partitions" -> partitions = Integer.parseInt(value);
        default -> throw new IllegalArgumentException("unknown flag " + flag);
      }
    }
    Path dir = Files.createTempDirectory("hourglass-cluster-http-bench");
    System.out.printf(
        "cores=%d java=%s election-timeout=%s partitions=%d replica JVM options=%s dir=%s%n",
        Runtime.getRuntime().availableProcessors(),
        System.getProperty("java.version"),
        election,
        partitions,
        jvm,
        dir);
    List<String> serverArgs =
        List.of("--election-timeout", election, "--partitions", Integer.toString(partitions));
    try (var replicas =
        new LocalReplicaSet(dir, 3, List.of(jvm.trim().split("\\s+")), serverArgs)) {
      long t0 = System.nanoTime();
      replicas.startAll();
      var bench = new ClusterHttpBenchmark(replicas, partitions > 1);
      bench.call("/api/v1/jobs", "{\"task\":\"warm\"}", Duration.ofSeconds(120));
      System.out.printf(
          "first acknowledged submit after spawning: %d ms%n",
          (System.nanoTime() - t0) / 1_000_000);
      if (throughput && batched) {
        bench.throughput("warm-up batched", warmupSeconds, 4, n -> batch(n, 1000), 1000);
        bench.throughput(
            "batched (1000 jobs per request, 4 clients)", seconds, 4, n -> batch(n, 1000), 1000);
      }
      if (throughput && single) {
        bench.throughput("warm-up single", warmupSeconds, 64, n -> "{\"task\":\"t\"}", 1);
        bench.throughput(
            "one job per request (64 clients)", seconds, 64, n -> "{\"task\":\"t\"}", 1);
      }
      if (steadyMinutes > 0) {
        bench.steady(steadyMinutes, steadyRate, steadyOutstanding);
      }
      if (kills > 0 && partitions > 1) {
        // Any replica answers any call: a failover is per partition (see PartitionFailovers).
        new PartitionFailovers(replicas, partitions).run(kills, settleMillis, submitPauseMillis);
      } else if (kills > 0) {
        bench.failovers(kills, settleMillis, submitPauseMillis);
      }
    }
    System.exit(0); // the HttpClient's selector thread is not a daemon
  }

  private static String batch(long n, int size) {
    var b = new StringBuilder(size * 16 + 16).append("{\"jobs\":[");
    for (int i = 0; i < size; i++) {
      b.append(i == 0 ? "" : ",").append("{\"task\":\"t\"}");
    }
    return b.append("]}").toString();
  }

  /**
   * POSTs to the leader (following 307, trying the next replica on 503 or a refused connection)
   * until acknowledged or the patience runs out; returns the latency, or -1.
   */
  long call(String path, String body, Duration patience) {
    return call(path, body, patience, leaderGuess);
  }

  /** {@link #call}, starting from and updating {@code leaderGuess} of the caller's own. */
  long call(String path, String body, Duration patience, AtomicInteger leaderGuess) {
    long start = System.nanoTime();
    long deadline = start + patience.toNanos();
    while (System.nanoTime() < deadline) {
      int i = leaderGuess.get();
      URI uri = replicas.urls().get(i).resolve(path);
      try {
        var req =
            HttpRequest.newBuilder(uri)
                .timeout(Duration.ofSeconds(10))
                .header("Content-Type", "application/json")
                .POST(HttpRequest.BodyPublishers.ofString(body))
                .build();
        HttpResponse<String> r = http.send(req, HttpResponse.BodyHandlers.ofString());
        if (r.statusCode() == 307) {
          int port = URI.create(r.headers().firstValue("Location").orElseThrow()).getPort();
          for (int k = 0; k < replicas.size(); k++) {
            if (replicas.urls().get(k).getPort() == port) {
              leaderGuess.compareAndSet(i, k);
            }
          }
          continue;
        }
        if (r.statusCode() / 100 == 2) {
          long now = System.nanoTime();
          lastAckNanos.set(now);
          lastAckFrom.set(i);
          return now - start;
        }
        if (r.statusCode() != 503) {
          throw new IllegalStateException("unexpected " + r.statusCode() + ": " + r.body());
        }
        long backoffSeconds = overloadBackoffSeconds(r);
        if (backoffSeconds > 0) {
          // The leader is saturated, not gone: wait as asked, same replica. Retrying at once is
          // what turned an overload into a collapse (docs/BENCHMARKS.md, "Cluster over HTTP").
          overloaded.incrementAndGet();
          sleep(backoffSeconds * 1000);
          continue;
        }
      } catch (java.io.IOException e) {
        // down or restarting: try the next one
      } catch (InterruptedException e) {
        Thread.currentThread().interrupt();
        return -1;
      }
      leaderGuess.compareAndSet(i, (i + 1) % replicas.size());
      sleep(10);
    }
    return -1;
  }

  /** Retry-After of a 503 OVERLOADED or UNAVAILABLE; 0 for the election codes (retry soon). */
  private static long overloadBackoffSeconds(HttpResponse<String> r) {
    String body = r.body();
    if (!body.contains("\"OVERLOADED\"") && !body.contains("\"UNAVAILABLE\"")) {
      return 0;
    }
    return r.headers().firstValue("Retry-After").map(v -> Long.parseLong(v.trim())).orElse(1L);
  }

  private void throughput(
      String name, int seconds, int clients, IntFunction<String> body, int jobsPerCall)
      throws InterruptedException {
    var stop = new AtomicBoolean();
    var calls = new AtomicLong();
    List<long[]> latencies = new ArrayList<>();
    try (ExecutorService pool = Executors.newVirtualThreadPerTaskExecutor()) {
      for (int c = 0; c < clients; c++) {
        long[] mine = new long[1 << 20];
        latencies.add(mine);
        var guess = spread ? new AtomicInteger(c % replicas.size()) : leaderGuess;
        pool.submit(
            () -> {
              int n = 0;
              while (!stop.get()) {
                long ns =
                    call(
                        "/api/v1/" + (jobsPerCall > 1 ? "jobs:batch" : "jobs"),
                        body.apply(n),
                        Duration.ofSeconds(30),
                        guess);
                if (ns >= 0 && n < mine.length - 1) {
                  mine[++n] = ns;
                  mine[0] = n;
                  calls.incrementAndGet();
                }
              }
            });
      }
      var cpuBefore = ProcessCpu.read(replicas.size());
      long start = System.nanoTime();
      long before = calls.get();
      Thread.sleep(seconds * 1000L);
      long done = calls.get() - before;
      long elapsed = System.nanoTime() - start;
      var cpuAfter = ProcessCpu.read(replicas.size());
      stop.set(true);
      long[] all =
          latencies.stream()
              .flatMapToLong(a -> Arrays.stream(a, 1, (int) a[0] + 1))
              .sorted()
              .toArray();
      System.out.printf(
          "%-44s %,10.0f jobs/s  ack p50 %6.1f ms  p99 %6.1f ms  (%d calls)%n",
          name,
          done * (double) jobsPerCall / (elapsed / 1e9),
          pct(all, 0.50),
          pct(all, 0.99),
          all.length);
      System.out.print(cpuAfter.since(cpuBefore, done * jobsPerCall, elapsed / 1e9));
    }
  }

  private static double pct(long[] sorted, double q) {
    return sorted.length == 0
        ? Double.NaN
        : sorted[Math.min(sorted.length - 1, (int) (q * sorted.length))] / 1e6;
  }

  /**
   * A fixed submit rate for a while; counts the elections seen meanwhile. At most {@code
   * outstandingMax} submits are outstanding: a real client pool is bounded too, and an unbounded
   * one measures the client's own pile-up. Submits not sent for that are counted.
   */
  private void steady(double minutes, int rate, int outstandingMax) throws Exception {
    long termBefore = term();
    long overloadedBefore = overloaded.get();
    var stop = new AtomicBoolean();
    var done = new AtomicLong();
    var notSent = new AtomicLong();
    var outstanding = new java.util.concurrent.Semaphore(outstandingMax);
    long periodNanos = 1_000_000_000L / Math.max(1, rate);
    try (ExecutorService pool = Executors.newVirtualThreadPerTaskExecutor()) {
      long start = System.nanoTime();
      long end = start + (long) (minutes * 60e9);
      long next = start;
      while (System.nanoTime() < end) {
        if (!outstanding.tryAcquire()) {
          notSent.incrementAndGet();
        } else {
          pool.submit(
              () -> {
                try {
                  if (call("/api/v1/jobs", "{\"task\":\"steady\"}", Duration.ofSeconds(30)) >= 0) {
                    done.incrementAndGet();
                  }
                } finally {
                  outstanding.release();
                }
              });
        }
        next += periodNanos;
        long wait = next - System.nanoTime();
        if (wait > 0) {
          Thread.sleep(wait / 1_000_000, (int) (wait % 1_000_000));
        }
      }
      stop.set(true);
      long termAfter = term();
      System.out.printf(
          "steady %.1f min at %d submits/s: %,d acknowledged, %,d not sent"
              + " (%d outstanding), %,d answered 503 overloaded, term %d -> %d: %s%n",
          minutes,
          rate,
          done.get(),
          notSent.get(),
          outstandingMax,
          overloaded.get() - overloadedBefore,
          termBefore,
          termAfter,
          termAfter < 0
              ? "elections unknown (no replica answered GET /api/v1/cluster)"
              : "elections " + (termAfter - termBefore));
    }
  }

  /** The highest term any replica reports: each election raises it on every replica. */
  private long term() {
    long max = -1;
    for (URI u : replicas.urls()) {
      try {
        var r =
            http.send(
                HttpRequest.newBuilder(u.resolve("/api/v1/cluster")).build(),
                HttpResponse.BodyHandlers.ofString());
        max = Math.max(max, MAPPER.readTree(r.body()).get("term").asLong());
      } catch (Exception down) {
        // a replica that does not answer has no say
      }
    }
    return max;
  }

  /**
   * Kills the leader {@code kills} times; after each kill the victim restarts and catches up, and
   * the next kill waits {@code settleMillis} more (a freshly started JVM compiles for seconds, on
   * the same two cores the survivors need). Eight clients submit throughout, each pausing {@code
   * submitPauseMillis} between submits: 2 ms keeps two cores saturated, so the survivors elect and
   * start a leader on what CPU is left; 20 ms leaves headroom.
   */
  private void failovers(int kills, long settleMillis, long submitPauseMillis) throws Exception {
    var stop = new AtomicBoolean();
    List<Long> times = new ArrayList<>();
    try (ExecutorService pool = Executors.newVirtualThreadPerTaskExecutor()) {
      for (int c = 0; c < 8; c++) {
        pool.submit(
            () -> {
              while (!stop.get()) {
                call("/api/v1/jobs", "{\"task\":\"f\"}", Duration.ofSeconds(60));
                sleep(submitPauseMillis);
              }
            });
      }
      for (int k = 0; k < kills; k++) {
        sleep(settleMillis);
        Integer victim = lastAckFrom.get();
        long killedAt = System.nanoTime();
        var killedWall = java.time.LocalTime.now();
        replicas.kill(victim);
        while (!(lastAckNanos.get() > killedAt && !victim.equals(lastAckFrom.get()))) {
          sleep(1);
        }
        long ms = (lastAckNanos.get() - killedAt) / 1_000_000;
        times.add(ms);
        // The wall-clock time of the kill lines this up with the replicas' logs.
        System.out.printf(
            "kill %d at %s: leader %s down, %s served after %d ms%n",
            k + 1,
            killedWall,
            replicas.peers().get(victim).id(),
            replicas.peers().get(lastAckFrom.get()).id(),
            ms);
        replicas.start(victim);
        awaitCaughtUp(victim);
      }
      stop.set(true);
    }
    long[] sorted = times.stream().mapToLong(Long::longValue).sorted().toArray();
    System.out.printf(
        "failover over %d kills: min %d, median %d, p99 %d, max %d ms%n",
        sorted.length,
        sorted[0],
        sorted[sorted.length / 2],
        sorted[Math.min(sorted.length - 1, (int) (0.99 * sorted.length))],
        sorted[sorted.length - 1]);
  }

  /** Until the restarted replica answers and has applied what the leader had committed. */
  private void awaitCaughtUp(int i) throws Exception {
    long deadline = System.nanoTime() + Duration.ofSeconds(120).toNanos();
    while (System.nanoTime() < deadline) {
      try {
        var mine =
            MAPPER.readTree(
                http.send(
                        HttpRequest.newBuilder(replicas.urls().get(i).resolve("/api/v1/cluster"))
                            .build(),
                        HttpResponse.BodyHandlers.ofString())
                    .body());
        int leader = leaderGuess.get();
        var theirs =
            MAPPER.readTree(
                http.send(
                        HttpRequest.newBuilder(
                                replicas.urls().get(leader).resolve("/api/v1/cluster"))
                            .build(),
                        HttpResponse.BodyHandlers.ofString())
                    .body());
        if (!mine.path("leader").isNull()
            && mine.get("last_applied_index").asLong()
                >= theirs.get("commit_index").asLong() - 1000) {
          return;
        }
      } catch (java.io.IOException starting) {
        // not up yet
      }
      sleep(100);
    }
    throw new IllegalStateException(
        "replica "
            + replicas.peers().get(i).id()
            + " did not catch up"
            + " within 120 s:\n"
            + replicas.tail(i, 40));
  }

  private static void sleep(long ms) {
    try {
      Thread.sleep(ms);
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
    }
  }
}
