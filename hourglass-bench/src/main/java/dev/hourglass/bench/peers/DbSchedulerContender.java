package dev.hourglass.bench.peers;

import com.github.kagkarlsson.scheduler.Scheduler;
import com.github.kagkarlsson.scheduler.task.SchedulableInstance;
import com.github.kagkarlsson.scheduler.task.TaskInstance;
import com.github.kagkarlsson.scheduler.task.helper.OneTimeTask;
import com.github.kagkarlsson.scheduler.task.helper.Tasks;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import org.h2.jdbcx.JdbcConnectionPool;

/**
 * db-scheduler 16 on an embedded H2 file database: one {@code OneTimeTask} whose instances are the
 * benchmark jobs ({@code tag-id}).
 *
 * <p>Settings, following db-scheduler's README: {@code threads(n)}; polling interval {@value
 * #POLL_MILLIS} ms instead of the default 10 s (it bounds the lateness of jobs that become due
 * while nobody is scheduling); {@code enableImmediateExecution()} so a job scheduled due now in
 * this instance is picked up at once; the default polling strategy (fetch, then lock each on
 * execute, fetching up to 3 x threads; the faster lock-and-fetch strategy needs PostgreSQL, SQL
 * Server, MySQL 8 or Oracle, not H2). Jobs are inserted {@value #BATCH} at a time with {@code
 * scheduleBatch}.
 */
final class DbSchedulerContender implements Contender {
  static final long POLL_MILLIS = 100;
  private static final int BATCH = 1_000;

  /** The scheduled_tasks table of db-scheduler's own DDL (its PostgreSQL one, in H2 types). */
  private static final String DDL = """
      create table scheduled_tasks (
        task_name varchar(100) not null,
        task_instance varchar(100) not null,
        task_data blob,
        execution_time timestamp with time zone not null,
        picked boolean not null,
        picked_by varchar(50),
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

  private final OneTimeTask<Void> task = Tasks.oneTime("noop")
      .execute((instance, ctx) -> Recorder.current.ran(instance.getId()));
  private JdbcConnectionPool pool;
  private Scheduler scheduler;

  @Override
  public String name() {
    return "db-scheduler (H2 file)";
  }

  @Override
  public String durability() {
    return H2Files.DURABILITY;
  }

  @Override
  public String settings(int threads) {
    return "threads=" + threads + ", pollingInterval=" + POLL_MILLIS + " ms,"
        + " enableImmediateExecution, polling strategy fetch-and-lock-on-execute (default,"
        + " fetches up to 3 x threads), scheduleBatch " + BATCH + " per call";
  }

  @Override
  public void open(Path dir, int threads) throws Exception {
    String url = H2Files.url(dir.resolve("dbscheduler"));
    H2Files.runScript(url, DDL);
    pool = JdbcConnectionPool.create(url, "sa", "");
    pool.setMaxConnections(threads + 4);
    scheduler = Scheduler.create(pool, task)
        .threads(threads)
        .pollingInterval(Duration.ofMillis(POLL_MILLIS))
        .enableImmediateExecution()
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
      batch.add(SchedulableInstance.of(task.instance(tag + "-" + (first + i)),
          Instant.ofEpochMilli(dueMillis[i])));
      if (batch.size() == BATCH || i == count - 1) {
        scheduler.scheduleBatch(batch);
        batch = new ArrayList<>();
      }
    }
  }

  @Override
  public void close() {
    if (scheduler != null) {
      scheduler.stop();
    }
    if (pool != null) {
      pool.dispose();
    }
  }
}
