package dev.hourglass.bench.peers;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Set;
import java.util.function.Function;
import java.util.function.Supplier;
import org.slf4j.LoggerFactory;

/**
 * Hourglass against the schedulers people use today, in one JVM and one run: burst, steady, delayed
 * (every system) and scale (Hourglass alone). Prints one table per workload and writes them, with
 * the settings and a chart, to {@code --out} (default {@code hourglass-bench/target/peers.md} and
 * {@code peers.svg} beside it). The JDBC peers run on PostgreSQL with its default durability, as
 * their users run them in production: a throwaway cluster that {@link LocalPostgres} starts for the
 * run and removes afterwards.
 *
 * <p>Run: {@code ./hourglass bench [--quick]}, or after {@code mvn -pl hourglass-bench -am package
 * -DskipTests}: {@code java -Xmx8g -cp 'hourglass-bench/target/*:hourglass-bench/target/lib/*'
 * dev.hourglass.bench.peers.PeerBench [--quick] [--systems=a,b]
 * [--workloads=burst,steady,delayed,scale] [--threads=8] [--rate=1000] [--out=FILE] [--stages]}.
 * {@code --rate} sets the steady workload's arrivals per second; {@code --stages} prints where the
 * steady jobs' waits went, step by step ({@link Stages}).
 */
public final class PeerBench {
  /**
   * System keys, in the order they run and are listed, each with how to make one from the run's
   * PostgreSQL server (null when no selected system needs one).
   */
  static final Map<String, Function<LocalPostgres, Contender>> SYSTEMS = new LinkedHashMap<>();

  /** The systems that store their jobs in PostgreSQL. */
  static final Set<String> ON_POSTGRES =
      Set.of("quartz-postgres", "db-scheduler-postgres", "jobrunr-postgres");

  static {
    SYSTEMS.put("hourglass", pg -> new HourglassEmbedded());
    SYSTEMS.put("hourglass-http", pg -> new HourglassHttp());
    SYSTEMS.put("quartz-ram", pg -> QuartzContender.ram());
    SYSTEMS.put("quartz-postgres", QuartzContender::postgres);
    SYSTEMS.put("db-scheduler-postgres", DbSchedulerContender::new);
    SYSTEMS.put("jobrunr-memory", pg -> JobRunrContender.inMemory());
    SYSTEMS.put("jobrunr-postgres", JobRunrContender::postgres);
  }

  /** Sizes of one run. */
  record Sizes(
      int burstJobs,
      int warmupJobs,
      int steadyRate,
      int steadySeconds,
      int delayedJobs,
      long delayedSpreadMillis,
      int[] scalePending,
      int scaleBurstJobs,
      long capMillis) {
    /**
     * How long a measured workload waits for its jobs. Why 20 s: only the peers that cannot keep up
     * reach it (Quartz JDBC and both JobRunr rows, five times in all), and what they show then is a
     * rate over the window and lower bounds, marked as such, which 20 s shows as well as 30 s did;
     * the ten seconds each were 50 s of the ten-minute budget.
     */
    static final long CAP_MILLIS = 20_000;

    static final Sizes DEFAULT =
        new Sizes(
            100_000,
            5_000,
            1_000,
            10,
            100_000,
            10_000,
            new int[] {10_000, 1_000_000, 10_000_000},
            100_000,
            CAP_MILLIS);

    /**
     * Why the warm-up has its own, shorter cap: it only has to warm the JIT, which 5 s of running
     * does for any system, and the slow peers (under 1,000 jobs/s) ran into a longer cap twice each
     * (burst and steady warm-ups), a minute of the ten-minute budget for no figure.
     */
    static final long WARMUP_CAP_MILLIS = 5_000;

    /** For CI smoke and trying it out: about a minute; its figures are not comparable. */
    static final Sizes QUICK =
        new Sizes(2_000, 0, 100, 2, 2_000, 2_000, new int[] {10_000, 100_000}, 2_000, 8_000);

    /** These sizes with the steady workload at {@code jobsPerSecond} (the same duration). */
    Sizes withSteadyRate(int jobsPerSecond) {
      return new Sizes(
          burstJobs,
          warmupJobs,
          jobsPerSecond,
          steadySeconds,
          delayedJobs,
          delayedSpreadMillis,
          scalePending,
          scaleBurstJobs,
          capMillis);
    }
  }

  /**
   * A system runs the delayed workload when storing and running its jobs at its burst rates would
   * end within this many caps: a minute by default, as before the cap was shortened.
   */
  private static final int DELAYED_BUDGET_CAPS = 3;

  private PeerBench() {}

  public static void main(String[] args) throws Exception {
    quietLogging();
    boolean quick = false;
    List<String> systems = new ArrayList<>(SYSTEMS.keySet());
    List<String> workloads = List.of("burst", "steady", "delayed", "scale");
    int threads = 8;
    int rate = 0;
    Path out =
        Files.isDirectory(Path.of("hourglass-bench"))
            ? Path.of("hourglass-bench/target/peers.md")
            : Path.of("target/peers.md");
    for (String a : args) {
      if (a.equals("--quick")) {
        quick = true;
      } else if (a.startsWith("--systems=")) {
        systems = List.of(a.substring(10).split(","));
      } else if (a.startsWith("--workloads=")) {
        workloads = List.of(a.substring(12).split(","));
      } else if (a.startsWith("--threads=")) {
        threads = Integer.parseInt(a.substring(10));
      } else if (a.startsWith("--rate=")) {
        rate = Integer.parseInt(a.substring(7));
        if (rate < 1 || rate > 100_000) {
          System.err.println("--rate=" + rate + ": the steady rate must be in [1, 100000] jobs/s");
          System.exit(2);
        }
      } else if (a.startsWith("--out=")) {
        out = Path.of(a.substring(6));
      } else if (a.equals("--stages")) {
        Recorder.keepStages = true;
      } else {
        System.err.println(
            "unknown argument: "
                + a
                + "; expected --quick, --systems=a,b,"
                + " --workloads=burst,steady,delayed,scale, --threads=N, --rate=JOBS_PER_SECOND,"
                + " --out=FILE, --stages. Systems: "
                + SYSTEMS.keySet());
        System.exit(2);
      }
    }
    for (String s : systems) {
      if (!SYSTEMS.containsKey(s)) {
        System.err.println("unknown system: " + s + "; known: " + SYSTEMS.keySet());
        System.exit(2);
      }
    }
    Sizes sizes = quick ? Sizes.QUICK : Sizes.DEFAULT;
    if (rate > 0) {
      sizes = sizes.withSteadyRate(rate);
    }
    Report report = run(systems, workloads, threads, sizes, quick);
    Files.createDirectories(out.toAbsolutePath().getParent());
    Files.writeString(out, report.markdown());
    Path svg = out.resolveSibling(out.getFileName().toString().replaceFirst("\\.md$", "") + ".svg");
    Files.writeString(svg, report.svg());
    System.out.println();
    System.out.println(report.markdown());
    System.out.println("written: " + out + " and " + svg);
    System.exit(0); // peers leave non-daemon threads behind (Quartz, JobRunr)
  }

  static Report run(
      List<String> systems, List<String> workloads, int threads, Sizes sizes, boolean quick)
      throws Exception {
    Path root = Files.createTempDirectory("hourglass-peers");
    long started = System.nanoTime();
    Report report = new Report(threads, sizes, quick);
    report.machine(Workloads.load());
    Workloads w = new Workloads(root, threads);
    LocalPostgres postgres = null;
    try {
      if (systems.stream().anyMatch(ON_POSTGRES::contains)) {
        progress("starting a local PostgreSQL");
        postgres = LocalPostgres.start();
        report.postgres(postgres.description());
        progress(postgres.description());
      }
      for (String key : systems) {
        LocalPostgres pg = postgres;
        runSystem(w, key, () -> SYSTEMS.get(key).apply(pg), workloads, sizes, report);
      }
      if (workloads.contains("scale")) {
        for (int pending : sizes.scalePending()) {
          progress("scale: Hourglass with " + pending + " pending jobs");
          report.add(w.scale(pending, sizes.scaleBurstJobs(), sizes.capMillis()));
        }
      }
    } finally {
      if (postgres != null) {
        postgres.close();
      }
      Workloads.deleteTree(root);
    }
    report.finish((System.nanoTime() - started) / 1e9, Workloads.load());
    return report;
  }

  private static void runSystem(
      Workloads w,
      String key,
      Supplier<Contender> factory,
      List<String> workloads,
      Sizes sizes,
      Report report)
      throws Exception {
    try (Contender probe = factory.get()) {
      report.describe(key, probe);
    }
    Results.Burst burst = null;
    if (sizes.warmupJobs() > 0) {
      progress(key + ": warm-up burst of " + sizes.warmupJobs());
      w.burst(factory, sizes.warmupJobs(), Math.min(sizes.capMillis(), Sizes.WARMUP_CAP_MILLIS));
    }
    if (workloads.contains("burst")) {
      progress(key + ": burst of " + sizes.burstJobs());
      var b = w.burst(factory, sizes.burstJobs(), sizes.capMillis());
      report.add(key, b);
      burst = b;
      progress(
          String.format(
              Locale.ROOT,
              "  %,.0f jobs/s (submit %,.0f jobs/s%s)",
              b.jobsPerSecond(),
              b.submitPerSecond(),
              b.storedAll()
                  ? ""
                  : String.format(Locale.ROOT, "; stored %,d at the cap", b.stored())));
    }
    if (workloads.contains("steady")) {
      if (sizes.warmupJobs() > 0) {
        // Why: the burst warm-up does not run the one-job-at-a-time paths (a lease parked and
        // woken per job); every system gets the same unrecorded steady run first, until the JIT
        // has settled (see SteadyWarmup).
        progress(key + ": warm-up steady " + sizes.steadyRate() + " jobs/s until the JIT settles");
        int warmed =
            SteadyWarmup.run(
                w,
                factory,
                sizes.steadyRate(),
                Math.min(sizes.capMillis(), Sizes.WARMUP_CAP_MILLIS),
                SteadyWarmup.Compiler.ofThisJvm());
        report.steadyWarmup(key, warmed);
        progress("  warmed up for " + warmed + " s");
      }
      progress(
          key + ": steady " + sizes.steadyRate() + " jobs/s for " + sizes.steadySeconds() + " s");
      var s = w.steady(factory, sizes.steadyRate(), sizes.steadySeconds(), sizes.capMillis(), true);
      report.addSteady(key, s);
      progress(
          String.format(Locale.ROOT, "  p50 %.1f ms p99 %.1f ms", s.p50Millis(), s.p99Millis()));
    }
    if (workloads.contains("delayed")
        && burst != null
        && sizes.delayedJobs() / burst.submitPerSecond()
                + sizes.delayedJobs() / burst.jobsPerSecond()
            > DELAYED_BUDGET_CAPS * sizes.capMillis() / 1_000) {
      // Storing and running them at the burst's rates would not end within three caps.
      report.skipDelayed(
          key,
          String.format(
              Locale.ROOT,
              "at its burst rates (store %,.0f jobs/s,"
                  + " run %,.0f jobs/s) %,d jobs would take longer than %d s",
              burst.submitPerSecond(),
              burst.jobsPerSecond(),
              sizes.delayedJobs(),
              DELAYED_BUDGET_CAPS * sizes.capMillis() / 1_000));
    } else if (workloads.contains("delayed")) {
      // Room to store every job before the first is due, judged from the burst's submit rate.
      double rate = burst != null ? burst.submitPerSecond() : 5_000;
      long lead = Math.max(2_000, (long) (1.5 * sizes.delayedJobs() / rate * 1_000) + 1_000);
      progress(
          key
              + ": delayed "
              + sizes.delayedJobs()
              + " over "
              + sizes.delayedSpreadMillis()
              + " ms, lead "
              + lead
              + " ms");
      var d =
          w.delayed(
              factory, sizes.delayedJobs(), sizes.delayedSpreadMillis(), lead, sizes.capMillis());
      report.addDelayed(key, d);
      progress(
          String.format(
              Locale.ROOT, "  lateness p50 %.1f ms p99 %.1f ms", d.p50Millis(), d.p99Millis()));
    }
  }

  /** When the run began, for the elapsed seconds on each progress line. */
  private static final long STARTED_NANOS = System.nanoTime();

  /** Prints a progress line with the seconds since the run began, to show where the time goes. */
  static void progress(String line) {
    System.out.printf(
        Locale.ROOT, "[peers %4.0f s] %s%n", (System.nanoTime() - STARTED_NANOS) / 1e9, line);
    System.out.flush();
  }

  /** WARN for everything: Quartz, JobRunr and the server log lifecycle lines at INFO. */
  static void quietLogging() {
    if (LoggerFactory.getILoggerFactory() instanceof ch.qos.logback.classic.LoggerContext ctx) {
      for (var logger : ctx.getLoggerList()) {
        if (logger.getLevel() != null) {
          logger.setLevel(ch.qos.logback.classic.Level.WARN);
        }
      }
      ctx.getLogger(org.slf4j.Logger.ROOT_LOGGER_NAME).setLevel(ch.qos.logback.classic.Level.WARN);
      // JobRunr warns on every batch that its default job filter took over 10 ms on this machine.
      ctx.getLogger("org.jobrunr.jobs.filters").setLevel(ch.qos.logback.classic.Level.ERROR);
    }
    java.util.logging.Logger.getLogger("").setLevel(java.util.logging.Level.WARNING);
  }
}
