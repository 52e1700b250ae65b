package dev.hourglass.bench.peers;

import java.io.InputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.Date;
import java.util.HashMap;
import java.util.Map;
import java.util.Properties;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.atomic.AtomicInteger;
import org.quartz.Job;
import org.quartz.JobBuilder;
import org.quartz.JobDetail;
import org.quartz.JobExecutionContext;
import org.quartz.Scheduler;
import org.quartz.Trigger;
import org.quartz.TriggerBuilder;
import org.quartz.impl.StdSchedulerFactory;
import org.slf4j.LoggerFactory;

/**
 * Quartz 2.5 with either store: {@code RAMJobStore} (everything in memory) or {@code JobStoreTX}
 * with {@code PostgreSQLDelegate} on PostgreSQL ({@link LocalPostgres}), its tables made by the
 * {@code tables_postgres.sql} that ships in the Quartz jar, its connections from Quartz's own
 * HikariCP provider. Each benchmark job is a no-op {@code JobDetail} with one one-shot trigger,
 * both named {@code tag-id}.
 *
 * <p>Settings for throughput, following Quartz's configuration reference: a thread pool of {@code
 * threads}, and {@code batchTriggerAcquisitionMaxCount = threads} so the scheduler thread acquires
 * and fires up to a pool's worth of triggers per pass instead of one (with JDBC this requires
 * {@code acquireTriggersWithinLock=true}); {@code maxConnections = threads + 4}, above the
 * reference's "at least the number of worker threads plus three". Triggers are stored in batches of
 * {@value #BATCH} per transaction ({@code scheduleJobs}). Misfire threshold, idle wait and
 * everything else: defaults.
 */
final class QuartzContender implements Contender {
  private static final int BATCH = 1_000;
  private static final AtomicInteger INSTANCES = new AtomicInteger();

  /** Null for RAMJobStore. */
  private final LocalPostgres postgres;

  /**
   * Why a wait: a closed scheduler's threads run on for a while (the scheduler thread finishes the
   * acquisition it is in), and would use the cores while the next system is measured.
   */
  private static final long THREADS_STOP_WAIT_MILLIS = 5_000;

  /** Names of the instances closed so far; their threads' log lines are dropped. */
  private static final Set<String> CLOSED = ConcurrentHashMap.newKeySet();

  static {
    if (LoggerFactory.getILoggerFactory() instanceof ch.qos.logback.classic.LoggerContext ctx) {
      ctx.addTurboFilter(new ClosedInstanceFilter());
    }
  }

  private LocalPostgres.Database db;
  private Scheduler scheduler;
  private String instanceName;

  private QuartzContender(LocalPostgres postgres) {
    this.postgres = postgres;
  }

  static QuartzContender ram() {
    return new QuartzContender(null);
  }

  static QuartzContender postgres(LocalPostgres postgres) {
    return new QuartzContender(postgres);
  }

  /**
   * Quartz's job class: instantiated by Quartz per firing, so it reports to the static recorder.
   */
  public static final class NoopJob implements Job {
    @Override
    public void execute(JobExecutionContext context) {
      Recorder.current.ran(context.getTrigger().getKey().getName());
    }
  }

  @Override
  public String name() {
    return postgres != null ? "Quartz JDBC (PostgreSQL)" : "Quartz RAMJobStore";
  }

  @Override
  public String durability() {
    return postgres != null ? postgres.durability() : "in memory: nothing survives a crash";
  }

  @Override
  public String settings(int threads) {
    return "threadCount="
        + threads
        + ", batchTriggerAcquisitionMaxCount="
        + threads
        + (postgres != null
            ? ", JobStoreTX + PostgreSQLDelegate, acquireTriggersWithinLock=true,"
                + " HikariCP (provider=hikaricp) maxConnections="
                + (threads + 4)
            : "")
        + ", one JobDetail + trigger per job, stored "
        + BATCH
        + " per scheduleJobs call, other"
        + " settings default";
  }

  @Override
  public void open(Path dir, int threads) throws Exception {
    instanceName = "bench-" + INSTANCES.incrementAndGet();
    Properties p = new Properties();
    p.setProperty("org.quartz.scheduler.instanceName", instanceName);
    p.setProperty("org.quartz.scheduler.skipUpdateCheck", "true");
    p.setProperty("org.quartz.threadPool.class", "org.quartz.simpl.SimpleThreadPool");
    p.setProperty("org.quartz.threadPool.threadCount", Integer.toString(threads));
    p.setProperty(
        "org.quartz.scheduler.batchTriggerAcquisitionMaxCount", Integer.toString(threads));
    if (postgres != null) {
      db = postgres.createDatabase();
      createTables(db);
      p.setProperty("org.quartz.jobStore.class", "org.quartz.impl.jdbcjobstore.JobStoreTX");
      p.setProperty(
          "org.quartz.jobStore.driverDelegateClass",
          "org.quartz.impl.jdbcjobstore.PostgreSQLDelegate");
      p.setProperty("org.quartz.jobStore.dataSource", "bench");
      p.setProperty("org.quartz.jobStore.acquireTriggersWithinLock", "true");
      p.setProperty("org.quartz.dataSource.bench.provider", "hikaricp");
      p.setProperty("org.quartz.dataSource.bench.driver", "org.postgresql.Driver");
      p.setProperty("org.quartz.dataSource.bench.URL", db.url());
      p.setProperty("org.quartz.dataSource.bench.user", db.user());
      p.setProperty("org.quartz.dataSource.bench.password", db.password());
      p.setProperty("org.quartz.dataSource.bench.maxConnections", Integer.toString(threads + 4));
    } else {
      p.setProperty("org.quartz.jobStore.class", "org.quartz.simpl.RAMJobStore");
    }
    scheduler = new StdSchedulerFactory(p).getScheduler(); // in standby until start()
  }

  /** Runs the PostgreSQL DDL that ships inside the Quartz jar. */
  private static void createTables(LocalPostgres.Database db) throws Exception {
    String ddl;
    try (InputStream in =
        Scheduler.class.getResourceAsStream("/org/quartz/impl/jdbcjobstore/tables_postgres.sql")) {
      if (in == null) {
        throw new IllegalStateException("tables_postgres.sql is missing from the Quartz jar");
      }
      ddl = new String(in.readAllBytes(), StandardCharsets.UTF_8);
    }
    LocalPostgres.runScript(db, ddl);
  }

  @Override
  public void start() throws Exception {
    scheduler.start();
  }

  @Override
  public void submit(String tag, int first, int count, long[] dueMillis) throws Exception {
    if (count == 1) {
      String name = tag + "-" + first;
      scheduler.scheduleJob(job(name), trigger(name, dueMillis == null ? -1 : dueMillis[0]));
      return;
    }
    Map<JobDetail, Set<? extends Trigger>> batch = new HashMap<>();
    for (int i = 0; i < count; i++) {
      String name = tag + "-" + (first + i);
      batch.put(job(name), Set.of(trigger(name, dueMillis == null ? -1 : dueMillis[i])));
      if (batch.size() == BATCH || i == count - 1) {
        scheduler.scheduleJobs(batch, false);
        batch = new HashMap<>();
      }
    }
  }

  /**
   * One job per trigger, as Quartz is normally used ({@code scheduleJob(job, trigger)}). Not one
   * shared durable job: RAMJobStore then clones the job's whole trigger list on every completion,
   * which is quadratic in the number of pending triggers.
   */
  private static JobDetail job(String name) {
    return JobBuilder.newJob(NoopJob.class).withIdentity(name).build();
  }

  private static Trigger trigger(String name, long dueMillis) {
    var b = TriggerBuilder.newTrigger().withIdentity(name);
    return (dueMillis < 0 ? b.startNow() : b.startAt(new Date(dueMillis))).build();
  }

  /**
   * Does not wait for jobs: after a capped run the JDBC store may still hold tens of thousands of
   * triggers, and {@code shutdown(true)} then spent minutes letting the scheduler thread finish
   * acquiring and firing its batch, which both broke the ten-minute budget and stole CPU from the
   * next system measured. The jobs are no-ops; nothing of value is in flight. So {@code
   * shutdown(false)}, which closes the store under the scheduler thread while it may still be
   * acquiring; that thread then logs ERRORs ("JobStore is shutdown", a connection closed under it)
   * that say nothing about the run. Those lines come only from this instance's threads, which are
   * named after it, and are dropped ({@link ClosedInstanceFilter}); the threads are given up to
   * {@value #THREADS_STOP_WAIT_MILLIS} ms to end before the database is dropped and the next system
   * runs. Other instances, including the next one, still log their warnings and errors.
   */
  @Override
  public void close() throws Exception {
    if (scheduler != null) {
      CLOSED.add(instanceName);
      scheduler.shutdown(false);
      long t0 = System.nanoTime();
      int alive = awaitThreadsOf(instanceName, THREADS_STOP_WAIT_MILLIS);
      if (alive > 0) {
        PeerBench.progress(
            String.format(
                java.util.Locale.ROOT,
                "  %s: %d Quartz threads still ran %.1f s after its shutdown; their log lines are"
                    + " dropped",
                name(),
                alive,
                (System.nanoTime() - t0) / 1e9));
      }
    }
    if (db != null) {
      postgres.dropDatabase(db);
    }
  }

  /** The scheduler's instance name once opened, e.g. {@code bench-3}; its threads carry it. */
  String instanceName() {
    return instanceName;
  }

  /**
   * Whether a thread belongs to the Quartz instance {@code name}: its scheduler thread ({@code
   * name_QuartzSchedulerThread}), its pool's workers ({@code name_Worker-N}) and the JDBC store's
   * misfire handler ({@code QuartzScheduler_name-...}).
   */
  static boolean ofInstance(String threadName, String name) {
    return threadName.startsWith(name + "_")
        || threadName.startsWith("QuartzScheduler_" + name + "-");
  }

  /**
   * Waits until no thread of the instance is alive, at most {@code millis}; returns how many still
   * are.
   */
  private static int awaitThreadsOf(String name, long millis) throws InterruptedException {
    long deadline = System.nanoTime() + millis * 1_000_000;
    int alive = 0;
    for (Thread t : Thread.getAllStackTraces().keySet()) {
      if (ofInstance(t.getName(), name)) {
        t.join(java.time.Duration.ofNanos(Math.max(1, deadline - System.nanoTime())));
        alive += t.isAlive() ? 1 : 0;
      }
    }
    return alive;
  }

  /** Drops every log line of a thread of a closed Quartz instance; decides nothing else. */
  static final class ClosedInstanceFilter extends ch.qos.logback.classic.turbo.TurboFilter {
    @Override
    public ch.qos.logback.core.spi.FilterReply decide(
        org.slf4j.Marker marker,
        ch.qos.logback.classic.Logger logger,
        ch.qos.logback.classic.Level level,
        String format,
        Object[] params,
        Throwable t) {
      // The bench prints WARN and above only: anything lower is decided by the level, cheaply.
      if (!CLOSED.isEmpty()
          && level != null
          && level.isGreaterOrEqual(ch.qos.logback.classic.Level.WARN)) {
        String thread = Thread.currentThread().getName();
        for (String name : CLOSED) {
          if (ofInstance(thread, name)) {
            return ch.qos.logback.core.spi.FilterReply.DENY;
          }
        }
      }
      return ch.qos.logback.core.spi.FilterReply.NEUTRAL;
    }
  }
}
