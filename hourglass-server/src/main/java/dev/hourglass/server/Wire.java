package dev.hourglass.server;

import com.fasterxml.jackson.annotation.JsonRawValue;
import com.fasterxml.jackson.databind.JsonNode;
import dev.hourglass.core.command.JobSpec;
import dev.hourglass.core.view.AttemptView;
import dev.hourglass.core.view.JobView;
import dev.hourglass.core.view.ScheduleView;
import dev.hourglass.core.view.WorkerView;
import java.util.List;

/**
 * The JSON shapes of the API, as records. Field names become snake_case on the wire ({@link
 * Http#MAPPER}); an unknown field in a request is refused. Optional request fields are boxed and
 * null when absent. Times are epoch milliseconds.
 */
final class Wire {
  private Wire() {}

  // ----------------------------------------------------------------------------- requests

  /**
   * One job to submit, or with {@code cron}, a schedule to create. {@code traceparent} and {@code
   * tracestate}: the submitter's W3C trace context (a schedule gives it to every firing).
   */
  record JobRequest(
      String jobId,
      String task,
      JsonNode payload,
      String queue,
      Integer priority,
      JsonNode deadline,
      Long delayMs,
      JsonNode runAt,
      String cron,
      String timeZone,
      List<String> dependsOn,
      Integer maxAttempts,
      Long backoffMs,
      Long backoffMaxMs,
      Boolean backoffJitter,
      Long timeoutMs,
      String idempotencyKey,
      String scheduleId,
      String overlap,
      String catchUp,
      Long catchUpWindowMs,
      String traceparent,
      String tracestate,
      String fairnessKey,
      String partitionKey) {}

  record BatchRequest(List<JobRequest> jobs) {}

  /** {@code tasks}: the task types the worker can run; absent or empty: its registered ones. */
  record LeaseRequest(
      String workerId,
      Integer max,
      Long waitMs,
      List<String> queues,
      Long leaseMs,
      List<String> tasks,
      String strategy) {}

  record CompleteRequest(String workerId, Integer generation, JsonNode result) {}

  record FailRequest(String workerId, Integer generation, String error, Boolean retryable) {}

  record Completion(String jobId, Integer generation, JsonNode result) {}

  record CompleteBatchRequest(String workerId, List<Completion> completions) {}

  record CompletionResult(String jobId, String state, String code, String detail) {}

  /** The answer of a batch of completions, one result per item in the request's order. */
  record CompletionResults(List<CompletionResult> results) {}

  record HeartbeatRequest(String workerId, Integer generation, Long leaseMs) {}

  record ReleaseRequest(String workerId, Integer generation) {}

  record CancelRequest(String reason) {}

  /** A lease a worker holds, named in a signal poll. */
  record HeldLease(String jobId, Integer generation) {}

  record SignalsRequest(List<HeldLease> leases, Long waitMs) {}

  /** {@code tasks}: the task types the worker can run; absent or empty: any. */
  record WorkerRequest(
      String workerId,
      Integer capacity,
      List<String> queues,
      Long heartbeatTimeoutMs,
      List<String> tasks,
      java.util.Map<String, Integer> reserve) {}

  /** Each field given changes that setting only; at least one is required. */
  record LimitsRequest(
      Integer maxRunning, Integer weight, java.math.BigDecimal ratePerSecond, Integer burst) {}

  /** A queue's fairness: "round_robin" (its keys in turn) or "none". */
  record PolicyRequest(String fairness, java.util.Map<String, Integer> keyWeights) {}

  /** The body of a call that takes no fields (pause, resume, re-drive, worker heartbeat). */
  record NoFields() {}

  // ----------------------------------------------------------------------------- responses

  record Submitted(String jobId, String state, Boolean deduplicated) {}

  /** A lease that ended by a cancel ({@code code} CANCELLED) or a timeout (TIMED_OUT). */
  record Signal(String jobId, int generation, String code, String reason) {}

  record Signals(List<Signal> signals) {}

  record BatchSubmitted(List<Submitted> jobs) {}

  /**
   * {@code redelivered}: sent again after a restart, same generation; see EngineLoop. {@code
   * attempt}: failures so far + 1. {@code traceparent}, {@code tracestate}: the job's trace
   * context, absent when it has none.
   */
  record Assignment(
      String jobId,
      int generation,
      String task,
      String queue,
      @JsonRawValue String payload,
      long leaseExpiresAt,
      boolean redelivered,
      int attempt,
      String traceparent,
      String tracestate) {}

  record Assignments(List<Assignment> assignments) {}

  record Attempt(
      String workerId,
      int generation,
      long startedAt,
      long leaseExpiresAt,
      Long endedAt,
      String outcome,
      String error) {
    static Attempt of(AttemptView a) {
      return new Attempt(
          a.workerId(),
          a.generation(),
          a.startedAtMillis(),
          a.leaseExpiresAtMillis(),
          a.endedAtMillis() == 0 ? null : a.endedAtMillis(),
          a.outcome(),
          a.error());
    }
  }

  record Job(
      String jobId,
      String state,
      String queue,
      String task,
      @JsonRawValue String payload,
      int priority,
      Long deadline,
      Long runAt,
      int generation,
      int failures,
      int maxAttempts,
      long createdAt,
      Long dueAt,
      Long finishedAt,
      List<String> dependsOn,
      List<String> dependents,
      String scheduleId,
      String idempotencyKey,
      @JsonRawValue String result,
      String reason,
      List<Attempt> attempts,
      String traceparent,
      String tracestate,
      String fairnessKey,
      Integer partition) {
    static Job of(JobView j) {
      return of(j, null);
    }

    /** The job as held by partition {@code partition} (null: not said). */
    static Job of(JobView j, Integer partition) {
      return new Job(
          j.jobId(),
          j.state().name(),
          j.queue(),
          j.task(),
          j.payload(),
          j.priority(),
          j.deadlineMillis() == JobSpec.NO_DEADLINE ? null : j.deadlineMillis(),
          j.runAtMillis() == 0 ? null : j.runAtMillis(),
          j.generation(),
          j.failures(),
          j.maxAttempts(),
          j.createdAtMillis(),
          j.dueAtMillis() == 0 ? null : j.dueAtMillis(),
          j.finishedAtMillis() == 0 ? null : j.finishedAtMillis(),
          j.dependsOn(),
          j.dependents(),
          j.scheduleId(),
          j.idempotencyKey(),
          j.result(),
          j.reason(),
          j.attempts().stream().map(Attempt::of).toList(),
          j.trace() == null ? null : j.trace().traceparent(),
          j.trace() == null ? null : j.trace().tracestate(),
          j.fairnessKey(),
          partition);
    }
  }

  record JobPage(List<Job> jobs, String nextCursor) {}

  record WorkerPage(List<Worker> workers, String nextCursor) {}

  record Schedule(
      String scheduleId,
      String cron,
      String timeZone,
      String task,
      String queue,
      @JsonRawValue String payload,
      String overlap,
      String catchUp,
      boolean paused,
      Long nextFireAt,
      Long lastFireAt,
      long fired,
      long skipped,
      int liveJobs,
      String traceparent,
      String tracestate) {
    static Schedule of(ScheduleView s) {
      var spec = s.spec();
      var trace = spec.template().trace();
      return new Schedule(
          spec.scheduleId(),
          spec.cron(),
          spec.timeZone(),
          spec.template().task(),
          spec.template().queue(),
          spec.template().payload(),
          spec.overlap().name(),
          spec.catchUp().name(),
          s.paused(),
          s.nextFireAtMillis() < 0 ? null : s.nextFireAtMillis(),
          s.lastFireAtMillis() == 0 ? null : s.lastFireAtMillis(),
          s.fired(),
          s.skipped(),
          s.liveJobs(),
          trace == null ? null : trace.traceparent(),
          trace == null ? null : trace.tracestate());
    }
  }

  /** {@code queues} and {@code tasks}: empty means every queue, every task type. */
  record Worker(
      String workerId,
      int capacity,
      List<String> queues,
      List<String> tasks,
      int inFlight,
      long lastSeenAt,
      long heartbeatTimeoutMs,
      boolean alive,
      java.util.Map<String, Integer> reserve) {
    static Worker of(WorkerView w) {
      return new Worker(
          w.workerId(),
          w.capacity(),
          w.queues(),
          w.tasks(),
          w.inFlight(),
          w.lastSeenMillis(),
          w.heartbeatTimeoutMillis(),
          w.alive(),
          w.reserve());
    }
  }

  /** {@code unrunnable}: READY jobs by task type that no live worker can run (see API.md). */
  record Queue(
      String queue,
      boolean paused,
      int maxRunning,
      int running,
      java.util.Map<String, Long> counts,
      java.util.Map<String, Long> readyByPriority,
      java.util.Map<String, Long> unrunnable,
      int weight,
      Double ratePerSecond,
      Integer burst,
      String fairness,
      java.util.Map<String, Integer> keyWeights,
      long activeKeys) {}

  record Problem(String type, String title, int status, String detail, String code) {}
}
