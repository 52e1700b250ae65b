package dev.hourglass.bench.http;

import com.fasterxml.jackson.core.JsonFactory;
import com.fasterxml.jackson.core.JsonParser;
import com.fasterxml.jackson.core.JsonToken;
import java.io.IOException;
import java.io.PrintStream;
import java.net.URI;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Locale;
import java.util.Set;
import java.util.concurrent.ArrayBlockingQueue;
import java.util.concurrent.BlockingQueue;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicLong;
import java.util.concurrent.atomic.LongAdder;

/**
 * A load generator for a running Hourglass server, in its own process: it drives the HTTP API over
 * raw keep-alive HTTP/1.1 sockets (one platform thread per connection, requests built once where
 * they do not change) so that as little of the machine as possible goes to the generator itself,
 * and it reports its own CPU next to the server's so that a reader can tell which side was the
 * limit.
 *
 * <pre>
 *   java -cp 'hourglass-bench/target/hourglass-bench-0.1.0-SNAPSHOT.jar:hourglass-bench/target/lib/*' \
 *       dev.hourglass.bench.http.LoadGenerator http://127.0.0.1:7070 [--server-pid PID] \
 *       [--phases submit-batch,submit-single,e2e-batch,e2e-single,latency] [--batch 1000] \
 *       [--warmup-s 3] [--measure-s 10] [--rounds 2000] [--token T]
 * </pre>
 *
 * <p>Phases (each on its own queue, named with a per-run nonce, so runs and phases do not see each
 * other's jobs):
 *
 * <ul>
 *   <li>{@code submit-batch}: K connections each posting {@code jobs:batch} of N jobs.
 *   <li>{@code submit-single}: K connections each posting one job per request.
 *   <li>{@code e2e-batch}: producers posting batches, and workers that lease up to 1,000 jobs per
 *       poll and acknowledge them with one {@code jobs:complete}; counts completions.
 *   <li>{@code e2e-single}: single-job producers, and workers that lease one job per poll and
 *       complete it with one call.
 *   <li>{@code latency}: one worker parked in a long poll; one job submitted at a time; the time
 *       until the lease reply arrives, from sending the submit and from its acknowledgement.
 *   <li>{@code due-storm} (not in the default list: it holds a million jobs): {@code --storm-jobs}
 *       jobs due within one second, and how late each reaches a worker; see {@link DueStorm}.
 * </ul>
 *
 * Producers of the end-to-end phases stop submitting while more than {@code --backlog} jobs are
 * waiting, so the figure is the rate the server sustains, not the depth of a growing queue.
 *
 * <p>Why the default concurrency: the server's apply loop shares one fsync among everything that
 * arrived while the previous one ran, so throughput grows with requests in flight until the CPU is
 * spent. On a 2-vCPU machine 32 batch connections (vs 8, 16, 48, 64) and 8 producers with 16
 * workers (vs 2/4, 4/8, 8/8, 8/32, 16/32) gave the highest figures; single-job phases did not gain
 * from more than 64 connections.
 *
 * <p>Thread-safety: one instance runs one phase at a time from the main thread.
 */
public final class LoadGenerator {
  private static final JsonFactory JSON = new JsonFactory();
  private static final List<String> ALL_PHASES =
      List.of("submit-batch", "submit-single", "e2e-batch", "e2e-single", "latency", "due-storm");
  private static final List<String> DEFAULT_PHASES = ALL_PHASES.subList(0, 5);

  /** The generator's settings; see {@link #usage()}. */
  record Options(
      URI base,
      String token,
      Set<String> phases,
      int batch,
      int batchConnections,
      int singleConnections,
      int e2eProducers,
      int e2eWorkers,
      int singleProducers,
      int singleWorkers,
      Duration warmup,
      Duration measure,
      int rounds,
      long serverPid,
      long backlogMax,
      int leaseMax,
      int stormJobs,
      int stormWorkers) {}

  private final Options o;
  private final String nonce = Long.toString(System.currentTimeMillis(), 36);
  private final PrintStream out;
  private final List<String> rows = new ArrayList<>();
  private final List<String> latencyRows = new ArrayList<>();
  private final List<String> stormRows = new ArrayList<>();

  LoadGenerator(Options options, PrintStream out) {
    this.o = options;
    this.out = out;
  }

  public static void main(String[] args) throws Exception {
    Options o;
    try {
      o = parse(args);
    } catch (IllegalArgumentException e) {
      System.err.println("load: " + e.getMessage());
      System.err.println(usage());
      System.exit(2);
      return;
    }
    new LoadGenerator(o, System.out).run();
  }

  static String usage() {
    return "usage: LoadGenerator URL [--phases "
        + String.join(",", ALL_PHASES)
        + "]"
        + " [--batch 1000] [--connections K (submit phases)] [--batch-connections 32]"
        + " [--single-connections 64] [--e2e-producers 8] [--e2e-workers 16]"
        + " [--single-producers 32] [--single-workers 32] [--lease-max 1000] [--warmup-s 3]"
        + " [--measure-s 10] [--rounds 2000] [--backlog 200000] [--storm-jobs 1000000]"
        + " [--storm-workers 16] [--server-pid PID]"
        + " [--token T]";
  }

  static Options parse(String[] args) {
    if (args.length == 0 || args[0].startsWith("--")) {
      throw new IllegalArgumentException(
          "give the server's URL first, e.g." + " http://127.0.0.1:7070");
    }
    URI base = URI.create(args[0]);
    if (!"http".equals(base.getScheme()) || base.getHost() == null) {
      throw new IllegalArgumentException("URL=" + args[0] + " is not an http://host:port URL");
    }
    var v = new java.util.HashMap<String, String>();
    for (int i = 1; i < args.length; i += 2) {
      if (!args[i].startsWith("--") || i + 1 >= args.length) {
        throw new IllegalArgumentException("expected --option value at " + args[i]);
      }
      v.put(args[i].substring(2), args[i + 1]);
    }
    Set<String> phases =
        new LinkedHashSet<>(
            Arrays.asList(v.getOrDefault("phases", String.join(",", DEFAULT_PHASES)).split(",")));
    for (String p : phases) {
      if (!ALL_PHASES.contains(p)) {
        throw new IllegalArgumentException("unknown phase " + p + "; known: " + ALL_PHASES);
      }
    }
    String k = v.remove("connections");
    var o =
        new Options(
            base,
            v.remove("token"),
            phases,
            num(v, "batch", 1000),
            k != null ? Integer.parseInt(k) : num(v, "batch-connections", 32),
            k != null ? Integer.parseInt(k) : num(v, "single-connections", 64),
            num(v, "e2e-producers", 8),
            num(v, "e2e-workers", 16),
            num(v, "single-producers", 32),
            num(v, "single-workers", 32),
            Duration.ofSeconds(num(v, "warmup-s", 3)),
            Duration.ofSeconds(num(v, "measure-s", 10)),
            num(v, "rounds", 2000),
            num(v, "server-pid", -1),
            num(v, "backlog", 200_000),
            num(v, "lease-max", 1000),
            num(v, "storm-jobs", 1_000_000),
            num(v, "storm-workers", 16));
    v.remove("phases");
    if (!v.isEmpty()) {
      throw new IllegalArgumentException("unknown options " + v.keySet());
    }
    return o;
  }

  private static int num(java.util.Map<String, String> v, String key, int dflt) {
    String s = v.remove(key);
    try {
      return s == null ? dflt : Integer.parseInt(s);
    } catch (NumberFormatException e) {
      throw new IllegalArgumentException("--" + key + "=" + s + " is not an integer");
    }
  }

  void run() throws Exception {
    out.printf(
        "load generator: %s, phases %s, warm-up %d s, measured %d s, run %s%n",
        o.base(), o.phases(), o.warmup().toSeconds(), o.measure().toSeconds(), nonce);
    out.printf(
        "machine: %d CPUs, %s; generator JVM %s%n",
        Runtime.getRuntime().availableProcessors(), loadAverage(), Runtime.version());
    for (String p : o.phases()) {
      switch (p) {
        case "submit-batch" -> submitBatch();
        case "submit-single" -> submitSingle();
        case "e2e-batch" -> endToEndBatched();
        case "e2e-single" -> endToEndSingle();
        case "latency" -> latency();
        case "due-storm" -> dueStorm();
        default -> throw new IllegalStateException(p);
      }
    }
    printTables();
  }

  private static String loadAverage() {
    try {
      return "load average "
          + java.nio.file.Files.readString(java.nio.file.Path.of("/proc/loadavg")).split(" ", 4)[0];
    } catch (IOException e) {
      return "load average unknown";
    }
  }

  // ----------------------------------------------------------------------------------- phases

  private void submitBatch() throws Exception {
    String queue = "lg-" + nonce + "-batch";
    byte[] body = batchBody(queue, o.batch());
    var phase =
        new Phase("durable submit, batches of " + o.batch(), o.batchConnections() + " connections");
    for (int i = 0; i < o.batchConnections(); i++) {
      phase.actor(
          c -> {
            long t0 = System.nanoTime();
            expect(c.send("POST", "/api/v1/jobs:batch", body), 201, c);
            phase.done(o.batch(), System.nanoTime() - t0);
          });
    }
    phase.run();
  }

  private void submitSingle() throws Exception {
    byte[] body = jobBody("lg-" + nonce + "-single");
    var phase =
        new Phase("durable submit, one job per request", o.singleConnections() + " connections");
    for (int i = 0; i < o.singleConnections(); i++) {
      phase.actor(
          c -> {
            long t0 = System.nanoTime();
            expect(c.send("POST", "/api/v1/jobs", body), 201, c);
            phase.done(1, System.nanoTime() - t0);
          });
    }
    phase.run();
  }

  private void endToEndBatched() throws Exception {
    String queue = "lg-" + nonce + "-e2e";
    byte[] batch = batchBody(queue, o.batch());
    var backlog = new Backlog(o.backlogMax());
    var phase =
        new Phase(
            "end to end, leases of <= " + o.leaseMax() + ", jobs:complete",
            o.e2eProducers()
                + " producers x "
                + o.batch()
                + "-job batches, "
                + o.e2eWorkers()
                + " workers");
    for (int i = 0; i < o.e2eProducers(); i++) {
      phase.actor(
          c -> {
            backlog.awaitRoom(phase);
            expect(c.send("POST", "/api/v1/jobs:batch", batch), 201, c);
            backlog.submitted(o.batch());
          });
    }
    List<String> workerIds = new ArrayList<>();
    for (int i = 0; i < o.e2eWorkers(); i++) {
      String id = "lg-" + nonce + "-bw" + i;
      workerIds.add(id);
      byte[] lease = leaseBody(id, o.leaseMax(), queue);
      var got = new Leased(o.leaseMax());
      phase.actor(
          c -> {
            long t0 = System.nanoTime();
            expect(c.send("POST", "/api/v1/lease", lease), 200, c);
            got.parse(c);
            if (got.n > 0) {
              expect(c.send("POST", "/api/v1/jobs:complete", got.completions(id)), 200, c);
              int refused = count(c, "\"code\"");
              backlog.completed(got.n);
              phase.done(got.n - refused, System.nanoTime() - t0);
            }
          });
    }
    phase.run();
    deregister(workerIds);
  }

  private void endToEndSingle() throws Exception {
    String queue = "lg-" + nonce + "-e2e1";
    byte[] job = jobBody(queue);
    var backlog = new Backlog(Math.min(o.backlogMax(), 20_000));
    var phase =
        new Phase(
            "end to end, one job per poll",
            o.singleProducers() + " producers, " + o.singleWorkers() + " workers");
    for (int i = 0; i < o.singleProducers(); i++) {
      phase.actor(
          c -> {
            backlog.awaitRoom(phase);
            expect(c.send("POST", "/api/v1/jobs", job), 201, c);
            backlog.submitted(1);
          });
    }
    List<String> workerIds = new ArrayList<>();
    for (int i = 0; i < o.singleWorkers(); i++) {
      String id = "lg-" + nonce + "-sw" + i;
      workerIds.add(id);
      byte[] lease = leaseBody(id, 1, queue);
      byte[] report =
          ("{\"worker_id\":\"" + id + "\",\"generation\":").getBytes(StandardCharsets.UTF_8);
      var got = new Leased(1);
      phase.actor(
          c -> {
            long t0 = System.nanoTime();
            expect(c.send("POST", "/api/v1/lease", lease), 200, c);
            got.parse(c);
            if (got.n > 0) {
              byte[] body =
                  concat(report, (got.generations[0] + "}").getBytes(StandardCharsets.UTF_8));
              int s = c.send("POST", "/api/v1/jobs/" + got.ids[0] + "/complete", body);
              expect(s, 200, c);
              backlog.completed(1);
              phase.done(1, System.nanoTime() - t0);
            }
          });
    }
    phase.run();
    deregister(workerIds);
  }

  /**
   * One worker parks a long poll; the main thread waits until the server counts it parked, then
   * submits one job and notes when the submit was sent and acknowledged; the worker notes when the
   * lease reply arrived. Both clocks are this process's {@code System.nanoTime}.
   */
  private void latency() throws Exception {
    String queue = "lg-" + nonce + "-lat";
    String workerId = "lg-" + nonce + "-lw";
    byte[] lease =
        ("{\"worker_id\":\""
                + workerId
                + "\",\"max\":1,\"wait_ms\":30000,"
                + "\"lease_ms\":60000,\"queues\":[\""
                + queue
                + "\"]}")
            .getBytes(StandardCharsets.UTF_8);
    byte[] job = jobBody(queue);
    BlockingQueue<Long> replies = new ArrayBlockingQueue<>(1);
    int warm = Math.max(100, o.rounds() / 10);
    int total = o.rounds() + warm;
    var worker =
        Thread.ofPlatform()
            .name("lg-latency-worker")
            .start(
                () -> {
                  try (var c = new RawHttpConnection(o.base(), o.token())) {
                    var got = new Leased(1);
                    for (int r = 0; r < total; r++) {
                      expect(c.send("POST", "/api/v1/lease", lease), 200, c);
                      long arrived = System.nanoTime();
                      got.parse(c);
                      if (got.n != 1) {
                        r--; // the long poll ended empty (a stall over 30 s): poll again
                        continue;
                      }
                      replies.put(arrived);
                      byte[] done =
                          ("{\"worker_id\":\""
                                  + workerId
                                  + "\",\"generation\":"
                                  + got.generations[0]
                                  + "}")
                              .getBytes(StandardCharsets.UTF_8);
                      expect(
                          c.send("POST", "/api/v1/jobs/" + got.ids[0] + "/complete", done), 200, c);
                    }
                  } catch (Exception e) {
                    throw new IllegalStateException("latency worker failed", e);
                  }
                });
    long[] fromSend = new long[o.rounds()];
    long[] fromAck = new long[o.rounds()];
    try (var submitter = new RawHttpConnection(o.base(), o.token());
        var stats = new RawHttpConnection(o.base(), o.token())) {
      for (int r = 0; r < total; r++) {
        awaitParked(stats);
        long sent = System.nanoTime();
        expect(submitter.send("POST", "/api/v1/jobs", job), 201, submitter);
        long acked = System.nanoTime();
        Long arrived = replies.poll(60, TimeUnit.SECONDS);
        if (arrived == null) {
          throw new IllegalStateException("no lease reply within 60 s of submit " + r);
        }
        if (r >= warm) {
          fromSend[r - warm] = arrived - sent;
          fromAck[r - warm] = arrived - acked;
        }
      }
    }
    worker.join();
    deregister(List.of(workerId));
    latencyRows.add(latencyRow("from sending the submit", fromSend));
    latencyRows.add(latencyRow("from the submit's acknowledgement", fromAck));
    out.printf("  latency: %d rounds measured after %d warm-up rounds%n", o.rounds(), warm);
  }

  private void dueStorm() throws Exception {
    var storm =
        new DueStorm(
            o.base(),
            o.token(),
            "lg-" + nonce + "-storm",
            o.stormJobs(),
            o.batchConnections(),
            o.stormWorkers(),
            Math.max(o.leaseMax(), 1),
            o.serverPid(),
            this::metrics,
            out);
    stormRows.add(DueStorm.summary(storm.run()));
  }

  /** Waits until the server counts one parked long poll (the latency worker's). */
  private static void awaitParked(RawHttpConnection stats) throws IOException {
    long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(30);
    while (System.nanoTime() < deadline) {
      expect(stats.send("GET", "/api/v1/stats", null), 200, stats);
      if (!stats.bodyText().contains("\"parked_long_polls\":0")) {
        return;
      }
      Thread.onSpinWait();
    }
    throw new IllegalStateException("the latency worker's poll was not parked within 30 s");
  }

  private void deregister(List<String> workerIds) throws IOException {
    try (var c = new RawHttpConnection(o.base(), o.token())) {
      for (String id : workerIds) {
        c.send("DELETE", "/api/v1/workers/" + id, null); // returns what it still held
      }
    }
  }

  // ------------------------------------------------------------------------------ measuring

  /** What one actor does, again and again, on its own connection, until the phase ends. */
  @FunctionalInterface
  interface Step {
    void run(RawHttpConnection c) throws Exception;
  }

  /**
   * A phase: actors loop on their connections; after the warm-up the {@link Probes} are read, and
   * again after the measured window; only requests that ended inside the window count.
   */
  final class Phase {
    final String name;
    final String shape;
    final List<Step> actors = new ArrayList<>();
    final LongAdder jobs = new LongAdder();
    final List<long[]> latencies = new ArrayList<>();
    volatile boolean measuring;
    volatile boolean stopping;
    final ThreadLocal<Recorder> recorder = ThreadLocal.withInitial(this::newRecorder);

    Phase(String name, String shape) {
      this.name = name;
      this.shape = shape;
    }

    void actor(Step s) {
      actors.add(s);
    }

    private synchronized Recorder newRecorder() {
      return new Recorder();
    }

    /** Counts jobs and one request's (or round's) latency when inside the measured window. */
    void done(int n, long nanos) {
      if (measuring) {
        jobs.add(n);
        recorder.get().add(nanos);
      }
    }

    void run() throws Exception {
      out.printf("%n== %s (%s)%n", name, shape);
      var failures = new java.util.concurrent.ConcurrentLinkedQueue<Throwable>();
      List<Thread> threads = new ArrayList<>();
      List<Recorder> recorders = new ArrayList<>();
      for (Step s : actors) {
        threads.add(
            Thread.ofPlatform()
                .name("lg-actor")
                .start(
                    () -> {
                      Recorder rec = recorder.get();
                      synchronized (recorders) {
                        recorders.add(rec);
                      }
                      try (var c = new RawHttpConnection(o.base(), o.token())) {
                        while (!stopping) {
                          s.run(c);
                        }
                      } catch (Throwable t) {
                        failures.add(t);
                        stopping = true;
                      }
                    }));
      }
      Thread.sleep(o.warmup().toMillis()); // the window starts after a fixed warm-up
      Probes a = Probes.read(o.serverPid(), metrics());
      measuring = true;
      Thread.sleep(o.measure().toMillis());
      measuring = false;
      Probes b = Probes.read(o.serverPid(), metrics());
      long n = jobs.sum();
      stopping = true;
      for (Thread t : threads) {
        t.join();
      }
      if (!failures.isEmpty()) {
        throw new IllegalStateException("phase " + name + " failed", failures.peek());
      }
      long[] lat =
          recorders.stream().flatMapToLong(r -> Arrays.stream(r.values, 0, r.n)).sorted().toArray();
      report(Probes.Window.between(a, b), n, lat);
    }

    private void report(Probes.Window w, long n, long[] lat) {
      double rate = n / w.seconds();
      String row =
          String.format(
              Locale.ROOT,
              "| %s (%s) | **%,.0f jobs/s** | %s | %s | %s |" + " %s | %s | %s |",
              name,
              shape,
              rate,
              ms(pct(lat, 50)),
              ms(pct(lat, 99)),
              cores(w.generatorCores()),
              cores(w.serverCores()),
              percent(w.machineBusy()),
              Double.isNaN(w.commandsPerCommit())
                  ? "-"
                  : String.format(
                      Locale.ROOT,
                      "%,.0f/s, %.1f cmds, %.2f ms",
                      w.commitsPerSecond(),
                      w.commandsPerCommit(),
                      w.millisPerCommit()));
      rows.add(row);
      out.printf(
          Locale.ROOT,
          "  %,.0f jobs/s over %.1f s; request p50 %s p99 %s; generator %s"
              + " cores, server %s cores, machine %s busy%n",
          rate,
          w.seconds(),
          ms(pct(lat, 50)),
          ms(pct(lat, 99)),
          cores(w.generatorCores()),
          cores(w.serverCores()),
          percent(w.machineBusy()));
    }
  }

  /** One thread's latencies. */
  static final class Recorder {
    long[] values = new long[4096];
    int n;

    void add(long v) {
      if (n == values.length) {
        values = Arrays.copyOf(values, n * 2);
      }
      values[n++] = v;
    }
  }

  /** Keeps producers at most {@code max} jobs ahead of the workers. */
  static final class Backlog {
    private final long max;
    private final AtomicLong waiting = new AtomicLong();

    Backlog(long max) {
      this.max = max;
    }

    void awaitRoom(Phase phase) throws InterruptedException {
      synchronized (this) {
        while (waiting.get() > max && !phase.stopping) {
          wait(50);
        }
      }
    }

    void submitted(long n) {
      waiting.addAndGet(n);
    }

    void completed(long n) {
      if (waiting.addAndGet(-n) <= max) {
        synchronized (this) {
          notifyAll();
        }
      }
    }
  }

  /**
   * The assignments of one lease reply: ids, generations and, when asked for, one numeric field of
   * each payload; parsed with Jackson's stream.
   */
  static final class Leased {
    final String[] ids;
    final int[] generations;

    /** Each payload's {@code payloadField}, when one was named; else unused. */
    final long[] payloadNumbers;

    private final String payloadField;
    int n;
    private final StringBuilder sb = new StringBuilder();

    Leased(int max) {
      this(max, null);
    }

    Leased(int max, String payloadField) {
      ids = new String[max];
      generations = new int[max];
      payloadNumbers = new long[payloadField == null ? 0 : max];
      this.payloadField = payloadField;
    }

    void parse(RawHttpConnection c) throws IOException {
      parse(c.body(), c.bodyLength());
    }

    void parse(byte[] body, int length) throws IOException {
      n = 0;
      try (JsonParser p = JSON.createParser(body, 0, length)) {
        String field = null;
        int depth = 0; // 1: the reply, 2: an assignment, 3: its payload
        for (JsonToken t = p.nextToken(); t != null; t = p.nextToken()) {
          switch (t) {
            case START_OBJECT -> {
              depth++;
              if (depth == 3 && payloadField == null) { // {"assignments": [ {...} ]}
                p.skipChildren();
                depth--;
              }
            }
            case END_OBJECT -> {
              depth--;
              if (depth == 1) {
                n++;
              }
            }
            case START_ARRAY -> {
              if (depth >= 2) {
                p.skipChildren();
              }
            }
            case FIELD_NAME -> field = p.currentName();
            case VALUE_STRING -> {
              if (depth == 2 && "job_id".equals(field)) {
                ids[n] = p.getText();
              }
            }
            case VALUE_NUMBER_INT -> {
              if (depth == 2 && "generation".equals(field)) {
                generations[n] = p.getIntValue();
              } else if (depth == 3 && payloadField != null && payloadField.equals(field)) {
                payloadNumbers[n] = p.getLongValue();
              }
            }
            default -> {}
          }
        }
      }
    }

    byte[] completions(String workerId) {
      sb.setLength(0);
      sb.append("{\"worker_id\":\"").append(workerId).append("\",\"completions\":[");
      for (int i = 0; i < n; i++) {
        sb.append(i == 0 ? "" : ",")
            .append("{\"job_id\":\"")
            .append(ids[i])
            .append("\",\"generation\":")
            .append(generations[i])
            .append('}');
      }
      return sb.append("]}").toString().getBytes(StandardCharsets.UTF_8);
    }
  }

  // ---------------------------------------------------------------------------------- plumbing

  private String metrics() {
    try (var c = new RawHttpConnection(o.base(), o.token())) {
      return c.send("GET", "/metrics", null) == 200 ? c.bodyText() : null;
    } catch (IOException e) {
      return null;
    }
  }

  static byte[] jobBody(String queue) {
    return ("{\"task\":\"send-email\",\"queue\":\""
            + queue
            + "\",\"payload\":{\"to\":\"a@example.com\"}}")
        .getBytes(StandardCharsets.UTF_8);
  }

  static byte[] batchBody(String queue, int n) {
    return batchOf(new String(jobBody(queue), StandardCharsets.UTF_8), n);
  }

  /** A {@code jobs:batch} body of {@code n} copies of one job's JSON. */
  static byte[] batchOf(String one, int n) {
    var b = new StringBuilder(n * (one.length() + 1) + 16).append("{\"jobs\":[");
    for (int i = 0; i < n; i++) {
      b.append(i == 0 ? "" : ",").append(one);
    }
    return b.append("]}").toString().getBytes(StandardCharsets.UTF_8);
  }

  private static byte[] leaseBody(String workerId, int max, String queue) {
    return ("{\"worker_id\":\""
            + workerId
            + "\",\"max\":"
            + max
            + ",\"wait_ms\":1000,"
            + "\"lease_ms\":60000,\"queues\":[\""
            + queue
            + "\"]}")
        .getBytes(StandardCharsets.UTF_8);
  }

  private static byte[] concat(byte[] a, byte[] b) {
    byte[] r = Arrays.copyOf(a, a.length + b.length);
    System.arraycopy(b, 0, r, a.length, b.length);
    return r;
  }

  private static int count(RawHttpConnection c, String needle) {
    byte[] nb = needle.getBytes(StandardCharsets.US_ASCII);
    byte[] body = c.body();
    int found = 0;
    outer:
    for (int i = 0; i + nb.length <= c.bodyLength(); i++) {
      for (int j = 0; j < nb.length; j++) {
        if (body[i + j] != nb[j]) {
          continue outer;
        }
      }
      found++;
    }
    return found;
  }

  private static void expect(int status, int wanted, RawHttpConnection c) {
    if (status != wanted) {
      String text = c.bodyText();
      throw new IllegalStateException(
          "expected HTTP "
              + wanted
              + " but got "
              + status
              + ": "
              + (text.length() > 300 ? text.substring(0, 300) + "..." : text));
    }
  }

  static long pct(long[] sorted, int p) {
    if (sorted.length == 0) {
      return -1;
    }
    return sorted[Math.min(sorted.length - 1, (int) Math.ceil(p / 100.0 * sorted.length) - 1)];
  }

  private static String ms(long nanos) {
    return nanos < 0 ? "-" : String.format(Locale.ROOT, "%.2f ms", nanos / 1e6);
  }

  private static String cores(double c) {
    return Double.isNaN(c) ? "-" : String.format(Locale.ROOT, "%.2f", c);
  }

  private static String percent(double f) {
    return Double.isNaN(f) ? "-" : String.format(Locale.ROOT, "%.0f%%", 100 * f);
  }

  private static String latencyRow(String what, long[] v) {
    long[] s = v.clone();
    Arrays.sort(s);
    return String.format(
        Locale.ROOT,
        "| ready -> parked worker, %s | %d | %s | %s | %s | %s |",
        what,
        s.length,
        ms(pct(s, 50)),
        ms(pct(s, 90)),
        ms(pct(s, 99)),
        ms(s[s.length - 1]));
  }

  private void printTables() {
    if (!rows.isEmpty()) {
      out.printf(
          "%n| Phase | Throughput | Request p50 | p99 | Generator CPU (cores) |"
              + " Server CPU (cores) | Machine busy | Group commits |%n"
              + "|---|---|---|---|---|---|---|---|%n");
      rows.forEach(out::println);
    }
    if (!stormRows.isEmpty()) {
      out.printf(
          "%n| Due storm | Submitted at | Lateness p50 | p90 | p99 | max | Last job"
              + " after T | Delivery rate | Generator CPU (cores) | Server CPU (cores) | Machine busy"
              + " |%n|---|---|---|---|---|---|---|---|---|---|---|%n");
      stormRows.forEach(out::println);
    }
    if (!latencyRows.isEmpty()) {
      out.printf("%n| Latency | Rounds | p50 | p90 | p99 | max |%n|---|---|---|---|---|---|%n");
      latencyRows.forEach(out::println);
    }
  }
}
