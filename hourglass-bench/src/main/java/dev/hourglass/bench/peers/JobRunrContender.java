package dev.hourglass.bench.peers;

import static org.jobrunr.scheduling.JobBuilder.aJob;
import static org.jobrunr.server.BackgroundJobServerConfiguration.usingStandardBackgroundJobServerConfiguration;

import com.zaxxer.hikari.HikariDataSource;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.stream.IntStream;
import org.jobrunr.configuration.JobRunr;
import org.jobrunr.scheduling.JobBuilder;
import org.jobrunr.scheduling.JobScheduler;
import org.jobrunr.server.BackgroundJobServer;
import org.jobrunr.storage.InMemoryStorageProvider;
import org.jobrunr.storage.StorageProvider;
import org.jobrunr.storage.sql.postgres.PostgresStorageProvider;

/**
 * JobRunr 8 (open source) with {@code InMemoryStorageProvider} or {@code PostgresStorageProvider}
 * on PostgreSQL ({@link LocalPostgres}) through a HikariCP pool; JobRunr creates its own tables
 * (its default {@code DatabaseOptions.CREATE}). A job is the lambda {@code id ->
 * JobRunrJobs.run(id)}.
 *
 * <p>Settings: {@code workerCount = threads}; poll interval {@value #POLL_SECONDS} s, the smallest
 * the open-source edition accepts (default 15 s): it bounds when scheduled jobs are moved to the
 * queue and when jobs enqueued by another thread are noticed. Due-now jobs use {@code enqueue} with
 * a stream (JobRunr saves them in batches); delayed ones {@code create(Stream<JobBuilder>)}.
 * JobRunr is configured through a static singleton, so one instance runs at a time.
 */
final class JobRunrContender implements Contender {
  static final int POLL_SECONDS = 5;

  /** Null for the in-memory storage. */
  private final LocalPostgres postgres;

  private LocalPostgres.Database db;
  private HikariDataSource pool;
  private JobScheduler jobs;
  private BackgroundJobServer server;

  private JobRunrContender(LocalPostgres postgres) {
    this.postgres = postgres;
  }

  static JobRunrContender inMemory() {
    return new JobRunrContender(null);
  }

  static JobRunrContender postgres(LocalPostgres postgres) {
    return new JobRunrContender(postgres);
  }

  @Override
  public String name() {
    return postgres != null ? "JobRunr (PostgreSQL)" : "JobRunr InMemoryStorageProvider";
  }

  @Override
  public String durability() {
    return postgres != null ? postgres.durability() : "in memory: nothing survives a crash";
  }

  @Override
  public String settings(int threads) {
    return "workerCount="
        + threads
        + ", pollInterval="
        + POLL_SECONDS
        + " s (open-source"
        + " minimum), enqueue(Stream) / create(Stream<JobBuilder>)"
        + (postgres != null
            ? ", PostgresStorageProvider, HikariCP maximumPoolSize=" + (threads + 8)
            : "")
        + ", other settings default";
  }

  @Override
  public void open(Path dir, int threads) throws Exception {
    StorageProvider storage;
    if (postgres != null) {
      db = postgres.createDatabase();
      pool = Hikari.pool(db, threads + 8);
      storage = new PostgresStorageProvider(pool);
    } else {
      storage = new InMemoryStorageProvider();
    }
    var result =
        JobRunr.configure()
            .useStorageProvider(storage)
            .useBackgroundJobServer(
                usingStandardBackgroundJobServerConfiguration()
                    .andWorkerCount(threads)
                    .andPollInterval(Duration.ofSeconds(POLL_SECONDS)),
                false)
            .initialize();
    jobs = result.getJobScheduler();
    server = result.getBackgroundJobServer();
  }

  @Override
  public void start() {
    server.start();
  }

  @Override
  public void submit(String tag, int first, int count, long[] dueMillis) {
    if (dueMillis == null) {
      if (count == 1) {
        Integer id = first;
        jobs.enqueue(() -> JobRunrJobs.run(id));
      } else {
        jobs.enqueue(IntStream.range(first, first + count).boxed(), id -> JobRunrJobs.run(id));
      }
      return;
    }
    List<JobBuilder> builders = new ArrayList<>(count);
    for (int i = 0; i < count; i++) {
      Integer id = first + i;
      builders.add(
          aJob()
              .scheduleAt(Instant.ofEpochMilli(dueMillis[i]))
              .withDetails(() -> JobRunrJobs.run(id)));
    }
    jobs.create(builders.stream());
  }

  @Override
  public void close() throws Exception {
    if (server != null) {
      server.stop();
    }
    JobRunr.destroy();
    if (pool != null) {
      pool.close();
    }
    if (db != null) {
      postgres.dropDatabase(db);
    }
  }
}
