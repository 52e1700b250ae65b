package dev.hourglass.bench.peers;

import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicIntegerArray;

/**
 * What the no-op job of every system does: notes the moment it started and counts its runs. Job ids
 * are the integers {@code 0..n-1} of the current workload.
 *
 * <p>Times are microseconds on one clock: the wall clock read once at construction plus {@code
 * System.nanoTime()} since, so they are comparable with the epoch-millisecond due times the systems
 * are given, yet monotonic within a run.
 *
 * <p>Thread-safety: {@link #ran} may be called from any thread; the arrays are read after {@link
 * #awaitRuns} has seen every run (the atomic counter orders the plain writes before it).
 */
final class Recorder {
  /**
   * The one recorder that static job entry points (Quartz's job class, JobRunr's lambda target)
   * report to. PeerBench runs one system at a time, so one is enough.
   */
  static volatile Recorder current = new Recorder(0);

  /** Whether new recorders also keep each job's {@link Stages} ({@code --stages}). */
  static volatile boolean keepStages;

  private final long baseMillis = System.currentTimeMillis();
  private final long baseNanos = System.nanoTime();
  private final long[] startMicros;
  private final AtomicIntegerArray runs;
  private final AtomicInteger total = new AtomicInteger();
  private final AtomicInteger unknown = new AtomicInteger();
  private final Stages stages;

  Recorder(int jobs) {
    this.startMicros = new long[jobs];
    this.runs = new AtomicIntegerArray(jobs);
    this.stages = keepStages ? new Stages(jobs) : null;
  }

  /** Makes a new recorder for {@code jobs} jobs the current one. */
  static Recorder install(int jobs) {
    Recorder r = new Recorder(jobs);
    current = r;
    return r;
  }

  int jobs() {
    return startMicros.length;
  }

  long nowMicros() {
    return baseMillis * 1_000 + (System.nanoTime() - baseNanos) / 1_000;
  }

  long nowMillis() {
    return nowMicros() / 1_000;
  }

  /** The job body. An id outside this workload (a leftover) is counted apart, never dropped. */
  void ran(int id) {
    if (id < 0 || id >= startMicros.length) {
      unknown.incrementAndGet();
      return;
    }
    if (runs.getAndIncrement(id) == 0) {
      startMicros[id] = nowMicros();
    }
    total.incrementAndGet();
  }

  /**
   * Parses the number after the last '-' of a job name such as {@code b-1234}, then {@link #ran}.
   */
  void ran(String name) {
    ran(idOf(name));
  }

  private static int idOf(String name) {
    return Integer.parseInt(name, name.lastIndexOf('-') + 1, name.length(), 10);
  }

  /** Notes that job {@code id} reached {@code step}, when stages are kept. */
  void reached(Stages.Step step, int id) {
    if (stages != null) {
      stages.mark(step, id, nowMicros());
    }
  }

  /** {@link #reached} for a job named as in {@link #ran(String)}. */
  void reached(Stages.Step step, String name) {
    if (stages != null) {
      reached(step, idOf(name));
    }
  }

  /** Notes one group commit's duration, when stages are kept. */
  void commitTook(long nanos) {
    if (stages != null) {
      stages.commitTook(nanos);
    }
  }

  /** The stage report of this run, or null when stages are not kept. */
  String stageReport(String system, long[] plannedMicros) {
    if (stages == null) {
      return null;
    }
    long[] started = new long[startMicros.length];
    for (int i = 0; i < started.length; i++) {
      started[i] = startMicros(i);
    }
    return stages.report(system, plannedMicros, started);
  }

  /** Waits until {@code n} runs were seen or the deadline passed; returns the runs seen. */
  int awaitRuns(int n, long deadlineNanos) throws InterruptedException {
    while (total.get() < n && System.nanoTime() < deadlineNanos) {
      Thread.sleep(2);
    }
    return total.get();
  }

  int totalRuns() {
    return total.get();
  }

  int unknownRuns() {
    return unknown.get();
  }

  /** Jobs that ran at least once. */
  int distinctRan() {
    int n = 0;
    for (int i = 0; i < runs.length(); i++) {
      if (runs.get(i) > 0) {
        n++;
      }
    }
    return n;
  }

  /** Jobs that ran more than once. */
  int duplicates() {
    int n = 0;
    for (int i = 0; i < runs.length(); i++) {
      if (runs.get(i) > 1) {
        n++;
      }
    }
    return n;
  }

  int runsOf(int id) {
    return runs.get(id);
  }

  /** Start time of a job that ran, else -1. */
  long startMicros(int id) {
    return runs.get(id) > 0 ? startMicros[id] : -1;
  }

  /** The latest start among the jobs that ran. */
  long lastStartMicros() {
    long last = Long.MIN_VALUE;
    for (int i = 0; i < startMicros.length; i++) {
      if (runs.get(i) > 0) {
        last = Math.max(last, startMicros[i]);
      }
    }
    return last;
  }
}
