package dev.hourglass.bench.http;

import java.io.IOException;
import java.io.PrintStream;
import java.net.URI;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.concurrent.ConcurrentLinkedQueue;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicLong;
import java.util.function.Supplier;

/**
 * The "due storm": {@code jobs} jobs all due within the same second, and how late each one reaches
 * a worker. The target: a job due at T is delivered by T + 10 ms at p99 even with 1,000,000
 * jobs due in that second.
 *
 * <p>How: pick T far enough ahead to submit everything first; submit {@code batches} batches of
 * jobs, batch k due at {@code T + k * 1000 / batches} ms (so the second is covered evenly, one due
 * time per batch), each job carrying its batch's offset in its payload. Workers long-poll with
 * leases of up to {@code leaseMax}, note the arrival time of each lease reply (this process's wall
 * clock, with sub-millisecond resolution from {@code nanoTime}; the server runs on the same machine
 * and stamps due times with the same clock), acknowledge with one {@code jobs:complete}, and poll
 * again. Lateness = arrival - due, per job.
 *
 * <p>Thread-safety: {@link #run} once, from one thread.
 */
final class DueStorm {
  private static final int BATCH_JOBS = 1_000;

  private final URI base;
  private final String token;
  private final String queue;
  private final int jobs;
  private final int submitters;
  private final int workers;
  private final int leaseMax;
  private final long serverPid;
  private final Supplier<String> metrics;
  private final PrintStream out;
  private final long wallAtStart = System.currentTimeMillis();
  private final long nanoAtStart = System.nanoTime();
  private long leadMillis = -1;

  DueStorm(
      URI base,
      String token,
      String queue,
      int jobs,
      int submitters,
      int workers,
      int leaseMax,
      long serverPid,
      Supplier<String> metrics,
      PrintStream out) {
    this.base = base;
    this.token = token;
    this.queue = queue;
    this.jobs = jobs;
    this.submitters = submitters;
    this.workers = workers;
    this.leaseMax = leaseMax;
    this.serverPid = serverPid;
    this.metrics = metrics;
    this.out = out;
  }

  /**
   * What was measured.
   *
   * @param jobs jobs due in the second
   * @param submitRate jobs per second while submitting them (before T)
   * @param lateness per job, arrival minus due, in nanoseconds, sorted
   * @param drainMillis from T until the last job arrived
   * @param window CPU of each side and the server's group commits, from T to the last arrival
   * @param serverThreads the server's CPU seconds by kind of thread from T to the last arrival,
   *     read without waiting for the metrics request that {@code window} waits for
   */
  record Result(
      int jobs,
      double submitRate,
      long[] lateness,
      double drainMillis,
      Probes.Window window,
      Map<String, Double> serverThreads) {}

  /**
   * How far ahead of now T is; by default twice what submitting at 150,000 jobs/s takes, plus 3 s.
   * On a busy machine submitting can take longer, and the run refuses to measure a storm whose jobs
   * were still being submitted at T.
   */
  DueStorm withLeadMillis(long millis) {
    this.leadMillis = millis;
    return this;
  }

  Result run() throws Exception {
    int batches = (jobs + BATCH_JOBS - 1) / BATCH_JOBS;
    // Submitting runs at 150-260K jobs/s here: allow twice the time 150K/s would take, plus 3 s.
    long lead = leadMillis >= 0 ? leadMillis : 3_000 + 2_000L * jobs / 150_000;
    long t = System.currentTimeMillis() + lead;
    out.printf(
        Locale.ROOT,
        "%n== due storm: %,d jobs due in one second, from T = now + %,d ms"
            + " (%d submitters, %d workers leasing <= %d)%n",
        jobs,
        lead,
        submitters,
        workers,
        leaseMax);
    var lateness = new long[jobs];
    var arrived = new AtomicInteger();
    var early = new AtomicLong();
    var lastArrival = new AtomicLong();
    var failures = new ConcurrentLinkedQueue<Throwable>();
    long deadline = t + 180_000;
    List<Thread> workerThreads = new ArrayList<>();
    for (int w = 0; w < workers; w++) {
      String id = "storm-" + queue + "-w" + w;
      workerThreads.add(
          Thread.ofPlatform()
              .name("storm-worker-" + w)
              .start(
                  () -> {
                    try (var c = new RawHttpConnection(base, token)) {
                      work(c, id, t, lateness, arrived, early, lastArrival, deadline);
                    } catch (Throwable e) {
                      failures.add(e);
                    }
                  }));
    }
    long submitStart = System.nanoTime();
    submit(t, batches, failures);
    double submitSeconds = (System.nanoTime() - submitStart) / 1e9;
    long slack = t - System.currentTimeMillis();
    out.printf(
        Locale.ROOT,
        "  submitted %,d jobs in %.2f s (%,.0f jobs/s); T is %,d ms away%n",
        jobs,
        submitSeconds,
        jobs / submitSeconds,
        slack);
    if (slack < 0) {
      throw new IllegalStateException(
          "submitting took past T by "
              + -slack
              + " ms; the"
              + " measurement would be meaningless (the server or machine was busy)");
    }
    Thread.sleep(Math.max(0, t - System.currentTimeMillis()));
    // Threads first: the metrics request can wait seconds behind the storm's first commits.
    ThreadCpu threadsAtT = ThreadCpu.read(serverPid);
    Probes atT = Probes.read(serverPid, metrics.get());
    for (Thread th : workerThreads) {
      th.join();
    }
    ThreadCpu threadsAtEnd = ThreadCpu.read(serverPid);
    Probes end = Probes.read(serverPid, metrics.get());
    if (!failures.isEmpty()) {
      throw new IllegalStateException("due storm failed", failures.peek());
    }
    if (arrived.get() < jobs) {
      throw new IllegalStateException(
          "only " + arrived.get() + " of " + jobs + " jobs arrived" + " within 180 s of T");
    }
    long[] sorted = lateness.clone();
    Arrays.sort(sorted);
    double drain = (lastArrival.get() - t * 1_000_000L) / 1e6;
    if (early.get() > 0) {
      out.printf("  %d jobs arrived BEFORE their due time%n", early.get());
    }
    return new Result(
        jobs,
        jobs / submitSeconds,
        sorted,
        drain,
        Probes.Window.between(atT, end),
        threadsAtEnd.since(threadsAtT));
  }

  private void submit(long t, int batches, ConcurrentLinkedQueue<Throwable> failures)
      throws InterruptedException {
    var next = new AtomicInteger();
    List<Thread> threads = new ArrayList<>();
    for (int s = 0; s < submitters; s++) {
      threads.add(
          Thread.ofPlatform()
              .name("storm-submit-" + s)
              .start(
                  () -> {
                    try (var c = new RawHttpConnection(base, token)) {
                      for (int k; (k = next.getAndIncrement()) < batches; ) {
                        int n = Math.min(BATCH_JOBS, jobs - k * BATCH_JOBS);
                        long offset = 1000L * k / batches;
                        int status =
                            c.send("POST", "/api/v1/jobs:batch", batchBody(n, t + offset, offset));
                        if (status != 201) {
                          throw new IllegalStateException(
                              "jobs:batch answered " + status + ": " + c.bodyText());
                        }
                      }
                    } catch (Throwable e) {
                      failures.add(e);
                    }
                  }));
    }
    for (Thread th : threads) {
      th.join();
    }
    if (!failures.isEmpty()) {
      throw new IllegalStateException("submitting the storm failed", failures.peek());
    }
  }

  private byte[] batchBody(int n, long runAt, long offset) {
    return LoadGenerator.batchOf(
        "{\"task\":\"storm\",\"queue\":\""
            + queue
            + "\",\"run_at\":"
            + runAt
            + ",\"payload\":{\"d\":"
            + offset
            + "}}",
        n);
  }

  private void work(
      RawHttpConnection c,
      String workerId,
      long t,
      long[] lateness,
      AtomicInteger arrived,
      AtomicLong early,
      AtomicLong lastArrival,
      long deadline)
      throws IOException {
    byte[] lease =
        ("{\"worker_id\":\""
                + workerId
                + "\",\"max\":"
                + leaseMax
                + ",\"wait_ms\":1000,\"lease_ms\":120000,\"queues\":[\""
                + queue
                + "\"]}")
            .getBytes(StandardCharsets.UTF_8);
    var got = new LoadGenerator.Leased(leaseMax, "d");
    try {
      while (arrived.get() < jobs && System.currentTimeMillis() < deadline) {
        int status = c.send("POST", "/api/v1/lease", lease);
        long now = nowNanosOfWallClock();
        if (status != 200) {
          throw new IllegalStateException("lease answered " + status + ": " + c.bodyText());
        }
        got.parse(c.body(), c.bodyLength());
        if (got.n == 0) {
          continue;
        }
        lastArrival.accumulateAndGet(now, Math::max);
        int first = arrived.getAndAdd(got.n);
        for (int i = 0; i < got.n; i++) {
          long late = now - (t + got.payloadNumbers[i]) * 1_000_000L;
          if (late < -1_000_000L) { // more than a clock tick early
            early.incrementAndGet();
          }
          lateness[first + i] = late;
        }
        status = c.send("POST", "/api/v1/jobs:complete", got.completions(workerId));
        if (status != 200) {
          throw new IllegalStateException("jobs:complete answered " + status + ": " + c.bodyText());
        }
      }
    } finally {
      c.send("DELETE", "/api/v1/workers/" + workerId, null);
    }
  }

  /** Wall-clock time in nanoseconds, with nanoTime's resolution. */
  private long nowNanosOfWallClock() {
    return wallAtStart * 1_000_000L + (System.nanoTime() - nanoAtStart);
  }

  static String summary(Result r) {
    long[] s = r.lateness;
    var w = r.window;
    return String.format(
        Locale.ROOT,
        "| %,d jobs due in one second | %,.0f jobs/s | %s | %s |"
            + " %s | %s | %,.0f ms | %,.0f jobs/s | %.2f | %.2f | %.0f%% |",
        r.jobs,
        r.submitRate,
        ms(LoadGenerator.pct(s, 50)),
        ms(LoadGenerator.pct(s, 90)),
        ms(LoadGenerator.pct(s, 99)),
        ms(s[s.length - 1]),
        r.drainMillis,
        r.jobs / Math.max(1.0, r.drainMillis) * 1000,
        w.generatorCores(),
        w.serverCores(),
        100 * w.machineBusy());
  }

  private static String ms(long nanos) {
    return String.format(Locale.ROOT, "%,.1f ms", nanos / 1e6);
  }
}
