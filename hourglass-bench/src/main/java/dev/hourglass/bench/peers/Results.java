package dev.hourglass.bench.peers;

import java.util.Arrays;

/** What one system did in one workload. Immutable. */
final class Results {
  /**
   * The nearest-rank quantile {@code q} of a sorted, non-empty array: the value every table uses.
   */
  static long rank(long[] sorted, double q) {
    int i = (int) Math.ceil(q * sorted.length) - 1;
    return sorted[Math.max(0, i)];
  }

  private Results() {}

  /**
   * Burst: {@code stored} of the {@code requested} jobs loaded while stopped (fewer when loading
   * reached the cap), then started; {@code runSeconds} from start until the last stored job started
   * (or until the cap, when not all ran).
   */
  record Burst(
      String system,
      int requested,
      int stored,
      double submitSeconds,
      double runSeconds,
      int ran,
      int duplicates,
      double load) {
    boolean finished() {
      return ran == stored;
    }

    boolean storedAll() {
      return stored == requested;
    }

    double jobsPerSecond() {
      return ran / runSeconds;
    }

    double submitPerSecond() {
      return stored / submitSeconds;
    }
  }

  /** Latency from due time to start, in milliseconds, over the jobs that ran. */
  record Latency(
      String system,
      int jobs,
      int ran,
      int duplicates,
      double p50Millis,
      double p99Millis,
      double maxMillis,
      double load,
      String note) {
    boolean finished() {
      return ran == jobs;
    }

    /**
     * Percentiles over every job: one that had not started when the run was stopped counts with its
     * wait so far, so the figures are then lower bounds (and the note says so).
     */
    static Latency of(String system, Recorder rec, long[] dueMicros, double load, String note) {
      int n = rec.jobs();
      long stoppedMicros = rec.nowMicros();
      long[] lat = new long[n];
      int ran = 0;
      for (int i = 0; i < n; i++) {
        long s = rec.startMicros(i);
        if (s >= 0) {
          ran++;
        }
        lat[i] = (s >= 0 ? s : stoppedMicros) - dueMicros[i];
      }
      Arrays.sort(lat);
      String missing =
          ran == n
              ? ""
              : String.format(
                  java.util.Locale.ROOT,
                  "%,d of %,d jobs had"
                      + " not started when the run was stopped; they count with their wait so far, so the"
                      + " figures are lower bounds",
                  n - ran,
                  n);
      String all = note.isEmpty() ? missing : missing.isEmpty() ? note : note + "; " + missing;
      return new Latency(
          system,
          n,
          ran,
          rec.duplicates(),
          pct(lat, 0.50),
          pct(lat, 0.99),
          n == 0 ? Double.NaN : lat[n - 1] / 1_000.0,
          load,
          all);
    }

    private static double pct(long[] sorted, double q) {
      if (sorted.length == 0) {
        return Double.NaN;
      }
      return rank(sorted, q) / 1_000.0;
    }
  }

  /** Hourglass alone with {@code pending} jobs waiting (due in an hour). */
  record Scale(
      int pending,
      double fillPerSecond,
      double heapBytesPerJob,
      int burstJobs,
      double burstPerSecond,
      int ran,
      double load) {}
}
