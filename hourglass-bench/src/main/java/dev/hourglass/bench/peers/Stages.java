package dev.hourglass.bench.peers;

import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Locale;
import java.util.concurrent.atomic.AtomicInteger;

/**
 * Where each steady job's wait went, step by step, when {@code --stages} asks for it: from its
 * planned arrival to the generator handing it to a submitter thread, to that thread running, to the
 * grant (for a system that reports it), to the job's start; and how long each group commit took
 * (for a system that reports those). A tail is only worth working on once it is known whose it is:
 * the load generator's, the disk's, or the scheduler's.
 *
 * <p>Implementation notes: one array of microsecond times per step, written once per job by
 * whichever thread reaches that step (the same plain writes as {@link Recorder}'s start times, read
 * after every job ran); group commit times go into a bounded array behind an atomic counter.
 */
final class Stages {
  /** The steps between planned arrival and start, in the order a job passes them. */
  enum Step {
    /** The generator handed the arrival to a submitter thread. */
    HANDED("handed to a submitter", "the load generator"),
    /** The submitter thread runs and calls the system's submit. */
    SUBMITTING("submitting", "a virtual thread starting"),
    /** The system granted the job to its worker (durably). */
    GRANTED("granted", "submit and grant, one group commit");

    final String point;
    final String what;

    Step(String point, String what) {
      this.point = point;
      this.what = what;
    }
  }

  private static final int COMMITS_MAX = 1 << 20;

  private final long[][] micros;
  private final long[] commitNanos = new long[COMMITS_MAX];
  private final AtomicInteger commits = new AtomicInteger();

  Stages(int jobs) {
    micros = new long[Step.values().length][jobs];
  }

  void mark(Step step, int id, long nowMicros) {
    long[] at = micros[step.ordinal()];
    if (id >= 0 && id < at.length) {
      at[id] = nowMicros;
    }
  }

  void commitTook(long nanos) {
    int i = commits.getAndIncrement();
    if (i < COMMITS_MAX) {
      commitNanos[i] = nanos;
    }
  }

  /**
   * The report: per step, its p50, p99 and p99.9 over all jobs, and its mean over the 1 % of jobs
   * that waited longest in all, so the steps' shares of the tail can be read side by side. {@code
   * started} holds each job's start time, negative for one that did not start.
   */
  String report(String system, long[] plannedMicros, long[] started) {
    int n = plannedMicros.length;
    long notStarted = Arrays.stream(started).filter(t -> t < 0).count();
    if (notStarted > 0) {
      return String.format(
          Locale.ROOT,
          "stages of %s: not shown, as %,d of %,d jobs did not start%n",
          system,
          notStarted,
          n);
    }
    List<long[]> times = new ArrayList<>();
    List<String> labels = new ArrayList<>();
    times.add(plannedMicros);
    String previous = "planned";
    for (Step s : Step.values()) {
      long[] at = micros[s.ordinal()];
      if (Arrays.stream(at).allMatch(t -> t == 0)) {
        continue; // this system does not report the step: it is part of the next one
      }
      times.add(at);
      labels.add(previous + " -> " + s.point + " (" + s.what + ")");
      previous = s.point;
    }
    times.add(started);
    labels.add(previous + " -> started");
    Integer[] slowest = slowestFirst(plannedMicros, started);
    int tail = Math.max(1, n / 100);
    StringBuilder out = new StringBuilder();
    out.append(
        String.format(
            Locale.ROOT,
            "stages of %s, µs: p50 / p99 / p99.9 over %,d jobs; mean over the slowest %,d%n",
            system,
            n,
            tail));
    for (int step = 0; step < labels.size(); step++) {
      long[] from = times.get(step);
      long[] to = times.get(step + 1);
      long[] d = new long[n];
      for (int i = 0; i < n; i++) {
        d[i] = to[i] - from[i];
      }
      long tailSum = 0;
      for (int k = 0; k < tail; k++) {
        tailSum += d[slowest[k]];
      }
      long[] sorted = d.clone();
      Arrays.sort(sorted);
      out.append(
          String.format(
              Locale.ROOT,
              "  %-62s %7d / %7d / %7d; slowest %7d%n",
              labels.get(step),
              Results.rank(sorted, 0.50),
              Results.rank(sorted, 0.99),
              Results.rank(sorted, 0.999),
              tailSum / tail));
    }
    int c = Math.min(commits.get(), COMMITS_MAX);
    if (c > 0) {
      long[] sorted = Arrays.copyOf(commitNanos, c);
      Arrays.sort(sorted);
      out.append(
          String.format(
              Locale.ROOT,
              "  group commits (apply, append, fdatasync): %,d, each p50 / p99 / p99.9 %d / %d / %d"
                  + " µs, longest %d µs%n",
              c,
              Results.rank(sorted, 0.50) / 1_000,
              Results.rank(sorted, 0.99) / 1_000,
              Results.rank(sorted, 0.999) / 1_000,
              sorted[c - 1] / 1_000));
    }
    return out.toString();
  }

  /** Job ids by total wait, longest first. */
  private static Integer[] slowestFirst(long[] plannedMicros, long[] started) {
    Integer[] ids = new Integer[plannedMicros.length];
    for (int i = 0; i < ids.length; i++) {
      ids[i] = i;
    }
    Arrays.sort(
        ids, (a, b) -> Long.compare(started[b] - plannedMicros[b], started[a] - plannedMicros[a]));
    return ids;
  }
}
