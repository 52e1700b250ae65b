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
 * <p>Besides jobs per second it prints the CPU seconds the process spent per million jobs
 * (server and load generator together): on a machine with few cores the wall figure stops
 * scaling when the cores are busy, while CPU per job shows what each partition costs.
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
    System.out.printf("partitions %s fsync=%s cores=%d jdk=%s phase=%ds%n", counts, fsync,
        Runtime.getRuntime().availableProcessors(), Runtime.version(), phase.toSeconds());
    List<String> rows = new ArrayList<>();
    for (int n : counts) {
      Path dir = Files.createTempDirectory("hourglass-bench-partitions");
      try (var server = HourglassServer.start(ServerOptions.of(dir).withPort(0).withFsync(fsync)
          .withPartitions(n))) {
        System.out.printf("%n-- %d partition%s --%n", n, n == 1 ? "" : "s");
        var b = new HttpLoadBenchmark(server.uri(), phase);
        HttpLoadBenchmark.CURRENT = b;
        var submit = b.submitBatches();
        var e2e = b.endToEndBatched();
        rows.add(String.format("| %d | %,.0f | %.2f | %,.0f | %.2f |", n, submit.jobsPerSecond(),
            submit.cpuSecondsPerMillionJobs(), e2e.jobsPerSecond(),
            e2e.cpuSecondsPerMillionJobs()));
      }
    }
    System.out.printf("%n| partitions | submit, batches of 1,000 (jobs/s) | CPU s per 1M jobs |"
        + " end to end, batched (jobs/s) | CPU s per 1M jobs |%n|---|---|---|---|---|%n");
    rows.forEach(System.out::println);
  }
}
