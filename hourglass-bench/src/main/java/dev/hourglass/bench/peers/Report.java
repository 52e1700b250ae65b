package dev.hourglass.bench.peers;

import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.function.ToDoubleFunction;

/**
 * The tables and the chart of one PeerBench run. Ratios compare every system with the embedded
 * Hourglass row ("hourglass"), written so that above 1 means Hourglass is better: its throughput
 * divided by the system's, or the system's latency divided by Hourglass's.
 *
 * <p>Not thread-safe; filled by the runner's one thread.
 */
final class Report {
  private static final String REF = "hourglass";
  private final int threads;
  private final PeerBench.Sizes sizes;
  private final boolean quick;
  private final Map<String, Contender> described = new LinkedHashMap<>();
  private final Map<String, String[]> systems = new LinkedHashMap<>();
  private final Map<String, Results.Burst> bursts = new LinkedHashMap<>();
  private final Map<String, Integer> steadyWarmups = new LinkedHashMap<>();
  private final Map<String, Results.Latency> steady = new LinkedHashMap<>();
  private final Map<String, Results.Latency> delayed = new LinkedHashMap<>();
  private final Map<String, String> skippedDelayed = new LinkedHashMap<>();
  private final List<Results.Scale> scale = new ArrayList<>();
  private String machine = "";
  private String postgres = "";
  private double seconds;
  private double loadStart;
  private double loadEnd;

  Report(int threads, PeerBench.Sizes sizes, boolean quick) {
    this.threads = threads;
    this.sizes = sizes;
    this.quick = quick;
  }

  void machine(double load) {
    Runtime rt = Runtime.getRuntime();
    loadStart = load;
    machine =
        String.format(
            Locale.ROOT,
            "%d CPUs, %s %s (%s), JDK %s (%s), max heap %d MiB",
            rt.availableProcessors(),
            System.getProperty("os.name"),
            System.getProperty("os.version"),
            System.getProperty("os.arch"),
            System.getProperty("java.runtime.version"),
            System.getProperty("java.vm.vendor"),
            rt.maxMemory() >> 20);
  }

  /** The PostgreSQL server the JDBC peers ran on, for the settings section. */
  void postgres(String description) {
    postgres = description;
  }

  void describe(String key, Contender c) {
    described.put(key, c);
  }

  void add(String key, Results.Burst b) {
    bursts.put(key, b);
  }

  /** Seconds of unrecorded steady traffic {@code key} ran before its measured steady run. */
  void steadyWarmup(String key, int seconds) {
    steadyWarmups.put(key, seconds);
  }

  void addSteady(String key, Results.Latency l) {
    steady.put(key, l);
  }

  void addDelayed(String key, Results.Latency l) {
    delayed.put(key, l);
  }

  void skipDelayed(String key, String why) {
    skippedDelayed.put(key, why);
  }

  void add(Results.Scale s) {
    scale.add(s);
  }

  void finish(double seconds, double load) {
    this.seconds = seconds;
    this.loadEnd = load;
    for (var e : described.entrySet()) {
      // settings() reads the thread count, known once the system was opened in a workload.
      systems.put(
          e.getKey(),
          new String[] {
            e.getValue().name(), e.getValue().durability(), e.getValue().settings(threads)
          });
    }
  }

  private String name(String key) {
    return described.get(key).name();
  }

  String markdown() {
    StringBuilder m = new StringBuilder();
    m.append("Machine: ")
        .append(machine)
        .append(
            String.format(
                Locale.ROOT,
                ". Load average %.1f at the start, %.1f at the end; the run took %.0f s%s.%n%n",
                loadStart,
                loadEnd,
                seconds,
                quick ? " (--quick sizes: a smoke run, not figures)" : ""));
    m.append("Every system runs embedded in one JVM with ")
        .append(threads)
        .append(" worker threads and a no-op job that records when it started.")
        .append(
            sizes.warmupJobs() > 0
                ? " Each system first runs a warm-up burst of "
                    + sizes.warmupJobs()
                    + " jobs on its own storage."
                : "")
        .append(" Each workload gets fresh storage.\n\n");
    burstTable(m);
    latencyTable(
        m,
        "Steady: "
            + sizes.steadyRate()
            + " jobs/s for "
            + sizes.steadySeconds()
            + " s, latency from due to start",
        steady);
    steadyWarmupNote(m);
    latencyTable(
        m,
        "Delayed: "
            + String.format(Locale.ROOT, "%,d", sizes.delayedJobs())
            + " jobs due spread over "
            + sizes.delayedSpreadMillis() / 1000.0
            + " s, lateness (start - due)",
        delayed);
    for (var e : skippedDelayed.entrySet()) {
      m.append("- ")
          .append(name(e.getKey()))
          .append(": delayed workload skipped: ")
          .append(e.getValue())
          .append(".\n");
    }
    if (!skippedDelayed.isEmpty()) {
      m.append('\n');
    }
    scaleTable(m);
    settingsTable(m);
    return m.toString();
  }

  private void steadyWarmupNote(StringBuilder m) {
    if (steady.isEmpty() || steadyWarmups.isEmpty()) {
      return;
    }
    List<String> each = new ArrayList<>();
    for (var e : steadyWarmups.entrySet()) {
      each.add(name(e.getKey()) + " " + e.getValue() + " s");
    }
    m.append(
            String.format(
                Locale.ROOT,
                "Before its measured run each system ran the same traffic unrecorded until the JIT"
                    + " had settled (under %d%% of a %d s round spent compiling, at most %d s): ",
                SteadyWarmup.SETTLED_PERCENT,
                SteadyWarmup.ROUND_SECONDS,
                SteadyWarmup.MAX_SECONDS))
        .append(String.join(", ", each))
        .append(".\n\n");
  }

  private void burstTable(StringBuilder m) {
    if (bursts.isEmpty()) {
      return;
    }
    m.append(
        String.format(
            Locale.ROOT,
            "### Burst: %,d no-op jobs due now, time until all have" + " run%n%n",
            sizes.burstJobs()));
    m.append(
        "| System | Durability | Run time | Jobs/s | Hourglass ÷ system | Submit jobs/s"
            + " | Ran of stored / duplicates | Load |\n|---|---|---|---|---|---|---|---|\n");
    Results.Burst ref = bursts.get(REF);
    List<String> notes = new ArrayList<>();
    for (var e : bursts.entrySet()) {
      var b = e.getValue();
      m.append(
          String.format(
              Locale.ROOT,
              "| %s | %s | %s | %,.0f | %s | %,.0f | %,d of %,d / %d | %.1f |%n",
              name(e.getKey()),
              shortDurability(e.getKey()),
              (b.finished() ? "" : "not done after ")
                  + String.format(Locale.ROOT, "%.2f s", b.runSeconds()),
              b.jobsPerSecond(),
              ratio(ref == null ? Double.NaN : ref.jobsPerSecond(), b.jobsPerSecond()),
              b.submitPerSecond(),
              b.ran(),
              b.stored(),
              b.duplicates(),
              b.load()));
      if (!b.storedAll()) {
        notes.add(
            String.format(
                Locale.ROOT,
                "%s: storing stopped at the %.0f s cap with %,d of the %,d jobs stored; the burst"
                    + " ran on those.",
                name(e.getKey()),
                sizes.capMillis() / 1000.0,
                b.stored(),
                b.requested()));
      }
    }
    m.append('\n');
    for (String n : notes) {
      m.append("- ").append(n).append('\n');
    }
    if (!notes.isEmpty()) {
      m.append('\n');
    }
  }

  private void latencyTable(StringBuilder m, String title, Map<String, Results.Latency> rows) {
    if (rows.isEmpty()) {
      return;
    }
    m.append("### ").append(title).append("\n\n");
    m.append(
        "| System | Durability | p50 | p99 | max | p99: system ÷ Hourglass | Ran / duplicates"
            + " | Load |\n|---|---|---|---|---|---|---|---|\n");
    Results.Latency ref = rows.get(REF);
    List<String> notes = new ArrayList<>();
    for (var e : rows.entrySet()) {
      var l = e.getValue();
      m.append(
          String.format(
              Locale.ROOT,
              "| %s | %s | %s | %s | %s | %s | %,d of %,d / %d | %.1f |%n",
              name(e.getKey()),
              shortDurability(e.getKey()),
              ms(l.p50Millis()),
              ms(l.p99Millis()),
              ms(l.maxMillis()),
              ratio(l.p99Millis(), ref == null ? Double.NaN : ref.p99Millis()),
              l.ran(),
              l.jobs(),
              l.duplicates(),
              l.load()));
      if (!l.note().isEmpty()) {
        notes.add(name(e.getKey()) + ": " + l.note() + ".");
      }
    }
    m.append('\n');
    for (String n : notes) {
      m.append("- ").append(n).append('\n');
    }
    if (!notes.isEmpty()) {
      m.append('\n');
    }
  }

  private void scaleTable(StringBuilder m) {
    if (scale.isEmpty()) {
      return;
    }
    m.append("### Scale: Hourglass embedded alone, with jobs pending (due in an hour)\n\n");
    m.append(
        "| Pending jobs | Durable fill (jobs/s) | Heap per pending job | Burst of "
            + String.format(Locale.ROOT, "%,d", sizes.scaleBurstJobs())
            + " past them (jobs/s) | Load |\n|---|---|---|---|---|\n");
    for (var s : scale) {
      m.append(
          String.format(
              Locale.ROOT,
              "| %,d | %,.0f | %.0f bytes | %,.0f%s | %.1f |%n",
              s.pending(),
              s.fillPerSecond(),
              s.heapBytesPerJob(),
              s.burstPerSecond(),
              s.ran() == s.burstJobs() ? "" : " (only " + s.ran() + " ran)",
              s.load()));
    }
    m.append('\n');
  }

  private void settingsTable(StringBuilder m) {
    m.append("### Systems and settings\n\n| System | Durability | Settings |\n|---|---|---|\n");
    for (var s : systems.values()) {
      m.append("| ")
          .append(s[0])
          .append(" | ")
          .append(s[1])
          .append(" | ")
          .append(s[2])
          .append(" |\n");
    }
    m.append('\n');
    if (!postgres.isEmpty()) {
      m.append("The JDBC peers ran on ")
          .append(postgres)
          .append("; each workload on a fresh" + " database.\n\n");
    }
  }

  private String shortDurability(String key) {
    String d = described.get(key).durability();
    if (d.startsWith("in memory")) {
      return "in memory";
    }
    if (d.startsWith("PostgreSQL")) {
      return "PostgreSQL, fsync";
    }
    return "fsync";
  }

  private static String ms(double v) {
    if (Double.isNaN(v)) {
      return "–";
    }
    return v >= 100
        ? String.format(Locale.ROOT, "%,.0f ms", v)
        : String.format(Locale.ROOT, "%.1f ms", v);
  }

  private static String ratio(double num, double den) {
    if (Double.isNaN(num) || Double.isNaN(den) || den <= 0) {
      return "–";
    }
    double r = num / den;
    return r >= 10
        ? String.format(Locale.ROOT, "%.0f×", r)
        : String.format(Locale.ROOT, "%.2f×", r);
  }

  /** Two horizontal bar charts on log scales: burst throughput and steady p99. */
  String svg() {
    List<String[]> burstRows = new ArrayList<>();
    bursts.forEach(
        (k, b) -> burstRows.add(new String[] {name(k), Double.toString(b.jobsPerSecond())}));
    List<String[]> steadyRows = new ArrayList<>();
    steady.forEach(
        (k, l) -> steadyRows.add(new String[] {name(k), Double.toString(l.p99Millis())}));
    int rowH = 22;
    int h1 = 40 + burstRows.size() * rowH;
    int h2 = 40 + steadyRows.size() * rowH;
    StringBuilder s = new StringBuilder();
    s.append(
        String.format(
            Locale.ROOT,
            "<svg xmlns=\"http://www.w3.org/2000/svg\" width=\"760\""
                + " height=\"%d\" font-family=\"sans-serif\" font-size=\"12\">%n",
            h1 + h2 + 20));
    s.append("<rect width=\"100%\" height=\"100%\" fill=\"white\"/>\n");
    chart(s, 0, "Burst: jobs/s (log scale, longer is better)", burstRows, "%,.0f jobs/s");
    chart(
        s,
        h1 + 10,
        "Steady: p99 latency from due to start (log scale, shorter is better)",
        steadyRows,
        "%,.1f ms");
    s.append("</svg>\n");
    return s.toString();
  }

  private static void chart(
      StringBuilder s, int top, String title, List<String[]> rows, String fmt) {
    s.append(
        String.format(
            Locale.ROOT,
            "<text x=\"10\" y=\"%d\" font-weight=\"bold\">%s</text>%n",
            top + 20,
            esc(title)));
    ToDoubleFunction<String[]> v = r -> Double.parseDouble(r[1]);
    double max = rows.stream().mapToDouble(v).filter(d -> d > 0).max().orElse(1);
    double min = rows.stream().mapToDouble(v).filter(d -> d > 0).min().orElse(1);
    double lo = Math.floor(Math.log10(Math.min(min, max) / 2));
    double hi = Math.ceil(Math.log10(max));
    int x0 = 290;
    int width = 330;
    for (int i = 0; i < rows.size(); i++) {
      String[] r = rows.get(i);
      double val = v.applyAsDouble(r);
      int y = top + 32 + i * 22;
      double frac = val > 0 ? (Math.log10(val) - lo) / Math.max(1e-9, hi - lo) : 0;
      int w = (int) Math.max(1, Math.round(frac * width));
      String fill = r[0].startsWith("Hourglass") ? "#d9822b" : "#4a78b5";
      s.append(
          String.format(
              Locale.ROOT,
              "<text x=\"%d\" y=\"%d\" text-anchor=\"end\">%s</text>%n",
              x0 - 6,
              y + 13,
              esc(r[0])));
      s.append(
          String.format(
              Locale.ROOT,
              "<rect x=\"%d\" y=\"%d\" width=\"%d\" height=\"16\"" + " fill=\"%s\"/>%n",
              x0,
              y,
              w,
              fill));
      s.append(
          String.format(
              Locale.ROOT,
              "<text x=\"%d\" y=\"%d\">%s</text>%n",
              x0 + w + 4,
              y + 13,
              esc(Double.isNaN(val) ? "–" : String.format(Locale.ROOT, fmt, val))));
    }
  }

  private static String esc(String t) {
    return t.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;");
  }
}
