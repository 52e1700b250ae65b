package dev.hourglass.client;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.hourglass.client.internal.ConnectionPool;
import dev.hourglass.client.internal.CurrentTrace;
import dev.hourglass.client.internal.HttpAnswer;
import dev.hourglass.client.internal.Json;
import java.io.IOException;
import java.net.ConnectException;
import java.net.URI;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.EnumMap;
import java.util.EnumSet;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.Set;
import java.util.function.Function;
import javax.net.ssl.SSLContext;

/**
 * A client of the Hourglass HTTP API ({@code /api/v1}, see docs/API.md): submit and query jobs,
 * administer queues, schedules and the dead-letter queue, and the worker calls (lease, complete,
 * fail, heartbeat, release) that {@link dev.hourglass.client.worker.Worker} builds on.
 *
 * <pre>{@code
 * try (var client = HourglassClient.builder("http://127.0.0.1:7070").build()) {
 *   var s = client.submit(JobRequest.builder("send-email").payload(Map.of("to", "a@b.c")).build());
 *   Job job = client.job(s.jobId());
 * }
 * }</pre>
 *
 * <p>Every refusal is a {@link HourglassException} carrying the problem's status, {@link ErrorCode}
 * and detail; a server that cannot be reached gives status 0 and {@link ErrorCode#UNREACHABLE}.
 * Redirects 307 and 308 (a cluster follower pointing at its leader) are followed with the same
 * method, body and token; after {@link #REDIRECTS_MAX} in a row the call pauses and starts again
 * from the next replica, as replicas may point at each other for a moment during an election, and
 * it fails with {@link ErrorCode#TOO_MANY_REDIRECTS} once {@link Builder#failoverTimeout} has
 * passed.
 *
 * <p><b>Clusters.</b> Give every replica's URL, comma-separated ({@code
 * http://a:7071,http://b:7072,http://c:7073}). The client sends to the one that answered last; when
 * it refuses the connection, or answers 503 {@code NO_LEADER}, {@code NOT_LEADER} or {@code
 * LEADER_NOT_READY} (nothing was applied in any of these cases), the call moves to the next
 * replica, for up to {@link Builder#failoverTimeout} in all, so a leader's death costs callers one
 * election, not an error. A call whose connection broke after it was sent is not repeated: it may
 * have been applied.
 *
 * <p>Thread-safety: one instance is safe to share between threads. It speaks HTTP/1.1 itself over a
 * pool of keep-alive connections: each call in flight uses a connection of its own (there is no
 * limit on calls in flight), and returns it for the next call; up to 32 idle connections per server
 * are kept, for at most 60 s. Share one client rather than creating one per call, and close it when
 * done. Interrupting a thread blocked in a call closes that call's connection and ends the call at
 * once, as {@code unreachable}.
 */
public final class HourglassClient implements AutoCloseable {
  /**
   * Redirects followed in a row before a pause: a loop must not spin (OkHttp allows 20; 5 is
   * plenty), and one that outlasts the failover timeout, such as misconfigured leader addresses,
   * ends the call.
   */
  public static final int REDIRECTS_MAX = 5;

  /** The longest long poll the server accepts. */
  public static final Duration LEASE_WAIT_MAX = Duration.ofSeconds(60);

  private static final String V1 = "/api/v1";
  private static final long FAILOVER_PAUSE_MILLIS = 25;

  /**
   * 503 codes of a replica that cannot take the call until an election settles: nothing was
   * applied, so the call moves to the next replica.
   */
  private static final Set<ErrorCode> LEADER_CHANGE =
      EnumSet.of(ErrorCode.NO_LEADER, ErrorCode.NOT_LEADER, ErrorCode.LEADER_NOT_READY);

  private final List<URI> endpoints;

  /** Index into {@link #endpoints} of the replica that answered last (the leader, usually). */
  private volatile int current;

  private final Duration failoverTimeout;
  private final String token;
  private final Duration requestTimeout;
  private final ConnectionPool pool;

  private HourglassClient(Builder b) {
    this.endpoints = b.endpoints;
    this.failoverTimeout = b.failoverTimeout;
    this.token = b.token;
    this.requestTimeout = b.requestTimeout;
    // Why our own HTTP/1.1 rather than the JDK's HttpClient: at 1,000 jobs/s through a Worker
    // (server in the same JVM) the process allocated 113 KB per job with the JDK client (its
    // futures, publishers and header maps) and 60.5 KB with this one, and the young collections
    // that garbage caused were the tail of the latency from due to handler.
    this.pool = new ConnectionPool(b.connectTimeout, b.token, b.sslContext);
  }

  /**
   * Starts a client of the server at this URL, or of a cluster's replicas at these URLs.
   *
   * @param baseUrl e.g. {@code http://127.0.0.1:7070}, or comma-separated, one per replica
   * @return a builder
   * @throws IllegalArgumentException if the URL is not an absolute http(s) URL
   */
  public static Builder builder(String baseUrl) {
    return new Builder(baseUrl);
  }

  /**
   * The server's base URL: of a cluster, the replica that answered last.
   *
   * @return the URL
   */
  public URI baseUrl() {
    return endpoints.get(current);
  }

  // ------------------------------------------------------------------------------------- jobs

  /**
   * Submits one job.
   *
   * @param job the job
   * @return its id and state; {@link Submitted#deduplicated()} when its idempotency key matched
   * @throws IllegalArgumentException if the request is a schedule (use {@link #createSchedule})
   * @throws HourglassException if the server refuses it (400 bad field, 422 unknown parent or
   *     cycle, 413 payload too large, 503 overloaded) or cannot be reached
   */
  public Submitted submit(JobRequest job) {
    if (job.isSchedule()) {
      throw new IllegalArgumentException(
          "this request has a cron expression, so it creates a"
              + " schedule, not a job: call createSchedule(request)");
    }
    return call(
        "POST", V1 + "/jobs", traced(job), requestTimeout, Answers::submitted, Submitted::of);
  }

  /**
   * Submits many jobs atomically (all or none), in one log record. Jobs may depend on each other by
   * the ids given with {@link JobRequest.Builder#jobId}.
   *
   * @param jobs 1 to 10,000 jobs
   * @return one answer per job, in order
   * @throws IllegalArgumentException if the list is empty or holds a schedule
   * @throws HourglassException if the server refuses the batch (then none was applied)
   */
  public List<Submitted> submitBatch(List<JobRequest> jobs) {
    if (jobs.isEmpty()) {
      throw new IllegalArgumentException("a batch needs at least one job");
    }
    ObjectNode body = Json.MAPPER.createObjectNode();
    var arr = body.putArray("jobs");
    for (int i = 0; i < jobs.size(); i++) {
      if (jobs.get(i).isSchedule()) {
        throw new IllegalArgumentException(
            "jobs["
                + i
                + "] has a cron expression; a batch"
                + " cannot create schedules: call createSchedule for it");
      }
      arr.add(traced(jobs.get(i)));
    }
    return list(call("POST", V1 + "/jobs:batch", body), "jobs", Submitted::of);
  }

  /**
   * Reads one job, with its attempts.
   *
   * @param jobId the job
   * @return the job
   * @throws HourglassException 404 {@code UNKNOWN_JOB} if no such job exists (or it was evicted
   *     after its retention period), or if the server cannot be reached
   */
  public Job job(String jobId) {
    return Job.of(call("GET", V1 + "/jobs/" + segment(jobId), null));
  }

  /**
   * Lists jobs, newest first. Follow {@link JobPage#nextCursor()} for more.
   *
   * @param query filters, page size and cursor
   * @return one page
   * @throws HourglassException if the server refuses the query or cannot be reached
   */
  public JobPage jobs(JobQuery query) {
    var q = new StringBuilder("?limit=").append(query.limit());
    if (query.state() != null) {
      q.append("&state=").append(query.state().name());
    }
    appendParam(q, "queue", query.queue());
    appendParam(q, "task", query.task());
    appendParam(q, "cursor", query.cursor());
    JsonNode page = call("GET", V1 + "/jobs" + q, null);
    return new JobPage(list(page, "jobs", Job::of), Json.text(page, "next_cursor"));
  }

  /**
   * Cancels a job, and every job waiting on it.
   *
   * @param jobId the job
   * @param reason why, or null
   * @return the job's state afterwards (CANCELLED)
   * @throws HourglassException 409 if it already finished, 404 if unknown, or unreachable
   */
  public JobState cancel(String jobId, String reason) {
    ObjectNode body = Json.MAPPER.createObjectNode();
    if (reason != null) {
      body.put("reason", reason);
    }
    return state(call("POST", V1 + "/jobs/" + segment(jobId) + "/cancel", body));
  }

  // ------------------------------------------------------------------------------ dead letters

  /**
   * Lists DEAD jobs, oldest death first.
   *
   * @param limit at most this many, 1 to 1000
   * @return the dead jobs
   * @throws HourglassException if the server refuses the limit or cannot be reached
   */
  public List<Job> deadLetters(int limit) {
    return list(call("GET", V1 + "/dlq?limit=" + limit, null), "jobs", Job::of);
  }

  /**
   * Re-drives a dead job: READY again with a fresh attempt budget. Needs the admin role.
   *
   * @param jobId the dead job
   * @return its state afterwards (READY)
   * @throws HourglassException 409 if it is not DEAD, 404 if unknown, 403 without admin role
   */
  public JobState redrive(String jobId) {
    return state(call("POST", V1 + "/dlq/" + segment(jobId) + "/redrive", null));
  }

  // ----------------------------------------------------------------------------------- workers

  /**
   * Lists every worker with its health, ordered by id, following the pages to the end. Dead workers
   * are listed until the server's worker retention (default 1 h) forgets them.
   *
   * @return every known worker
   * @throws HourglassException if the server cannot be reached or refuses the token
   */
  public List<WorkerInfo> workers() {
    List<WorkerInfo> out = new ArrayList<>();
    String cursor = null;
    do {
      WorkerPage page = workers(cursor, WorkerPage.LIMIT_MAX);
      out.addAll(page.workers());
      cursor = page.nextCursor();
    } while (cursor != null);
    return List.copyOf(out);
  }

  /**
   * One page of workers, ordered by id.
   *
   * @param cursor the previous page's {@link WorkerPage#nextCursor()}, or null for the first
   * @param limit page size, 1 to 1000
   * @return the page
   * @throws IllegalArgumentException if limit is outside [1, 1000]
   * @throws HourglassException if the server cannot be reached or refuses the token
   */
  public WorkerPage workers(String cursor, int limit) {
    if (limit < 1 || limit > WorkerPage.LIMIT_MAX) {
      throw new IllegalArgumentException(
          "limit="
              + limit
              + " is outside [1, "
              + WorkerPage.LIMIT_MAX
              + "]; follow nextCursor for more");
    }
    var q = new StringBuilder("?limit=").append(limit);
    appendParam(q, "cursor", cursor);
    JsonNode page = call("GET", V1 + "/workers" + q, null);
    return new WorkerPage(list(page, "workers", WorkerInfo::of), Json.text(page, "next_cursor"));
  }

  /**
   * Registers (or re-registers) a worker.
   *
   * @param workerId its id
   * @param capacity jobs it may hold at once
   * @param queues the queues it serves; empty for all
   * @param heartbeatTimeout silent this long, it is declared dead and its jobs retried
   * @return the worker as the server sees it
   * @throws HourglassException 400 if capacity or timeout are out of range, or unreachable
   */
  public WorkerInfo registerWorker(
      String workerId, int capacity, List<String> queues, Duration heartbeatTimeout) {
    return registerWorker(workerId, capacity, queues, heartbeatTimeout, List.of());
  }

  /**
   * Registers (or re-registers) a worker with the task types it can run. The server then leases it
   * only jobs of those types (unless a lease names its own), and lists READY jobs that no live
   * worker can run.
   *
   * @param workerId its id
   * @param capacity jobs it may hold at once
   * @param queues the queues it serves; empty for all
   * @param heartbeatTimeout silent this long, it is declared dead and its jobs retried
   * @param tasks the task types it can run; empty for any
   * @return the worker as the server sees it
   * @throws HourglassException 400 if capacity, timeout or a task name is out of range, or
   *     unreachable
   */
  public WorkerInfo registerWorker(
      String workerId,
      int capacity,
      List<String> queues,
      Duration heartbeatTimeout,
      List<String> tasks) {
    return registerWorker(workerId, capacity, queues, heartbeatTimeout, tasks, Map.of());
  }

  /**
   * Registers (or re-registers) a worker that reserves part of its capacity for some queues: while
   * a reserved slot is unused, only its queue's jobs take it, so a flood of other jobs never takes
   * the last slot from them.
   *
   * @param workerId its id
   * @param capacity jobs it may hold at once
   * @param queues the queues it serves; empty for all
   * @param heartbeatTimeout silent this long, it is declared dead and its jobs retried
   * @param tasks the task types it can run; empty for any
   * @param reserve slots set aside per queue (at most the capacity in all); empty for none
   * @return the worker as the server sees it
   * @throws HourglassException 400 if capacity, timeout, a task name or a reservation is out of
   *     range, or unreachable
   */
  public WorkerInfo registerWorker(
      String workerId,
      int capacity,
      List<String> queues,
      Duration heartbeatTimeout,
      List<String> tasks,
      Map<String, Integer> reserve) {
    ObjectNode body = Json.MAPPER.createObjectNode();
    body.put("worker_id", workerId)
        .put("capacity", capacity)
        .put("heartbeat_timeout_ms", heartbeatTimeout.toMillis());
    var arr = body.putArray("queues");
    queues.forEach(arr::add);
    if (!tasks.isEmpty()) {
      var t = body.putArray("tasks");
      tasks.forEach(t::add);
    }
    if (!reserve.isEmpty()) {
      var r = body.putObject("reserve");
      reserve.forEach(r::put);
    }
    return WorkerInfo.of(call("POST", V1 + "/workers", body));
  }

  /**
   * Tells the server a worker is alive.
   *
   * @param workerId the worker
   * @return the worker as the server sees it
   * @throws HourglassException 404 {@code UNKNOWN_WORKER} if it is not registered, or unreachable
   */
  public WorkerInfo workerHeartbeat(String workerId) {
    return WorkerInfo.of(call("POST", V1 + "/workers/" + segment(workerId) + "/heartbeat", null));
  }

  /**
   * Deregisters a worker; its running jobs return to READY without spending an attempt.
   *
   * @param workerId the worker
   * @throws HourglassException 404 if it is not registered, or unreachable
   */
  public void deregisterWorker(String workerId) {
    call("DELETE", V1 + "/workers/" + segment(workerId), null);
  }

  // ------------------------------------------------------------------------- the worker calls

  /**
   * Leases up to {@code max} jobs, waiting up to {@code wait} for one (a long poll: the server
   * answers as soon as a job is ready, and empty at the deadline). Interrupting the calling thread
   * abandons the poll.
   *
   * @param workerId the worker
   * @param max 1 to 10,000 jobs
   * @param wait how long to wait, at most {@link #LEASE_WAIT_MAX}
   * @param queues the queues to lease from; empty for the worker's registered queues
   * @param lease each lease's length; {@link Duration#ZERO} for the server's default (30 s)
   * @return the jobs granted, possibly none
   * @throws IllegalArgumentException if wait is negative or above 60 s
   * @throws HourglassException if the server refuses (400) or cannot be reached
   */
  public List<Assignment> lease(
      String workerId, int max, Duration wait, List<String> queues, Duration lease) {
    return lease(workerId, max, wait, queues, lease, List.of());
  }

  /**
   * Leases up to {@code max} jobs of the given task types, as {@link #lease(String, int, Duration,
   * List, Duration)} does; jobs of other types are left for workers that can run them.
   *
   * @param workerId the worker
   * @param max 1 to 10,000 jobs
   * @param wait how long to wait, at most {@link #LEASE_WAIT_MAX}
   * @param queues the queues to lease from; empty for the worker's registered queues
   * @param lease each lease's length; {@link Duration#ZERO} for the server's default (30 s)
   * @param tasks the task types to lease; empty for the worker's registered ones (any if none)
   * @return the jobs granted, possibly none
   * @throws IllegalArgumentException if wait is negative or above 60 s
   * @throws HourglassException if the server refuses (400) or cannot be reached
   */
  public List<Assignment> lease(
      String workerId,
      int max,
      Duration wait,
      List<String> queues,
      Duration lease,
      List<String> tasks) {
    return lease(workerId, max, wait, queues, lease, tasks, LeaseStrategy.PRIORITY);
  }

  /**
   * Leases as {@link #lease(String, int, Duration, List, Duration, List)} does, dividing the grants
   * over the queues by {@code strategy}.
   *
   * @param workerId the worker
   * @param max 1 to 10,000 jobs
   * @param wait how long to wait, at most {@link #LEASE_WAIT_MAX}
   * @param queues the queues to lease from; empty for the worker's registered queues
   * @param lease each lease's length; {@link Duration#ZERO} for the server's default (30 s)
   * @param tasks the task types to lease; empty for the worker's registered ones (any if none)
   * @param strategy how the grants are divided over the queues
   * @return the jobs granted, possibly none
   * @throws IllegalArgumentException if wait is negative or above 60 s
   * @throws HourglassException if the server refuses (400) or cannot be reached
   */
  public List<Assignment> lease(
      String workerId,
      int max,
      Duration wait,
      List<String> queues,
      Duration lease,
      List<String> tasks,
      LeaseStrategy strategy) {
    checkWait(wait);
    ObjectNode body = Json.MAPPER.createObjectNode();
    body.put("worker_id", workerId).put("max", max).put("wait_ms", wait.toMillis());
    if (!lease.isZero()) {
      body.put("lease_ms", lease.toMillis());
    }
    if (!queues.isEmpty()) {
      var arr = body.putArray("queues");
      queues.forEach(arr::add);
    }
    if (!tasks.isEmpty()) {
      var arr = body.putArray("tasks");
      tasks.forEach(arr::add);
    }
    if (strategy != LeaseStrategy.PRIORITY) {
      body.put("strategy", strategy.wireName());
    }
    return call(
        "POST",
        V1 + "/lease",
        body,
        requestTimeout.plus(wait),
        Answers::assignments,
        answer -> list(answer, "assignments", Assignment::of));
  }

  /**
   * Completes a leased job. Completing twice is harmless: when the server refuses a repeat because
   * the job already succeeded in this very attempt (worker and generation), this returns SUCCEEDED
   * as the first call did.
   *
   * @param jobId the job
   * @param workerId the lease holder
   * @param generation the lease's fencing token
   * @param result any value Jackson writes as JSON (a JsonNode as is), or null
   * @return the job's state afterwards (SUCCEEDED)
   * @throws IllegalArgumentException if the result cannot be written as JSON
   * @throws HourglassException 409 if the worker no longer holds this generation (lease lost: drop
   *     the job), or unreachable
   */
  public JobState complete(String jobId, String workerId, int generation, Object result) {
    ObjectNode body = report(workerId, generation);
    if (result != null) {
      body.set("result", Json.tree(result, "result"));
    }
    try {
      return state(call("POST", V1 + "/jobs/" + segment(jobId) + "/complete", body));
    } catch (HourglassException e) {
      if (e.isConflict() && succeededBy(jobId, workerId, generation)) {
        return JobState.SUCCEEDED;
      }
      throw e;
    }
  }

  private boolean succeededBy(String jobId, String workerId, int generation) {
    try {
      Job.Attempt a = job(jobId).successfulAttempt();
      return a != null && a.generation() == generation && workerId.equals(a.workerId());
    } catch (HourglassException e) {
      return false;
    }
  }

  /**
   * Completes many leased jobs in one request ({@code POST /api/v1/jobs:complete}); they share one
   * group commit on the server. Each completion is applied or refused on its own, so one whose
   * lease was lost does not stop the rest: check {@link CompletionResult#applied()}.
   *
   * @param workerId the lease holder of every job
   * @param completions 1 to 10,000 jobs with their generations and results
   * @return one result per completion, in order
   * @throws IllegalArgumentException if the list is empty or a result cannot be written as JSON
   * @throws HourglassException if the whole request is refused (400 over 10,000 or a bad field, 403
   *     without the worker role) or the server cannot be reached
   */
  public List<CompletionResult> completeAll(String workerId, List<Completion> completions) {
    if (completions.isEmpty()) {
      throw new IllegalArgumentException("completeAll needs at least one completion");
    }
    ObjectNode body =
        Json.MAPPER
            .createObjectNode()
            .put("worker_id", Objects.requireNonNull(workerId, "workerId"));
    var arr = body.putArray("completions");
    for (Completion c : completions) {
      ObjectNode one = arr.addObject().put("job_id", c.jobId()).put("generation", c.generation());
      if (c.result() != null) {
        one.set("result", Json.tree(c.result(), "result of " + c.jobId()));
      }
    }
    return call(
        "POST",
        V1 + "/jobs:complete",
        body,
        requestTimeout,
        Answers::completionResults,
        answer -> list(answer, "results", CompletionResult::of));
  }

  /**
   * Reports a failed attempt. While attempts remain and the failure is retryable, the job is
   * retried after its backoff; otherwise it goes to the dead-letter queue.
   *
   * @param jobId the job
   * @param workerId the lease holder
   * @param generation the lease's fencing token
   * @param error what went wrong, or null
   * @param retryable false sends it to the dead-letter queue at once
   * @return FAILED (a retry is scheduled) or DEAD
   * @throws HourglassException 409 if the worker no longer holds this generation, or unreachable
   */
  public JobState fail(
      String jobId, String workerId, int generation, String error, boolean retryable) {
    ObjectNode body = report(workerId, generation).put("retryable", retryable);
    if (error != null) {
      body.put("error", error);
    }
    return state(call("POST", V1 + "/jobs/" + segment(jobId) + "/fail", body));
  }

  /**
   * Extends a lease.
   *
   * @param jobId the job
   * @param workerId the lease holder
   * @param generation the lease's fencing token
   * @param lease the new lease length from now; {@link Duration#ZERO} for the server default
   * @return when the lease now ends
   * @throws HourglassException 409 if the lease was lost (drop the job), or unreachable
   */
  public Instant heartbeat(String jobId, String workerId, int generation, Duration lease) {
    ObjectNode body = report(workerId, generation);
    if (!lease.isZero()) {
      body.put("lease_ms", lease.toMillis());
    }
    return Json.instant(
        call("POST", V1 + "/jobs/" + segment(jobId) + "/heartbeat", body), "lease_expires_at");
  }

  /**
   * Gives a leased job back without spending an attempt (graceful shutdown).
   *
   * @param jobId the job
   * @param workerId the lease holder
   * @param generation the lease's fencing token
   * @return the job's state afterwards (READY)
   * @throws HourglassException 409 if the lease was already lost, or unreachable
   */
  public JobState release(String jobId, String workerId, int generation) {
    return state(
        call("POST", V1 + "/jobs/" + segment(jobId) + "/release", report(workerId, generation)));
  }

  /**
   * A worker's signal poll ({@code POST /api/v1/workers/{id}/signals}): waits up to {@code wait}
   * until one of the worker's leases is cancelled or times out, and answers with those leases
   * (empty at the deadline). Leases the worker holds but did not name are covered while the poll
   * waits; named ones that ended before it are answered at once. A read on the server: nothing is
   * logged. Interrupting the calling thread abandons the poll.
   *
   * @param workerId the worker, registered
   * @param held the leases the worker holds (at most 10,000)
   * @param wait how long to wait, at most {@link #LEASE_WAIT_MAX}
   * @return the cancelled or timed-out leases, possibly none
   * @throws IllegalArgumentException if wait is negative or above 60 s
   * @throws HourglassException 404 {@code UNKNOWN_WORKER} if the worker is not registered, or
   *     unreachable
   */
  public List<LeaseSignal> signals(String workerId, List<LeaseSignal.Held> held, Duration wait) {
    checkWait(wait);
    ObjectNode body = Json.MAPPER.createObjectNode().put("wait_ms", wait.toMillis());
    var arr = body.putArray("leases");
    for (LeaseSignal.Held h : held) {
      arr.addObject().put("job_id", h.jobId()).put("generation", h.generation());
    }
    return list(
        call(
            "POST",
            V1 + "/workers/" + segment(workerId) + "/signals",
            body,
            requestTimeout.plus(wait)),
        "signals",
        LeaseSignal::of);
  }

  private static ObjectNode report(String workerId, int generation) {
    return Json.MAPPER
        .createObjectNode()
        .put("worker_id", Objects.requireNonNull(workerId, "workerId"))
        .put("generation", generation);
  }

  // --------------------------------------------------------------------------------- schedules

  /**
   * Creates (or replaces, by schedule id) a cron schedule.
   *
   * @param request a request built with {@link JobRequest.Builder#cron}
   * @return the schedule
   * @throws IllegalArgumentException if the request has no cron expression
   * @throws HourglassException 400 {@code INVALID_SCHEDULE} for a bad cron or time zone, or
   *     unreachable
   */
  public Schedule createSchedule(JobRequest request) {
    if (!request.isSchedule()) {
      throw new IllegalArgumentException(
          "a schedule needs a cron expression: set"
              + " JobRequest.builder(task).cron(\"*/5 * * * *\")");
    }
    return Schedule.of(call("POST", V1 + "/schedules", traced(request)));
  }

  /**
   * The request's body with the caller's trace context: the one it gave, else the current
   * OpenTelemetry span's when OpenTelemetry is present (each job of a batch gets the submitter's).
   */
  private static ObjectNode traced(JobRequest request) {
    ObjectNode body = (ObjectNode) request.toJson();
    CurrentTrace.addTo(body);
    return body;
  }

  /**
   * Lists schedules.
   *
   * @return every schedule
   * @throws HourglassException if unreachable or the token is refused
   */
  public List<Schedule> schedules() {
    return list(call("GET", V1 + "/schedules", null), "schedules", Schedule::of);
  }

  /**
   * Reads one schedule.
   *
   * @param scheduleId the schedule
   * @return the schedule
   * @throws HourglassException 404 {@code UNKNOWN_SCHEDULE}, or unreachable
   */
  public Schedule schedule(String scheduleId) {
    return Schedule.of(call("GET", V1 + "/schedules/" + segment(scheduleId), null));
  }

  /**
   * Pauses a schedule: its firings are skipped (and counted) until resumed. Needs admin.
   *
   * @param scheduleId the schedule
   * @return the schedule afterwards
   * @throws HourglassException 404 if unknown, 403 without admin role, or unreachable
   */
  public Schedule pauseSchedule(String scheduleId) {
    return Schedule.of(call("POST", V1 + "/schedules/" + segment(scheduleId) + "/pause", null));
  }

  /**
   * Resumes a paused schedule. Needs admin.
   *
   * @param scheduleId the schedule
   * @return the schedule afterwards
   * @throws HourglassException 404 if unknown, 403 without admin role, or unreachable
   */
  public Schedule resumeSchedule(String scheduleId) {
    return Schedule.of(call("POST", V1 + "/schedules/" + segment(scheduleId) + "/resume", null));
  }

  /**
   * Deletes a schedule; jobs it created are left alone. Needs admin.
   *
   * @param scheduleId the schedule
   * @throws HourglassException 404 if unknown, 403 without admin role, or unreachable
   */
  public void deleteSchedule(String scheduleId) {
    call("DELETE", V1 + "/schedules/" + segment(scheduleId), null);
  }

  // ------------------------------------------------------------------------------------ queues

  /**
   * Lists queues with their counts.
   *
   * @return every queue
   * @throws HourglassException if unreachable or the token is refused
   */
  public List<QueueInfo> queues() {
    return list(call("GET", V1 + "/queues", null), "queues", QueueInfo::of);
  }

  /**
   * Lists queues with their scheduling policies (weight, rate limit, fairness).
   *
   * @return every queue's policy, in the order of {@link #queues()}
   * @throws HourglassException if unreachable or the token is refused
   */
  public List<QueuePolicy> queuePolicies() {
    return list(call("GET", V1 + "/queues", null), "queues", QueuePolicy::of);
  }

  /**
   * Pauses a queue: it accepts submits but leases nothing. Needs admin.
   *
   * @param queue the queue
   * @return the queue afterwards
   * @throws HourglassException 403 without admin role, or unreachable
   */
  public QueueInfo pauseQueue(String queue) {
    return QueueInfo.of(call("POST", V1 + "/queues/" + segment(queue) + "/pause", null));
  }

  /**
   * Resumes a paused queue. Needs admin.
   *
   * @param queue the queue
   * @return the queue afterwards
   * @throws HourglassException 403 without admin role, or unreachable
   */
  public QueueInfo resumeQueue(String queue) {
    return QueueInfo.of(call("POST", V1 + "/queues/" + segment(queue) + "/resume", null));
  }

  /**
   * Limits how many of a queue's jobs run at once over all workers. Needs admin.
   *
   * @param queue the queue
   * @param maxRunning the limit; 0 removes it
   * @return the queue afterwards
   * @throws HourglassException 400 if negative, 403 without admin role, or unreachable
   */
  public QueueInfo setQueueLimit(String queue, int maxRunning) {
    return QueueInfo.of(
        call(
            "PUT",
            V1 + "/queues/" + segment(queue) + "/limits",
            Json.MAPPER.createObjectNode().put("max_running", maxRunning)));
  }

  /**
   * Sets a queue's limits: its concurrency limit, its weight, its rate limit and burst, those that
   * {@code limits} gives (the others stay as they are). The server applies all of them or none.
   * Needs admin.
   *
   * @param queue the queue
   * @param limits the settings to change; at least one of max running, weight, rate
   * @return the queue's policy afterwards
   * @throws IllegalArgumentException if {@code limits} names no setting, or a burst without a rate
   * @throws HourglassException 400 if the server refuses a value, 403 without admin role, or
   *     unreachable
   */
  public QueuePolicy setQueueLimits(String queue, QueueLimits limits) {
    limits.checkRequest();
    return QueuePolicy.of(
        call("PUT", V1 + "/queues/" + segment(queue) + "/limits", limitsBody(limits)));
  }

  /** The body of a limits request: the settings {@code limits} gives, by their API names. */
  private static ObjectNode limitsBody(QueueLimits limits) {
    ObjectNode body = Json.MAPPER.createObjectNode();
    if (limits.maxRunning() != null) {
      body.put("max_running", limits.maxRunning());
    }
    if (limits.weight() != null) {
      body.put("weight", limits.weight());
    }
    if (limits.ratePerSecond() != null) {
      body.put("rate_per_second", limits.ratePerSecond());
    }
    if (limits.burst() != null) {
      body.put("burst", limits.burst());
    }
    return body;
  }

  /**
   * Sets how a queue serves its jobs' fairness keys. With {@link Fairness#ROUND_ROBIN} the keys
   * with ready jobs take turns, each key getting one job per turn or its weight in {@code
   * keyWeights}; the weights replace those set before. Needs admin.
   *
   * @param queue the queue
   * @param fairness round robin over keys, or none
   * @param keyWeights jobs per turn of some keys, each 1 to {@value Fairness#KEY_WEIGHT_MAX}, at
   *     most {@value Fairness#KEY_WEIGHTS_MAX} keys; empty for one each (and with {@code NONE})
   * @return the queue's policy afterwards
   * @throws IllegalArgumentException if a weight is out of bounds, there are too many, or weights
   *     come with {@code NONE}
   * @throws HourglassException 400 if the server refuses a value, 403 without admin role, or
   *     unreachable
   */
  public QueuePolicy setQueueFairness(
      String queue, Fairness fairness, Map<String, Integer> keyWeights) {
    checkKeyWeights(fairness, keyWeights);
    ObjectNode body = Json.MAPPER.createObjectNode().put("fairness", fairness.wireName());
    if (!keyWeights.isEmpty()) {
      ObjectNode weights = body.putObject("key_weights");
      keyWeights.forEach(weights::put);
    }
    return QueuePolicy.of(call("PUT", V1 + "/queues/" + segment(queue) + "/policy", body));
  }

  private static void checkKeyWeights(Fairness fairness, Map<String, Integer> keyWeights) {
    Objects.requireNonNull(fairness, "fairness");
    if (fairness == Fairness.NONE && !keyWeights.isEmpty()) {
      throw new IllegalArgumentException(
          "key weights need fairness round_robin; a queue without fairness has no keys");
    }
    if (keyWeights.size() > Fairness.KEY_WEIGHTS_MAX) {
      throw new IllegalArgumentException(
          keyWeights.size()
              + " key weights are more than "
              + Fairness.KEY_WEIGHTS_MAX
              + "; name only the keys that need more than one job per turn");
    }
    keyWeights.forEach(
        (key, w) -> {
          if (w == null || w < 1 || w > Fairness.KEY_WEIGHT_MAX) {
            throw new IllegalArgumentException(
                "weight "
                    + w
                    + " of key "
                    + key
                    + " is outside [1, "
                    + Fairness.KEY_WEIGHT_MAX
                    + "] jobs per turn");
          }
        });
  }

  /**
   * Limits how many jobs of a task type run at once over all workers: the short form of {@link
   * #setTaskLimits} for the concurrency limit alone. Needs admin.
   *
   * @param task the task type
   * @param maxRunning the limit; 0 removes it
   * @throws HourglassException 400 if negative, 403 without admin role, or unreachable
   */
  public void setTaskLimit(String task, int maxRunning) {
    call(
        "PUT",
        V1 + "/tasks/" + segment(task) + "/limits",
        Json.MAPPER.createObjectNode().put("max_running", maxRunning));
  }

  /**
   * Lists the task types that have a concurrency or rate limit, with the limits as set (over all
   * partitions and workers, not one partition's share) and how many of their jobs run now.
   *
   * @return every task type with a limit, by name; empty when none has one
   * @throws HourglassException if unreachable or the token is refused
   */
  public List<TaskLimit> taskLimits() {
    return list(call("GET", V1 + "/tasks/limits", null), "tasks", TaskLimit::of);
  }

  /**
   * Sets a task type's limits over all its queues and workers: its concurrency limit, its rate
   * limit and burst, those that {@code limits} gives (the others stay as they are). A task type has
   * no weight. The server applies all of them or none. Needs admin.
   *
   * @param task the task type
   * @param limits the settings to change; at least one of max running, rate; no weight
   * @return the task type's limits afterwards
   * @throws IllegalArgumentException if {@code limits} names no setting, a weight, or a burst
   *     without a rate
   * @throws HourglassException 400 if the server refuses a value, 403 without admin role, or
   *     unreachable
   */
  public TaskLimit setTaskLimits(String task, QueueLimits limits) {
    limits.checkTaskRequest();
    return TaskLimit.of(
        call("PUT", V1 + "/tasks/" + segment(task) + "/limits", limitsBody(limits)));
  }

  // -------------------------------------------------------------------------------- operations

  /**
   * Counts jobs by state over the whole server.
   *
   * @return counts for every state (0 when none)
   * @throws HourglassException if unreachable or the token is refused
   */
  public Map<JobState, Long> counts() {
    var out = new EnumMap<JobState, Long>(JobState.class);
    for (JobState s : JobState.values()) {
      out.put(s, 0L);
    }
    call("GET", V1 + "/stats", null)
        .path("counts")
        .properties()
        .forEach(e -> out.put(JobState.parse(e.getKey()), e.getValue().asLong()));
    return out;
  }

  /**
   * The answering replica's view of its cluster (any replica answers; only the leader knows its
   * followers' match index and lag). A single node answers mode "single".
   *
   * @return the status
   * @throws HourglassException if unreachable or the token is refused
   */
  public ClusterStatus clusterStatus() {
    return ClusterStatus.of(call("GET", V1 + "/cluster", null));
  }

  /**
   * The node's partitions: each one's counts by state and log position.
   *
   * @return one entry per partition, in order (one for a node without partitions)
   * @throws HourglassException when the server refuses or cannot be reached
   */
  public List<PartitionInfo> partitions() {
    return PartitionInfo.listOf(call("GET", V1 + "/partitions", null));
  }

  /**
   * Whether the server answers {@code /readyz} with 200.
   *
   * @return true when ready; false when unreachable, stopping, or its log failed
   */
  public boolean ready() {
    try {
      call("GET", "/readyz", null);
      return true;
    } catch (HourglassException e) {
      return false;
    }
  }

  /**
   * Closes every connection, idle or in use: calls in flight on other threads (a parked long poll)
   * end at once as unreachable, and later calls fail as unreachable. Idempotent.
   */
  @Override
  public void close() {
    pool.close();
  }

  // ------------------------------------------------------------------------------ the plumbing

  private static JobState state(JsonNode n) {
    return JobState.parse(Json.text(n, "state"));
  }

  /** The records of an answer's array field, in order; empty when the field is absent. */
  private static <T> List<T> list(JsonNode answer, String field, Function<JsonNode, T> of) {
    List<T> out = new ArrayList<>(answer.path(field).size());
    for (JsonNode n : answer.path(field)) {
      out.add(of.apply(n));
    }
    return List.copyOf(out);
  }

  private static void checkWait(Duration wait) {
    if (wait.isNegative() || wait.compareTo(LEASE_WAIT_MAX) > 0) {
      throw new IllegalArgumentException(
          "wait=" + wait + " is outside [0, " + LEASE_WAIT_MAX + "]");
    }
  }

  private static void appendParam(StringBuilder q, String name, String value) {
    if (value != null) {
      q.append('&')
          .append(name)
          .append('=')
          .append(java.net.URLEncoder.encode(value, StandardCharsets.UTF_8));
    }
  }

  /** Percent-encodes one path segment (job ids such as {@code nightly@1700000000000} stay). */
  static String segment(String s) {
    Objects.requireNonNull(s, "id");
    if (s.isEmpty()) {
      throw new IllegalArgumentException("an id must not be empty");
    }
    var b = new StringBuilder();
    for (byte x : s.getBytes(StandardCharsets.UTF_8)) {
      char c = (char) (x & 0xff);
      if ((c >= 'a' && c <= 'z')
          || (c >= 'A' && c <= 'Z')
          || (c >= '0' && c <= '9')
          || "-._~@!$'()*,;=".indexOf(c) >= 0) {
        b.append(c);
      } else {
        b.append('%').append(String.format("%02X", x & 0xff));
      }
    }
    return b.toString();
  }

  private JsonNode call(String method, String path, JsonNode body) {
    return call(method, path, body, requestTimeout);
  }

  private JsonNode call(String method, String path, JsonNode body, Duration timeout) {
    byte[] answer = answer(method, path, body, timeout);
    return tree(answer);
  }

  /**
   * A call whose answer {@code fast} reads from its bytes, or where {@code fast} answers null (any
   * shape but the plain one), {@code slow} from its tree; see {@link Answers}.
   */
  private <T> T call(
      String method,
      String path,
      JsonNode body,
      Duration timeout,
      Function<byte[], T> fast,
      Function<JsonNode, T> slow) {
    byte[] answer = answer(method, path, body, timeout);
    T value = fast.apply(answer);
    return value != null ? value : slow.apply(tree(answer));
  }

  private static JsonNode tree(byte[] answer) {
    return answer.length == 0
        ? Json.MAPPER.createObjectNode()
        : Json.parse(answer, "the server's answer");
  }

  /**
   * Sends one request, follows 307/308, moves to the next replica when one refuses the connection
   * or has no leader, and turns a non-2xx answer into the exception; the body of a 2xx answer.
   */
  private byte[] answer(String method, String path, JsonNode body, Duration timeout) {
    byte[] bytes = body == null ? null : Json.bytes(body);
    int at = current;
    URI uri = endpoints.get(at).resolve(path);
    long failoverDeadline = System.nanoTime() + failoverTimeout.toNanos();
    for (int hop = 0; ; ) {
      HttpAnswer r;
      try {
        r = send(method, uri, bytes, timeout);
      } catch (HourglassException e) {
        // Refused: nothing was sent, so another replica may take it.
        if (e.getCause() instanceof ConnectException
            && endpoints.size() > 1
            && System.nanoTime() < failoverDeadline) {
          // Followers may still point at the dead leader until they notice: not a redirect loop.
          hop = 0;
          at = (at + 1) % endpoints.size();
          uri = endpoints.get(at).resolve(path);
          pauseBeforeFailover();
          continue;
        }
        throw e;
      }
      int status = r.status();
      if (status == 503 && System.nanoTime() < failoverDeadline) {
        HourglassException p = problem(method + " " + path, r);
        if (LEADER_CHANGE.contains(p.code())) {
          at = (at + 1) % endpoints.size(); // an election: the same or another replica, soon
          uri = endpoints.get(at).resolve(path);
          pauseBeforeFailover();
          continue;
        }
        throw p;
      }
      current = at;
      if ((status == 307 || status == 308) && r.location() != null) {
        if (++hop > REDIRECTS_MAX) {
          if (System.nanoTime() < failoverDeadline) {
            // During an election replicas can point at each other for a moment (each names the
            // leader it last heard of); nothing was applied, so wait one pause and start again.
            hop = 0;
            at = (at + 1) % endpoints.size();
            uri = endpoints.get(at).resolve(path);
            pauseBeforeFailover();
            continue;
          }
          throw new HourglassException(
              status,
              ErrorCode.TOO_MANY_REDIRECTS.name(),
              "Too many redirects",
              method
                  + " "
                  + path
                  + " was redirected more than "
                  + REDIRECTS_MAX
                  + " times (last to "
                  + r.location()
                  + "); check the cluster's leader addresses",
              null,
              null,
              null);
        }
        uri = uri.resolve(r.location());
        at = indexOf(uri, at);
        continue;
      }
      if (status / 100 == 2) {
        return r.body();
      }
      throw problem(method + " " + path, r);
    }
  }

  /** The endpoint with {@code uri}'s host and port, or {@code otherwise}. */
  private int indexOf(URI uri, int otherwise) {
    for (int i = 0; i < endpoints.size(); i++) {
      URI e = endpoints.get(i);
      if (e.getHost().equals(uri.getHost()) && e.getPort() == uri.getPort()) {
        return i;
      }
    }
    return otherwise;
  }

  /** Why: an election takes a few hundred milliseconds; retrying faster only adds load. */
  private static void pauseBeforeFailover() {
    try {
      Thread.sleep(FAILOVER_PAUSE_MILLIS);
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      throw HourglassException.unreachable("failover (interrupted)", e);
    }
  }

  private HttpAnswer send(String method, URI uri, byte[] body, Duration timeout) {
    try {
      return pool.exchange(method, uri, body, timeout);
    } catch (IOException e) {
      if (Thread.currentThread().isInterrupted()) {
        // The channel closed itself when the thread was interrupted: a long poll is abandoned.
        throw HourglassException.unreachable(method + " " + uri.getPath() + " (interrupted)", e);
      }
      throw HourglassException.unreachable(method + " " + uri, e);
    }
  }

  private static HourglassException problem(String what, HttpAnswer r) {
    String text = new String(r.body(), StandardCharsets.UTF_8);
    Long retryAfter = null;
    if (r.retryAfter() != null) {
      try {
        retryAfter = Long.parseLong(r.retryAfter().trim());
      } catch (NumberFormatException e) {
        // an HTTP date: not sent by our servers, left out as before
      }
    }
    JsonNode p = null;
    try {
      p = text.isEmpty() ? null : Json.MAPPER.readTree(text);
    } catch (IOException notJson) {
      // a proxy's HTML page: reported as text below
    }
    if (p != null && p.isObject() && Json.text(p, "code") != null) {
      return new HourglassException(
          r.status(),
          Json.text(p, "code"),
          Json.text(p, "title"),
          Json.text(p, "detail"),
          Json.text(p, "type"),
          retryAfter,
          null);
    }
    String snippet = text.length() > 200 ? text.substring(0, 200) + "..." : text;
    return new HourglassException(
        r.status(),
        "HTTP_" + r.status(),
        null,
        what + " answered " + r.status() + " without a problem body: " + snippet,
        null,
        retryAfter,
        null);
  }

  /** Settings of a client; not thread-safe. */
  public static final class Builder {
    private final List<URI> endpoints;
    private String token;
    private Duration connectTimeout = Duration.ofSeconds(5);
    private Duration requestTimeout = Duration.ofSeconds(30);
    private Duration failoverTimeout = Duration.ofSeconds(10);
    private SSLContext sslContext;

    private Builder(String baseUrls) {
      List<URI> list = new ArrayList<>();
      for (String one : Objects.requireNonNull(baseUrls, "baseUrl").split(",")) {
        list.add(endpoint(one.trim(), baseUrls));
      }
      this.endpoints = List.copyOf(list);
    }

    private static URI endpoint(String baseUrl, String all) {
      URI u;
      try {
        u = URI.create(baseUrl);
      } catch (IllegalArgumentException e) {
        throw new IllegalArgumentException(
            "baseUrl=\""
                + baseUrl
                + "\" (in \""
                + all
                + "\") is"
                + " not a URL; give one such as http://127.0.0.1:7070",
            e);
      }
      if (u.getScheme() == null || !u.getScheme().startsWith("http") || u.getHost() == null) {
        throw new IllegalArgumentException(
            "baseUrl=\""
                + baseUrl
                + "\" (in \""
                + all
                + "\") is"
                + " not an absolute http(s) URL; give one such as http://127.0.0.1:7070");
      }
      String s = u.toString();
      return URI.create(s.endsWith("/") ? s.substring(0, s.length() - 1) : s);
    }

    /**
     * How long one call keeps moving between a cluster's replicas while none accepts it (the leader
     * died, an election is under way, replicas redirect in a loop); default 10 s.
     *
     * @param timeout positive
     * @return this builder
     * @throws IllegalArgumentException if not positive
     */
    public Builder failoverTimeout(Duration timeout) {
      this.failoverTimeout = positive(timeout, "failoverTimeout");
      return this;
    }

    /**
     * Sends {@code Authorization: Bearer <token>} with every call.
     *
     * @param bearerToken the token, or null for none
     * @return this builder
     * @throws IllegalArgumentException if it has a character outside printable ASCII
     */
    public Builder token(String bearerToken) {
      if (bearerToken != null && !bearerToken.chars().allMatch(c -> c >= ' ' && c <= '~')) {
        throw new IllegalArgumentException(
            "the token has a character outside printable ASCII; an HTTP header cannot carry it");
      }
      this.token = bearerToken == null || bearerToken.isBlank() ? null : bearerToken;
      return this;
    }

    /**
     * How long to wait for a connection (default 5 s).
     *
     * @param timeout positive
     * @return this builder
     * @throws IllegalArgumentException if not positive
     */
    public Builder connectTimeout(Duration timeout) {
      this.connectTimeout = positive(timeout, "connectTimeout");
      return this;
    }

    /**
     * How long to wait for an answer (default 30 s); a long poll waits its wait on top.
     *
     * @param timeout positive
     * @return this builder
     * @throws IllegalArgumentException if not positive
     */
    public Builder requestTimeout(Duration timeout) {
      this.requestTimeout = positive(timeout, "requestTimeout");
      return this;
    }

    /**
     * The TLS context for https URLs, e.g. one that trusts a private certificate authority;
     * default: the JVM's default context. Host names are verified either way.
     *
     * @param context the context
     * @return this builder
     */
    public Builder sslContext(SSLContext context) {
      this.sslContext = Objects.requireNonNull(context, "sslContext");
      return this;
    }

    /**
     * Builds the client.
     *
     * @return the client; close it when done
     */
    public HourglassClient build() {
      return new HourglassClient(this);
    }

    private static Duration positive(Duration d, String what) {
      if (d.isNegative() || d.isZero()) {
        throw new IllegalArgumentException(what + "=" + d + " must be positive");
      }
      return d;
    }
  }
}
