package dev.hourglass.core.command;

import java.util.List;

/**
 * Everything a caller says about a job when submitting it. Immutable data: the engine validates it
 * ({@link dev.hourglass.core.engine.SpecValidator}) before any state changes.
 *
 * @param jobId unique, caller-generated (time-ordered UUIDv7 by default); never generated inside
 *     the engine so that replay is deterministic
 * @param queue the queue it is leased from
 * @param task the task type, which selects the worker's handler
 * @param payload the job's JSON payload as text, or null; opaque to the engine
 * @param priority higher runs first
 * @param deadlineMillis among equal priority, earlier deadlines run first; {@link #NO_DEADLINE}
 * @param runAtMillis not before this time; 0 means as soon as possible
 * @param dependsOn ids of jobs that must succeed first (a DAG)
 * @param maxAttempts how many attempts before the job is dead-lettered, at least 1
 * @param backoff how long to wait before each retry
 * @param timeoutMillis how long one attempt may run before it is failed; 0 means no limit
 * @param idempotencyKey a second submit with the same key returns the first job; null for none
 * @param trace the submitter's W3C trace context, or null; kept with the job and answered with each
 *     assignment so that every attempt's span can link to the submitter's span
 * @param fairnessKey who the job is for (a tenant, a customer): a queue whose policy is fair serves
 *     its keys in turn; null for none (all such jobs share one key)
 */
public record JobSpec(
    String jobId,
    String queue,
    String task,
    String payload,
    int priority,
    long deadlineMillis,
    long runAtMillis,
    List<String> dependsOn,
    int maxAttempts,
    Backoff backoff,
    long timeoutMillis,
    String idempotencyKey,
    TraceContext trace,
    String fairnessKey) {

  public static final long NO_DEADLINE = Long.MAX_VALUE;
  public static final String DEFAULT_QUEUE = "default";
  public static final int DEFAULT_MAX_ATTEMPTS = 3;

  public JobSpec {
    dependsOn = dependsOn == null ? List.of() : List.copyOf(dependsOn);
  }

  /** A job without a trace context or a fairness key. */
  public JobSpec(
      String jobId,
      String queue,
      String task,
      String payload,
      int priority,
      long deadlineMillis,
      long runAtMillis,
      List<String> dependsOn,
      int maxAttempts,
      Backoff backoff,
      long timeoutMillis,
      String idempotencyKey) {
    this(
        jobId,
        queue,
        task,
        payload,
        priority,
        deadlineMillis,
        runAtMillis,
        dependsOn,
        maxAttempts,
        backoff,
        timeoutMillis,
        idempotencyKey,
        null,
        null);
  }

  public JobSpec withFairnessKey(String key) {
    return new JobSpec(
        jobId,
        queue,
        task,
        payload,
        priority,
        deadlineMillis,
        runAtMillis,
        dependsOn,
        maxAttempts,
        backoff,
        timeoutMillis,
        idempotencyKey,
        trace,
        key);
  }

  /** A job with every option at its default: default queue, priority 0, run now, 3 attempts. */
  public static JobSpec of(String jobId, String task, String payload) {
    return new JobSpec(
        jobId,
        DEFAULT_QUEUE,
        task,
        payload,
        0,
        NO_DEADLINE,
        0,
        List.of(),
        DEFAULT_MAX_ATTEMPTS,
        Backoff.DEFAULT,
        0,
        null);
  }

  public JobSpec withQueue(String q) {
    return new JobSpec(
        jobId,
        q,
        task,
        payload,
        priority,
        deadlineMillis,
        runAtMillis,
        dependsOn,
        maxAttempts,
        backoff,
        timeoutMillis,
        idempotencyKey,
        trace,
        fairnessKey);
  }

  public JobSpec withPriority(int p) {
    return new JobSpec(
        jobId,
        queue,
        task,
        payload,
        p,
        deadlineMillis,
        runAtMillis,
        dependsOn,
        maxAttempts,
        backoff,
        timeoutMillis,
        idempotencyKey,
        trace,
        fairnessKey);
  }

  public JobSpec withDeadline(long millis) {
    return new JobSpec(
        jobId,
        queue,
        task,
        payload,
        priority,
        millis,
        runAtMillis,
        dependsOn,
        maxAttempts,
        backoff,
        timeoutMillis,
        idempotencyKey,
        trace,
        fairnessKey);
  }

  public JobSpec withRunAt(long millis) {
    return new JobSpec(
        jobId,
        queue,
        task,
        payload,
        priority,
        deadlineMillis,
        millis,
        dependsOn,
        maxAttempts,
        backoff,
        timeoutMillis,
        idempotencyKey,
        trace,
        fairnessKey);
  }

  public JobSpec withDependsOn(List<String> parents) {
    return new JobSpec(
        jobId,
        queue,
        task,
        payload,
        priority,
        deadlineMillis,
        runAtMillis,
        parents,
        maxAttempts,
        backoff,
        timeoutMillis,
        idempotencyKey,
        trace,
        fairnessKey);
  }

  public JobSpec withMaxAttempts(int n) {
    return new JobSpec(
        jobId,
        queue,
        task,
        payload,
        priority,
        deadlineMillis,
        runAtMillis,
        dependsOn,
        n,
        backoff,
        timeoutMillis,
        idempotencyKey,
        trace,
        fairnessKey);
  }

  public JobSpec withBackoff(Backoff b) {
    return new JobSpec(
        jobId,
        queue,
        task,
        payload,
        priority,
        deadlineMillis,
        runAtMillis,
        dependsOn,
        maxAttempts,
        b,
        timeoutMillis,
        idempotencyKey,
        trace,
        fairnessKey);
  }

  public JobSpec withTimeout(long millis) {
    return new JobSpec(
        jobId,
        queue,
        task,
        payload,
        priority,
        deadlineMillis,
        runAtMillis,
        dependsOn,
        maxAttempts,
        backoff,
        millis,
        idempotencyKey,
        trace,
        fairnessKey);
  }

  public JobSpec withIdempotencyKey(String key) {
    return new JobSpec(
        jobId,
        queue,
        task,
        payload,
        priority,
        deadlineMillis,
        runAtMillis,
        dependsOn,
        maxAttempts,
        backoff,
        timeoutMillis,
        key,
        trace,
        fairnessKey);
  }

  public JobSpec withTrace(TraceContext t) {
    return new JobSpec(
        jobId,
        queue,
        task,
        payload,
        priority,
        deadlineMillis,
        runAtMillis,
        dependsOn,
        maxAttempts,
        backoff,
        timeoutMillis,
        idempotencyKey,
        t,
        fairnessKey);
  }
}
