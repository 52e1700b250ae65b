package dev.hourglass.bench.http;

import dev.hourglass.server.HourglassServer;
import dev.hourglass.server.ServerOptions;
import dev.hourglass.wal.FsyncPolicy;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;

/**
 * One node with 1, 2, 4 ... partitions, the same load on each, in one run: durable submit in
 * batches of 1,000 and end to end (batched lease and complete), over real HTTP on 127.0.0.1 with
 * the load generator in the same JVM.
 *
 * <pre>
 *   ./hourglass bench partitions [seconds-per-phase=5] [counts=1,2,4] [fsync=always]
 * </pre>
 *
 * <p>Besides jobs per second it prints the CPU seconds the process spent per million jobs (server
 * and load generator together): on a machine with few cores the wall figure stops scaling when the
 * cores are busy, while CPU per job shows what each partition costs.
 */
public final class PartitionsBenchmark {
  private PartitionsBenchmark() {}

  public static void main(String[] args) throws Exception {
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
    for (int n : counts) {
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
