package dev.hourglass.cli.demo;

import dev.hourglass.cli.commands.Table;
import dev.hourglass.client.ClusterStatus;
import dev.hourglass.client.HourglassClient;
import dev.hourglass.client.HourglassException;
import dev.hourglass.client.Job;
import dev.hourglass.client.JobQuery;
import dev.hourglass.client.JobRequest;
import dev.hourglass.client.JobState;
import dev.hourglass.client.WorkerInfo;
import dev.hourglass.server.HourglassServer;
import dev.hourglass.server.ServerOptions;
import java.io.IOException;
import java.io.PrintStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.EnumMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import java.util.stream.Collectors;
import java.util.stream.Stream;

/**
 * {@code hourglass demo}: the real thing, end to end. Starts an embedded server on a temporary data
 * directory (127.0.0.1, a free port) and three worker processes ({@code hourglass worker} with the
 * built-in handlers), submits a mixed workload, shows live progress, SIGKILLs one worker while it
 * runs a long job and starts a replacement, watches the job get reclaimed, and ends with a summary
 * that checks what it promised.
 *
 * <p>The scenario: a DAG pipeline {@code extract -> transform-a, transform-b -> load -> report};
 * three long {@code encode} jobs at priority 5 (the kill happens while one runs), two urgent jobs
 * at priority 10 and six thumbnails at 0; two delayed reminders (3 s and 6 s); a cron schedule
 * firing every 2 s (deleted after three firings); {@code flaky}, which fails twice and succeeds on
 * attempt 3; and {@code doomed}, which fails every time and ends in the dead-letter queue.
 *
 * <p>Workers lease for 1.5 s and heartbeat every 0.5 s, so a killed worker's job is retried about
 * 1.5 s after the kill. Single-threaded: the main thread drives the scenario and draws.
 *
 * <p>With {@code --cluster}, the server is three replica processes (a Raft group on 127.0.0.1)
 * instead of one embedded server; the client and the workers are given all three URLs. After the
 * worker's kill, the demo SIGKILLs the leader too, shows how long the new leader took to serve,
 * restarts the old one and watches it catch up; the same summary must still hold.
 */
public final class LiveDemo {
  /** Why: the demo promises its users it ends by itself in under 30 s. */
  static final Duration TIME_LIMIT = Duration.ofSeconds(28);

  /** Why: three replica JVMs need 5-20 s on two cores before the first leader serves. */
  static final Duration CLUSTER_TIME_LIMIT = Duration.ofSeconds(75);

  /** Why: about four frames a second reads as live without flooding a slow terminal. */
  static final Duration FRAME = Duration.ofMillis(250);

  static final int WORKERS = 3;
  static final String SCHEDULE = "tick";
  static final int CRON_FIRINGS = 3;
  private static final int EVENTS_SHOWN = 9;

  /**
   * How to run.
   *
   * @param out where to draw
   * @param terminal true to redraw in place, false for plain lines, null to detect
   * @param keepRunning leave the server and workers up after the summary
   * @param cluster three replica processes instead of one embedded server
   */
  public record Options(PrintStream out, Boolean terminal, boolean keepRunning, boolean cluster) {

    public Options(PrintStream out, Boolean terminal, boolean keepRunning) {
      this(out, terminal, keepRunning, false);
    }
  }

  private final PrintStream out;
  private final boolean tty;
  private final boolean keepRunning;
  private final boolean cluster;
  private ReplicaProcesses replicas;

  /** The API: one URL, or every replica's, comma-separated (the client fails over). */
  private String serverUrl;

  private boolean leaderKilled;
  private int killedReplica = -1;
  private long leaderKilledAtNanos;
  private boolean leaderRestarted;
  private boolean leaderCaughtUp;
  private final long t0 = System.nanoTime();
  private final Map<String, Process> procs = new LinkedHashMap<>();
  private final ArrayDeque<String> events = new ArrayDeque<>();
  private final List<String> allEvents = new ArrayList<>();
  private Path dir;
  private HourglassServer server;
  private HourglassClient client;
  private int frameLines;
  private long lastPlainNanos;
  private String lastPlainLine = "";

  // Scenario state.
  private long submittedAtNanos;
  private String victim;
  private List<String> victimJobs = List.of();
  private final java.util.Set<String> reclaimed = new java.util.HashSet<>();
  private boolean reclaimSeen;
  private boolean scheduleDeleted;
  private long cronFired;

  public LiveDemo(Options o) {
    this.out = o.out();
    this.tty = o.terminal() != null ? o.terminal() : DemoTerminal.isTerminal();
    this.keepRunning = o.keepRunning();
    this.cluster = o.cluster();
  }

  /** Runs the demo; returns 0 when every promised outcome was observed, else 1. */
  public int run() throws Exception {
    DemoTerminal.quietLogs();
    dir = Files.createTempDirectory("hourglass-demo-");
    Thread reaper = new Thread(this::killChildren, "hourglass-demo-reaper");
    Runtime.getRuntime().addShutdownHook(reaper);
    try {
      if (cluster) {
        startReplicas();
      } else {
        server = HourglassServer.start(ServerOptions.of(dir.resolve("data")).withPort(0));
        serverUrl = server.uri().toString();
        client = HourglassClient.builder(serverUrl).build();
      }
      out.printf(
          "hourglass demo: server %s, data in %s; starting %d worker processes...%n",
          serverUrl, dir, WORKERS);
      for (int i = 1; i <= WORKERS; i++) {
        startWorker("w" + i);
      }
      awaitWorkers();
      submitWorkload();
      boolean done = drive();
      List<Job> jobs = allJobs();
      draw(jobs, true);
      int code = new DemoSummary(out, jobs, victim, victimJobs, cronFired, seconds()).print(done);
      if (keepRunning) {
        holdOpen();
      }
      return code;
    } finally {
      shutdown();
      try {
        Runtime.getRuntime().removeShutdownHook(reaper);
      } catch (IllegalStateException shuttingDown) {
        // the hook runs anyway
      }
    }
  }

  // ------------------------------------------------------------------------------- setup

  private void startWorker(String id) throws IOException {
    var cmd =
        List.of(
            Path.of(System.getProperty("java.home"), "bin", "java").toString(),
            "-XX:TieredStopAtLevel=1",
            "-XX:+UseSerialGC",
            "-Xss512k",
            "-cp",
            System.getProperty("java.class.path"),
            "dev.hourglass.cli.Main",
            "worker",
            "--server",
            serverUrl,
            "--id",
            id,
            "--capacity",
            "2",
            "--lease-ms",
            "1500",
            "--poll-ms",
            "2000",
            "--heartbeat-timeout-ms",
            "4000");
    Path log = dir.resolve(id + ".log");
    Process p =
        new ProcessBuilder(cmd).redirectErrorStream(true).redirectOutput(log.toFile()).start();
    procs.put(id, p);
  }

  private void startReplicas() throws IOException, InterruptedException {
    replicas =
        new ReplicaProcesses(
            dir.resolve("cluster"),
            3,
            List.of("-Xmx256m", "-XX:TieredStopAtLevel=1", "-XX:+UseSerialGC"));
    replicas.startAll();
    serverUrl = replicas.urls().stream().map(Object::toString).collect(Collectors.joining(","));
    client = HourglassClient.builder(serverUrl).failoverTimeout(Duration.ofSeconds(30)).build();
    out.printf(
        "hourglass demo --cluster: three replica processes %s; waiting for a leader...%n",
        replicas.peers().stream()
            .map(p -> p.id() + " (raft " + p.address() + ")")
            .collect(Collectors.joining(", ")));
    long start = System.nanoTime();
    long deadline = start + Duration.ofSeconds(60).toNanos();
    while (System.nanoTime() < deadline) {
      try {
        ClusterStatus s = client.clusterStatus();
        if (s.leader() != null && client.ready()) {
          event(
              "replicas up; %s leads term %d (%.1f s after spawning)",
              s.leader(), s.term(), (System.nanoTime() - start) / 1e9);
          return;
        }
      } catch (HourglassException starting) {
        // not listening yet
      }
      Thread.sleep(100); // polling processes that are starting; there is no signal to wait on
    }
    throw new IllegalStateException(
        "no leader within 60 s; see the replica logs in " + dir.resolve("cluster"));
  }

  /** Cluster mode, once the worker was killed: SIGKILL the leader, later restart it. */
  private void maybeKillLeader() throws InterruptedException {
    if (!cluster || victim == null) {
      return;
    }
    if (!leaderKilled) {
      ClusterStatus s = client.clusterStatus();
      if (s.leader() == null) {
        return;
      }
      killedReplica = replicas.indexOf(s.leader());
      leaderKilledAtNanos = System.nanoTime();
      replicas.kill(killedReplica);
      leaderKilled = true;
      event(
          "SIGKILL the leader %s (term %d); the client and workers fail over by themselves",
          s.leader(), s.term());
      return;
    }
    if (!leaderRestarted) {
      ClusterStatus s = client.clusterStatus(); // fails over to a live replica
      String killed = replicas.peers().get(killedReplica).id();
      if (s.leader() != null && !s.leader().equals(killed) && client.ready()) {
        event(
            "%s leads term %d, serving %d ms after the kill; restarting %s",
            s.leader(), s.term(), (System.nanoTime() - leaderKilledAtNanos) / 1_000_000, killed);
        replicas.start(killedReplica);
        leaderRestarted = true;
      }
      return;
    }
    if (!leaderCaughtUp) {
      String killed = replicas.peers().get(killedReplica).id();
      try (var old =
          HourglassClient.builder(replicas.urls().get(killedReplica).toString()).build()) {
        ClusterStatus mine = old.clusterStatus();
        ClusterStatus leader = client.clusterStatus();
        if (mine.leader() != null && mine.lastAppliedIndex() >= leader.commitIndex()) {
          event(
              "%s is back as a follower and caught up (applied index %d)",
              killed, mine.lastAppliedIndex());
          leaderCaughtUp = true;
        }
      } catch (HourglassException starting) {
        // still starting
      }
    }
  }

  private void awaitWorkers() throws InterruptedException {
    long deadline = System.nanoTime() + Duration.ofSeconds(20).toNanos();
    while (System.nanoTime() < deadline) {
      long alive = client.workers().stream().filter(WorkerInfo::alive).count();
      if (alive >= WORKERS) {
        event(
            "%d workers registered (separate JVMs: %s)",
            alive,
            procs.values().stream().map(p -> "pid " + p.pid()).collect(Collectors.joining(", ")));
        return;
      }
      for (var e : procs.entrySet()) {
        if (!e.getValue().isAlive()) {
          throw new IllegalStateException(
              "worker "
                  + e.getKey()
                  + " exited with code "
                  + e.getValue().exitValue()
                  + " before registering; see "
                  + dir.resolve(e.getKey() + ".log"));
        }
      }
      Thread.sleep(50); // polling a count other processes raise; there is no signal to wait on
    }
    throw new IllegalStateException(
        "the workers did not register within 20 s; see the logs in " + dir);
  }

  private void submitWorkload() {
    List<JobRequest> jobs = new ArrayList<>();
    jobs.add(sleep("extract", 800).build());
    jobs.add(sleep("transform-a", 600).dependsOn("extract").build());
    jobs.add(sleep("transform-b", 700).dependsOn("extract").build());
    jobs.add(sleep("load", 500).dependsOn("transform-a", "transform-b").build());
    jobs.add(
        JobRequest.builder("echo")
            .jobId("report")
            .payload(Map.of("report", "done"))
            .dependsOn("load")
            .build());
    for (int i = 1; i <= 3; i++) {
      jobs.add(sleep("encode-" + i, 3500).priority(5).backoff(Duration.ofMillis(100)).build());
    }
    for (int i = 1; i <= 2; i++) {
      jobs.add(sleep("urgent-" + i, 300).priority(10).build());
    }
    for (int i = 1; i <= 6; i++) {
      jobs.add(sleep("thumb-" + i, 400).build());
    }
    jobs.add(
        JobRequest.builder("echo")
            .jobId("reminder-3s")
            .delay(Duration.ofSeconds(3))
            .payload(Map.of("remind", "3 s later"))
            .build());
    jobs.add(
        JobRequest.builder("echo")
            .jobId("reminder-6s")
            .delay(Duration.ofSeconds(6))
            .payload(Map.of("remind", "6 s later"))
            .build());
    jobs.add(
        JobRequest.builder("fail-n-times")
            .jobId("flaky")
            .payload(Map.of("n", 2, "ms", 150))
            .maxAttempts(5)
            .backoff(Duration.ofMillis(300))
            .build());
    jobs.add(
        JobRequest.builder("fail-n-times")
            .jobId("doomed")
            .payload(Map.of("n", 99, "ms", 150))
            .maxAttempts(3)
            .backoff(Duration.ofMillis(200))
            .build());
    submittedAtNanos = System.nanoTime();
    client.submitBatch(jobs);
    client.createSchedule(
        JobRequest.builder("echo")
            .cron("*/2 * * * * ?")
            .scheduleId(SCHEDULE)
            .payload(Map.of("tick", true))
            .build());
    event(
        "submitted %d jobs in one batch (DAG, priorities 10/5/0, delayed, flaky, doomed)"
            + " and cron schedule \"%s\" (every 2 s)",
        jobs.size(), SCHEDULE);
  }

  private static JobRequest.Builder sleep(String id, long ms) {
    return JobRequest.builder("sleep").jobId(id).payload(Map.of("ms", ms));
  }

  // ------------------------------------------------------------------------------ driving

  /** Draws frames and runs the scenario's steps until everything is terminal or time is up. */
  private boolean drive() throws Exception {
    Duration limit = cluster ? CLUSTER_TIME_LIMIT : TIME_LIMIT;
    while (Duration.ofNanos(System.nanoTime() - t0).compareTo(limit) < 0) {
      long frameStart = System.nanoTime();
      List<Job> jobs = allJobs();
      maybeKill(jobs);
      maybeKillLeader();
      watchReclaim(jobs);
      watchCron();
      draw(jobs, false);
      if (scheduleDeleted
          && victim != null
          && reclaimSeen
          && (!cluster || leaderCaughtUp)
          && jobs.stream().allMatch(j -> j.state().isFinished())) {
        return true;
      }
      long spent = System.nanoTime() - frameStart;
      Thread.sleep(Math.max(0, FRAME.toMillis() - spent / 1_000_000));
    }
    event("time limit %s reached before every job finished", limit);
    return false;
  }

  private List<Job> allJobs() {
    return client.jobs(JobQuery.all().withLimit(JobQuery.LIMIT_MAX)).jobs().stream()
        .sorted(Comparator.comparing(Job::createdAt).thenComparing(Job::jobId))
        .toList();
  }

  /** Kills the worker of a long job that has run at least a second. */
  private void maybeKill(List<Job> jobs) throws IOException {
    if (victim != null || System.nanoTime() - submittedAtNanos < 1_500_000_000L) {
      return;
    }
    Instant ripe = Instant.now().minusSeconds(1);
    for (Job j : jobs) {
      if (j.state() != JobState.RUNNING || !j.jobId().startsWith("encode")) {
        continue;
      }
      Job.Attempt live = j.attempts().get(j.attempts().size() - 1);
      Process p = procs.get(live.workerId());
      if (p != null && p.isAlive() && live.startedAt().isBefore(ripe)) {
        p.destroyForcibly(); // SIGKILL: no shutdown hook, no release, no goodbye
        victim = live.workerId();
        // Only its long jobs are checked for reclaiming: a short one it was running when the list
        // was read (a failing "doomed" attempt, a thumbnail) may have finished and been reported
        // in the moment before the kill, and then rightly ends FAILED or SUCCEEDED, not EXPIRED.
        victimJobs =
            jobs.stream()
                .filter(
                    x ->
                        x.state() == JobState.RUNNING
                            && x.jobId().startsWith("encode")
                            && victim.equals(x.attempts().get(x.attempts().size() - 1).workerId()))
                .map(Job::jobId)
                .toList();
        event(
            "SIGKILL %s (pid %d) while it runs %s; its leases will expire",
            victim, p.pid(), String.join(", ", victimJobs));
        String replacement = "w" + (procs.size() + 1);
        startWorker(replacement);
        event("started %s to replace %s", replacement, victim);
        return;
      }
    }
  }

  private void watchReclaim(List<Job> jobs) {
    if (victim == null || reclaimSeen) {
      return;
    }
    for (Job j : jobs) {
      if (!victimJobs.contains(j.jobId())
          || reclaimed.contains(j.jobId())
          || j.attempts().size() < 2) {
        continue;
      }
      Job.Attempt first = j.attempts().get(0);
      Job.Attempt next = j.attempts().get(j.attempts().size() - 1);
      reclaimed.add(j.jobId());
      event(
          "%s reclaimed: %s's attempt ended %s; %s runs it in generation %d",
          j.jobId(), victim, first.outcome(), next.workerId(), next.generation());
    }
    reclaimSeen = reclaimed.size() == victimJobs.size();
  }

  private void watchCron() {
    if (scheduleDeleted) {
      return;
    }
    cronFired = client.schedule(SCHEDULE).fired();
    if (cronFired >= CRON_FIRINGS) {
      client.deleteSchedule(SCHEDULE);
      scheduleDeleted = true;
      event(
          "cron schedule \"%s\" fired %d times; deleted it so the demo can end",
          SCHEDULE, cronFired);
    }
  }

  private void event(String format, Object... args) {
    String line = String.format("%5.1fs  ", seconds()) + String.format(format, args);
    allEvents.add(line);
    events.addLast(line);
    while (events.size() > EVENTS_SHOWN) {
      events.removeFirst();
    }
    if (!tty) {
      out.println(line);
    }
  }

  private double seconds() {
    return (System.nanoTime() - t0) / 1e9;
  }

  // ------------------------------------------------------------------------------ drawing

  private void draw(List<Job> jobs, boolean last) {
    var counts = new EnumMap<JobState, Long>(JobState.class);
    for (JobState s : JobState.values()) {
      counts.put(s, 0L);
    }
    jobs.forEach(j -> counts.merge(j.state(), 1L, Long::sum));
    long finished = jobs.stream().filter(j -> j.state().isFinished()).count();
    String bar = DemoTerminal.bar(finished, jobs.size(), 40);
    if (!tty) {
      drawPlain(counts, bar, finished, jobs.size(), last);
      return;
    }
    List<String> lines = new ArrayList<>();
    lines.add(
        String.format(
            "Hourglass demo  %s  %d workers  %.1f s", serverUrl, procs.size(), seconds()));
    lines.add(String.format("%s  %d/%d jobs finished", bar, finished, jobs.size()));
    lines.add("");
    var states = new Table(Stream.of(JobState.values()).map(Enum::name).toArray(String[]::new));
    states.row(Stream.of(JobState.values()).map(counts::get).toArray());
    states.lines().forEach(l -> lines.add("  " + l));
    lines.add("");
    workerTable(jobs).lines().forEach(l -> lines.add("  " + l));
    lines.add("");
    lines.add("  events");
    events.forEach(e -> lines.add("  " + e));
    for (int i = events.size(); i < EVENTS_SHOWN; i++) {
      lines.add("");
    }
    frameLines = DemoTerminal.redraw(out, lines, frameLines);
  }

  private void drawPlain(
      Map<JobState, Long> counts, String bar, long finished, int total, boolean last) {
    String line =
        String.format("%s %d/%d  ", bar, finished, total)
            + counts.entrySet().stream()
                .filter(e -> e.getValue() > 0)
                .map(e -> e.getKey() + " " + e.getValue())
                .collect(Collectors.joining("  "));
    long now = System.nanoTime();
    if (last || (!line.equals(lastPlainLine) && now - lastPlainNanos > 1_000_000_000L)) {
      out.printf("%5.1fs  %s%n", seconds(), line);
      lastPlainLine = line;
      lastPlainNanos = now;
    }
  }

  private Table workerTable(List<Job> jobs) {
    Map<String, List<String>> running = new LinkedHashMap<>();
    for (Job j : jobs) {
      if (j.state() == JobState.RUNNING) {
        running
            .computeIfAbsent(
                j.attempts().get(j.attempts().size() - 1).workerId(), k -> new ArrayList<>())
            .add(j.jobId());
      }
    }
    var t = new Table("WORKER", "PROCESS", "RUNNING");
    for (var e : procs.entrySet()) {
      String state =
          e.getKey().equals(victim)
              ? "SIGKILLED"
              : e.getValue().isAlive() ? "pid " + e.getValue().pid() : "exited";
      t.row(e.getKey(), state, String.join(", ", running.getOrDefault(e.getKey(), List.of())));
    }
    return t;
  }

  // ----------------------------------------------------------------------------- teardown

  private void holdOpen() throws InterruptedException {
    String dashboard = cluster ? client.baseUrl() + "/ (the leader's)" : serverUrl + "/";
    out.printf(
        "%nThe server stays up at %s with workers %s.%nDashboard: %s%nTry: ./hourglass"
            + " jobs --server %s   ./hourglass workers --server %s%nPress Ctrl-C to stop.%n",
        serverUrl,
        procs.entrySet().stream()
            .filter(e -> e.getValue().isAlive())
            .map(Map.Entry::getKey)
            .collect(Collectors.joining(", ")),
        dashboard,
        serverUrl,
        serverUrl);
    out.flush();
    new CountDownLatch(1).await(); // until Ctrl-C: the shutdown hook kills the workers
  }

  private void shutdown() {
    for (Process p : procs.values()) {
      p.destroy(); // SIGTERM: the worker shuts down gracefully
    }
    if (client != null) {
      client.close();
    }
    if (server != null) {
      server.stop(); // answers the workers' parked polls, so they exit at once
    }
    killChildren();
    if (replicas != null) {
      replicas.close();
    }
    deleteQuietly(dir);
  }

  private void killChildren() {
    for (Process p : procs.values()) {
      try {
        if (!p.waitFor(5, TimeUnit.SECONDS)) {
          p.destroyForcibly();
        }
      } catch (InterruptedException e) {
        p.destroyForcibly();
        Thread.currentThread().interrupt();
      }
    }
  }

  private static void deleteQuietly(Path dir) {
    if (dir == null) {
      return;
    }
    try (Stream<Path> all = Files.walk(dir)) {
      all.sorted(Comparator.reverseOrder()).forEach(p -> p.toFile().delete());
    } catch (IOException | RuntimeException e) {
      // a temporary directory; the OS cleans it eventually
    }
  }

  /** For tests: every event line so far. */
  List<String> events() {
    return List.copyOf(allEvents);
  }
}
