package dev.hourglass.client;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.hourglass.client.internal.Json;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Objects;

/**
 * One job to submit, or with {@link Builder#cron}, a recurring schedule to create. Built with
 * {@link #builder(String)}; immutable and thread-safe once built.
 *
 * <pre>{@code
 * JobRequest job = JobRequest.builder("resize-image")
 *     .payload(Map.of("url", "s3://bucket/cat.png"))
 *     .priority(5).maxAttempts(5).backoff(Duration.ofSeconds(2))
 *     .idempotencyKey("resize-cat").build();
 * }</pre>
 */
public final class JobRequest {
  private final ObjectNode body;
  private final boolean schedule;

  private JobRequest(ObjectNode body, boolean schedule) {
    this.body = body;
    this.schedule = schedule;
  }

  /**
   * Starts a request for a job of the given task type.
   *
   * @param task the task type that selects the worker's handler
   * @return a builder
   * @throws IllegalArgumentException if task is null or blank
   */
  public static Builder builder(String task) {
    return new Builder(task);
  }

  /**
   * Whether this request creates a cron schedule rather than one job.
   *
   * @return true when {@link Builder#cron} was given
   */
  public boolean isSchedule() {
    return schedule;
  }

  /** The request body as the server reads it (snake_case JSON): a copy. */
  JsonNode toJson() {
    return body.deepCopy();
  }

  /**
   * The request body as the server reads it.
   *
   * @return snake_case JSON text, e.g. {@code {"task":"send-email","priority":5}}
   */
  @Override
  public String toString() {
    return body.toString();
  }

  /** Collects a job's options; each setter replaces an earlier value. Not thread-safe. */
  public static final class Builder {
    private final ObjectNode body = Json.MAPPER.createObjectNode();
    private boolean delayGiven;
    private boolean runAtGiven;

    private Builder(String task) {
      if (task == null || task.isBlank()) {
        throw new IllegalArgumentException(
            "task must name a task type such as \"send-email\";"
                + " got "
                + (task == null ? "null" : "a blank string"));
      }
      body.put("task", task);
    }

    /**
     * The payload as JSON text.
     *
     * @param json any JSON value, e.g. {@code {"to":"a@example.com"}}
     * @return this builder
     * @throws IllegalArgumentException if the text is not valid JSON
     */
    public Builder payloadJson(String json) {
      body.set("payload", Json.parse(Objects.requireNonNull(json, "json"), "payload"));
      return this;
    }

    /**
     * The payload as an object that Jackson writes as JSON (a Map, a record, a JsonNode...).
     *
     * @param value the payload, or null for none
     * @return this builder
     * @throws IllegalArgumentException if Jackson cannot write the value
     */
    public Builder payload(Object value) {
      if (value == null) {
        body.remove("payload");
      } else {
        body.set("payload", Json.tree(value, "payload"));
      }
      return this;
    }

    /**
     * The queue (default "default").
     *
     * @param queue the queue name
     * @return this builder
     * @throws NullPointerException if queue is null
     */
    public Builder queue(String queue) {
      body.put("queue", Objects.requireNonNull(queue, "queue"));
      return this;
    }

    /**
     * The priority; higher runs first (default 0, |p| at most 1,000,000: the server checks the
     * bound).
     *
     * @param priority the priority
     * @return this builder
     */
    public Builder priority(int priority) {
      body.put("priority", priority);
      return this;
    }

    /**
     * A deadline: among jobs of equal priority, the earlier deadline runs first.
     *
     * @param deadline the deadline
     * @return this builder
     * @throws NullPointerException if deadline is null
     */
    public Builder deadline(Instant deadline) {
      body.put("deadline", deadline.toEpochMilli());
      return this;
    }

    /**
     * Runs the job no earlier than this long after the server accepts it.
     *
     * @param delay the delay
     * @return this builder
     * @throws IllegalArgumentException if negative, or if {@link #runAt} was given too
     */
    public Builder delay(Duration delay) {
      if (delay.isNegative() || runAtGiven) {
        throw new IllegalArgumentException(
            "delay=" + delay + " must not be negative and" + " excludes runAt; give one of them");
      }
      delayGiven = true;
      body.put("delay_ms", delay.toMillis());
      return this;
    }

    /**
     * Runs the job no earlier than this instant.
     *
     * @param runAt the run time
     * @return this builder
     * @throws IllegalArgumentException if {@link #delay} was given too
     */
    public Builder runAt(Instant runAt) {
      if (delayGiven) {
        throw new IllegalArgumentException("runAt excludes delay; give one of them");
      }
      runAtGiven = true;
      body.put("run_at", runAt.toEpochMilli());
      return this;
    }

    /**
     * Makes this request a recurring schedule: each firing creates one job.
     *
     * @param cron a Unix 5-field or Quartz 6-7-field expression, e.g. {@code "0 3 * * *"}
     * @return this builder
     * @throws NullPointerException if cron is null
     */
    public Builder cron(String cron) {
      body.put("cron", Objects.requireNonNull(cron, "cron"));
      return this;
    }

    /**
     * The schedule's IANA time zone (default "UTC").
     *
     * @param zone e.g. "Europe/Berlin"
     * @return this builder
     * @throws NullPointerException if zone is null
     */
    public Builder timeZone(String zone) {
      body.put("time_zone", Objects.requireNonNull(zone, "zone"));
      return this;
    }

    /**
     * The schedule's id (default generated; an existing id is replaced).
     *
     * @param scheduleId the id
     * @return this builder
     * @throws NullPointerException if scheduleId is null
     */
    public Builder scheduleId(String scheduleId) {
      body.put("schedule_id", Objects.requireNonNull(scheduleId, "scheduleId"));
      return this;
    }

    /**
     * What a schedule does when a firing finds the previous job still live (default {@link
     * Schedule.Overlap#ALLOW}).
     *
     * @param overlap the policy
     * @return this builder
     * @throws NullPointerException if overlap is null
     */
    public Builder overlap(Schedule.Overlap overlap) {
      body.put("overlap", Schedule.wireName(Objects.requireNonNull(overlap, "overlap")));
      return this;
    }

    /**
     * What a schedule does with firings it missed (the server was down, or the schedule was created
     * late); default {@link Schedule.CatchUp#ONCE}.
     *
     * @param catchUp the policy
     * @return this builder
     * @throws NullPointerException if catchUp is null
     */
    public Builder catchUp(Schedule.CatchUp catchUp) {
      body.put("catch_up", Schedule.wireName(Objects.requireNonNull(catchUp, "catchUp")));
      return this;
    }

    /**
     * How far back {@link Schedule.CatchUp#EACH_WITHIN_WINDOW} catches up missed firings.
     *
     * @param window not negative
     * @return this builder
     * @throws IllegalArgumentException if negative
     */
    public Builder catchUpWindow(Duration window) {
      body.put("catch_up_window_ms", nonNegative(window, "catchUpWindow"));
      return this;
    }

    /**
     * Jobs that must succeed before this one runs (job ids; in a batch, ids given with {@link
     * #jobId}).
     *
     * @param jobIds the parents
     * @return this builder
     * @throws NullPointerException if any id is null
     */
    public Builder dependsOn(List<String> jobIds) {
      var arr = body.putArray("depends_on");
      for (String id : new ArrayList<>(jobIds)) {
        arr.add(Objects.requireNonNull(id, "dependsOn id"));
      }
      return this;
    }

    /**
     * Jobs that must succeed before this one runs.
     *
     * @param jobIds the parents
     * @return this builder
     * @throws NullPointerException if any id is null
     */
    public Builder dependsOn(String... jobIds) {
      return dependsOn(List.of(jobIds));
    }

    /**
     * Attempts before the job goes to the dead-letter queue (default 3).
     *
     * @param maxAttempts at least 1
     * @return this builder
     * @throws IllegalArgumentException if below 1
     */
    public Builder maxAttempts(int maxAttempts) {
      if (maxAttempts < 1) {
        throw new IllegalArgumentException("maxAttempts=" + maxAttempts + " must be at least 1");
      }
      body.put("max_attempts", maxAttempts);
      return this;
    }

    /**
     * The retry backoff base: retry n waits up to {@code d = min(backoffMax, backoff * 2^n)}
     * (default 1 s); see {@link #backoffJitter}.
     *
     * @param backoff the base
     * @return this builder
     * @throws IllegalArgumentException if negative
     */
    public Builder backoff(Duration backoff) {
      body.put("backoff_ms", nonNegative(backoff, "backoff"));
      return this;
    }

    /**
     * The longest retry backoff (default 1 h).
     *
     * @param backoffMax the cap
     * @return this builder
     * @throws IllegalArgumentException if negative
     */
    public Builder backoffMax(Duration backoffMax) {
      body.put("backoff_max_ms", nonNegative(backoffMax, "backoffMax"));
      return this;
    }

    /**
     * Whether retry delays are jittered (default on). With jitter, the delay before retry n is
     * drawn from {@code [0, d]}, {@code d = min(backoffMax, backoff * 2^n)} ("full jitter"), so
     * that jobs which failed together retry spread out; without, it is exactly {@code d}. The draw
     * is a hash of the job id and n, the same on every replica and after every restart.
     *
     * @param jitter false for exact exponential delays
     * @return this builder
     */
    public Builder backoffJitter(boolean jitter) {
      body.put("backoff_jitter", jitter);
      return this;
    }

    /**
     * An attempt running longer than this is failed (default none).
     *
     * @param timeout the timeout
     * @return this builder
     * @throws IllegalArgumentException if negative
     */
    public Builder timeout(Duration timeout) {
      body.put("timeout_ms", nonNegative(timeout, "timeout"));
      return this;
    }

    /**
     * A key that makes resubmits harmless: a second submit with the same key returns the first job.
     *
     * @param key the key
     * @return this builder
     * @throws NullPointerException if key is null
     */
    public Builder idempotencyKey(String key) {
      body.put("idempotency_key", Objects.requireNonNull(key, "key"));
      return this;
    }

    /**
     * Who the job is for (a tenant, a customer): a queue whose policy is fair serves its keys in
     * turn, so one key's backlog cannot hold back another's.
     *
     * @param key the key
     * @return this builder
     * @throws NullPointerException if key is null
     */
    public Builder fairnessKey(String key) {
      body.put("fairness_key", Objects.requireNonNull(key, "key"));
      return this;
    }

    /**
     * The key that chooses the job's partition on a node with several: jobs with the same key share
     * one (and so can depend on each other). A client-chosen job id must then start with {@code
     * <key>~} (docs/API.md, partitions).
     *
     * @param key the key
     * @return this builder
     * @throws NullPointerException if key is null
     */
    public Builder partitionKey(String key) {
      body.put("partition_key", Objects.requireNonNull(key, "key"));
      return this;
    }

    /**
     * The job's id (normally generated by the server); needed to build a DAG in one batch.
     *
     * @param jobId the id
     * @return this builder
     * @throws NullPointerException if jobId is null
     */
    public Builder jobId(String jobId) {
      body.put("job_id", Objects.requireNonNull(jobId, "jobId"));
      return this;
    }

    /**
     * The submitter's W3C trace context, for a caller that propagates it by hand. Without it,
     * {@link HourglassClient} fills in the current OpenTelemetry context's when OpenTelemetry is
     * present. The server keeps it with the job and hands it to every attempt (and a schedule to
     * every job it fires); it refuses a malformed value (400) rather than repair it.
     *
     * @param traceparent e.g. {@code 00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01}
     * @return this builder
     * @throws NullPointerException if traceparent is null
     */
    public Builder traceparent(String traceparent) {
      body.put("traceparent", Objects.requireNonNull(traceparent, "traceparent"));
      return this;
    }

    /**
     * The W3C {@code tracestate} that goes with {@link #traceparent}.
     *
     * @param tracestate e.g. {@code rojo=00f067aa0ba902b7}
     * @return this builder
     * @throws NullPointerException if tracestate is null
     */
    public Builder tracestate(String tracestate) {
      body.put("tracestate", Objects.requireNonNull(tracestate, "tracestate"));
      return this;
    }

    /**
     * Builds the request. The server validates the combination of options.
     *
     * @return the request
     */
    public JobRequest build() {
      return new JobRequest(body.deepCopy(), body.has("cron"));
    }

    private static long nonNegative(Duration d, String what) {
      if (d.isNegative()) {
        throw new IllegalArgumentException(what + "=" + d + " must not be negative");
      }
      return d.toMillis();
    }
  }
}
