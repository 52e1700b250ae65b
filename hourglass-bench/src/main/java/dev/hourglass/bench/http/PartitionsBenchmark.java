package dev.hourglass.bench.http;

import dev.hourglass.server.HourglassServer;
import dev.hourglass.server.ServerOptions;
import dev.hourglass.testkit.LocalProcesses;
import dev.hourglass.testkit.LocalReplicaSet;
import dev.hourglass.wal.FsyncPolicy;
import java.net.URI;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;

/**
 * One node with 1, 2, 4 ... partitions, the same load on each, in one run: durable submit in
 * batches of 1,000 and end to end (batched lease and complete), over real HTTP on 127.0.0.1 with
 * the load generator in the same JVM.
 *
 * <pre>
 *   ./hourglass bench partitions [seconds-per-phase=5] [counts=1,2,4] [fsync=always]
 *       [--storm-jobs 1000000]
 * </pre>
 *
 * <p>Besides jobs per second it prints the CPU seconds the process spent per million jobs (server
 * and load generator together): on a machine with few cores the wall figure stops scaling when the
 * cores are busy, while CPU per job shows what each partition costs.
 *
 * <p>With {@code --storm-jobs J} each count also runs the due storm of docs/BENCHMARKS.md ({@link
 * DueStorm}: J jobs due in one second, submitted ahead, 16 workers leasing up to 1,000) against an
 * {@code hourglass server --partitions N} in a process of its own ({@code -Xmx4g}, as the
 * one-partition figure was measured), and prints the lateness, the delivery rate, the server's CPU
 * per million jobs delivered and where that CPU went by kind of thread. {@code seconds-per-phase=0}
 * runs the storm alone.
 */
public final class PartitionsBenchmark {
  private PartitionsBenchmark() {}

  public static void main(String[] argv) throws Exception {
    List<String> positional = new ArrayList<>(List.of(argv));
    int stormJobs = 0;
    int at = positional.indexOf("--storm-jobs");
    if (at >= 0) {
      if (at + 1 >= positional.size()) {
        throw new IllegalArgumentException("--storm-jobs needs a job count, e.g. 1000000");
      }
      stormJobs = Integer.parseInt(positional.get(at + 1));
      positional.subList(at, at + 2).clear();
    }
    String[] args = positional.toArray(String[]::new);
    Duration phase = Duration.ofSeconds(args.length > 0 ? Integer.parseInt(args[0]) : 5);
    List<Integer> counts = new ArrayList<>();
    for (String c : (args.length > 1 ? args[1] : "1,2,4").split(",")) {
      counts.add(Integer.parseInt(c.strip()));
    }
    FsyncPolicy fsync = FsyncPolicy.parse(args.length > 2 ? args[2] : "always");
    System.out.printf(
        "partitions %s fsync=%s cores=%d jdk=%s phase=%ds%n",
        counts,
        fsync,
        Runtime.getRuntime().availableProcessors(),
        Runtime.version(),
        phase.toSeconds());
    List<String> rows = new ArrayList<>();
    List<String> stormRows = new ArrayList<>();
    for (int n : counts) {
      if (stormJobs > 0) {
        stormRows.add(storm(n, stormJobs, fsync));
        System.out.println(stormRows.getLast()); // kept should a later count fail
      }
      if (phase.isZero()) {
        continue;
      }
      Path dir = Files.createTempDirectory("hourglass-bench-partitions");
      try (var server =
          HourglassServer.start(
              ServerOptions.of(dir).withPort(0).withFsync(fsync).withPartitions(n))) {
        System.out.printf("%n-- %d partition%s --%n", n, n == 1 ? "" : "s");
        var b = new HttpLoadBenchmark(server.uri(), phase);
        HttpLoadBenchmark.CURRENT = b;
        var submit = b.submitBatches();
        var e2e = b.endToEndBatched();
        String order = priorityOrder(b);
        rows.add(
            String.format(
                "| %d | %,.0f | %.2f | %,.0f | %.2f | %s |",
                n,
                submit.jobsPerSecond(),
                submit.cpuSecondsPerMillionJobs(),
                e2e.jobsPerSecond(),
                e2e.cpuSecondsPerMillionJobs(),
                order));
      }
    }
    if (!stormRows.isEmpty()) {
      System.out.printf(
          "%n| partitions | storm: lateness p50 | p99 | last job after T | delivered/s"
              + " | server CPU s per 1M delivered | server cores | where the server's CPU went |%n"
              + "|---|---|---|---|---|---|---|---|%n");
      stormRows.forEach(System.out::println);
    }
    if (rows.isEmpty()) {
      return;
    }
    System.out.printf(
        "%n| partitions | submit, batches of 1,000 (jobs/s) | CPU s per 1M jobs |"
            + " end to end, batched (jobs/s) | CPU s per 1M jobs | priority order |%n"
            + "|---|---|---|---|---|---|%n");
    rows.forEach(System.out::println);
    System.out.println(
        "(priority order: 2,000 jobs of priorities 0-9 spread over the partitions,"
            + " leased 10 at a time; the share of leases that did not take the 10 highest READY"
            + " priorities, and the priority given up per job on average)");
  }

  /**
   * The due storm against {@code hourglass server --partitions n} in a process of its own, so that
   * its CPU is its own; returns the table row.
   */
  private static String storm(int n, int jobs, FsyncPolicy fsync) throws Exception {
    Path dir = Files.createTempDirectory("hourglass-bench-storm");
    int port = LocalReplicaSet.freePorts(1).get(0);
    List<String> serverArgs =
        List.of(
            "--data-dir",
            dir.resolve("data").toString(),
            "--port",
            Integer.toString(port),
            "--fsync",
            fsync.toString(),
            "--partitions",
            Integer.toString(n));
    try (var server =
        new LocalProcesses(
            dir, List.of("server"), List.of("-Xmx4g"), SERVER_MAIN, i -> serverArgs)) {
      server.start(0);
      // The server is this JVM's only child: the previous count's was killed and waited for.
      long pid =
          ProcessHandle.current()
              .children()
              .filter(ProcessHandle::isAlive)
              .findFirst()
              .orElseThrow()
              .pid();
      URI base = URI.create("http://127.0.0.1:" + port);
      try (var metrics = new RawHttpConnection(base, null)) {
        awaitServing(metrics, server);
        System.out.printf(
            "%n-- due storm, %d partition%s (server pid %d) --%n", n, n == 1 ? "" : "s", pid);
        // A storm a tenth the size first, so that the lease and complete paths are compiled before
        // the measured one (its submit path is compiled while the measured storm is submitted).
        new DueStorm(base, null, "warm", jobs / 10, 32, 16, 1_000, pid, () -> null, System.out)
            .withLeadMillis(3_000 + 1_000L * jobs / 10 / 25_000)
            .run();
        var r =
            new DueStorm(
                    base,
                    null,
                    "storm",
                    jobs,
                    32,
                    16,
                    1_000,
                    pid,
                    () -> fetchMetrics(metrics),
                    System.out)
                .withLeadMillis(3_000 + 1_000L * jobs / 25_000)
                .run();
        System.out.println(DueStorm.summary(r));
        long[] s = r.lateness();
        double delivered = r.jobs() / Math.max(1.0, r.drainMillis()) * 1000;
        double cpu = r.serverThreads().values().stream().mapToDouble(Double::doubleValue).sum();
        return String.format(
            Locale.ROOT,
            "| %d | %,.0f ms | %,.0f ms | %,.0f ms | %,.0f | %.2f | %.2f | %s |",
            n,
            LoadGenerator.pct(s, 50) / 1e6,
            LoadGenerator.pct(s, 99) / 1e6,
            r.drainMillis(),
            delivered,
            cpu / (r.jobs() / 1e6),
            cpu / Math.max(0.001, r.drainMillis() / 1000),
            ThreadCpu.describe(r.serverThreads()));
      }
    }
  }

  private static final String SERVER_MAIN = "dev.hourglass.server.ServerMain";

  private static String fetchMetrics(RawHttpConnection c) {
    try {
      return c.send("GET", "/metrics", null) == 200 ? c.bodyText() : null;
    } catch (java.io.IOException e) {
      return null;
    }
  }

  /** Until the spawned server answers {@code /readyz} with 200; at most 60 s. */
  private static void awaitServing(RawHttpConnection c, LocalProcesses server) throws Exception {
    long deadline = System.nanoTime() + Duration.ofSeconds(60).toNanos();
    while (System.nanoTime() < deadline) {
      try {
        if (c.send("GET", "/readyz", null) == 200) {
          return;
        }
      } catch (java.io.IOException starting) {
        // not listening yet
      }
      Thread.sleep(100);
    }
    throw new IllegalStateException("the server did not start within 60 s:\n" + server.tail(0, 40));
  }

  /**
   * How approximate priority is across partitions: jobs of random priorities, each with its own
   * partition key, leased {@link #LEASE_MAX} at a time by one worker; each lease is compared with
   * the highest priorities still READY anywhere.
   */
  /** Leases of this many jobs: with more than one per lease, ranking partitions is not enough. */
  private static final int LEASE_MAX = 10;

  private static String priorityOrder(HttpLoadBenchmark b) {
    int jobs = 2_000;
    var random = new java.util.Random(42);
    int[] ready = new int[10];
    for (int start = 0; start < jobs; start += 100) {
      StringBuilder body = new StringBuilder("{\"jobs\":[");
      for (int i = start; i < start + 100; i++) {
        int p = random.nextInt(10);
        ready[p]++;
        body.append(i == start ? "" : ",")
            .append("{\"task\":\"t\",\"queue\":\"prio\"," + "\"priority\":")
            .append(p)
            .append(",\"payload\":")
            .append(p)
            .append(",\"partition_key\":\"k")
            .append(i)
            .append("\"}");
      }
      b.post("/api/v1/jobs:batch", body.append("]}").toString());
    }
    int leases = 0;
    int notIdeal = 0;
    long gap = 0;
    for (int taken = 0; taken < jobs; ) {
      var a =
          b.post(
                  "/api/v1/lease",
                  "{\"worker_id\":\"prio\",\"max\":" + LEASE_MAX + ",\"queues\":[\"prio\"]}")
              .get("assignments");
      if (a.isEmpty()) {
        break;
      }
      long ideal = 0; // the sum of the a.size() highest priorities READY anywhere
      int[] left = ready.clone();
      for (int k = 0, p = 9; k < a.size(); k++) {
        while (left[p] == 0) {
          p--;
        }
        left[p]--;
        ideal += p;
      }
      StringBuilder done = new StringBuilder("{\"worker_id\":\"prio\",\"completions\":[");
      long got = 0;
      for (int i = 0; i < a.size(); i++) {
        int p = a.get(i).get("payload").asInt();
        got += p;
        ready[p]--;
        done.append(i == 0 ? "" : ",")
            .append("{\"job_id\":\"")
            .append(a.get(i).get("job_id").asText())
            .append("\",\"generation\":")
            .append(a.get(i).get("generation").asInt())
            .append('}');
      }
      b.post("/api/v1/jobs:complete", done.append("]}").toString());
      leases++;
      notIdeal += got < ideal ? 1 : 0;
      gap += ideal - got;
      taken += a.size();
    }
    return String.format(
        "max=%d: %.0f %% of leases not the best set, mean gap %.2f per job",
        LEASE_MAX, 100.0 * notIdeal / Math.max(1, leases), (double) gap / jobs);
  }
}
