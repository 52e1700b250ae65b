package dev.hourglass.node;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.JsonNodeFactory;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.hourglass.core.command.Backoff;
import dev.hourglass.core.command.Command;
import dev.hourglass.core.command.Command.AssignJob;
import dev.hourglass.core.command.Command.CompleteJob;
import dev.hourglass.core.command.Command.FailJob;
import dev.hourglass.core.command.Command.PutSchedule;
import dev.hourglass.core.command.Command.SubmitJob;
import dev.hourglass.core.command.Command.Tick;
import dev.hourglass.core.command.JobSpec;
import dev.hourglass.core.command.ScheduleSpec;
import dev.hourglass.core.command.ScheduleSpec.CatchUp;
import dev.hourglass.core.command.ScheduleSpec.Overlap;
import dev.hourglass.core.engine.EngineConfig;
import dev.hourglass.core.engine.EngineQueries;
import dev.hourglass.core.engine.Invariants;
import dev.hourglass.core.event.Outcome;
import dev.hourglass.core.event.Outcome.Rejected;
import dev.hourglass.core.view.JobState;
import dev.hourglass.core.view.JobView;
import dev.hourglass.core.view.ScheduleView;
import dev.hourglass.node.ProtocolException.ErrorKind;
import java.io.IOException;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
import java.util.Optional;
import java.util.function.Supplier;

/**
 * The job-scheduling messages of seed 002: {@code schedule_job}, {@code execute_jobs} and {@code
 * execute_job}, as engine commands.
 *
 * <p>Implementation notes. A one-time job is an engine job whose run-at time is now plus the delay.
 * A cron job is an engine schedule whose id is the job id the client gets; each firing creates the
 * engine job {@code <id>@<fireMillis>}, and the protocol names it by the schedule's id. The node
 * "runs" a job by assigning it to the node's own worker and reporting success or failure, so
 * attempts, backoff and the dead-letter queue are the engine's, and all of it is in the log.
 *
 * <p>Two clocks meet here. Commands are stamped with the wall clock, read at the node's boundary;
 * {@code execute_jobs} brings the protocol's own time. The engine keeps the later of all times it
 * has seen, so a {@code current_time} behind the wall clock does not move the engine back: the node
 * then runs only the jobs whose own due time is at or before {@code current_time}, computed from
 * each job's run-at, retry and firing times.
 *
 * <p>Stateless apart from the id source; confined to the node's thread.
 */
final class Scheduling {
  /** The worker the node itself runs jobs as. */
  static final String LOCAL_WORKER = "hourglass-node";

  /** The task type of a job whose request names none. */
  static final String UNNAMED_TASK = "unnamed";

  static final int DEFAULT_MAX_ATTEMPTS = JobSpec.DEFAULT_MAX_ATTEMPTS;
  static final long DEFAULT_BASE_MILLIS = 1_000;

  /** The protocol's backoff is base * 2^attempt without a cap; the engine saturates the sum. */
  static final long BACKOFF_CAP_MILLIS = Long.MAX_VALUE;

  /**
   * The lease of a run by the node's own worker. Assignment and report are logged together, so only
   * a write torn by a crash can leave a run open; its lease then ends after this long and the job
   * is retried like any job whose worker vanished.
   */
  static final long RUN_LEASE_MILLIS = 60_000;

  private final Supplier<String> jobIds;
  private final ObjectMapper mapper;

  Scheduling(Supplier<String> jobIds, ObjectMapper mapper) {
    this.jobIds = jobIds;
    this.mapper = mapper;
  }

  /**
   * {@code schedule_job}: a one-time job after {@code delay_ms}, or a recurring {@code cron} one.
   */
  ObjectNode schedule(EngineHost host, Request request, long stampMillis) throws IOException {
    String cron = request.text("cron", null);
    if (cron != null && request.field("delay_ms") != null) {
      throw Request.malformed("schedule_job takes either \"delay_ms\" or \"cron\", not both");
    }
    String jobId = jobIds.get();
    JobSpec template = spec(request, jobId);
    ObjectNode reply = request.reply("job_scheduled");
    reply.put("job_id", jobId);
    if (cron != null) {
      ScheduleSpec schedule =
          new ScheduleSpec(jobId, cron, "UTC", template, Overlap.SKIP, CatchUp.ONCE, 0);
      require(host.apply(new PutSchedule(stampMillis, schedule)));
      long next = host.queries().schedule(jobId).orElseThrow().nextFireAtMillis();
      if (next < 0) {
        reply.putNull("next_run");
      } else {
        reply.put("next_run", Iso.format(next));
      }
    } else {
      long delay = request.whole("delay_ms", 0, 0, Long.MAX_VALUE - stampMillis);
      long runAt = stampMillis + delay;
      require(host.apply(new SubmitJob(stampMillis, template.withRunAt(runAt))));
      reply.put("scheduled_at", Iso.format(runAt));
    }
    return reply;
  }

  /** {@code execute_jobs}: runs every job due at or before {@code current_time}, in due order. */
  ObjectNode executeDue(EngineHost host, Request request, long stampMillis) throws IOException {
    JsonNode time = request.field("current_time");
    long currentMillis = time == null ? stampMillis : Iso.parse("current_time", time);
    require(host.apply(new Tick(currentMillis)));
    EngineQueries queries = host.queries();
    List<JobView> due = new ArrayList<>();
    for (JobView job : EngineReplies.oldestFirst(queries, JobState.READY)) {
      if (dueAtMillis(job) <= currentMillis) {
        due.add(job);
      }
    }
    due.sort(Comparator.comparingLong(Scheduling::dueAtMillis)); // stable: oldest first on ties
    List<Command> runs = new ArrayList<>(2 * due.size());
    ArrayNode ran = JsonNodeFactory.instance.arrayNode();
    for (JobView job : due) {
      runs.addAll(run(job, false, stampMillis));
      ran.add(protocolId(queries, job));
    }
    if (!runs.isEmpty()) {
      requireAll(host.applyAll(runs)); // one force for every run of this call
    }
    ObjectNode reply = request.reply("jobs_executed");
    reply.put("count", ran.size());
    reply.set("jobs", ran);
    return reply;
  }

  /**
   * {@code execute_job}: runs one job now, whether or not it is due, and reports success or the
   * forced failure with its retry. A job id the node has never seen becomes a job on the spot.
   */
  ObjectNode execute(EngineHost host, Request request, long stampMillis) throws IOException {
    String id = request.requiredText("job_id");
    boolean forceFail = request.flag("force_fail");
    JobView job = resolve(host, request, id, stampMillis);
    if (job.state() == JobState.SCHEDULED || job.state() == JobState.FAILED) {
      // The engine has no "run now" command: move its clock to the job's due time instead.
      require(host.apply(new Tick(Math.max(stampMillis, job.dueAtMillis()))));
      job = host.queries().job(job.jobId()).orElseThrow();
    }
    if (job.state() != JobState.READY) {
      throw new ProtocolException(ErrorKind.PRECONDITION_FAILED, notRunnable(job));
    }
    requireAll(host.applyAll(run(job, forceFail, stampMillis)));
    JobView after = host.queries().job(job.jobId()).orElseThrow();
    if (!forceFail) {
      ObjectNode reply = request.reply("job_executed");
      reply.put("job_id", id);
      reply.put("status", "completed");
      return reply;
    }
    ObjectNode reply = request.reply("job_failed");
    reply.put("job_id", id);
    boolean retry = after.state() == JobState.FAILED;
    reply.put("retry_scheduled", retry);
    if (retry) {
      reply.put("backoff_ms", after.dueAtMillis() - host.nowMillis());
    }
    return reply;
  }

  /** The engine job an {@code execute_job} id names: a job, a cron job's firing, or a new job. */
  private JobView resolve(EngineHost host, Request request, String id, long stampMillis)
      throws IOException {
    EngineQueries queries = host.queries();
    Optional<JobView> job = queries.job(id);
    if (job.isPresent()) {
      return job.get();
    }
    Optional<ScheduleView> schedule = queries.schedule(id);
    JobSpec spec;
    if (schedule.isPresent()) {
      Optional<JobView> firing = liveFiring(queries, id);
      if (firing.isPresent()) {
        return firing.get();
      }
      // No firing is live: run the cron job once now, as an extra firing with an id of its own.
      JobSpec template = schedule.get().spec().template();
      spec =
          new JobSpec(
              id + "@manual-" + jobIds.get(),
              template.queue(),
              template.task(),
              template.payload(),
              template.priority(),
              template.deadlineMillis(),
              stampMillis,
              List.of(),
              template.maxAttempts(),
              template.backoff(),
              template.timeoutMillis(),
              null);
    } else {
      spec = spec(request, id);
    }
    require(host.apply(new SubmitJob(stampMillis, spec)));
    return queries.job(spec.jobId()).orElseThrow();
  }

  /** The oldest unfinished firing of a cron job, by the engine's firing id {@code <id>@...}. */
  private static Optional<JobView> liveFiring(EngineQueries queries, String scheduleId) {
    for (JobState state : List.of(JobState.READY, JobState.FAILED, JobState.RUNNING)) {
      for (JobView job : EngineReplies.oldestFirst(queries, state)) {
        if (job.jobId().startsWith(scheduleId + "@")) {
          return Optional.of(job);
        }
      }
    }
    return Optional.empty();
  }

  /**
   * The commands that run a READY job as the node's own worker: assign it in the next generation,
   * then report success or a retryable failure in that generation.
   */
  private static List<Command> run(JobView job, boolean fail, long stampMillis) {
    int generation = job.generation() + 1;
    String id = job.jobId();
    return List.of(
        new AssignJob(stampMillis, id, LOCAL_WORKER, generation, RUN_LEASE_MILLIS),
        fail
            ? new FailJob(stampMillis, id, LOCAL_WORKER, generation, "forced failure", true)
            : new CompleteJob(stampMillis, id, LOCAL_WORKER, generation, null));
  }

  /** The job a request describes; max_attempts and base_ms default to the protocol's 3 and 1000. */
  private JobSpec spec(Request request, String jobId) {
    String task = request.text("task", UNNAMED_TASK);
    int maxAttempts =
        (int) request.whole("max_attempts", DEFAULT_MAX_ATTEMPTS, 1, EngineConfig.ATTEMPTS_MAX);
    long baseMillis = request.whole("base_ms", DEFAULT_BASE_MILLIS, 0, Long.MAX_VALUE);
    JsonNode payload = request.field("payload");
    return JobSpec.of(jobId, task, payload == null ? null : json(payload))
        .withMaxAttempts(maxAttempts)
        .withBackoff(new Backoff(baseMillis, BACKOFF_CAP_MILLIS, false));
  }

  private String json(JsonNode payload) {
    try {
      return mapper.writeValueAsString(payload);
    } catch (JsonProcessingException e) {
      throw new IllegalStateException("a parsed JSON tree failed to serialise: " + payload, e);
    }
  }

  /**
   * When a READY job became due in protocol time: its run-at time, its retry time, or for a cron
   * firing the firing time, which the engine keeps only in the firing's id.
   */
  static long dueAtMillis(JobView job) {
    long due = Math.max(job.runAtMillis(), job.dueAtMillis());
    if (job.scheduleId() != null) {
      String suffix = job.jobId().substring(job.scheduleId().length() + 1);
      due = Math.max(due, Long.parseLong(suffix));
    }
    return due;
  }

  /** The id the client knows: a cron job's id for its firings, else the job's own. */
  private static String protocolId(EngineQueries queries, JobView job) {
    if (job.scheduleId() != null) {
      return job.scheduleId();
    }
    int at = job.jobId().lastIndexOf('@');
    if (at > 0 && queries.schedule(job.jobId().substring(0, at)).isPresent()) {
      return job.jobId().substring(0, at); // an extra firing that execute_job created
    }
    return job.jobId();
  }

  private static String notRunnable(JobView job) {
    return switch (job.state()) {
      case RUNNING ->
          "job "
              + job.jobId()
              + " is assigned to worker "
              + job.liveAttempt().workerId()
              + " in generation "
              + job.generation()
              + "; only that worker may report it";
      case DEAD ->
          "job "
              + job.jobId()
              + " is dead-lettered after "
              + job.failures()
              + " of "
              + job.maxAttempts()
              + " attempts failed";
      default -> "job " + job.jobId() + " cannot run: it is " + job.state();
    };
  }

  /** The commands here are built from validated input, so a refusal is the request's fault. */
  private static void require(Outcome outcome) {
    if (outcome instanceof Rejected r) {
      throw EngineReplies.error(r);
    }
  }

  /**
   * A run's commands follow from the state just read on this thread, so the engine refusing one is
   * a bug in the node, not bad input: it stops the node, and a restart replays the log.
   */
  private static void requireAll(List<Outcome> outcomes) {
    for (Outcome outcome : outcomes) {
      Invariants.check(
          outcome.isApplied(), "the engine refused a run the node planned: %s", outcome);
    }
  }
}
