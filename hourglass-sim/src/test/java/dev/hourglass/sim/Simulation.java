package dev.hourglass.sim;

import dev.hourglass.core.command.Backoff;
import dev.hourglass.core.command.Command;
import dev.hourglass.core.command.JobSpec;
import dev.hourglass.core.command.ScheduleSpec;
import dev.hourglass.core.engine.EngineConfig;
import dev.hourglass.core.engine.EngineQueries;
import dev.hourglass.core.engine.EngineSnapshot;
import dev.hourglass.core.event.Event;
import dev.hourglass.core.event.Outcome;
import dev.hourglass.runtime.EngineLoop;
import dev.hourglass.runtime.EngineLoopListener;
import dev.hourglass.runtime.ForwardingBackend;
import dev.hourglass.runtime.LocalBackend;
import dev.hourglass.runtime.LoopLimits;
import dev.hourglass.runtime.PartitionLayout;
import dev.hourglass.runtime.PartitionPlacement;
import dev.hourglass.runtime.PartitionRouting;
import dev.hourglass.runtime.Partitions;
import dev.hourglass.runtime.TimeSource;
import dev.hourglass.sim.Action.CrashPoint;
import dev.hourglass.wal.FsyncPolicy;
import dev.hourglass.wal.WalCorruptedException;
import dev.hourglass.wal.durable.DurableEngine;
import dev.hourglass.wal.durable.DurableOptions;
import java.io.IOException;
import java.nio.file.FileSystem;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.PriorityQueue;
import java.util.Random;
import java.util.concurrent.CompletableFuture;
import java.util.function.BiConsumer;
import java.util.function.Function;

/*
 * Implementation notes.
 *
 * One thread runs everything: the simulated clock, an event queue of messages in flight, the
 * clients and workers, and the scheduler process, which is the product's own code: EngineLoop in
 * driven mode over LocalBackend over DurableEngine (the real log, recovery and snapshots) on a
 * SimDisk. The log's flusher thread still performs the disk writes, while this thread waits for
 * them, so the order of disk operations is fixed by the seed.
 *
 * Requests and answers travel through the event queue with a random delay (so they reorder), and
 * while faults are on each may be dropped or delivered twice. A request that reaches the process
 * goes into the loop's inbox; after delivering everything due at the current time the simulator
 * pumps the loop (runUntilIdle), and every answer leaves the process the moment the loop completes
 * it, as an HTTP handler would send it. A dead process answers nothing.
 *
 * The process dies at the chosen crash points (Action.CrashPoint); the disk keeps what the
 * SimDisk contract keeps; after a downtime a new boot recovers through DurableEngine.open, and
 * the oracle checks the recovered state. Recovery refusing a log that an unforced bit flip left
 * with valid records after the damage is the documented behaviour; the simulator then does what
 * the operator is told to do (reopen with repairCorruption) and counts it.
 *
 * The process runs N partitions (PartitionLayout's directories on the one disk, one DurableEngine
 * and one driven EngineLoop each, all sharing the clock and the power): a request is placed the
 * way the server places it (PartitionPlacement for submits, with ids generated to route where the
 * job goes; PartitionRouting for every call by id or schedule id), and a worker's poll over N > 1
 * partitions is a round of the real gateway (Partitions.driven), which runs the loops on this
 * thread. A driven gateway does not park a poll; the simulator models the parked poll by running
 * another round every PARK_RECHECK_MILLIS until one grants or the wait ends. A crash of any
 * partition's log is a power loss of the whole process, and each partition recovers from its own
 * log.
 *
 * After the actions, faults stop and every worker works diligently: every job must end within a
 * bounded simulated time, and a clean restart must recover byte-identical state.
 */

/** One simulated run: a seed and its actions. */
final class Simulation {
  static final long T0 = 1_767_225_600_000L; // 2026-01-01T00:00:00Z
  static final EngineConfig CONFIG =
      new EngineConfig(30L * 86_400_000, 30_000, 5_000, 60_000, 1 << 20, 1_000_000, 3_600_000);
  static final LoopLimits LIMITS =
      new LoopLimits(
          1_024,
          64,
          1L << 20,
          1_000,
          Duration.ofSeconds(30),
          Duration.ofMillis(2),
          Duration.ofSeconds(1));
  static final int CLIENTS = 3;
  static final int WORKERS = 4;

  /** Why: a step of simulated time between deliveries; ticks and deadlines are this fine. */
  static final long QUANTUM_MILLIS = 20;

  /** Why: jobs run at most 5 s late, back off at most 2 s, leases last at most 4 s. */
  static final long LIVENESS_BOUND_MILLIS = 120_000;

  /** The most partitions a seed chooses (1 to this), unless {@code sim.partitions} fixes it. */
  static final int PARTITIONS_MAX = 4;

  /**
   * Why: a driven gateway does not park a poll, so a parked poll over N partitions is modelled by
   * another round this often (the gateway's waiter is woken by any job becoming ready).
   */
  static final long PARK_RECHECK_MILLIS = 50;

  /** What one run saw, for the report. */
  static final class Stats {
    int partitions;
    long requests;

    /** Submits refused because one pipeline would need two partitions (nothing applied). */
    int placementConflicts;

    /** Batches applied as one command per partition. */
    int splitBatches;

    long commandsLogged;
    int crashes;
    final Map<String, Integer> crashesByPoint = new LinkedHashMap<>();
    int restartsDuringRecovery;
    int repairs;
    int dropped;
    int duplicated;
    int stalls;
    int workerCrashes;
    int tornTails;
    int zeroTails;
    int bitFlips;
    int acknowledgedJobs;
    int completionsAccepted;
    int jobsAtEnd;

    /** A hash of the final state's bytes: equal for two runs of one seed. */
    int stateHash;

    int faults() {
      return crashes + dropped + duplicated + stalls + workerCrashes;
    }

    /** What must be equal when a seed is replayed. */
    String fingerprint() {
      return "partitions=%d requests=%d commands=%d crashes=%d %s dropped=%d duplicated=%d torn=%d"
              .formatted(
                  partitions,
                  requests,
                  commandsLogged,
                  crashes,
                  crashesByPoint,
                  dropped,
                  duplicated,
                  tornTails)
          + " zero=%d conflicts=%d split=%d".formatted(zeroTails, placementConflicts, splitBatches)
          + " acknowledged=%d completed=%d jobs=%d state=%08x"
              .formatted(acknowledgedJobs, completionsAccepted, jobsAtEnd, stateHash);
    }
  }

  /** The simulated clock: the only clock the loop and the clients read. */
  private final class Clock implements TimeSource {
    @Override
    public long wallMillis() {
      return now;
    }

    @Override
    public long monotonicNanos() {
      return now * 1_000_000L;
    }
  }

  private record Delivery(long at, long seq, Runnable run) {}

  /** The scheduler process of one boot: one engine, log and loop per partition. */
  private final class Process {
    final int boot;
    final List<DurableEngine> durables;
    final List<FailureRecorder> backends = new ArrayList<>();
    final List<EngineLoop> loops = new ArrayList<>();
    final Partitions gateway;
    boolean dead;

    Process(int boot, List<DurableEngine> durables) {
      this.boot = boot;
      this.durables = durables;
      for (DurableEngine durable : durables) {
        var backend = new FailureRecorder(new LocalBackend(durable));
        backends.add(backend);
        loops.add(EngineLoop.driven(backend, LIMITS, new CrashBeforeAnswers(this), clock));
      }
      this.gateway = Partitions.driven(loops, LIMITS, clock);
      // The gateway's own hook wakes parked polls and lease signals; a driven gateway parks
      // none and the simulator polls no signals, so the oracle's hook takes its place.
      for (EngineLoop loop : loops) {
        loop.onApplied((events, queries) -> oracle.applied(events));
      }
    }

    EngineLoop loopOf(String id) {
      return loops.get(PartitionRouting.partitionOfId(id, partitions));
    }

    List<EngineQueries> queries() {
      List<EngineQueries> out = new ArrayList<>(durables.size());
      for (DurableEngine d : durables) {
        out.add(d.queries());
      }
      return out;
    }

    Throwable failure() {
      for (FailureRecorder b : backends) {
        if (b.failure != null) {
          return b.failure;
        }
      }
      return null;
    }
  }

  /** The scheduler loses its power after a forced batch, before any of its answers. */
  private final class CrashBeforeAnswers implements EngineLoopListener {
    private final Process process;

    CrashBeforeAnswers(Process process) {
      this.process = process;
    }

    @Override
    public void batchApplied(int commands, long nanos) {
      stats.commandsLogged += commands;
      if (crashBeforeAnswers) {
        crashBeforeAnswers = false;
        process.dead = true;
        disk.crash();
        throw new IllegalStateException("simulated power loss before the answers");
      }
    }
  }

  /** Keeps the cause when the log or the engine fails, so a real failure can be reported. */
  private static final class FailureRecorder extends ForwardingBackend {
    Throwable failure;

    FailureRecorder(LocalBackend local) {
      super(local);
    }

    @Override
    public List<Outcome> applyAll(List<Command> commands) throws IOException {
      try {
        return super.applyAll(commands);
      } catch (IOException | RuntimeException | Error e) {
        failure = e;
        throw e;
      }
    }

    @Override
    public List<Outcome> applyAll(
        List<Command> commands, Function<List<Outcome>, List<Command>> followUp)
        throws IOException {
      try {
        return super.applyAll(commands, followUp);
      } catch (IOException | RuntimeException | Error e) {
        failure = e;
        throw e;
      }
    }
  }

  /** A worker: the jobs it believes it holds, and whether it is silent. */
  private static final class Worker {
    final String id;
    final Map<String, Integer> held = new LinkedHashMap<>();
    long silentUntil;

    Worker(String id) {
      this.id = id;
    }
  }

  private final long seed;
  private final List<Action> actions;
  private final Random random;
  private final SimDisk disk;
  private final Clock clock = new Clock();
  private final Oracle oracle = new Oracle();
  private final Stats stats = new Stats();
  private final PriorityQueue<Delivery> inFlight =
      new PriorityQueue<>(
          (a, b) -> a.at != b.at ? Long.compare(a.at, b.at) : Long.compare(a.seq, b.seq));
  private final List<Worker> workers = new ArrayList<>();
  private final List<String> schedules = new ArrayList<>();
  private final double dropChance;
  private final double duplicateChance;
  private final long delayMaxMillis;
  private final long snapshotEveryRecords;
  private final long segmentBytes;
  private final int partitions;
  private long now = T0;

  /** Ids the "server" generates: unique over every boot, as the real random ids are. */
  private long generatedIds;

  private long seq;
  private int jobCounter;
  private boolean faults = true;
  private Process process;
  private long restartAt = -1;
  private boolean crashBeforeAnswers;
  private CrashPoint armedDiskCrash;
  private long crashAtOp = -1;
  private int step = -1;

  Simulation(long seed, List<Action> actions) {
    this.seed = seed;
    this.actions = actions;
    this.random = new Random(mix(seed, 1));
    this.disk = new SimDisk(mix(seed, 2), 0.05);
    this.dropChance = random.nextDouble() * 0.1;
    this.duplicateChance = random.nextDouble() * 0.05;
    this.delayMaxMillis = 1 + random.nextInt(300);
    this.snapshotEveryRecords = 20 + random.nextInt(300);
    this.segmentBytes = 4_096L << random.nextInt(4);
    int fixed = Integer.getInteger("sim.partitions", 0);
    this.partitions = fixed > 0 ? fixed : 1 + new Random(mix(seed, 3)).nextInt(PARTITIONS_MAX);
    stats.partitions = partitions;
    for (int i = 0; i < WORKERS; i++) {
      workers.add(new Worker("w" + i));
    }
    disk.plan(this::crashBefore);
  }

  Stats stats() {
    return stats;
  }

  /** What failed and at which step (-1: after the actions), or null when the run held. */
  record Failure(String violation, int step) {}

  /** Runs the actions, then the fault-free phase; returns the first violation, or null. */
  Failure run() {
    try {
      start();
      for (step = 0; step < actions.size(); step++) {
        perform(actions.get(step));
        settle();
        checkStep();
        if (oracle.violation() != null) {
          return new Failure(oracle.violation(), step);
        }
      }
      step = -1;
      quiesce();
      if (oracle.violation() != null) {
        return new Failure(oracle.violation(), -1);
      }
      return null;
    } catch (RuntimeException | Error e) {
      return new Failure("the simulation failed: " + e, step);
    } finally {
      shutDownQuietly();
    }
  }

  // ------------------------------------------------------------------------------- actions

  private void perform(Action action) {
    switch (action) {
      case Action.Submit a -> submit(a.client(), new Random(a.salt()));
      case Action.SubmitBatch a -> submitBatch(a.client(), new Random(a.salt()));
      case Action.PutCron a -> putCron(a.client(), new Random(a.salt()));
      case Action.Poll a -> poll(workers.get(a.worker()), new Random(a.salt()));
      case Action.Work a -> work(workers.get(a.worker()), new Random(a.salt()));
      case Action.Stall a -> {
        workers.get(a.worker()).silentUntil = now + a.millis();
        stats.stalls++;
      }
      case Action.WorkerCrash a -> {
        workers.get(a.worker()).held.clear();
        stats.workerCrashes++;
      }
      case Action.Advance a -> advanceTo(now + a.millis());
      case Action.SchedulerCrash a -> crash(a.point(), new Random(a.salt()));
    }
  }

  private JobSpec randomSpec(String id, Random r, long at) {
    JobSpec spec =
        JobSpec.of(id, r.nextBoolean() ? "a" : "b", "{}")
            .withQueue(r.nextInt(4) == 0 ? "q2" : JobSpec.DEFAULT_QUEUE)
            .withMaxAttempts(1 + r.nextInt(4))
            .withBackoff(new Backoff(50 + r.nextInt(450), 2_000, false));
    if (r.nextInt(5) == 0) {
      spec = spec.withRunAt(at + r.nextInt(5_000));
    }
    return spec;
  }

  /** A job id as the server generates it: unique over every boot, as random ids are. */
  private String nextGeneratedId() {
    return "g" + generatedIds++;
  }

  /**
   * A client submits one job: with its own id, with an id under a pipeline's routing key ({@code
   * k3~...}, as {@code partition_key} places it), or with none (the server generates one where the
   * job is placed); a keyed submit is retried until answered, with the same request.
   */
  private void submit(int client, Random r) {
    int n = jobCounter++;
    boolean keyed = r.nextBoolean();
    String clientId =
        switch (r.nextInt(3)) {
          case 0 -> "c" + client + "-" + n;
          case 1 -> "k" + r.nextInt(8) + "~c" + client + "-" + n;
          default -> null;
        };
    String key = keyed ? "key-c" + client + "-" + n : null;
    long specSalt = r.nextLong();
    long at = now;
    int attempts = keyed ? 3 : 1;
    boolean[] answered = {false};
    for (int i = 0; i < attempts; i++) {
      // A keyed submit is retried until answered: the key makes the retries harmless.
      at(
          now + i * 1_500L,
          () -> {
            if (answered[0]) {
              return;
            }
            request(
                p -> {
                  int placed =
                      PartitionPlacement.place(
                          List.of(new PartitionPlacement.Item(clientId, null, List.of(), key)),
                          partitions,
                          p.gateway::spread)[0];
                  String id =
                      clientId != null ? clientId : p.gateway.idIn(placed, this::nextGeneratedId);
                  JobSpec spec = randomSpec(id, new Random(specSalt), at);
                  return new Routed(
                      placed,
                      new Command.SubmitJob(now, key == null ? spec : spec.withIdempotencyKey(key)),
                      id);
                },
                o -> o,
                (routed, outcome) -> {
                  answered[0] = true;
                  if (outcome instanceof Outcome.Applied a) {
                    String id = jobOfKey(a, key, routed.jobId());
                    oracle.acknowledgedSubmit(List.of(id));
                    if (key != null) {
                      oracle.keyAnswered(key, id);
                    }
                  }
                });
          });
    }
  }

  /** The job a submit made, or the one its idempotency key named before. */
  private static String jobOfKey(Outcome.Applied applied, String key, String asked) {
    for (Event e : applied.events()) {
      if (e instanceof Event.JobDeduplicated d && d.idempotencyKey().equals(key)) {
        return d.jobId();
      }
    }
    return asked;
  }

  /**
   * A client submits a batch in one request: jobs with its own ids (some depending on others, so
   * over N partitions a pipeline whose ids route apart is refused and nothing applied), one
   * pipeline's ids sharing a routing key, or jobs without ids. The process places it as the server
   * does: a batch over several partitions is one command per partition.
   */
  private void submitBatch(int client, Random r) {
    int n = 2 + r.nextInt(4);
    int kind = r.nextInt(3);
    int batch = jobCounter;
    List<String> ids = new ArrayList<>();
    List<List<String>> parents = new ArrayList<>();
    for (int i = 0; i < n; i++) {
      int k = jobCounter++;
      ids.add(
          switch (kind) {
            case 0 -> "c" + client + "-" + k;
            case 1 -> "p" + client + "-" + batch + "~" + i;
            default -> null;
          });
      parents.add(
          kind != 2 && i > 0 && r.nextBoolean() ? List.of(ids.get(r.nextInt(i))) : List.of());
    }
    long specSalt = r.nextLong();
    long at = now;
    send(
        () -> {
          Process p = process;
          if (p == null) {
            return;
          }
          stats.requests++;
          List<PartitionPlacement.Item> items = new ArrayList<>();
          for (int i = 0; i < n; i++) {
            items.add(new PartitionPlacement.Item(ids.get(i), null, parents.get(i), null));
          }
          int[] placed;
          try {
            placed = PartitionPlacement.place(items, partitions, p.gateway::spread);
          } catch (PartitionPlacement.Conflict refused) {
            stats.placementConflicts++;
            return; // 422 PARTITION_CONFLICT: nothing applied
          }
          Random sr = new Random(specSalt);
          Map<Integer, List<JobSpec>> byPartition = new java.util.TreeMap<>();
          for (int i = 0; i < n; i++) {
            String id =
                ids.get(i) != null ? ids.get(i) : p.gateway.idIn(placed[i], this::nextGeneratedId);
            byPartition
                .computeIfAbsent(placed[i], x -> new ArrayList<>())
                .add(randomSpec(id, sr, at).withDependsOn(parents.get(i)));
          }
          submitParts(p, byPartition);
        });
  }

  /** Each partition's part of a batch, one atomic command each; answered when all are. */
  private void submitParts(Process p, Map<Integer, List<JobSpec>> byPartition) {
    if (byPartition.size() > 1) {
      stats.splitBatches++;
    }
    int[] pending = {byPartition.size()};
    List<String> applied = new ArrayList<>();
    Runnable partDone =
        () -> {
          if (--pending[0] == 0) {
            answer(p, () -> oracle.acknowledgedSubmit(applied));
          }
        };
    for (var part : byPartition.entrySet()) {
      CompletableFuture<Outcome> reply;
      try {
        reply =
            p.loops
                .get(part.getKey())
                .write(new Command.SubmitJobs(now, part.getValue()), 0, (o, q) -> o);
      } catch (RuntimeException refused) {
        partDone.run();
        continue;
      }
      reply.whenComplete(
          (outcome, e) -> {
            if (outcome instanceof Outcome.Applied) {
              part.getValue().forEach(spec -> applied.add(spec.jobId()));
            }
            partDone.run();
          });
    }
  }

  private void putCron(int client, Random r) {
    String id = "s" + client + "-" + schedules.size();
    schedules.add(id);
    ScheduleSpec.Overlap[] overlaps = ScheduleSpec.Overlap.values();
    ScheduleSpec spec =
        new ScheduleSpec(
            id,
            "*/" + (2 + r.nextInt(4)) + " * * * * ?",
            "UTC",
            JobSpec.of(id, "a", "{}").withMaxAttempts(2),
            overlaps[r.nextInt(overlaps.length)],
            ScheduleSpec.CatchUp.ONCE,
            0);
    requestById(id, new Command.PutSchedule(now, spec), o -> o, (routed, outcome) -> {});
  }

  private void poll(Worker w, Random r) {
    if (w.silentUntil > now) {
      return;
    }
    int max = 1 + r.nextInt(3);
    long leaseMillis = 1_000 + r.nextInt(3_000);
    long waitMillis = r.nextBoolean() ? 0 : r.nextInt(2_000);
    lease(w, max, leaseMillis, waitMillis);
  }

  private void lease(Worker w, int max, long leaseMillis, long waitMillis) {
    send(
        () -> {
          Process p = process;
          if (p == null) {
            return;
          }
          stats.requests++;
          if (partitions == 1) {
            leaseOne(p, w, max, leaseMillis, waitMillis);
          } else {
            leaseRound(p, w, max, leaseMillis, now + waitMillis);
          }
        });
  }

  /** One partition: the loop's own long poll, as the gateway passes it through. */
  private void leaseOne(Process p, Worker w, int max, long leaseMillis, long waitMillis) {
    CompletableFuture<List<EngineLoop.Assignment>> reply;
    try {
      reply = p.loops.get(0).lease(w.id, max, List.of(), List.of(), leaseMillis, waitMillis);
    } catch (RuntimeException refused) {
      return;
    }
    reply.whenComplete((granted, e) -> answer(p, () -> hold(w, granted)));
  }

  /**
   * N partitions: a round of the real gateway; when it grants nothing, the poll stays parked in the
   * simulator and runs another round every {@link #PARK_RECHECK_MILLIS} until {@code deadline}.
   */
  private void leaseRound(Process p, Worker w, int max, long leaseMillis, long deadline) {
    if (p != process || p.dead) {
      return;
    }
    List<EngineLoop.Assignment> granted;
    try {
      granted = p.gateway.lease(w.id, max, List.of(), List.of(), leaseMillis, 0);
    } catch (RuntimeException refused) {
      return;
    }
    if (granted.isEmpty() && deadline > now) {
      at(
          Math.min(deadline, now + PARK_RECHECK_MILLIS),
          () -> leaseRound(p, w, max, leaseMillis, deadline));
      return;
    }
    answer(p, () -> hold(w, granted));
  }

  private static void hold(Worker w, List<EngineLoop.Assignment> granted) {
    if (granted != null) {
      for (EngineLoop.Assignment a : granted) {
        w.held.put(a.jobId(), a.generation());
      }
    }
  }

  private void work(Worker w, Random r) {
    if (w.silentUntil > now || w.held.isEmpty()) {
      return;
    }
    List<String> ids = new ArrayList<>(w.held.keySet());
    String jobId = ids.get(r.nextInt(ids.size()));
    report(w, jobId, w.held.get(jobId), r.nextInt(100));
  }

  /** One report on a held job; {@code choice} picks heartbeat, complete, fail or release. */
  private void report(Worker w, String jobId, int generation, int choice) {
    String kind;
    Command command;
    if (choice < 30) {
      kind = "heartbeat";
      command = new Command.HeartbeatJob(now, jobId, w.id, generation, 3_000);
    } else if (choice < 75) {
      kind = "complete";
      command = new Command.CompleteJob(now, jobId, w.id, generation, null);
    } else if (choice < 90) {
      kind = "fail";
      command = new Command.FailJob(now, jobId, w.id, generation, "simulated", choice < 85);
    } else {
      kind = "release";
      command = new Command.ReleaseJob(now, jobId, w.id, generation);
    }
    requestById(
        jobId,
        command,
        outcome -> {
          oracle.report(kind, jobId, generation, outcome);
          return outcome;
        },
        (routed, outcome) -> {
          if (outcome == null) {
            return;
          }
          if (!outcome.isApplied() || !kind.equals("heartbeat")) {
            w.held.remove(jobId, generation);
          }
        });
  }

  // ------------------------------------------------------------------ network and process

  /** A command as the process routes it: its partition, and the job it names (or null). */
  private record Routed(int partition, Command command, String jobId) {}

  /**
   * Sends a command to the scheduler, which builds and routes it ({@code route}, run in the process
   * as the request arrives); {@code check} runs on the loop as it answers (in batch order), {@code
   * onAnswer} when the answer reaches the sender.
   */
  private void request(
      Function<Process, Routed> route,
      Function<Outcome, Outcome> check,
      BiConsumer<Routed, Outcome> onAnswer) {
    send(
        () -> {
          Process p = process;
          if (p == null) {
            return; // nobody listens: the sender's request times out
          }
          stats.requests++;
          Routed routed = route.apply(p);
          CompletableFuture<Outcome> reply;
          try {
            reply =
                p.loops
                    .get(routed.partition())
                    .write(routed.command(), 0, (outcome, queries) -> check.apply(outcome));
          } catch (RuntimeException refused) {
            return;
          }
          reply.whenComplete((outcome, e) -> answer(p, () -> onAnswer.accept(routed, outcome)));
        });
  }

  /** A call by job or schedule id: to the partition the id routes to. */
  private void requestById(
      String id,
      Command command,
      Function<Outcome, Outcome> check,
      BiConsumer<Routed, Outcome> onAnswer) {
    request(
        p -> new Routed(PartitionRouting.partitionOfId(id, partitions), command, id),
        check,
        onAnswer);
  }

  /** An answer leaves process {@code p} unless it is dead by now. */
  private void answer(Process p, Runnable deliver) {
    if (p.dead || p != process) {
      return;
    }
    send(deliver);
  }

  /** Puts a message in flight: delayed, and while faults are on maybe lost or doubled. */
  private void send(Runnable deliver) {
    if (faults && random.nextDouble() < dropChance) {
      stats.dropped++;
      return;
    }
    at(now + 1 + random.nextLong(delayMaxMillis), deliver);
    if (faults && random.nextDouble() < duplicateChance) {
      stats.duplicated++;
      at(now + 1 + random.nextLong(delayMaxMillis), deliver);
    }
  }

  private void at(long when, Runnable run) {
    inFlight.add(new Delivery(when, seq++, run));
  }

  /** Delivers everything due now and pumps the loop until nothing more happens at this time. */
  private void settle() {
    while (true) {
      if (restartAt >= 0 && restartAt <= now) {
        restartAt = -1;
        start();
      }
      boolean delivered = false;
      while (!inFlight.isEmpty() && inFlight.peek().at <= now) {
        inFlight.poll().run.run();
        delivered = true;
      }
      pump();
      if (!delivered && (inFlight.isEmpty() || inFlight.peek().at > now)) {
        return;
      }
    }
  }

  private void advanceTo(long target) {
    settle();
    while (now < target) {
      long next = Math.min(target, now + QUANTUM_MILLIS);
      if (!inFlight.isEmpty()) {
        next = Math.min(next, Math.max(now + 1, inFlight.peek().at));
      }
      now = next;
      settle();
    }
  }

  private void pump() {
    Process p = process;
    if (p == null) {
      return;
    }
    for (EngineLoop loop : p.loops) {
      loop.runUntilIdle();
    }
    for (EngineLoop loop : p.loops) {
      if (!loop.healthy()) {
        if (disk.crashes().size() == p.boot && !p.dead) {
          Throwable cause = p.failure();
          String trace = cause == null ? "" : Arrays.toString(cause.getStackTrace());
          oracle.fail(
              "the scheduler failed without a simulated crash: "
                  + cause
                  + (cause == null
                      ? ""
                      : " at " + trace.substring(0, Math.min(600, trace.length()))));
        }
        died(p);
        return;
      }
    }
  }

  private void died(Process p) {
    p.dead = true;
    process = null;
    closeQuietly(p);
    stats.crashes++;
    restartAt = now + random.nextInt(1_000);
  }

  private static void closeQuietly(Process p) {
    for (DurableEngine durable : p.durables) {
      closeQuietly(durable);
    }
  }

  private static void closeQuietly(DurableEngine durable) {
    try {
      durable.close();
    } catch (IOException | RuntimeException e) {
      // a dead process's log cannot close cleanly; nothing of it is used again
    }
  }

  /** Boots the scheduler on what the disk holds: the real recovery of every partition. */
  private void start() {
    int boot = disk.crashes().size();
    List<DurableEngine> opened = new ArrayList<>();
    try {
      for (Path dir : PartitionLayout.directories(dataDir(), partitions)) {
        try {
          opened.add(DurableEngine.open(options(dir, false)));
        } catch (WalCorruptedException e) {
          stats.repairs++;
          opened.add(DurableEngine.open(options(dir, true)));
        }
      }
      process = new Process(boot, opened);
    } catch (IOException e) {
      opened.forEach(Simulation::closeQuietly);
      if (disk.crashes().size() == boot) {
        oracle.fail("recovery failed without a crash during it: " + e);
        return;
      }
      stats.crashes++;
      stats.restartsDuringRecovery++;
      restartAt = now + random.nextInt(1_000);
      return;
    }
    oracle.recovered(process.queries(), boot);
  }

  /** The data directory, on a new boot of the disk. */
  private Path dataDir() {
    FileSystem fs = disk.boot();
    return fs.getPath("/data");
  }

  private DurableOptions options(Path dir, boolean repair) {
    return new DurableOptions(
        dir,
        CONFIG,
        new FsyncPolicy.Always(),
        snapshotEveryRecords,
        1_000_000_000_000L,
        repair,
        segmentBytes);
  }

  // ------------------------------------------------------------------------------ crashes

  private void crash(CrashPoint point, Random r) {
    stats.crashesByPoint.merge(point.name(), 1, Integer::sum);
    switch (point) {
      case NOW -> {
        Process p = process;
        if (p != null) {
          p.dead = true;
          disk.crash();
          died(p);
        }
      }
      case BEFORE_NEXT_ANSWERS -> crashBeforeAnswers = true;
      case BEFORE_NEXT_LOG_FORCE, IN_NEXT_SNAPSHOT -> armedDiskCrash = point;
      case AT_A_RANDOM_DISK_OPERATION -> crashAtOp = disk.ops() + 1 + r.nextInt(40);
    }
  }

  /** The disk's crash plan: called before every mutating disk operation. */
  private boolean crashBefore(SimDisk.Op op, String path) {
    if (!faults) {
      return false;
    }
    if (crashAtOp >= 0 && disk.ops() >= crashAtOp) {
      crashAtOp = -1;
      return true;
    }
    if (armedDiskCrash == CrashPoint.BEFORE_NEXT_LOG_FORCE
        && op == SimDisk.Op.FORCE
        && path.endsWith(".wal")) {
      armedDiskCrash = null;
      return true;
    }
    if (armedDiskCrash == CrashPoint.IN_NEXT_SNAPSHOT
        && path.contains("/snapshots/")
        && random.nextInt(3) == 0) {
      armedDiskCrash = null;
      return true;
    }
    return false;
  }

  // ---------------------------------------------------------------------------- checking

  private void checkStep() {
    Process p = process;
    if (p != null) {
      oracle.engineInvariants(p.queries());
    }
  }

  /**
   * Faults stop; every worker polls and completes what it holds; schedules are deleted. Every job
   * must end within the liveness bound; then a clean restart must recover the same bytes.
   */
  private void quiesce() {
    faults = false;
    crashBeforeAnswers = false;
    armedDiskCrash = null;
    crashAtOp = -1;
    for (Worker w : workers) {
      w.silentUntil = 0;
    }
    if (process == null) {
      restartAt = -1;
      start();
    }
    for (String id : schedules) {
      requestById(id, new Command.DeleteSchedule(now, id), o -> o, (routed, o) -> {});
    }
    long deadline = now + LIVENESS_BOUND_MILLIS;
    List<String> open = List.of("(not checked yet)");
    while (now < deadline && process != null) {
      for (Worker w : workers) {
        for (Map.Entry<String, Integer> held : List.copyOf(w.held.entrySet())) {
          report(w, held.getKey(), held.getValue(), 50);
        }
        lease(w, 4, 4_000, 0);
      }
      advanceTo(now + 100);
      checkStep();
      open = Oracle.unfinished(process.queries());
      stats.jobsAtEnd = process.queries().stream().mapToInt(q -> (int) q.jobsHeld()).sum();
      if (open.isEmpty() || oracle.violation() != null) {
        break;
      }
    }
    if (process == null) {
      oracle.fail("the scheduler is down after faults stopped");
      return;
    }
    if (!open.isEmpty()) {
      oracle.fail(
          "liveness: %d jobs not terminal %d ms after faults stopped: %s"
              .formatted(
                  open.size(), LIVENESS_BOUND_MILLIS, open.subList(0, Math.min(5, open.size()))));
      return;
    }
    checkReplay();
  }

  /**
   * A clean shutdown and restart recovers exactly the state that was running: each partition from
   * its own log and snapshots.
   */
  private void checkReplay() {
    Process p = process;
    try {
      p.gateway.close();
      List<byte[]> running = new ArrayList<>();
      for (DurableEngine durable : p.durables) {
        running.add(EngineSnapshot.toBytes(durable.engine()));
        durable.close();
      }
      stats.stateHash = Arrays.deepHashCode(running.toArray());
      process = null;
      List<DurableEngine> again = new ArrayList<>();
      List<EngineQueries> recovered = new ArrayList<>();
      for (Path dir : PartitionLayout.directories(dataDir(), partitions)) {
        again.add(DurableEngine.open(options(dir, false)));
        recovered.add(again.getLast().queries());
      }
      oracle.recovered(recovered, -1);
      for (int i = 0; i < again.size(); i++) {
        byte[] bytes = EngineSnapshot.toBytes(again.get(i).engine());
        again.get(i).close();
        if (!Arrays.equals(running.get(i), bytes)) {
          oracle.fail(
              ("replay of the log does not give the same state bytes: partition=%d"
                      + " running=%d bytes, recovered=%d bytes")
                  .formatted(i, running.get(i).length, bytes.length));
        }
      }
    } catch (IOException | InterruptedException e) {
      oracle.fail("clean restart failed: " + e);
    }
  }

  private void shutDownQuietly() {
    Process p = process;
    process = null;
    if (p != null) {
      closeQuietly(p);
    }
    stats.tornTails = disk.crashes().stream().mapToInt(SimDisk.CrashReport::tornTails).sum();
    stats.zeroTails = disk.crashes().stream().mapToInt(SimDisk.CrashReport::zeroTails).sum();
    stats.bitFlips = disk.crashes().stream().mapToInt(SimDisk.CrashReport::bitFlips).sum();
    stats.acknowledgedJobs = oracle.acknowledgedCount();
    stats.completionsAccepted = oracle.completionsAccepted();
  }

  long seed() {
    return seed;
  }

  /**
   * A well-mixed seed for one of a run's random streams: java.util.Random's first outputs for
   * nearby seeds (1, 2, 3...) are nearly equal, which would give every CI seed the same faults.
   */
  static long mix(long seed, int stream) {
    return new java.util.SplittableRandom(seed * 0x9E3779B97F4A7C15L + stream).nextLong();
  }
}
