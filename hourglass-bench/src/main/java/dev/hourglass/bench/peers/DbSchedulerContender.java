package dev.hourglass.bench.peers;

import com.github.kagkarlsson.scheduler.Scheduler;
import com.github.kagkarlsson.scheduler.task.SchedulableInstance;
import com.github.kagkarlsson.scheduler.task.TaskInstance;
import com.github.kagkarlsson.scheduler.task.helper.OneTimeTask;
import com.github.kagkarlsson.scheduler.task.helper.Tasks;
import com.zaxxer.hikari.HikariDataSource;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;

/**
 * db-scheduler 16 on PostgreSQL ({@link LocalPostgres}), through a HikariCP pool: one {@code
 * OneTimeTask} whose instances are the benchmark jobs ({@code tag-id}).
 *
 * <p>Settings, following db-scheduler's README: {@code threads(n)}; polling interval {@value
 * #POLL_MILLIS} ms instead of the default 10 s (it bounds the lateness of jobs that become due
 * while nobody is scheduling); {@code enableImmediateExecution()} so a job scheduled due now in
 * this instance is picked up at once; the polling strategy lock-and-fetch ({@code select for update
 * skip locked}, one statement fewer per job than the default) with the limits the README gives "for
 * high throughput (i.e. keep threads busy)", {@value #LOWER_LIMIT} and {@value #UPPER_LIMIT} times
 * the thread count; the JDBC customization is auto-detected ({@code PostgreSqlJdbcCustomization},
 * which locks and fetches in one statement). Jobs are inserted {@value #BATCH} at a time with
 * {@code scheduleBatch}. The table is db-scheduler's own PostgreSQL DDL ({@code
 * postgresql_tables.sql} of its repository; the jar does not ship it).
 */
final class DbSchedulerContender implements Contender {
  static final long POLL_MILLIS = 100;
  static final double LOWER_LIMIT = 1.0;
  static final double UPPER_LIMIT = 4.0;
  private static final int BATCH = 1_000;

  /** The scheduled_tasks table of db-scheduler 16.12's postgresql_tables.sql. */
  private static final String DDL =
      """
      create table scheduled_tasks (
        task_name text not null,
        task_instance text not null,
        task_data bytea,
        execution_time timestamp with time zone not null,
        picked boolean not null,
        picked_by text,
        last_success timestamp with time zone,
        last_failure timestamp with time zone,
        consecutive_failures int,
        last_heartbeat timestamp with time zone,
        version bigint not null,
        priority smallint,
        primary key (task_name, task_instance));
      create index execution_time_idx on scheduled_tasks (execution_time);
      create index last_heartbeat_idx on scheduled_tasks (last_heartbeat);
      create index priority_execution_time_idx on scheduled_tasks (priority desc, execution_time asc);
      """;

  private final OneTimeTask<Void> task =
      Tasks.oneTime("noop").execute((instance, ctx) -> Recorder.current.ran(instance.getId()));
  private final LocalPostgres postgres;
  private LocalPostgres.Database db;
  private HikariDataSource pool;
  private Scheduler scheduler;

  DbSchedulerContender(LocalPostgres postgres) {
    this.postgres = postgres;
  }

  @Override
  public String name() {
    return "db-scheduler (PostgreSQL)";
  }

  @Override
  public String durability() {
    return postgres.durability();
  }

  @Override
  public String settings(int threads) {
    return "threads="
        + threads
        + ", pollingInterval="
        + POLL_MILLIS
        + " ms,"
        + " enableImmediateExecution, pollUsingLockAndFetch("
        + LOWER_LIMIT
        + ", "
        + UPPER_LIMIT
        + "), PostgreSqlJdbcCustomization (auto-detected), scheduleBatch "
        + BATCH
        + " per call,"
        + " HikariCP maximumPoolSize="
        + (threads + 4);
  }

  @Override
  public void open(Path dir, int threads) throws Exception {
    db = postgres.createDatabase();
    LocalPostgres.runScript(db, DDL);
    pool = Hikari.pool(db, threads + 4);
    scheduler =
        Scheduler.create(pool, task)
            .threads(threads)
            .pollingInterval(Duration.ofMillis(POLL_MILLIS))
            .enableImmediateExecution()
            .pollUsingLockAndFetch(LOWER_LIMIT, UPPER_LIMIT)
            .build();
  }

  @Override
  public void start() {
    scheduler.start();
  }

  @Override
  public void submit(String tag, int first, int count, long[] dueMillis) {
    if (count == 1) {
      Instant at = dueMillis == null ? Instant.now() : Instant.ofEpochMilli(dueMillis[0]);
      scheduler.schedule(task.instance(tag + "-" + first), at);
      return;
    }
    if (dueMillis == null) {
      List<TaskInstance<?>> batch = new ArrayList<>();
      for (int i = 0; i < count; i++) {
        batch.add(task.instance(tag + "-" + (first + i)));
        if (batch.size() == BATCH || i == count - 1) {
          scheduler.scheduleBatch(batch, Instant.now());
          batch = new ArrayList<>();
        }
      }
      return;
    }
    List<SchedulableInstance<?>> batch = new ArrayList<>();
    for (int i = 0; i < count; i++) {
      batch.add(
          SchedulableInstance.of(
              task.instance(tag + "-" + (first + i)), Instant.ofEpochMilli(dueMillis[i])));
      if (batch.size() == BATCH || i == count - 1) {
        scheduler.scheduleBatch(batch);
        batch = new ArrayList<>();
      }
    }
  }

  @Override
  public void close() throws Exception {
    if (scheduler != null) {
      scheduler.stop();
    }
    if (pool != null) {
      pool.close();
    }
    if (db != null) {
      postgres.dropDatabase(db);
    }
  }
}
