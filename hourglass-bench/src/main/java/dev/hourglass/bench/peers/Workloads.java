package dev.hourglass.bench.peers;

import java.io.IOException;
import java.lang.management.ManagementFactory;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Comparator;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Semaphore;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicReference;
import java.util.concurrent.locks.LockSupport;
import java.util.function.Supplier;
import java.util.stream.Stream;

/**
 * The workloads, each on a fresh instance of a system (fresh storage under a temporary directory,
 * deleted afterwards) with {@code threads} worker threads.
 *
 * <p>Thread-safety: one workload runs at a time.
 */
final class Workloads {
  /**
   * Steady arrivals being submitted at once, at most. Each arrival is submitted on a thread of its
   * own at its planned time, as requests of an application's users would: a system that answers
   * slowly then has many submits in flight, as it would in production, instead of holding back the
   * arrivals behind each one. Why 256: the order of an application server's request threads
   * (Tomcat's and Jetty's default pools are 200), so it is the most concurrency a scheduler's
   * callers would give it. An arrival that finds them all busy waits for one and is late by that
   * wait, which counts against the system.
   */
  static final int STEADY_IN_FLIGHT_MAX = 256;

  /**
   * The burst is stored in this many chunks, so that loading can stop at the cap. Why 20: each
   * chunk is still a large batch (5,000 of the default 100,000), so the per-call cost of a system
   * that batches does not change its submit rate.
   */
  private static final int STORE_CHUNKS = 20;

  private final Path root;
  private final int threads;

  Workloads(Path root, int threads) {
    this.root = root;
    this.threads = threads;
  }

  /**
   * Up to {@code n} due-now jobs loaded while the system is stopped; then start and time the run.
   * Loading stops at the first chunk boundary after {@code capMillis}: a store that takes minutes
   * for what others store in seconds (Quartz JDBC stores about 450 jobs/s) would otherwise be most
   * of the whole run's time budget while measuring nothing the submit rate does not already show.
   * The burst then runs on what was stored, and the result says how many that was.
   */
  Results.Burst burst(Supplier<Contender> factory, int n, long capMillis) throws Exception {
    Path dir = freshDir();
    try (Contender c = factory.get()) {
      c.open(dir, threads);
      Recorder rec = Recorder.install(n);
      long t0 = System.nanoTime();
      long storeDeadline = t0 + capMillis * 1_000_000;
      int chunk = Math.max(1, n / STORE_CHUNKS);
      int stored = 0;
      while (stored < n && System.nanoTime() < storeDeadline) {
        int count = Math.min(chunk, n - stored);
        c.submit("b", stored, count, null);
        stored += count;
      }
      double submitSeconds = (System.nanoTime() - t0) / 1e9;
      long startMicros = rec.nowMicros();
      c.start();
      int ran = rec.awaitRuns(stored, System.nanoTime() + capMillis * 1_000_000);
      long endMicros = ran == stored ? rec.lastStartMicros() : rec.nowMicros();
      double load = load();
      int distinct = rec.distinctRan();
      return new Results.Burst(
          c.name(),
          n,
          stored,
          submitSeconds,
          Math.max(1, endMicros - startMicros) / 1e6,
          distinct,
          rec.duplicates(),
          load);
    } finally {
      deleteTree(dir);
    }
  }

  /**
   * Jobs arrive at {@code ratePerSecond} for {@code seconds}, each submitted due now at its planned
   * arrival time on a virtual thread of its own (at most {@value #STEADY_IN_FLIGHT_MAX} in flight).
   * Latency is from the planned arrival (so a submit that falls behind counts against the system)
   * to the job's start. The run stops {@code capMillis} after the last planned arrival: arrivals
   * not submitted by then are not submitted (a job never submitted counts, like one that never
   * started, with its wait so far, and the figures are then lower bounds), so a slow store cannot
   * stretch the run to minutes. With {@code printStages} (and {@code --stages}), prints where the
   * jobs' waits went ({@link Stages}).
   */
  Results.Latency steady(
      Supplier<Contender> factory,
      int ratePerSecond,
      int seconds,
      long capMillis,
      boolean printStages)
      throws Exception {
    Path dir = freshDir();
    int n = ratePerSecond * seconds;
    ExecutorService submitters = Executors.newVirtualThreadPerTaskExecutor();
    try (Contender c = factory.get()) {
      try {
        c.open(dir, threads);
        c.start();
        Recorder rec = Recorder.install(n);
        long[] dueMicros = new long[n];
        long base = rec.nowMicros() + 200_000;
        for (int i = 0; i < n; i++) {
          dueMicros[i] = base + (long) i * 1_000_000 / ratePerSecond;
        }
        long stopMicros = dueMicros[n - 1] + capMillis * 1_000;
        Semaphore inFlight = new Semaphore(STEADY_IN_FLIGHT_MAX);
        AtomicReference<Throwable> failure = new AtomicReference<>();
        for (int i = 0; i < n && failure.get() == null; i++) {
          waitUntil(rec, dueMicros[i]);
          long leftMicros = stopMicros - rec.nowMicros();
          if (leftMicros <= 0 || !inFlight.tryAcquire(leftMicros, TimeUnit.MICROSECONDS)) {
            break;
          }
          int id = i;
          rec.reached(Stages.Step.HANDED, id);
          submitters.execute(
              () -> {
                try {
                  rec.reached(Stages.Step.SUBMITTING, id);
                  c.submit("s", id, 1, null);
                } catch (Throwable e) {
                  failure.compareAndSet(null, e);
                } finally {
                  inFlight.release();
                }
              });
        }
        // A submit still in flight may yet fail: wait for them all (until the cap at most) before
        // judging the run, so a failure is reported rather than counted as jobs that never ran.
        long leftMicros = stopMicros - rec.nowMicros();
        if (leftMicros > 0
            && inFlight.tryAcquire(STEADY_IN_FLIGHT_MAX, leftMicros, TimeUnit.MICROSECONDS)) {
          inFlight.release(STEADY_IN_FLIGHT_MAX);
        }
        rethrow(failure.get());
        rec.awaitRuns(n, System.nanoTime() + Math.max(0, stopMicros - rec.nowMicros()) * 1_000);
        String stages = printStages ? rec.stageReport(c.name(), dueMicros) : null;
        if (stages != null) {
          System.out.print(stages);
        }
        return Results.Latency.of(c.name(), rec, dueMicros, load(), "");
      } finally {
        stopSubmitters(submitters); // before the system closes under them
      }
    } finally {
      deleteTree(dir);
    }
  }

  /** Parks until {@code rec}'s clock reaches {@code micros}; a park may end early. */
  private static void waitUntil(Recorder rec, long micros) throws InterruptedException {
    for (long wait = micros - rec.nowMicros(); wait > 0; wait = micros - rec.nowMicros()) {
      LockSupport.parkNanos(wait * 1_000);
      if (Thread.interrupted()) {
        throw new InterruptedException("interrupted while waiting for the next arrival");
      }
    }
  }

  /**
   * Interrupts the submits still in flight (those past the cap) and waits a little for them to end,
   * so that the system is not closed under them. One that ignores its interrupt is left to the
   * system's close.
   */
  private static void stopSubmitters(ExecutorService submitters) throws InterruptedException {
    submitters.shutdownNow();
    submitters.awaitTermination(5, TimeUnit.SECONDS);
  }

  private static void rethrow(Throwable failure) throws Exception {
    if (failure instanceof Exception e) {
      throw e;
    }
    if (failure instanceof Error e) {
      throw e;
    }
    if (failure != null) {
      throw new IllegalStateException(failure);
    }
  }

  /**
   * {@code n} jobs due at times spread evenly over {@code spreadMillis}, the first {@code
   * leadMillis} after submitting begins (so the running system has time to store them all);
   * lateness is from each due time to the job's start.
   */
  Results.Latency delayed(
      Supplier<Contender> factory, int n, long spreadMillis, long leadMillis, long capMillis)
      throws Exception {
    Path dir = freshDir();
    try (Contender c = factory.get()) {
      c.open(dir, threads);
      c.start();
      Recorder rec = Recorder.install(n);
      long base = rec.nowMillis() + leadMillis;
      long[] dueMillis = new long[n];
      long[] dueMicros = new long[n];
      for (int i = 0; i < n; i++) {
        dueMillis[i] = base + (long) i * spreadMillis / n;
        dueMicros[i] = dueMillis[i] * 1_000;
      }
      c.submit("d", 0, n, dueMillis);
      long overrun = rec.nowMillis() - base;
      String note =
          overrun > 0
              ? "storing the jobs took "
                  + overrun
                  + " ms longer than the "
                  + leadMillis
                  + " ms lead, so early jobs were stored after they were due"
              : "";
      rec.awaitRuns(n, System.nanoTime() + (leadMillis + spreadMillis + capMillis) * 1_000_000);
      return Results.Latency.of(c.name(), rec, dueMicros, load(), note);
    } finally {
      deleteTree(dir);
    }
  }

  /**
   * Hourglass alone: {@code pending} jobs due in an hour (held, logged, waiting), the heap they
   * take, then a burst of {@code burstJobs} due-now jobs run past them.
   */
  Results.Scale scale(int pending, int burstJobs, long capMillis) throws Exception {
    Path dir = freshDir();
    try (HourglassEmbedded c = new HourglassEmbedded()) {
      long before = usedHeapAfterGc();
      c.open(dir, threads);
      long[] due = new long[Math.min(pending, 100_000)];
      java.util.Arrays.fill(due, System.currentTimeMillis() + 3_600_000);
      long t0 = System.nanoTime();
      for (int first = 0; first < pending; first += due.length) {
        c.submit("p", first, Math.min(due.length, pending - first), due);
      }
      double fillPerSecond = pending / ((System.nanoTime() - t0) / 1e9);
      long after = usedHeapAfterGc();
      Recorder rec = Recorder.install(burstJobs);
      c.submit("b", 0, burstJobs, null);
      long startMicros = rec.nowMicros();
      c.start();
      int ran = rec.awaitRuns(burstJobs, System.nanoTime() + capMillis * 1_000_000);
      long endMicros = ran == burstJobs ? rec.lastStartMicros() : rec.nowMicros();
      return new Results.Scale(
          pending,
          fillPerSecond,
          (after - before) / (double) pending,
          burstJobs,
          rec.distinctRan() / ((endMicros - startMicros) / 1e6),
          rec.distinctRan(),
          load());
    } finally {
      deleteTree(dir);
    }
  }

  static long usedHeapAfterGc() {
    for (int i = 0; i < 3; i++) {
      System.gc();
    }
    return ManagementFactory.getMemoryMXBean().getHeapMemoryUsage().getUsed();
  }

  /** The one-minute load average of the machine (other processes included). */
  static double load() {
    return ManagementFactory.getOperatingSystemMXBean().getSystemLoadAverage();
  }

  private Path freshDir() throws IOException {
    return Files.createTempDirectory(root, "run");
  }

  static void deleteTree(Path dir) throws IOException {
    if (!Files.exists(dir)) {
      return;
    }
    try (Stream<Path> s = Files.walk(dir)) {
      for (Path p : s.sorted(Comparator.reverseOrder()).toList()) {
        Files.deleteIfExists(p);
      }
    }
  }

  static void sleepQuietly(long millis) {
    try {
      TimeUnit.MILLISECONDS.sleep(millis);
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
    }
  }
}
