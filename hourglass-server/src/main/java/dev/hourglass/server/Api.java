package dev.hourglass.server;

import dev.hourglass.cluster.ReplicatedBackend;
import dev.hourglass.core.command.Command;
import dev.hourglass.core.command.JobSpec;
import dev.hourglass.core.command.LeaseStrategy;
import dev.hourglass.core.command.RateLimit;
import dev.hourglass.core.command.ScheduleSpec;
import dev.hourglass.core.engine.EngineConfig;
import dev.hourglass.core.engine.EngineQueries;
import dev.hourglass.core.event.Event;
import dev.hourglass.core.event.Event.JobDeduplicated;
import dev.hourglass.core.event.Outcome;
import dev.hourglass.core.event.Outcome.Applied;
import dev.hourglass.core.event.Outcome.Rejected;
import dev.hourglass.core.id.JobIds;
import dev.hourglass.core.view.JobFilter;
import dev.hourglass.core.view.JobState;
import dev.hourglass.core.view.Page;
import dev.hourglass.core.view.QueueView;
import dev.hourglass.core.view.UnrunnableView;
import dev.hourglass.runtime.EngineBackend;
import dev.hourglass.runtime.EngineLoop;
import dev.hourglass.runtime.EngineLoopException;
import dev.hourglass.runtime.LeaseSignals;
import dev.hourglass.runtime.Partitions;
import dev.hourglass.server.Auth.Access;
import io.helidon.http.HeaderNames;
import io.helidon.http.Method;
import io.helidon.webserver.http.Handler;
import io.helidon.webserver.http.HttpRouting;
import io.helidon.webserver.http.ServerRequest;
import io.helidon.webserver.http.ServerResponse;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.Semaphore;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import java.util.function.BiFunction;
import java.util.function.Function;
import java.util.function.LongSupplier;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The HTTP/JSON API under {@code /api/v1} (documented in docs/API.md). Handlers run on Helidon's
 * virtual threads and never touch the engine: they parse, build a command stamped with the server's
 * clock, hand it to the {@link EngineLoop} and wait for the answer. Thread-safe.
 */
final class Api implements PartitionedCalls.Awaiter {
  private static final Logger log = LoggerFactory.getLogger(Api.class);
  private static final String V1 = "/api/v1";

  /** Why: a listing page is a bounded read on the engine thread. */
  static final int PAGE_LIMIT_DEFAULT = 100;

  private final Partitions parts;

  /** Partition 0's backend: a replica's, or the single node's first log. */
  private final EngineBackend backend;

  private final List<EngineBackend> backends;
  private final Limits limits;
  private final Auth auth;
  private final ServerMetrics metrics;
  private final JobIds ids;
  private final LongSupplier wallMillis;
  private final Jobs jobs;
  private final PartitionedCalls calls;

  /** Every registered route, so that a known path with another method answers 405. */
  private final List<Route> table = new ArrayList<>();

  /** Permits for API calls being handled; see {@link Limits#requestsInFlightMax()}. */
  private final Semaphore inFlight;

  Api(
      Partitions parts,
      List<EngineBackend> backends,
      Limits limits,
      Auth auth,
      ServerMetrics metrics,
      JobIds ids,
      LongSupplier wallMillis) {
    this.parts = parts;
    this.backends = backends;
    this.backend = backends == null ? null : backends.get(0);
    this.limits = limits;
    this.auth = auth;
    this.metrics = metrics;
    this.ids = ids;
    this.wallMillis = wallMillis;
    this.jobs = new Jobs();
    this.calls = new PartitionedCalls(parts, ids, this);
    this.inFlight = new Semaphore(limits.requestsInFlightMax());
  }

  void routes(HttpRouting.Builder r) {
    route(r, Method.GET, "/healthz", (req, res) -> Http.json(res, 200, Map.of("status", "ok")));
    dev.hourglass.server.dashboard.Dashboard.routes(r); // GET / and /dashboard/*, no token
    route(r, Method.GET, "/readyz", guard(null, this::ready));
    route(r, Method.GET, "/metrics", guard(Access.READ, this::metrics));
    // Before the job routes: Helidon tries routes in order, and each path pattern it tries on the
    // way (the five POST /jobs/{id}/... reports) costs a regex matcher; a worker leases about as
    // often as jobs are submitted.
    route(r, Method.POST, V1 + "/lease", guard(Access.WORKER, this::lease));
    jobs.routes(r);
    route(r, Method.GET, V1 + "/dlq", guard(Access.READ, this::deadLetters));
    route(r, Method.POST, V1 + "/dlq/{id}/redrive", guard(Access.ADMIN, this::redrive));
    route(r, Method.POST, V1 + "/jobs/{id}/redrive", guard(Access.ADMIN, this::redrive));
    route(r, Method.POST, V1 + "/schedules", guard(Access.CLIENT, this::createSchedule));
    route(r, Method.GET, V1 + "/schedules", guard(Access.READ, this::listSchedules));
    route(r, Method.GET, V1 + "/schedules/{id}", guard(Access.READ, this::getSchedule));
    route(
        r,
        Method.POST,
        V1 + "/schedules/{id}/pause",
        guard(Access.ADMIN, (q, s) -> pauseSchedule(q, s, true)));
    route(
        r,
        Method.POST,
        V1 + "/schedules/{id}/resume",
        guard(Access.ADMIN, (q, s) -> pauseSchedule(q, s, false)));
    route(r, Method.DELETE, V1 + "/schedules/{id}", guard(Access.ADMIN, this::deleteSchedule));
    route(r, Method.GET, V1 + "/queues", guard(Access.READ, this::listQueues));
    route(
        r,
        Method.POST,
        V1 + "/queues/{name}/pause",
        guard(Access.ADMIN, (q, s) -> pauseQueue(q, s, true)));
    route(
        r,
        Method.POST,
        V1 + "/queues/{name}/resume",
        guard(Access.ADMIN, (q, s) -> pauseQueue(q, s, false)));
    route(r, Method.PUT, V1 + "/queues/{name}/limits", guard(Access.ADMIN, this::queueLimits));
    route(r, Method.PUT, V1 + "/queues/{name}/policy", guard(Access.ADMIN, this::queuePolicy));
    route(r, Method.GET, V1 + "/tasks/limits", guard(Access.READ, this::listTaskLimits));
    route(r, Method.PUT, V1 + "/tasks/{name}/limits", guard(Access.ADMIN, this::taskLimits));
    route(r, Method.POST, V1 + "/workers", guard(Access.WORKER, this::registerWorker));
    route(r, Method.GET, V1 + "/workers", guard(Access.READ, this::listWorkers));
    route(
        r,
        Method.POST,
        V1 + "/workers/{id}/heartbeat",
        guard(Access.WORKER, this::workerHeartbeat));
    route(r, Method.POST, V1 + "/workers/{id}/signals", guard(Access.WORKER, this::workerSignals));
    route(r, Method.DELETE, V1 + "/workers/{id}", guard(Access.WORKER, this::deregisterWorker));
    route(r, Method.GET, V1 + "/stats", guard(Access.READ, this::stats));
    route(r, Method.GET, V1 + "/partitions", guard(Access.READ, this::partitions));
    route(
        r,
        Method.GET,
        V1 + "/cluster",
        guard(Access.READ, (req, res) -> Http.json(res, 200, clusterStatus())));
    if (forwards()) {
      route(
          r,
          Method.POST,
          Forwarding.PATH,
          guard(Access.ADMIN, (req, res) -> Forwarding.serve(backends, req, res)));
    }
    route(
        r,
        Method.GET,
        V1 + "/cluster/digest",
        guard(
            Access.ADMIN,
            (req, res) -> {
              if (!(backend instanceof ReplicatedBackend replica)) {
                throw ApiException.notFound(
                    "this server runs as a single node: there are no replicas"
                        + " whose state to compare");
              }
              Http.json(res, 200, replica.stateDigest());
            }));
    r.any(
        guard(
            null,
            (req, res) -> {
              String method = req.prologue().method().text();
              String path = req.path().path();
              List<String> allowed = allowedMethods(path);
              if (!allowed.isEmpty()) {
                res.header(HeaderNames.ALLOW, String.join(", ", allowed));
                throw new ApiException(
                    405,
                    "METHOD_NOT_ALLOWED",
                    "Method not allowed",
                    ("%s is not"
                            + " a method of %s, which answers %s; see docs/API.md; nothing was applied")
                        .formatted(method, path, String.join(", ", allowed)));
              }
              throw ApiException.notFound(
                  "no route "
                      + method
                      + " "
                      + path
                      + "; see docs/API.md for"
                      + " the calls this server answers");
            }));
  }

  /** One route of the table that 405 answers consult. */
  private record Route(String method, String[] segments) {
    boolean matches(String[] path) {
      if (path.length != segments.length) {
        return false;
      }
      for (int i = 0; i < path.length; i++) {
        boolean parameter = segments[i].startsWith("{") && !path[i].isEmpty();
        if (!parameter && !segments[i].equals(path[i])) {
          return false;
        }
      }
      return true;
    }
  }

  /** Registers a route and remembers its method and path for 405 answers. */
  private void route(HttpRouting.Builder r, Method method, String path, Handler handler) {
    table.add(new Route(method.text(), path.split("/", -1)));
    r.route(method, path, handler);
  }

  /** Every registered route as "METHOD /path/{param}", for tests that must cover them all. */
  List<String> routeTable() {
    return table.stream().map(t -> t.method() + " " + String.join("/", t.segments())).toList();
  }

  /** The methods the API answers on this path, in registration order; empty if none. */
  private List<String> allowedMethods(String path) {
    String[] segments = path.split("/", -1);
    List<String> out = new ArrayList<>();
    for (Route route : table) {
      if (route.matches(segments) && !out.contains(route.method())) {
        out.add(route.method());
      }
    }
    return out;
  }

  // ---------------------------------------------------------------------------------------------
  // Plumbing

  /**
   * Checks access and, on a replica, leadership; runs the handler; turns any refusal into
   * problem+json. Every {@code /api/v1} call but {@code /cluster} and {@code /cluster/digest} (each
   * replica's own view) is served by the leader only, so a follower never answers from state that
   * may lag (reads included): it redirects.
   */
  private Handler guard(Access access, Handler handler) {
    return (req, res) -> {
      try {
        if (access != null) {
          auth.check(req.headers().first(HeaderNames.AUTHORIZATION), access);
        }
        String path = req.path().path();
        boolean admitted = false;
        if (path.startsWith(V1 + "/") && !answeredByEveryReplica(path)) {
          var leadership = backend.leadership();
          // With partitions, every replica serves every call: it forwards what it cannot commit.
          if (!leadership.serving() && !forwards()) {
            throw ApiException.notLeader(
                backend.nodeId(), leadership.leaderId(), leadership.leaderEndpoint());
          }
          admitted = admit(path);
        }
        try {
          handler.handle(req, res);
        } finally {
          if (admitted) {
            inFlight.release();
          }
        }
      } catch (EngineLoopException e) {
        refuse(req, res, ApiException.from(e));
      } catch (ApiException e) {
        refuse(req, res, e);
      } catch (RuntimeException e) {
        log.error(
            "request failed: method={} path={}; answered 500, a bug",
            req.prologue().method().text(),
            req.path().path(),
            e);
        Http.problem(
            res,
            new ApiException(
                500,
                "INTERNAL",
                "Internal server error",
                "the server failed on this request (a bug, logged); it may or may not have been"
                    + " applied"));
      }
    };
  }

  /** A replica of a partitioned cluster: it forwards writes for partitions led elsewhere. */
  private boolean forwards() {
    return backends != null && backends.size() > 1 && backend instanceof ReplicatedBackend;
  }

  /**
   * This replica's view of the cluster: partition 0's group at the top (as without partitions), and
   * with partitions, each partition's group (leader, term, indices; lags on its leader).
   */
  private Map<String, Object> clusterStatus() {
    if (!forwards()) {
      return backend.clusterStatus();
    }
    var m = new java.util.LinkedHashMap<>(backend.clusterStatus());
    m.put(
        "partitions",
        backends.stream().map(b -> ((ReplicatedBackend) b).partitionStatus()).toList());
    return m;
  }

  private static void refuse(ServerRequest req, ServerResponse res, ApiException e) {
    if (e.redirectBase() != null) {
      res.header(HeaderNames.LOCATION, redirectTarget(e.redirectBase(), req));
    }
    Http.problem(res, e);
  }

  private static boolean answeredByEveryReplica(String path) {
    return path.equals(V1 + "/cluster") || path.equals(V1 + "/cluster/digest");
  }

  /**
   * Takes a permit for a call about to be handled, or refuses it at once with 503 OVERLOADED.
   * Returns false for long polls, which are bounded by the parked-lease limit instead.
   */
  private boolean admit(String path) {
    if (path.equals(V1 + "/lease")
        || (path.startsWith(V1 + "/workers/") && path.endsWith("/signals"))) {
      return false;
    }
    if (!inFlight.tryAcquire()) {
      metrics.overloaded();
      throw ApiException.overloaded(
          ("requestsInFlightMax=%d calls are being handled already;"
                  + " nothing was applied; retry after the Retry-After delay")
              .formatted(limits.requestsInFlightMax()));
    }
    return true;
  }

  /** The same path and query on the leader: {@code http://leader:port/api/v1/...?...}. */
  private static String redirectTarget(java.net.URI leaderBase, ServerRequest req) {
    String query = req.query().rawValue();
    return leaderBase
        .resolve(req.path().rawPath() + (query.isEmpty() ? "" : "?" + query))
        .toString();
  }

  /** Waits for the loop's answer; unwraps refusals; a stalled loop answers 503. */
  @Override
  public <T> T await(CompletableFuture<T> future, Duration extra) {
    try {
      return future.get(limits.replyTimeout().plus(extra).toMillis(), TimeUnit.MILLISECONDS);
    } catch (ExecutionException e) {
      if (e.getCause() instanceof ApiException api) {
        throw api;
      }
      if (e.getCause() instanceof EngineLoopException refused) {
        throw ApiException.from(refused);
      }
      if (e.getCause() instanceof IllegalArgumentException bad) {
        throw ApiException.badRequest("INVALID_ARGUMENT", bad.getMessage());
      }
      throw new IllegalStateException("apply loop failed a request", e.getCause());
    } catch (TimeoutException e) {
      throw ApiException.unavailable(
          ("no answer from the apply loop within replyTimeout=%s;"
                  + " the request may still be applied")
              .formatted(limits.replyTimeout()));
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      throw ApiException.unavailable("interrupted while waiting; the request may still apply");
    }
  }

  /** A read on the partition that holds {@code id} (a job or schedule id). */
  private <T> T read(String id, java.util.function.Function<EngineQueries, T> query) {
    return await(parts.loopForId(id).read(query), Duration.ZERO);
  }

  /** The same read on every partition, concurrently; the answers by partition. */
  private <T> List<T> readAll(java.util.function.Function<EngineQueries, T> query) {
    List<CompletableFuture<T>> futures = new ArrayList<>(parts.count());
    for (EngineLoop l : parts.loops()) {
      futures.add(l.read(query));
    }
    List<T> out = new ArrayList<>(futures.size());
    for (var f : futures) {
      out.add(await(f, Duration.ZERO));
    }
    return out;
  }

  /**
   * Applies one command on the partition that holds {@code id}; answers the job's (or target's)
   * state, or throws its refusal.
   */
  private <R> R write(
      String id,
      Command command,
      long bytes,
      java.util.function.BiFunction<Outcome, EngineQueries, R> finish) {
    return await(parts.loopForId(id).write(command, bytes, finish), Duration.ZERO);
  }

  /**
   * Applies a setting on every partition, concurrently (its command built per partition); the
   * answers by partition, each the outcome's {@code finish}. A refusal is thrown after all have
   * answered.
   */
  private <R> List<R> writeAll(
      java.util.function.IntFunction<Command> command,
      java.util.function.BiFunction<Outcome, EngineQueries, R> finish) {
    List<CompletableFuture<R>> futures = new ArrayList<>(parts.count());
    for (int p = 0; p < parts.count(); p++) {
      futures.add(parts.loop(p).write(command.apply(p), 0, finish));
    }
    List<R> out = new ArrayList<>(futures.size());
    ApiException refused = null;
    for (var f : futures) {
      try {
        out.add(await(f, Duration.ZERO));
      } catch (ApiException e) {
        refused = refused == null ? e : refused;
        out.add(null);
      }
    }
    if (refused != null) {
      throw refused;
    }
    return out;
  }

  /**
   * Like {@link #writeAll}, for worker calls: a worker that leased in only some partitions is known
   * only there, so the call succeeds if any partition accepts it (answering the first acceptance),
   * and is refused with the first refusal if none does.
   */
  private <R> R writeAny(
      Command command, java.util.function.BiFunction<Outcome, EngineQueries, R> finish) {
    List<CompletableFuture<R>> futures = new ArrayList<>(parts.count());
    for (EngineLoop l : parts.loops()) {
      futures.add(l.write(command, 0, finish));
    }
    R first = null;
    ApiException refused = null;
    for (var f : futures) {
      try {
        R r = await(f, Duration.ZERO);
        first = first == null ? r : first;
      } catch (ApiException e) {
        refused = refused == null ? e : refused;
      }
    }
    if (first == null) {
      throw refused;
    }
    return first;
  }

  private static Map<String, Object> stateOf(String jobId, EngineQueries q) {
    JobState s = q.state(jobId);
    var m = new LinkedHashMap<String, Object>();
    m.put("job_id", jobId);
    if (s != null) {
      m.put("state", s.name());
    }
    return m;
  }

  /**
   * The answer of a write whose outcome must be accepted: a refused command becomes its 4xx (as
   * {@link #throwIfRejected}), an accepted one is answered with {@code answer} of the state it
   * left.
   */
  private static <R> BiFunction<Outcome, EngineQueries, R> accepted(
      Function<EngineQueries, R> answer) {
    return (o, q) -> {
      throwIfRejected(o);
      return answer.apply(q);
    };
  }

  private static void throwIfRejected(Outcome o) {
    if (o instanceof Rejected r) {
      throw ApiException.rejected(r);
    }
  }

  private static String param(ServerRequest req, String name) {
    return req.path().pathParameters().get(name);
  }

  private static String query(ServerRequest req, String name) {
    var v = req.query().first(name);
    return v.isPresent() ? v.get() : null;
  }

  private static int intQuery(ServerRequest req, String name, int dflt, int min, int max) {
    String v = query(req, name);
    if (v == null) {
      return dflt;
    }
    try {
      int n = Integer.parseInt(v);
      if (n >= min && n <= max) {
        return n;
      }
    } catch (NumberFormatException e) {
      // one message below
    }
    throw ApiException.badRequest(
        "INVALID_ARGUMENT",
        ("query parameter %s=\"%s\" must be an" + " integer in [%d, %d]")
            .formatted(name, JobSpecs.abbreviate(v), min, max));
  }

  /**
   * A call that takes no fields still reads its body: none and {@code {}} are fine; anything else
   * (a field, {@code null}, a non-JSON type) is refused like any other bad body, never silently
   * ignored.
   */
  private void noFields(ServerRequest req) {
    Http.body(req, limits.bodyBytesMax(), Wire.NoFields.class);
  }

  private static <T> T required(T value, String field, String what) {
    if (value == null) {
      throw ApiException.badRequest(
          "INVALID_ARGUMENT",
          "field \"" + field + "\" is required in" + " a " + what + " body; nothing was applied");
    }
    return value;
  }

  private long now() {
    return wallMillis.getAsLong();
  }

  // ---------------------------------------------------------------------------------------------
  // Health and metrics

  private void ready(ServerRequest req, ServerResponse res) {
    String failure =
        backends.stream()
            .map(EngineBackend::failure)
            .filter(java.util.Objects::nonNull)
            .findFirst()
            .orElse(null);
    if (failure != null) {
      throw ApiException.unavailable("not ready: this replica applies nothing more: " + failure);
    }
    if (!parts.healthy()) {
      throw ApiException.unavailable(
          "not ready: an apply loop is stopped (shutting down, or" + " its log failed)");
    }
    readAll(q -> null); // every loop answers, so none is stuck
    if (forwards()) {
      for (int p = 0; p < backends.size(); p++) {
        if (!backends.get(p).leadership().serving()) {
          throw ApiException.unavailable(
              "not ready: partition "
                  + p
                  + " has no leader that"
                  + " serves yet (an election is under way, or no majority is reachable)");
        }
      }
    }
    Http.json(res, 200, Map.of("status", "ready"));
  }

  private void metrics(ServerRequest req, ServerResponse res) {
    // On the loop thread, so the parked count is exact (the parked list is the loop's own).
    var views = readAll(q -> new PartitionViews.Part(q.queues(), q.workers(), q.unrunnable()));
    var snapshot =
        new ServerMetrics.Snapshot(
            PartitionViews.queues(views), PartitionViews.workers(views), parts.parkedCount());
    metrics.refreshUnrunnable(PartitionViews.unrunnable(views));
    metrics.refreshTaskLimits(PartitionViews.taskLimits(readAll(EngineQueries::taskLimits)));
    metrics.refreshPartitions(
        readAll(q -> (long) q.jobsHeld()), backends.stream().map(EngineBackend::position).toList());
    res.header(HeaderNames.CONTENT_TYPE, "text/plain; version=0.0.4; charset=utf-8")
        .send(metrics.scrape(snapshot, now()));
  }

  // ---------------------------------------------------------------------------------------------
  // Leasing

  private void lease(ServerRequest req, ServerResponse res) {
    var r = Http.body(req, limits.bodyBytesMax(), Wire.LeaseRequest.class);
    required(r.workerId(), "worker_id", "lease");
    int max = r.max() == null ? 1 : r.max();
    long waitMs = r.waitMs() == null ? 0 : r.waitMs();
    if (max < 1 || max > EngineConfig.LEASE_BATCH_MAX) {
      throw ApiException.badRequest(
          "INVALID_ARGUMENT",
          ("max=%d is outside [1, %d]; nothing was" + " leased")
              .formatted(max, EngineConfig.LEASE_BATCH_MAX));
    }
    if (waitMs < 0 || waitMs > limits.leaseWaitMax().toMillis()) {
      throw ApiException.badRequest(
          "INVALID_ARGUMENT",
          ("wait_ms=%d is outside [0, %d]; nothing" + " was leased")
              .formatted(waitMs, limits.leaseWaitMax().toMillis()));
    }
    long leaseMs = r.leaseMs() == null ? 0 : r.leaseMs();
    LeaseStrategy strategy =
        r.strategy() == null ? LeaseStrategy.PRIORITY : PolicyRequests.strategy(r.strategy());
    List<EngineLoop.Assignment> granted;
    try {
      granted =
          parts.lease(
              r.workerId(),
              max,
              Http.names(r.queues(), "queues"),
              Http.names(r.tasks(), "tasks"),
              leaseMs,
              waitMs,
              strategy);
    } catch (IllegalArgumentException e) {
      throw ApiException.badRequest("INVALID_ARGUMENT", e.getMessage());
    }
    List<Wire.Assignment> out = new ArrayList<>(granted.size());
    for (var a : granted) {
      out.add(
          new Wire.Assignment(
              a.jobId(),
              a.generation(),
              a.task(),
              a.queue(),
              a.payload(),
              a.leaseExpiresAtMillis(),
              a.redelivered(),
              a.attempt(),
              a.trace() == null ? null : a.trace().traceparent(),
              a.trace() == null ? null : a.trace().tracestate()));
    }
    Http.json(res, 200, new Wire.Assignments(out));
  }

  // ---------------------------------------------------------------------------------------------
  // Dead letters

  private void deadLetters(ServerRequest req, ServerResponse res) {
    int limit = intQuery(req, "limit", PAGE_LIMIT_DEFAULT, 1, EngineQueries.PAGE_SIZE_MAX);
    var dead = readAll(q -> q.deadLetters(limit));
    Http.json(res, 200, Map.of("jobs", PartitionViews.deadLetters(dead, limit)));
  }

  private void redrive(ServerRequest req, ServerResponse res) {
    String id = param(req, "id");
    noFields(req);
    Http.json(
        res, 200, write(id, new Command.RedriveJob(now(), id), 0, accepted(q -> stateOf(id, q))));
  }

  // ---------------------------------------------------------------------------------------------
  // Schedules

  void createSchedule(ServerRequest req, ServerResponse res) {
    var r = Http.body(req, limits.bodyBytesMax(), Wire.JobRequest.class);
    putSchedule(JobSpecs.schedule(r, ids, limits), res);
  }

  void putSchedule(ScheduleSpec spec, ServerResponse res) {
    var created =
        write(
            spec.scheduleId(),
            new Command.PutSchedule(now(), spec),
            0,
            accepted(q -> Wire.Schedule.of(q.schedule(spec.scheduleId()).orElseThrow())));
    Http.json(res, 201, created);
  }

  private void listSchedules(ServerRequest req, ServerResponse res) {
    var all = readAll(q -> q.schedules().stream().map(Wire.Schedule::of).toList());
    Http.json(res, 200, Map.of("schedules", PartitionViews.schedules(all)));
  }

  private void getSchedule(ServerRequest req, ServerResponse res) {
    String id = param(req, "id");
    var s = read(id, q -> q.schedule(id).map(Wire.Schedule::of).orElse(null));
    if (s == null) {
      throw ApiException.rejected(Rejected.unknownSchedule(id));
    }
    Http.json(res, 200, s);
  }

  private void pauseSchedule(ServerRequest req, ServerResponse res, boolean paused) {
    String id = param(req, "id");
    noFields(req);
    Http.json(
        res,
        200,
        write(
            id,
            new Command.SetSchedulePaused(now(), id, paused),
            0,
            accepted(q -> Wire.Schedule.of(q.schedule(id).orElseThrow()))));
  }

  private void deleteSchedule(ServerRequest req, ServerResponse res) {
    String id = param(req, "id");
    Http.json(
        res,
        200,
        write(
            id,
            new Command.DeleteSchedule(now(), id),
            0,
            accepted(q -> Map.of("schedule_id", id, "deleted", true))));
  }

  // ---------------------------------------------------------------------------------------------
  // Queues and task limits

  private void listQueues(ServerRequest req, ServerResponse res) {
    var views = readAll(q -> new PartitionViews.Part(q.queues(), List.of(), q.unrunnable()));
    var unrunnable = unrunnableByQueue(PartitionViews.unrunnable(views));
    Http.json(
        res,
        200,
        Map.of(
            "queues",
            PartitionViews.queues(views).stream().map(v -> queue(v, unrunnable)).toList()));
  }

  private static Wire.Queue queue(QueueView q, Map<String, Map<String, Long>> unrunnable) {
    var counts = new LinkedHashMap<String, Long>();
    q.countsByState().forEach((s, n) -> counts.put(s.name(), n));
    var ready = new LinkedHashMap<String, Long>();
    q.readyByPriority().forEach((p, n) -> ready.put(Integer.toString(p), n));
    var p = q.policy();
    return new Wire.Queue(
        q.name(),
        q.paused(),
        q.maxRunning(),
        q.running(),
        counts,
        ready,
        unrunnable.getOrDefault(q.name(), Map.of()),
        p.weight(),
        p.rate().isNone() ? null : p.rate().milliPerSecond() / 1000.0,
        p.rate().isNone() ? null : p.rate().burst(),
        p.fair() ? "round_robin" : "none",
        p.keyWeights(),
        p.activeKeys());
  }

  /** READY jobs no live worker can run, by queue, then task: O(lanes + workers' filters). */
  private static Map<String, Map<String, Long>> unrunnableByQueue(List<UnrunnableView> all) {
    var out = new HashMap<String, Map<String, Long>>();
    for (UnrunnableView u : all) {
      out.computeIfAbsent(u.queue(), k -> new LinkedHashMap<>()).put(u.task(), u.ready());
    }
    return out;
  }

  /**
   * A queue over every partition, from each partition's view of it after a setting changed; a queue
   * dropped (idle at its defaults) or never used reads as its defaults.
   */
  private Wire.Queue queueNamed(List<PartitionViews.Part> views) {
    return queue(
        PartitionViews.queues(views).get(0), unrunnableByQueue(PartitionViews.unrunnable(views)));
  }

  private static PartitionViews.Part queuePart(EngineQueries q, String name) {
    return new PartitionViews.Part(
        List.of(q.queue(name)),
        List.of(),
        q.unrunnable().stream().filter(u -> u.queue().equals(name)).toList());
  }

  private void pauseQueue(ServerRequest req, ServerResponse res, boolean paused) {
    String name = param(req, "name");
    noFields(req);
    long now = now();
    var views =
        writeAll(
            p -> new Command.SetQueuePaused(now, name, paused), accepted(q -> queuePart(q, name)));
    parts.nudge();
    Http.json(res, 200, queueNamed(views));
  }

  /**
   * Partition {@code p}'s share of a global {@code max_running}: the budget is split, so the sum
   * over partitions is the limit (never N x the limit); 0 (no limit) stays 0.
   */
  private int share(int max, int p, String what, String name) {
    int n = parts.count();
    if (max > 0 && max < n) {
      throw new ApiException(
          422,
          "LIMIT_BELOW_PARTITIONS",
          "Unprocessable content",
          ("%s %s:"
                  + " max_running=%d is below the node's %d partitions; the limit is split over the"
                  + " partitions, each needs at least 1 (0 would mean no limit); give at least %d, or 0"
                  + " for no limit; nothing was applied")
              .formatted(what, name, max, n, n));
    }
    return max <= 0 ? max : max / n + (p < max % n ? 1 : 0);
  }

  /**
   * Sets the limits given ({@code max_running}, {@code weight}, {@code rate_per_second} with {@code
   * burst}), each by its own command, all checked before the first is applied.
   */
  private void queueLimits(ServerRequest req, ServerResponse res) {
    String name = param(req, "name");
    var r = Http.body(req, limits.bodyBytesMax(), Wire.LimitsRequest.class);
    List<Command> commands = PolicyRequests.queueLimits(name, r, now());
    var views = applyOnEvery(commands, name, accepted(q -> queuePart(q, name)));
    parts.nudge();
    Http.json(res, 200, queueNamed(views));
  }

  /** Every task type with a limit, by name, each with the figures its user set. */
  private void listTaskLimits(ServerRequest req, ServerResponse res) {
    var tasks = PartitionViews.taskLimits(readAll(EngineQueries::taskLimits));
    Http.json(res, 200, Map.of("tasks", tasks.stream().map(PolicyRequests::task).toList()));
  }

  private void taskLimits(ServerRequest req, ServerResponse res) {
    String name = param(req, "name");
    var r = Http.body(req, limits.bodyBytesMax(), Wire.LimitsRequest.class);
    List<Command> commands = PolicyRequests.taskLimits(name, r, now());
    var views = applyOnEvery(commands, name, accepted(q -> q.taskLimit(name)));
    parts.nudge();
    Http.json(res, 200, PolicyRequests.task(views));
  }

  private void queuePolicy(ServerRequest req, ServerResponse res) {
    String name = param(req, "name");
    var r = Http.body(req, limits.bodyBytesMax(), Wire.PolicyRequest.class);
    var views =
        applyOnEvery(
            List.of(PolicyRequests.fairness(name, r, now())),
            name,
            accepted(q -> queuePart(q, name)));
    parts.nudge();
    Http.json(res, 200, queueNamed(views));
  }

  /**
   * Applies a limits or policy body's commands on every partition, in order, each after the
   * previous one; a global limit (max_running, a rate) is split so that the partitions' shares add
   * up to it (see {@link #share}). All shares are checked before the first command applies. Answers
   * {@code finish} of the last command from every partition.
   */
  private <R> List<R> applyOnEvery(
      List<Command> commands,
      String name,
      java.util.function.BiFunction<Outcome, EngineQueries, R> finish) {
    int n = parts.count();
    List<List<Command>> shares = new ArrayList<>(n);
    for (int p = 0; p < n; p++) {
      List<Command> mine = new ArrayList<>(commands.size());
      for (Command c : commands) {
        mine.add(shareOf(c, p, name));
      }
      shares.add(mine);
    }
    for (int i = 0; i < commands.size() - 1; i++) {
      int at = i;
      writeAll(p -> shares.get(p).get(at), accepted(q -> null));
    }
    return writeAll(p -> shares.get(p).getLast(), finish);
  }

  /** Partition {@code p}'s share of a command that sets a global limit; others unchanged. */
  private Command shareOf(Command c, int p, String name) {
    return switch (c) {
      case Command.SetQueueConcurrency q ->
          new Command.SetQueueConcurrency(
              q.atMillis(), q.queue(), share(q.maxRunning(), p, "queue", name));
      case Command.SetTaskConcurrency t ->
          new Command.SetTaskConcurrency(
              t.atMillis(), t.task(), share(t.maxRunning(), p, "task", name));
      case Command.SetQueueRate q ->
          new Command.SetQueueRate(q.atMillis(), q.queue(), rateShare(q.rate(), p, "queue", name));
      case Command.SetTaskRate t ->
          new Command.SetTaskRate(t.atMillis(), t.task(), rateShare(t.rate(), p, "task", name));
      default -> c;
    };
  }

  /**
   * Partition {@code p}'s share of a rate limit: the rate and the burst split like max_running, so
   * that the partitions together start at most the rate (and the burst) the user set.
   */
  private RateLimit rateShare(RateLimit rate, int p, String what, String name) {
    int n = parts.count();
    if (rate.isNone() || n == 1) {
      return rate;
    }
    if (rate.burst() < n || rate.milliPerSecond() < n) {
      throw new ApiException(
          422,
          "LIMIT_BELOW_PARTITIONS",
          "Unprocessable content",
          ("%s %s:"
                  + " rate_per_second=%s with burst=%d cannot be split over the node's %d partitions;"
                  + " each needs a burst of at least 1; give a burst of at least %d; nothing was applied")
              .formatted(what, name, rate.milliPerSecond() / 1000.0, rate.burst(), n, n));
    }
    long milli = rate.milliPerSecond() / n + (p < rate.milliPerSecond() % n ? 1 : 0);
    int burst = rate.burst() / n + (p < rate.burst() % n ? 1 : 0);
    return new RateLimit(milli, burst);
  }

  // ---------------------------------------------------------------------------------------------
  // Workers

  private void registerWorker(ServerRequest req, ServerResponse res) {
    var r = Http.body(req, limits.bodyBytesMax(), Wire.WorkerRequest.class);
    String id = required(r.workerId(), "worker_id", "worker");
    var c =
        new Command.RegisterWorker(
            now(),
            id,
            r.capacity() == null ? 1 : r.capacity(),
            Http.names(r.queues(), "queues"),
            r.heartbeatTimeoutMs() == null ? 0 : r.heartbeatTimeoutMs(),
            Http.names(r.tasks(), "tasks"),
            PolicyRequests.reserve(r.reserve()));
    var views = writeAll(p -> c, accepted(q -> workerNamed(q, id)));
    parts.nudge();
    Http.json(res, 201, views.get(0));
  }

  private static Wire.Worker workerNamed(EngineQueries q, String id) {
    return q.worker(id).map(Wire.Worker::of).orElseThrow();
  }

  /** Workers by id, a page at a time: {@code cursor} is the previous page's next_cursor. */
  private void listWorkers(ServerRequest req, ServerResponse res) {
    String cursor = query(req, "cursor");
    int limit = intQuery(req, "limit", PAGE_LIMIT_DEFAULT, 1, EngineQueries.PAGE_SIZE_MAX);
    var pages = readAll(q -> q.workers(cursor, limit));
    var page = PartitionViews.workers(pages, limit);
    Http.json(
        res,
        200,
        new Wire.WorkerPage(
            page.items().stream().map(Wire.Worker::of).toList(), page.nextCursor()));
  }

  private void workerHeartbeat(ServerRequest req, ServerResponse res) {
    String id = param(req, "id");
    noFields(req);
    Http.json(
        res,
        200,
        writeAny(new Command.WorkerHeartbeat(now(), id), accepted(q -> workerNamed(q, id))));
  }

  /**
   * A worker's signal poll: answers as soon as one of its leases is cancelled or times out, or
   * empty after {@code wait_ms}. A read: nothing is written to the log.
   */
  private void workerSignals(ServerRequest req, ServerResponse res) {
    String id = param(req, "id");
    var r = Http.body(req, limits.bodyBytesMax(), Wire.SignalsRequest.class);
    long waitMs = r.waitMs() == null ? 0 : r.waitMs();
    if (waitMs < 0 || waitMs > limits.leaseWaitMax().toMillis()) {
      throw ApiException.badRequest(
          "INVALID_ARGUMENT",
          ("wait_ms=%d is outside [0, %d]").formatted(waitMs, limits.leaseWaitMax().toMillis()));
    }
    List<Wire.HeldLease> leases = r.leases() == null ? List.of() : r.leases();
    if (leases.size() > EngineConfig.LEASE_BATCH_MAX) {
      throw ApiException.badRequest(
          "INVALID_ARGUMENT",
          ("\"leases\" holds %d leases; a worker" + " holds at most %d")
              .formatted(leases.size(), EngineConfig.LEASE_BATCH_MAX));
    }
    List<LeaseSignals.Held> held = new ArrayList<>(leases.size());
    for (int i = 0; i < leases.size(); i++) {
      var h = required(leases.get(i), "leases[" + i + "]", "signals");
      held.add(
          new LeaseSignals.Held(
              required(h.jobId(), "leases[" + i + "].job_id", "signals"),
              required(h.generation(), "leases[" + i + "].generation", "signals")));
    }
    var ends = await(calls.signalsOf(id, held, waitMs), Duration.ofMillis(waitMs));
    List<Wire.Signal> out = new ArrayList<>(ends.size());
    for (var e : ends) {
      out.add(new Wire.Signal(e.jobId(), e.generation(), e.kind().name(), e.reason()));
    }
    Http.json(res, 200, new Wire.Signals(out));
  }

  private void deregisterWorker(ServerRequest req, ServerResponse res) {
    String id = param(req, "id");
    Http.json(
        res,
        200,
        writeAny(
            new Command.DeregisterWorker(now(), id),
            accepted(q -> Map.of("worker_id", id, "deregistered", true))));
  }

  private void stats(ServerRequest req, ServerResponse res) {
    var stats =
        readAll(
            q ->
                new PartitionViews.Stats(
                    q.countsByState(),
                    q.jobsHeld(),
                    q.unrunnable().stream().mapToLong(UnrunnableView::ready).sum(),
                    q.nextWakeupMillis()));
    var counts = new LinkedHashMap<String, Object>();
    PartitionViews.counts(stats).forEach((s, n) -> counts.put(s.name(), n));
    var m = new LinkedHashMap<String, Object>();
    m.put("counts", counts);
    m.put("jobs_held", stats.stream().mapToLong(PartitionViews.Stats::jobsHeld).sum());
    m.put("parked_long_polls", parts.parkedCount());
    m.put("parked_signal_polls", parts.parkedSignalCount());
    m.put("unrunnable", stats.stream().mapToLong(PartitionViews.Stats::unrunnable).sum());
    long wake =
        stats.stream()
            .mapToLong(PartitionViews.Stats::nextWakeupMillis)
            .min()
            .orElse(Long.MAX_VALUE);
    m.put("next_wakeup_at", wake == Long.MAX_VALUE ? null : wake);
    Http.json(res, 200, m);
  }

  /** Each partition's counts by state and log position: {@code GET /api/v1/partitions}. */
  private void partitions(ServerRequest req, ServerResponse res) {
    var stats =
        readAll(q -> new PartitionViews.Stats(q.countsByState(), q.jobsHeld(), 0, Long.MAX_VALUE));
    List<Map<String, Object>> out = new ArrayList<>(stats.size());
    for (int p = 0; p < stats.size(); p++) {
      var counts = new LinkedHashMap<String, Object>();
      stats.get(p).counts().forEach((s, n) -> counts.put(s.name(), n));
      var m = new LinkedHashMap<String, Object>();
      m.put("partition", p);
      m.put("counts", counts);
      m.put("log_position", backends.get(p).position());
      out.add(m);
    }
    Http.json(res, 200, Map.of("partitions", out));
  }

  // ---------------------------------------------------------------------------------------------
  // Jobs: submit, read, list, cancel, and the lease holder's reports

  /** The job routes, grouped to keep each part of this class short. */
  private final class Jobs {
    void routes(HttpRouting.Builder r) {
      route(r, Method.POST, V1 + "/jobs", guard(Access.CLIENT, this::submit));
      route(r, Method.POST, V1 + "/jobs:batch", guard(Access.CLIENT, this::submitBatch));
      route(r, Method.POST, V1 + "/jobs:complete", guard(Access.WORKER, this::completeBatch));
      route(r, Method.GET, V1 + "/jobs", guard(Access.READ, this::list));
      route(r, Method.GET, V1 + "/jobs/{id}", guard(Access.READ, this::get));
      route(r, Method.POST, V1 + "/jobs/{id}/cancel", guard(Access.CLIENT, this::cancel));
      route(r, Method.POST, V1 + "/jobs/{id}/complete", guard(Access.WORKER, this::complete));
      route(r, Method.POST, V1 + "/jobs/{id}/fail", guard(Access.WORKER, this::fail));
      route(r, Method.POST, V1 + "/jobs/{id}/heartbeat", guard(Access.WORKER, this::heartbeat));
      route(r, Method.POST, V1 + "/jobs/{id}/release", guard(Access.WORKER, this::release));
    }

    void submit(ServerRequest req, ServerResponse res) {
      byte[] body = Http.bytes(req, limits.bodyBytesMax());
      Wire.JobRequest r = parse(body, Wire.JobRequest.class);
      if (r.cron() != null) {
        putSchedule(JobSpecs.schedule(r, ids, limits), res);
        return;
      }
      long now = now();
      int p = calls.place(List.of(r))[0];
      JobSpec spec = JobSpecs.job(r, calls.idIn(p, r), now, limits, "");
      Wire.Submitted s =
          write(
              spec.jobId(),
              new Command.SubmitJob(now, spec),
              body.length,
              (o, q) -> {
                throwIfRejected(o);
                for (Event e : ((Applied) o).events()) {
                  if (e instanceof JobDeduplicated d) {
                    return new Wire.Submitted(d.jobId(), q.state(d.jobId()).name(), true);
                  }
                }
                return new Wire.Submitted(spec.jobId(), q.state(spec.jobId()).name(), null);
              });
      Http.json(res, s.deduplicated() != null ? 200 : 201, s);
    }

    void submitBatch(ServerRequest req, ServerResponse res) {
      byte[] body = Http.bytes(req, limits.batchBodyBytesMax());
      Wire.BatchRequest r = parse(body, Wire.BatchRequest.class);
      if (r.jobs() == null || r.jobs().isEmpty() || r.jobs().size() > EngineConfig.BATCH_SIZE_MAX) {
        throw ApiException.badRequest(
            "INVALID_ARGUMENT",
            ("\"jobs\" must hold 1 to %d jobs; got" + " %d; nothing was applied")
                .formatted(EngineConfig.BATCH_SIZE_MAX, r.jobs() == null ? 0 : r.jobs().size()));
      }
      long now = now();
      for (int i = 0; i < r.jobs().size(); i++) {
        required(r.jobs().get(i), "jobs[" + i + "]", "batch");
      }
      int[] placed = calls.place(r.jobs());
      List<JobSpec> specs = new ArrayList<>(r.jobs().size());
      for (int i = 0; i < r.jobs().size(); i++) {
        Wire.JobRequest j = r.jobs().get(i);
        specs.add(JobSpecs.job(j, calls.idIn(placed[i], j), now, limits, "jobs[" + i + "]: "));
      }
      if (parts.count() > 1 && java.util.Arrays.stream(placed).distinct().count() > 1) {
        Http.json(res, 201, calls.submitSplit(now, specs, placed, body.length));
        return;
      }
      var out =
          write(
              specs.get(0).jobId(),
              new Command.SubmitJobs(now, specs),
              body.length,
              (o, q) -> PartitionedCalls.submitted(specs, o, q));
      Http.json(res, 201, out);
    }

    private <T> T parse(byte[] body, Class<T> type) {
      return Http.parse(body, type);
    }

    void get(ServerRequest req, ServerResponse res) {
      String id = param(req, "id");
      int p = parts.partitionOf(id);
      var job = read(id, q -> q.job(id).map(j -> Wire.Job.of(j, p)).orElse(null));
      if (job == null) {
        throw ApiException.rejected(Rejected.unknownJob(id));
      }
      Http.json(res, 200, job);
    }

    void list(ServerRequest req, ServerResponse res) {
      String state = query(req, "state");
      JobState s = null;
      if (state != null) {
        try {
          s = JobState.valueOf(state.toUpperCase(Locale.ROOT));
        } catch (IllegalArgumentException e) {
          throw ApiException.badRequest(
              "INVALID_ARGUMENT",
              "state=\""
                  + JobSpecs.abbreviate(state)
                  + "\" is not one of "
                  + List.of(JobState.values()));
        }
      }
      var filter = new JobFilter(s, query(req, "queue"), query(req, "task"));
      String cursor = query(req, "cursor");
      int limit = intQuery(req, "limit", PAGE_LIMIT_DEFAULT, 1, EngineQueries.PAGE_SIZE_MAX);
      Page<Wire.Job> page;
      if (parts.count() == 1) {
        page =
            await(
                parts
                    .loop(0)
                    .read(
                        q -> {
                          var p = q.jobs(filter, cursor, limit);
                          return new Page<>(
                              p.items().stream().map(j -> Wire.Job.of(j, 0)).toList(),
                              p.nextCursor());
                        }),
                Duration.ZERO);
      } else {
        String[] cursors = PartitionViews.splitCursor(cursor, parts.count());
        List<CompletableFuture<PartitionViews.Scan>> futures = new ArrayList<>();
        for (int p = 0; p < parts.count(); p++) {
          String c = cursors[p];
          int partition = p;
          futures.add(
              c == null
                  ? CompletableFuture.completedFuture(new PartitionViews.Scan(List.of(), null))
                  : parts
                      .loop(p)
                      .read(q -> PartitionViews.positioned(q, filter, c, limit, partition)));
        }
        List<PartitionViews.Scan> found = new ArrayList<>();
        for (var f : futures) {
          found.add(await(f, Duration.ZERO));
        }
        page = PartitionViews.mergeJobs(found, cursors, limit);
      }
      Http.json(res, 200, new Wire.JobPage(page.items(), page.nextCursor()));
    }

    void cancel(ServerRequest req, ServerResponse res) {
      String id = param(req, "id");
      var r = Http.body(req, limits.bodyBytesMax(), Wire.CancelRequest.class);
      Http.json(
          res,
          200,
          write(
              id, new Command.CancelJob(now(), id, r.reason()), 0, accepted(q -> stateOf(id, q))));
    }

    void complete(ServerRequest req, ServerResponse res) {
      String id = param(req, "id");
      var r = Http.body(req, limits.bodyBytesMax(), Wire.CompleteRequest.class);
      var c =
          new Command.CompleteJob(
              now(),
              id,
              required(r.workerId(), "worker_id", "complete"),
              required(r.generation(), "generation", "complete"),
              JobSpecs.payload(r.result(), limits, "result: "));
      reply(res, c);
    }

    /**
     * Completes many jobs in one request: each is its own command (one may be refused while the
     * others succeed), but all enter the same group commit, so they share one fsync.
     */
    void completeBatch(ServerRequest req, ServerResponse res) {
      byte[] body = Http.bytes(req, limits.batchBodyBytesMax());
      var r = parse(body, Wire.CompleteBatchRequest.class);
      String worker = required(r.workerId(), "worker_id", "complete batch");
      var items = r.completions();
      if (items == null || items.isEmpty() || items.size() > EngineConfig.LEASE_BATCH_MAX) {
        throw ApiException.badRequest(
            "INVALID_ARGUMENT",
            ("\"completions\" must hold 1 to %d" + " items; nothing was applied")
                .formatted(EngineConfig.LEASE_BATCH_MAX));
      }
      long now = now();
      List<Command> commands = new ArrayList<>(items.size());
      for (int i = 0; i < items.size(); i++) {
        var c = required(items.get(i), "completions[" + i + "]", "complete batch");
        commands.add(
            new Command.CompleteJob(
                now,
                required(c.jobId(), "completions[" + i + "].job_id", "complete batch"),
                worker,
                required(c.generation(), "completions[" + i + "].generation", "complete batch"),
                JobSpecs.payload(c.result(), limits, "completions[" + i + "].result: ")));
      }
      List<CompletableFuture<Wire.CompletionResult>> futures = new ArrayList<>(commands.size());
      for (Command c : commands) {
        String id = ((Command.CompleteJob) c).jobId();
        try {
          futures.add(
              parts
                  .loopForId(id)
                  .write(
                      c,
                      body.length / commands.size(),
                      (o, q) ->
                          o instanceof Rejected x
                              ? new Wire.CompletionResult(id, null, x.code().name(), x.detail())
                              : new Wire.CompletionResult(
                                  id, JobState.SUCCEEDED.name(), null, null)));
        } catch (EngineLoopException full) { // this item only: the ones before it are applied
          futures.add(
              CompletableFuture.completedFuture(
                  new Wire.CompletionResult(
                      id, null, ApiException.from(full).code(), full.getMessage())));
        }
      }
      List<Wire.CompletionResult> out = new ArrayList<>(futures.size());
      for (var f : futures) {
        out.add(await(f, Duration.ZERO));
      }
      Http.json(res, 200, new Wire.CompletionResults(out));
    }

    void fail(ServerRequest req, ServerResponse res) {
      String id = param(req, "id");
      var r = Http.body(req, limits.bodyBytesMax(), Wire.FailRequest.class);
      var c =
          new Command.FailJob(
              now(),
              id,
              required(r.workerId(), "worker_id", "fail"),
              required(r.generation(), "generation", "fail"),
              r.error(),
              r.retryable() == null || r.retryable());
      reply(res, c);
    }

    void heartbeat(ServerRequest req, ServerResponse res) {
      String id = param(req, "id");
      var r = Http.body(req, limits.bodyBytesMax(), Wire.HeartbeatRequest.class);
      long leaseMs = r.leaseMs() == null ? 0 : r.leaseMs();
      if (leaseMs < 0) {
        throw ApiException.badRequest(
            "INVALID_ARGUMENT",
            "lease_ms=" + leaseMs + " must not be negative; nothing was applied");
      }
      var c =
          new Command.HeartbeatJob(
              now(),
              id,
              required(r.workerId(), "worker_id", "heartbeat"),
              required(r.generation(), "generation", "heartbeat"),
              leaseMs);
      Http.json(
          res,
          200,
          write(
              id,
              c,
              0,
              (o, q) -> {
                throwIfRejected(o);
                var m = stateOf(id, q);
                var live = q.job(id).orElseThrow().liveAttempt();
                m.put("lease_expires_at", live == null ? null : live.leaseExpiresAtMillis());
                return m;
              }));
    }

    void release(ServerRequest req, ServerResponse res) {
      String id = param(req, "id");
      var r = Http.body(req, limits.bodyBytesMax(), Wire.ReleaseRequest.class);
      reply(
          res,
          new Command.ReleaseJob(
              now(),
              id,
              required(r.workerId(), "worker_id", "release"),
              required(r.generation(), "generation", "release")));
    }

    private void reply(ServerResponse res, Command c) {
      String id =
          switch (c) {
            case Command.CompleteJob x -> x.jobId();
            case Command.FailJob x -> x.jobId();
            case Command.ReleaseJob x -> x.jobId();
            default -> throw new IllegalArgumentException("not a report: " + c);
          };
      Http.json(res, 200, write(id, c, 0, accepted(q -> stateOf(id, q))));
    }
  }
}
