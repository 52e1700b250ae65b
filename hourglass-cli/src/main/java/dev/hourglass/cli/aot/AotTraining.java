package dev.hourglass.cli.aot;

import dev.hourglass.cli.demo.ReplicaProcesses;
import dev.hourglass.client.HourglassClient;
import dev.hourglass.client.HourglassException;
import dev.hourglass.client.JobRequest;
import dev.hourglass.client.JobState;
import dev.hourglass.client.worker.Worker;
import dev.hourglass.cluster.Peer;
import dev.hourglass.server.HourglassServer;
import dev.hourglass.server.Replication;
import dev.hourglass.server.ServerOptions;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.net.URI;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.Executors;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.stream.Collectors;
import java.util.stream.Stream;

/**
 * The training run behind {@code hourglass aot}: a short, realistic workload in one JVM started
 * with {@code -XX:AOTCacheOutput}, so that JDK 25's ahead-of-time cache holds the classes (loaded
 * and linked) and the method profiles of every role a real process plays.
 *
 * <p>Why it matters: a replica that has only ever been a follower has never run the leader's code
 * (Ratis's leader state and log appenders, our submit path). At a failover it runs that code cold,
 * interpreted and still linking classes, on cores the survivors share; docs/BENCHMARKS.md measured
 * the cache taking three replicas' first acknowledged submit from 5.7 to 2.7 s after spawning and
 * the failover median from 514 to 371 ms. So the workload plays every role in one process: three
 * replicas (leader and followers), a failover (the new leader's first commits), a single-node
 * server with its write-ahead log, the client SDK and a worker. The cache only speeds things up: a
 * JVM that cannot use it (another JDK, rebuilt jars) runs without it.
 *
 * <p>Everything binds to 127.0.0.1 on free ports and lives in a temporary directory that is deleted
 * at the end.
 */
public final class AotTraining {
  /** Why 8 s per phase: long enough for C2 to compile the hot paths, so their profiles count. */
  private static final Duration LOAD_DEFAULT = Duration.ofSeconds(8);

  private static final int SUBMITTERS = 16;
  private static final int BATCH = 200;

  /** How long to wait for a leader, or for the worker to finish what was submitted. */
  private static final Duration WAIT_MAX = Duration.ofSeconds(30);

  private AotTraining() {}

  /**
   * Jobs succeeded on the three replicas before the leader was stopped and by the end (a cumulative
   * count), and on the single node.
   */
  record Result(long beforeFailover, long afterFailover, long singleNode) {}

  /** {@code AotTraining [SECONDS]}: the load phases' length, default 8. */
  public static void main(String[] args) throws Exception {
    Duration load = args.length > 0 ? Duration.ofSeconds(Long.parseLong(args[0])) : LOAD_DEFAULT;
    long started = System.nanoTime();
    Result r = run(load);
    System.out.printf(
        "hourglass aot: training done in %d s (%,d jobs through three replicas,"
            + " %,d through one node)%n",
        (System.nanoTime() - started) / 1_000_000_000L, r.afterFailover(), r.singleNode());
  }

  static Result run(Duration load) throws IOException, InterruptedException {
    Path dir = Files.createTempDirectory("hourglass-aot-training");
    try {
      long[] replicated = trainReplicas(dir.resolve("cluster"), load);
      return new Result(replicated[0], replicated[1], trainSingleNode(dir.resolve("single"), load));
    } finally {
      deleteRecursively(dir);
    }
  }

  /**
   * Three replicas in this JVM under load, the leader stopped half-way; returns the jobs succeeded
   * before the failover and by the end.
   */
  private static long[] trainReplicas(Path dir, Duration load)
      throws IOException, InterruptedException {
    // Raft and HTTP ports in one draw, so that no port is handed out twice.
    List<Integer> ports = ReplicaProcesses.freePorts(6);
    List<Peer> peers = new ArrayList<>();
    Map<String, URI> httpByNode = new LinkedHashMap<>();
    for (int i = 0; i < 3; i++) {
      peers.add(new Peer("s" + (i + 1), "127.0.0.1", ports.get(i)));
      httpByNode.put(peers.get(i).id(), URI.create("http://127.0.0.1:" + ports.get(3 + i)));
    }
    List<HourglassServer> servers = new ArrayList<>();
    try {
      for (int i = 0; i < peers.size(); i++) {
        String id = peers.get(i).id();
        servers.add(
            HourglassServer.start(
                ServerOptions.of(dir.resolve(id))
                    .withPort(ports.get(3 + i))
                    .withReplication(Replication.of(id, peers, httpByNode))));
      }
      String urls =
          httpByNode.values().stream().map(URI::toString).collect(Collectors.joining(","));
      try (var client =
          HourglassClient.builder(urls).failoverTimeout(Duration.ofSeconds(30)).build()) {
        awaitLeader(client);
        long before = load(client, load);
        String leader = client.clusterStatus().leader();
        servers.stream()
            .filter(s -> s.options().replication().nodeId().equals(leader))
            .findFirst()
            .ifPresent(HourglassServer::stop);
        return new long[] {before, load(client, load)};
      }
    } finally {
      servers.forEach(HourglassServer::stop);
    }
  }

  /** One node with its own write-ahead log, as {@code hourglass server} runs by default. */
  private static long trainSingleNode(Path dir, Duration load)
      throws IOException, InterruptedException {
    try (var server = HourglassServer.start(ServerOptions.of(dir).withPort(0));
        var client = HourglassClient.builder(server.uri().toString()).build()) {
      return load(client, load);
    }
  }

  /**
   * Submits one job per request from many threads and a batch now and then, while a worker runs
   * them; reads the state the dashboard and the CLI read. Returns the jobs succeeded so far.
   */
  private static long load(HourglassClient client, Duration howLong) throws InterruptedException {
    var stop = new AtomicBoolean();
    Worker worker = Worker.builder(client).capacity(64).handler("train", ctx -> "ok").build();
    try (worker;
        var threads = Executors.newVirtualThreadPerTaskExecutor()) {
      worker.start();
      for (int t = 0; t < SUBMITTERS; t++) {
        boolean batches = t == 0;
        threads.submit(
            () -> {
              for (long n = 0; !stop.get(); n++) {
                try {
                  if (batches && n % 50 == 0) {
                    List<JobRequest> batch = new ArrayList<>(BATCH);
                    for (int b = 0; b < BATCH; b++) {
                      batch.add(JobRequest.builder("train").payload(Map.of("n", b)).build());
                    }
                    client.submitBatch(batch);
                  } else {
                    client.submit(
                        JobRequest.builder("train")
                            .priority((int) (n % 10))
                            .payload(Map.of("n", n))
                            .build());
                  }
                } catch (HourglassException e) {
                  // A call cut off by the leader's stop is not repeated by the client (it may have
                  // been applied); for training, the next one will do.
                }
              }
              return null;
            });
      }
      Thread.sleep(howLong.toMillis());
      stop.set(true);
      threads.shutdown();
      threads.awaitTermination(30, TimeUnit.SECONDS);
      client.workers();
      client.queues();
      return awaitDrained(client);
    }
  }

  private static void awaitLeader(HourglassClient client) throws InterruptedException {
    long deadline = System.nanoTime() + WAIT_MAX.toNanos();
    while (client.clusterStatus().leader() == null) {
      if (System.nanoTime() > deadline) {
        throw new IllegalStateException(
            "no leader elected among the three training replicas"
                + " within "
                + WAIT_MAX.toSeconds()
                + " s; see the log above");
      }
      Thread.sleep(50);
    }
  }

  /** Waits until the worker has run every job submitted; returns the jobs succeeded. */
  private static long awaitDrained(HourglassClient client) throws InterruptedException {
    long deadline = System.nanoTime() + WAIT_MAX.toNanos();
    while (true) {
      Map<JobState, Long> counts = client.counts();
      long open =
          counts.entrySet().stream()
              .filter(e -> !e.getKey().isFinished())
              .mapToLong(Map.Entry::getValue)
              .sum();
      if (open == 0 || System.nanoTime() > deadline) {
        return counts.getOrDefault(JobState.SUCCEEDED, 0L);
      }
      Thread.sleep(50);
    }
  }

  private static void deleteRecursively(Path dir) throws IOException {
    try (Stream<Path> paths = Files.walk(dir)) {
      paths
          .sorted(Comparator.reverseOrder())
          .forEach(
              p -> {
                try {
                  Files.delete(p);
                } catch (IOException e) {
                  throw new UncheckedIOException(e);
                }
              });
    }
  }
}
