package dev.hourglass.bench.http;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.hourglass.server.HourglassServer;
import dev.hourglass.server.ServerOptions;
import dev.hourglass.wal.FsyncPolicy;
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
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.Executors;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.LongAdder;

/**
 * HTTP load benchmark: an embedded server with the durable log and the load generator in one JVM on
 * the same cores, over real HTTP on 127.0.0.1.
 *
 * <pre>
 *   ./hourglass bench http-load [seconds-per-phase=5] [fsync=always]
 * </pre>
 *
 * <p>Phases: durable submit in batches of 1,000; one job per request; end-to-end submit, lease and
 * complete with batched leases and acknowledgements; end-to-end at one job per poll; and the time
 * from a submit to the answer of a parked long poll. Each phase warms up for 2 s first.
 */
public final class HttpLoadBenchmark {
  private static final ObjectMapper MAPPER = new ObjectMapper();
  private static final Duration WARMUP = Duration.ofSeconds(2);

  private final URI base;
  private final HttpClient client =
      HttpClient.newBuilder()
          .version(HttpClient.Version.HTTP_1_1)
          .executor(Executors.newVirtualThreadPerTaskExecutor())
          .build();
  private final Duration phase;
  static HttpLoadBenchmark CURRENT;
  private double lastBatches;
  private double lastCommands;
  private double lastSeconds;

  /** Group commits since the last call: how many, commands per commit, time per commit. */
  String commitStats() {
    String text;
    try {
      var r =
          client.send(
              HttpRequest.newBuilder(base.resolve("/metrics")).build(),
              HttpResponse.BodyHandlers.ofString());
      text = r.body();
    } catch (Exception e) {
      return "";
    }
    double batches = metric(text, "hourglass_log_batch_commands_count");
    double commands = metric(text, "hourglass_log_batch_commands_sum");
    double seconds = metric(text, "hourglass_log_batch_seconds_sum");
    String out =
        String.format(
            "  [group commits: %.0f, %.1f commands each, %.2f ms each]%n",
            batches - lastBatches,
            (commands - lastCommands) / Math.max(1, batches - lastBatches),
            1000 * (seconds - lastSeconds) / Math.max(1, batches - lastBatches));
    lastBatches = batches;
    lastCommands = commands;
    lastSeconds = seconds;
    return out;
  }

  private static double metric(String text, String name) {
    for (String line : text.split("\n")) {
      if (line.startsWith(name + " ")) {
        return Double.parseDouble(line.substring(name.length() + 1).strip());
      }
    }
    return 0;
  }

  HttpLoadBenchmark(URI base, Duration phase) {
    this.base = base;
    this.phase = phase;
  }

  public static void main(String[] args) throws Exception {
    Duration phase = Duration.ofSeconds(args.length > 0 ? Integer.parseInt(args[0]) : 5);
    FsyncPolicy fsync = FsyncPolicy.parse(args.length > 1 ? args[1] : "always");
    Path dir = Files.createTempDirectory("hourglass-bench");
    try (var server = HourglassServer.start(ServerOptions.of(dir).withPort(0).withFsync(fsync))) {
      System.out.printf(
          "server %s fsync=%s cores=%d jdk=%s phase=%ds%n",
          server.uri(),
          fsync,
          Runtime.getRuntime().availableProcessors(),
          Runtime.version(),
          phase.toSeconds());
      var b = new HttpLoadBenchmark(server.uri(), phase);
      CURRENT = b;
      b.submitBatches();
      b.submitSingles();
      b.endToEndBatched();
      b.endToEndSingle();
      b.readyToParkedWorker();
    }
  }

  // ------------------------------------------------------------------------------- phases

  Result submitBatches() throws Exception {
    String body = batchBody("bench-batch", 1_000);
    var r =
        run(
            "submit, batches of 1,000",
            4,
            phase,
            (jobs, lat) -> {
              long t = System.nanoTime();
              expect(post("/api/v1/jobs:batch", body), 201);
              lat.add(System.nanoTime() - t);
              jobs.add(1_000);
            });
    r.print("jobs/s", "per request");
    return r;
  }

  private void submitSingles() throws Exception {
    String body = "{\"task\":\"t\",\"queue\":\"bench-single\",\"payload\":{\"n\":1}}";
    var r =
        run(
            "submit, one job per request",
            64,
            phase,
            (jobs, lat) -> {
              long t = System.nanoTime();
              expect(post("/api/v1/jobs", body), 201);
              lat.add(System.nanoTime() - t);
              jobs.add(1);
            });
    r.print("jobs/s", "per request");
  }

  Result endToEndBatched() throws Exception {
    String body = batchBody("e2e-batch", 1_000);
    var stop = new AtomicBoolean();
    try (var producers = Executors.newVirtualThreadPerTaskExecutor()) {
      for (int i = 0; i < 2; i++) {
        producers.submit(
            () -> {
              while (!stop.get()) {
                expect(post("/api/v1/jobs:batch", body), 201);
              }
              return null;
            });
      }
      var r =
          run(
              "end to end, lease max=1,000 + batch complete",
              4,
              phase,
              (jobs, lat) -> {
                String w = "wb-" + Thread.currentThread().threadId();
                long t = System.nanoTime();
                JsonNode a =
                    post(
                            "/api/v1/lease",
                            "{\"worker_id\":\""
                                + w
                                + "\",\"max\":1000,"
                                + "\"wait_ms\":1000,\"queues\":[\"e2e-batch\"]}")
                        .get("assignments");
                if (a.isEmpty()) {
                  return;
                }
                StringBuilder c =
                    new StringBuilder("{\"worker_id\":\"" + w + "\",\"completions\":[");
                for (int i = 0; i < a.size(); i++) {
                  c.append(i == 0 ? "" : ",")
                      .append("{\"job_id\":\"")
                      .append(a.get(i).get("job_id").asText())
                      .append("\",\"generation\":")
                      .append(a.get(i).get("generation").asInt())
                      .append('}');
                }
                post("/api/v1/jobs:complete", c.append("]}").toString());
                lat.add(System.nanoTime() - t);
                jobs.add(a.size());
              });
      stop.set(true);
      r.print("jobs/s completed", "per lease+complete round");
      return r;
    }
  }

  private void endToEndSingle() throws Exception {
    String body = "{\"task\":\"t\",\"queue\":\"e2e-single\",\"payload\":{\"n\":1}}";
    var stop = new AtomicBoolean();
    try (var producers = Executors.newVirtualThreadPerTaskExecutor()) {
      for (int i = 0; i < 32; i++) {
        producers.submit(
            () -> {
              while (!stop.get()) {
                expect(post("/api/v1/jobs", body), 201);
              }
              return null;
            });
      }
      var r =
          run(
              "end to end, one job per poll",
              32,
              phase,
              (jobs, lat) -> {
                String w = "ws-" + Thread.currentThread().threadId();
                long t = System.nanoTime();
                JsonNode a =
                    post(
                            "/api/v1/lease",
                            "{\"worker_id\":\""
                                + w
                                + "\",\"max\":1,"
                                + "\"wait_ms\":1000,\"queues\":[\"e2e-single\"]}")
                        .get("assignments");
                if (a.isEmpty()) {
                  return;
                }
                post(
                    "/api/v1/jobs/" + a.get(0).get("job_id").asText() + "/complete",
                    "{\"worker_id\":\""
                        + w
                        + "\",\"generation\":"
                        + a.get(0).get("generation").asInt()
                        + "}");
                lat.add(System.nanoTime() - t);
                jobs.add(1);
              });
      stop.set(true);
      r.print("jobs/s completed", "per lease+complete round");
    }
  }

  /** One parked worker; one submit at a time; time from sending the submit to the lease answer. */
  private void readyToParkedWorker() throws Exception {
    int rounds = 1_000;
    long[] sendToWake = new long[rounds];
    long[] ackToWake = new long[rounds];
    try (var pool = Executors.newVirtualThreadPerTaskExecutor()) {
      for (int i = -200; i < rounds; i++) {
        var poll =
            CompletableFuture.supplyAsync(
                () -> {
                  post(
                      "/api/v1/lease",
                      "{\"worker_id\":\"wp\",\"max\":1,\"wait_ms\":5000,"
                          + "\"queues\":[\"parked\"]}");
                  return System.nanoTime();
                },
                pool);
        while (post("/api/v1/stats", null).get("parked_long_polls").asInt() == 0) {
          Thread.onSpinWait();
        }
        long sent = System.nanoTime();
        JsonNode s = post("/api/v1/jobs", "{\"task\":\"t\",\"queue\":\"parked\"}");
        long acked = System.nanoTime();
        long woke = poll.get();
        post(
            "/api/v1/jobs/" + s.get("job_id").asText() + "/complete",
            "{\"worker_id\":\"wp\",\"generation\":1}");
        if (i >= 0) {
          sendToWake[i] = woke - sent;
          ackToWake[i] = woke - acked;
        }
      }
    }
    Arrays.sort(sendToWake);
    Arrays.sort(ackToWake);
    System.out.printf(
        "| ready -> parked long poll (submit sent -> lease answered) | %d rounds |"
            + " p50 %.2f ms | p99 %.2f ms |%n",
        rounds, pct(sendToWake, 50), pct(sendToWake, 99));
    System.out.printf(
        "| ... measured from the submit's acknowledgement | | p50 %.2f ms |" + " p99 %.2f ms |%n",
        pct(ackToWake, 50), pct(ackToWake, 99));
  }

  // ------------------------------------------------------------------------------- plumbing

  interface Step {
    void run(LongAdder jobs, List<Long> latencies) throws Exception;
  }

  /** A phase's outcome; {@code cpuNanos}: this process's CPU time over the measured window. */
  record Result(String name, double jobsPerSecond, long[] latencies, long jobs, long cpuNanos) {
    /** CPU seconds this process spent per million jobs (server and load generator together). */
    double cpuSecondsPerMillionJobs() {
      return jobs == 0 ? Double.NaN : cpuNanos / 1e9 / (jobs / 1e6);
    }

    void print(String unit, String latencyOf) {
      Arrays.sort(latencies);
      System.out.print(CURRENT.commitStats());
      System.out.printf(
          "| %s | %,.0f %s | p50 %.2f ms | p99 %.2f ms | (%s, n=%d)%n",
          name,
          jobsPerSecond,
          unit,
          pct(latencies, 50),
          pct(latencies, 99),
          latencyOf,
          latencies.length);
    }
  }

  private Result run(String name, int threads, Duration d, Step step) throws Exception {
    measure(threads, WARMUP, step);
    return measure(threads, d, step).withName(name);
  }

  private record Measured(double jobsPerSecond, long[] latencies, long jobs, long cpuNanos) {
    Result withName(String n) {
      return new Result(n, jobsPerSecond, latencies, jobs, cpuNanos);
    }
  }

  /** This process's CPU time so far, all threads. */
  static long cpuNanos() {
    return ((com.sun.management.OperatingSystemMXBean)
            java.lang.management.ManagementFactory.getOperatingSystemMXBean())
        .getProcessCpuTime();
  }

  private Measured measure(int threads, Duration d, Step step) throws Exception {
    var jobs = new LongAdder();
    List<List<Long>> all = new ArrayList<>();
    long end = System.nanoTime() + d.toNanos();
    long start = System.nanoTime();
    long cpuStart = cpuNanos();
    try (var pool = Executors.newVirtualThreadPerTaskExecutor()) {
      for (int t = 0; t < threads; t++) {
        List<Long> lat = new ArrayList<>();
        all.add(lat);
        pool.submit(
            () -> {
              while (System.nanoTime() < end) {
                step.run(jobs, lat);
              }
              return null;
            });
      }
    }
    double seconds = (System.nanoTime() - start) / 1e9;
    long[] latencies = all.stream().flatMap(List::stream).mapToLong(Long::longValue).toArray();
    return new Measured(jobs.sum() / seconds, latencies, jobs.sum(), cpuNanos() - cpuStart);
  }

  private static double pct(long[] sorted, int p) {
    if (sorted.length == 0) {
      return Double.NaN;
    }
    return sorted[Math.min(sorted.length - 1, (int) (sorted.length * (p / 100.0)))] / 1e6;
  }

  private static String batchBody(String queue, int n) {
    StringBuilder b = new StringBuilder("{\"jobs\":[");
    for (int i = 0; i < n; i++) {
      b.append(i == 0 ? "" : ",")
          .append("{\"task\":\"t\",\"queue\":\"")
          .append(queue)
          .append("\",\"payload\":{\"n\":")
          .append(i)
          .append("}}");
    }
    return b.append("]}").toString();
  }

  JsonNode post(String path, String json) {
    try {
      var b = HttpRequest.newBuilder(base.resolve(path)).timeout(Duration.ofSeconds(60));
      b =
          json == null
              ? b.GET()
              : b.header("Content-Type", "application/json")
                  .POST(HttpRequest.BodyPublishers.ofString(json));
      HttpResponse<byte[]> r = client.send(b.build(), HttpResponse.BodyHandlers.ofByteArray());
      JsonNode node = MAPPER.readTree(r.body());
      if (r.statusCode() >= 300) {
        throw new IllegalStateException("HTTP " + r.statusCode() + ": " + node);
      }
      ((com.fasterxml.jackson.databind.node.ObjectNode) node).put("_status", r.statusCode());
      return node;
    } catch (java.io.IOException e) {
      throw new java.io.UncheckedIOException(e);
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      throw new IllegalStateException(e);
    }
  }

  private static void expect(JsonNode reply, int status) {
    if (reply.get("_status").asInt() != status) {
      throw new IllegalStateException("expected " + status + ": " + reply);
    }
  }
}
