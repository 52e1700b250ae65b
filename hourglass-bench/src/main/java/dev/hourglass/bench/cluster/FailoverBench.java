package dev.hourglass.bench.cluster;

import dev.hourglass.cluster.ClusterClient;
import dev.hourglass.core.command.Command;
import dev.hourglass.core.command.Command.SubmitJob;
import dev.hourglass.core.command.Command.SubmitJobs;
import dev.hourglass.core.command.JobSpec;
import dev.hourglass.testkit.LocalCluster;
import dev.hourglass.testkit.SteadyLoad;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.Semaphore;
import java.util.concurrent.atomic.AtomicLong;

/**
 * Replicated submit throughput and failover time with three replica processes on 127.0.0.1.
 *
 * <pre>
 * ./hourglass bench failover [--kills 50] [--seconds 10]
 *     [--batch 1000] [--window 64]
 * </pre>
 *
 * <p>Phases: (1) batched submits, {@code --batch} jobs per Raft entry, {@code --window} entries
 * in flight; (2) one job per Raft entry, {@code --window} in flight, with ack latency; (3)
 * {@code --kills} times: SIGKILL the leader under a steady blocking load and time until the first
 * acknowledged write on a new leader; restart the victim and wait until it caught up.
 */
public final class FailoverBench {
  private FailoverBench() {}

  public static void main(String[] args) throws Exception {
    int kills = 50;
    int seconds = 10;
    int batch = 1000;
    int window = 64;
    for (int i = 0; i + 1 < args.length; i += 2) {
      switch (args[i]) {
        case "--kills" -> kills = Integer.parseInt(args[i + 1]);
        case "--seconds" -> seconds = Integer.parseInt(args[i + 1]);
        case "--batch" -> batch = Integer.parseInt(args[i + 1]);
        case "--window" -> window = Integer.parseInt(args[i + 1]);
        default -> throw new IllegalArgumentException("unknown flag " + args[i]);
      }
    }
    Path dir = Files.createTempDirectory("hourglass-failover-bench");
    System.out.printf("cores=%d java=%s dir=%s%n", Runtime.getRuntime().availableProcessors(),
        System.getProperty("java.version"), dir);
    try (var cluster = new LocalCluster(dir, 3, List.of("-Xmx1g"), List.of());
        var client = new ClusterClient(cluster.peers(), Duration.ofSeconds(60),
            Duration.ofSeconds(3))) {
      cluster.startAll();
      long t0 = System.nanoTime();
      client.submit(List.of(new Command.Tick(0)));
      System.out.printf("first commit after start: %d ms%n", (System.nanoTime() - t0) / 1_000_000);
      throughput(client, "warm-up batched", 5, batch, window);
      throughput(client, "batched", seconds, batch, window);
      throughput(client, "warm-up one-per-entry", 5, 1, window);
      throughput(client, "one-per-entry", seconds, 1, window);
      failovers(cluster, client, kills);
    }
    System.exit(0);
  }

  private static final AtomicLong ids = new AtomicLong();

  private static List<Command> jobs(int n) {
    if (n == 1) {
      return List.of(new SubmitJob(0, JobSpec.of("b" + ids.incrementAndGet(), "t", "p")));
    }
    List<JobSpec> specs = new ArrayList<>(n);
    for (int i = 0; i < n; i++) {
      specs.add(JobSpec.of("b" + ids.incrementAndGet(), "t", "p"));
    }
    return List.of(new SubmitJobs(0, specs));
  }

  static void throughput(ClusterClient client, String name, int seconds, int batch, int window)
      throws InterruptedException {
    var permits = new Semaphore(window);
    List<Long> latencies = Collections.synchronizedList(new ArrayList<>());
    var failed = new AtomicLong();
    long end = System.nanoTime() + seconds * 1_000_000_000L;
    long start = System.nanoTime();
    long sent = 0;
    while (System.nanoTime() < end) {
      permits.acquire();
      long at = System.nanoTime();
      CompletableFuture<dev.hourglass.cluster.ReplyCodec.Committed> f =
          client.submitAsync(jobs(batch));
      f.whenComplete((r, e) -> {
        if (e != null || !r.outcomes().get(0).isApplied()) {
          failed.incrementAndGet();
        } else {
          latencies.add(System.nanoTime() - at);
        }
        permits.release();
      });
      sent++;
    }
    permits.acquire(window);
    double secs = (System.nanoTime() - start) / 1e9;
    List<Long> sorted = new ArrayList<>(latencies);
    Collections.sort(sorted);
    System.out.printf("%s: entries=%d jobs/entry=%d jobs/s=%.0f entries/s=%.0f ack p50=%.1f ms"
        + " p99=%.1f ms failed=%d%n", name, sent, batch, sorted.size() * (double) batch / secs,
        sorted.size() / secs, pct(sorted, 50) / 1e6, pct(sorted, 99) / 1e6, failed.get());
    permits.release(window);
  }

  static void failovers(LocalCluster cluster, ClusterClient client, int kills) throws Exception {
    if (kills <= 0) {
      return;
    }
    var load = new SteadyLoad(client, "f");
    var thread = new Thread(load, "steady-load");
    thread.start();
    List<Long> millis = new ArrayList<>();
    try {
      waitFor(() -> load.acks.get() > 20, Duration.ofSeconds(60));
      for (int k = 0; k < kills; k++) {
        String leader = load.lastAckLeader();
        int victim = cluster.indexOf(leader);
        long killedAt = System.nanoTime();
        cluster.kill(victim);
        waitFor(() -> load.lastAckNanos() > killedAt && !leader.equals(load.lastAckLeader()),
            Duration.ofSeconds(60));
        long ms = (load.lastAckNanos() - killedAt) / 1_000_000;
        millis.add(ms);
        System.out.printf("kill %d: %s -> %s in %d ms%n", k + 1, leader, load.lastAckLeader(), ms);
        cluster.start(victim);
        long target = client.leaderStatus().lastAppliedIndex();
        String id = cluster.peers().get(victim).id();
        waitFor(() -> {
          try {
            return client.status(id, target).lastAppliedIndex() >= target;
          } catch (IOException e) {
            return false;
          }
        }, Duration.ofSeconds(120));
      }
    } finally {
      load.stop();
      thread.join(60_000);
    }
    Collections.sort(millis);
    System.out.printf("failover (SIGKILL leader -> first ack on new leader) over %d kills:"
        + " min=%d median=%d p99=%d max=%d ms; load acks=%d unknown-outcome=%d%n", millis.size(),
        millis.get(0), pct(millis, 50), pct(millis, 99), millis.get(millis.size() - 1),
        load.acks.get(), load.failures.get());
  }

  private static long pct(List<Long> sorted, int p) {
    if (sorted.isEmpty()) {
      return 0;
    }
    int i = (int) Math.ceil(p / 100.0 * sorted.size()) - 1;
    return sorted.get(Math.max(0, Math.min(sorted.size() - 1, i)));
  }

  private interface Condition {
    boolean holds() throws Exception;
  }

  private static void waitFor(Condition c, Duration timeout) throws Exception {
    long deadline = System.nanoTime() + timeout.toNanos();
    while (!c.holds()) {
      if (System.nanoTime() > deadline) {
        throw new IllegalStateException("condition not reached within " + timeout);
      }
      Thread.sleep(5); // polling a benchmark condition, not synchronizing a test
    }
  }
}
