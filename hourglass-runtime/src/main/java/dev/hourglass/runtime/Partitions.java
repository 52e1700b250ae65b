package dev.hourglass.runtime;

import dev.hourglass.core.command.Command;
import dev.hourglass.core.command.LeaseStrategy;
import dev.hourglass.core.engine.EngineQueries;
import dev.hourglass.core.event.Event;
import dev.hourglass.core.event.Event.JobTransitioned;
import dev.hourglass.core.event.Outcome;
import dev.hourglass.core.view.JobState;
import dev.hourglass.core.view.WorkerView;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Set;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ConcurrentSkipListMap;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicLong;
import java.util.function.Supplier;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The gateway over a node's partitions: one {@link EngineLoop} (engine, log, apply thread) per
 * partition, sharing nothing but this object. Callers route a call by id ({@link #loopForId}) or
 * fan it out; workers see one long poll served from every partition ({@link #lease}).
 *
 * <p>Implementation notes.
 *
 * <p><b>Why above the loops.</b> A loop knows only its own engine. A worker's poll spans all of
 * them, and must take at most {@code max} jobs in all, so the choice of where to lease belongs to
 * one object that sees every partition: this one. Each loop keeps its own parking for one partition
 * (a single-partition node uses it unchanged); with more partitions a poll parks here, once.
 *
 * <p><b>One long poll.</b> A round asks every partition (a read) how many jobs the worker's lease
 * would get there ({@link EngineQueries#wouldGrant}) and the best priority READY in the queues
 * polled, splits {@code max} over them, best priority first and otherwise starting at a rotating
 * partition, and leases (without waiting) in those that have any, concurrently; so no partition
 * starves, and priority order is strict within a partition and approximate across partitions (a
 * round may take a partition's lower-priority jobs before another's higher ones; task filters and
 * polls of every queue are not ranked). A worker's first poll leases once in every partition
 * (registering it there and re-sending what a restart left owed to it), and a round with nothing to
 * grant still leases in its starting partition, so a bad request is refused as before and the
 * worker stays seen (and a partition where it holds leases but takes nothing hears a worker
 * heartbeat before the worker would be declared dead there: {@link #keepSeen}). When a round grants
 * nothing the poll parks as a {@link Waiter}: each loop's applied-events hook wakes the waiters its
 * engine would now grant to (a job became READY or left RUNNING), oldest first, while its grantable
 * jobs last. The waiter is registered before a last check of every partition, so a job made ready
 * in between is seen by one or the other.
 *
 * <p><b>Capacity over partitions.</b> Each partition's engine knows the worker (same capacity
 * everywhere) but only its own leases, so on its own it would let a worker of capacity 1 hold one
 * job in every partition. A round therefore takes at most the capacity less the leases the worker
 * holds in all partitions (read in the same probes): coordinated here rather than split, since a
 * split capacity (1 over 4 partitions) would leave partitions where the worker can take nothing,
 * and rebalancing shares would be a write per change. Rounds of one worker run one at a time, so
 * two concurrent polls cannot both spend its last slot. A poll held back by capacity parks as
 * {@code full} and is woken only when one of its own jobs leaves RUNNING. This holds for the polls
 * one gateway serves: in a cluster, per replica (see docs/CLUSTER.md).
 *
 * <p><b>Driven.</b> {@link #driven} makes a gateway over {@link EngineLoop#driven} loops for one
 * thread (the simulator): waiting for an answer runs every loop until the answer is there instead
 * of blocking, an answer that running them cannot produce is refused at once as a timeout would be,
 * and a poll never parks: it is one round, and its caller polls again. Nothing else differs.
 *
 * <p>Thread-safety: everything may be called from any thread; {@link #applied} runs on the loop
 * threads. A driven gateway: the one thread that pumps its loops.
 */
public final class Partitions implements AutoCloseable {
  private static final Logger log = LoggerFactory.getLogger(Partitions.class);

  private final List<EngineLoop> loops;
  private final List<LeaseSignals> signals;
  private final int parkedMax;
  private final Duration replyTimeout;
  private final TimeSource time;
  private final boolean driven;
  private final AtomicInteger rotor = new AtomicInteger();
  private final AtomicLong waiterSeq = new AtomicLong();
  private final ConcurrentSkipListMap<Long, Waiter> waiters = new ConcurrentSkipListMap<>();

  /**
   * "worker\0partition" of every worker that has leased in a partition since this start; at most
   * {@link #CONTACTED_MAX} (then forgotten, which costs only one extra lease per partition).
   */
  private final Set<String> contacted = ConcurrentHashMap.newKeySet();

  /** Why: worker ids may churn; the set must not grow without bound. */
  private static final int CONTACTED_MAX = 100_000;

  /**
   * What a round learns of one partition: at most how many jobs it would grant (bounded by the
   * READY jobs of the queues polled; task filters are not counted), the highest priority of a READY
   * job in those queues ({@link Integer#MIN_VALUE} when unknown), and the worker.
   */
  private record Probe(int would, int top, WorkerView worker) {}

  /**
   * A parked poll of the gateway. {@code full}: its worker holds its whole capacity over the
   * partitions, so only one of its own jobs leaving RUNNING (anywhere) can let it take more.
   */
  private record Waiter(
      String workerId,
      int max,
      List<String> queues,
      List<String> tasks,
      CompletableFuture<Void> wake,
      AtomicBoolean full) {}

  /**
   * The round each worker has under way: one at a time per worker, so that two polls of one worker
   * cannot both spend its last free slot (each in another partition). Emptied as rounds end.
   */
  private final ConcurrentHashMap<String, CompletableFuture<Void>> rounds =
      new ConcurrentHashMap<>();

  /**
   * The gateway over {@code loops} (partition i is {@code loops.get(i)}), with one {@link
   * LeaseSignals} per loop. Takes over each loop's applied-events hook.
   */
  public Partitions(List<EngineLoop> loops, LoopLimits limits, TimeSource time) {
    this(loops, limits, time, false);
  }

  /**
   * A gateway over {@link EngineLoop#driven} loops, for the thread that pumps them: see the class
   * notes.
   */
  public static Partitions driven(List<EngineLoop> loops, LoopLimits limits, TimeSource time) {
    return new Partitions(loops, limits, time, true);
  }

  private Partitions(List<EngineLoop> loops, LoopLimits limits, TimeSource time, boolean driven) {
    this.loops = List.copyOf(loops);
    this.time = time;
    this.driven = driven;
    this.parkedMax = limits.parkedLeasesMax();
    this.replyTimeout = limits.replyTimeout();
    List<LeaseSignals> s = new ArrayList<>(loops.size());
    for (EngineLoop loop : this.loops) {
      var signal = new LeaseSignals(loop);
      s.add(signal);
      loop.onApplied(
          (events, q) -> {
            signal.applied(events, q);
            applied(events, q);
          });
    }
    this.signals = List.copyOf(s);
  }

  public int count() {
    return loops.size();
  }

  public EngineLoop loop(int partition) {
    return loops.get(partition);
  }

  public List<EngineLoop> loops() {
    return loops;
  }

  public LeaseSignals signals(int partition) {
    return signals.get(partition);
  }

  /** The partition of a job or schedule id. */
  public int partitionOf(String id) {
    return PartitionRouting.partitionOfId(id, loops.size());
  }

  public EngineLoop loopForId(String id) {
    return loops.get(partitionOf(id));
  }

  /** A rotating partition, for work that nothing places (a batch without keys). */
  public int spread() {
    return Math.floorMod(rotor.getAndIncrement(), loops.size());
  }

  /**
   * A generated id that routes to {@code partition}: ids are drawn until one does (on average
   * {@link #count()} draws). Bounded: 64 x count draws fail with a probability below e^-64.
   */
  public String idIn(int partition, Supplier<String> ids) {
    for (int i = 0; i < 64 * loops.size(); i++) {
      String id = ids.get();
      if (partitionOf(id) == partition) {
        return id;
      }
    }
    throw new IllegalStateException(
        "no generated id routed to partition "
            + partition
            + " in "
            + 64 * loops.size()
            + " draws; the id generator is not random");
  }

  /** Whether every loop runs. */
  public boolean healthy() {
    for (EngineLoop l : loops) {
      if (!l.healthy()) {
        return false;
      }
    }
    return true;
  }

  /** Long polls parked now, in the loops and here (racy, for stats). */
  public int parkedCount() {
    int n = waiters.size();
    for (EngineLoop l : loops) {
      n += l.parkedCount();
    }
    return n;
  }

  /** Signal polls parked now (racy, for stats). */
  public int parkedSignalCount() {
    int n = 0;
    for (LeaseSignals s : signals) {
      n += s.parkedCount();
    }
    return n;
  }

  /**
   * Wakes every parked poll to look again: after a setting changed in every partition (a pause
   * lifted, a limit raised, a worker registered), which no job event reports.
   */
  public void nudge() {
    for (Waiter w : waiters.values()) {
      w.wake.complete(null);
    }
  }

  /** Answers every parked poll now: the first step of shutdown. */
  public void releaseParkedLeases() {
    nudge();
    for (EngineLoop l : loops) {
      l.releaseParkedLeases();
    }
  }

  /**
   * Leases up to {@code max} jobs from any partition, waiting up to {@code waitMillis} for one to
   * become ready; see the class notes. Blocks the calling thread.
   *
   * @throws EngineLoopException when a partition refuses (bad request, overload, stopped)
   */
  public List<EngineLoop.Assignment> lease(
      String workerId,
      int max,
      List<String> queues,
      List<String> tasks,
      long leaseMillis,
      long waitMillis) {
    return lease(workerId, max, queues, tasks, leaseMillis, waitMillis, LeaseStrategy.PRIORITY);
  }

  /**
   * {@link #lease(String, int, List, List, long, long)} dividing each partition's grants over the
   * queues by {@code strategy} (each partition keeps the worker's rotation of its own queues).
   */
  public List<EngineLoop.Assignment> lease(
      String workerId,
      int max,
      List<String> queues,
      List<String> tasks,
      long leaseMillis,
      long waitMillis,
      LeaseStrategy strategy) {
    if (loops.size() == 1) {
      return await(
          loops
              .get(0)
              .lease(workerId, max, queues, tasks, leaseMillis, driven ? 0 : waitMillis, strategy),
          waitMillis);
    }
    long deadline = System.nanoTime() + TimeUnit.MILLISECONDS.toNanos(waitMillis);
    while (true) {
      List<EngineLoop.Assignment> got =
          oneAtATime(workerId, () -> round(workerId, max, queues, tasks, leaseMillis, strategy));
      long left = deadline - System.nanoTime();
      if (!got.isEmpty() || left <= 0 || driven) {
        return got;
      }
      if (waiters.size() >= parkedMax) {
        throw new EngineLoopException.Overloaded(
            ("too many parked long polls: parkedLeasesMax=%d"
                    + " worker=%s; nothing was leased; poll again after a short backoff")
                .formatted(parkedMax, workerId));
      }
      var w =
          new Waiter(workerId, max, queues, tasks, new CompletableFuture<>(), new AtomicBoolean());
      long key = waiterSeq.incrementAndGet();
      waiters.put(key, w);
      try {
        if (wouldGrantAnywhere(w) == 0) {
          // A poll held back by a rate limit is not woken by any command when the next token is
          // due: it looks again then (and not before, so it does not spin).
          w.wake.get(Math.min(left, nanosUntilNextToken(w)), TimeUnit.NANOSECONDS);
        }
      } catch (TimeoutException e) {
        if (deadline - System.nanoTime() <= 0) {
          return List.of();
        }
      } catch (InterruptedException e) {
        Thread.currentThread().interrupt();
        return List.of();
      } catch (ExecutionException e) {
        throw new IllegalStateException("a wake-up never fails", e);
      } finally {
        waiters.remove(key);
      }
    }
  }

  /** One pass over every partition: leases without waiting where there is something to take. */
  private List<EngineLoop.Assignment> round(
      String workerId,
      int max,
      List<String> queues,
      List<String> tasks,
      long leaseMillis,
      LeaseStrategy strategy) {
    int n = loops.size();
    int start = spread();
    List<CompletableFuture<Probe>> probes = new ArrayList<>(n);
    for (EngineLoop l : loops) {
      probes.add(l.read(q -> probe(q, workerId, max, queues, tasks)));
    }
    if (contacted.size() > CONTACTED_MAX) {
      contacted.clear();
    }
    int[] take = new int[n];
    boolean[] touch = new boolean[n];
    Probe[] probe = new Probe[n];
    List<Integer> order = new ArrayList<>(n);
    for (int i = 0; i < n; i++) {
      int p = (start + i) % n;
      probe[p] = await(probes.get(p), 0);
      order.add(p);
    }
    registerWhereUnknown(workerId, max, queues, tasks, probe);
    // Best READY priority first; the rotation breaks ties, so equal partitions take turns.
    order.sort((a, b) -> Integer.compare(probe[b].top(), probe[a].top()));
    int budget = budget(max, probe);
    int remaining = budget;
    for (int p : order) {
      int k = Math.min(remaining, probe[p].would());
      take[p] = k;
      remaining -= k;
      touch[p] = contacted.add(workerId + "\0" + p);
    }
    keepSeen(workerId, probe, take, touch);
    if (remaining == budget) {
      touch[start] = true; // validates the request and keeps the worker seen, as one poll did
    }
    List<CompletableFuture<List<EngineLoop.Assignment>>> leases = new ArrayList<>();
    for (int i = 0; i < n; i++) {
      int p = (start + i) % n;
      if (take[p] > 0 || touch[p]) {
        if (take[p] == 0 && remaining == 0) {
          continue; // the budget is spoken for: a first contact waits for the next round
        }
        // A lease asked for 1 where none was counted may grant 1 if a job just became ready:
        // it is within max, since "remaining" jobs were not given to any other partition.
        int k = take[p] > 0 ? take[p] : 1;
        if (take[p] == 0) {
          remaining--;
        }
        leases.add(loops.get(p).lease(workerId, k, queues, tasks, leaseMillis, 0, strategy));
      }
    }
    List<EngineLoop.Assignment> out = new ArrayList<>();
    RuntimeException refused = null;
    for (int i = 0; i < leases.size(); i++) {
      try {
        out.addAll(await(leases.get(i), 0));
      } catch (RuntimeException e) {
        refused = refused == null ? e : refused;
      }
    }
    if (refused != null && out.isEmpty()) {
      for (int p = 0; p < n; p++) {
        contacted.remove(workerId + "\0" + p); // so that the next poll is checked again
      }
      throw refused;
    }
    return out;
  }

  /**
   * A lease registers an unknown worker with its own {@code max} as the capacity; a round that
   * leased only a share of {@code max} in a partition would register it there with that share, and
   * the worker could never hold more there. So a partition that does not know the worker first gets
   * its registration: as another partition knows it, else as this poll would have registered it
   * (capacity {@code max}, the polled queues and task types). Usually the first poll only; also
   * validates the worker id.
   */
  private void registerWhereUnknown(
      String workerId, int max, List<String> queues, List<String> tasks, Probe[] probe) {
    WorkerView known = null;
    boolean missing = false;
    for (Probe p : probe) {
      missing |= p.worker() == null;
      known = known == null ? p.worker() : known;
    }
    if (!missing) {
      return;
    }
    long now = time.wallMillis();
    var c =
        known == null
            ? new Command.RegisterWorker(now, workerId, max, queues, 0, tasks)
            : new Command.RegisterWorker(
                now,
                workerId,
                known.capacity(),
                known.queues(),
                known.heartbeatTimeoutMillis(),
                known.tasks());
    List<CompletableFuture<Outcome>> writes = new ArrayList<>();
    for (int p = 0; p < probe.length; p++) {
      if (probe[p].worker() == null) {
        writes.add(loops.get(p).write(c, 0, (o, q) -> o));
      }
    }
    for (var f : writes) {
      if (await(f, 0) instanceof Outcome.Rejected r) {
        throw new EngineLoopException.Rejected(r.code(), r.detail());
      }
    }
  }

  /**
   * Runs a worker's round once no other round of that worker is under way. Bounded: a round's every
   * step waits at most the reply timeout for its loop.
   */
  private <T> T oneAtATime(String workerId, Supplier<T> round) {
    if (driven) {
      return round.get(); // one thread: no other round can be under way
    }
    var mine = new CompletableFuture<Void>();
    for (CompletableFuture<Void> other; (other = rounds.putIfAbsent(workerId, mine)) != null; ) {
      try {
        other.get(ROUND_WAIT_FACTOR * replyTimeout.toMillis(), TimeUnit.MILLISECONDS);
      } catch (TimeoutException e) {
        throw new EngineLoopException.Overloaded(
            ("another poll of worker %s has leased for over %d ms; nothing was leased;"
                    + " poll again after a short backoff")
                .formatted(workerId, ROUND_WAIT_FACTOR * replyTimeout.toMillis()));
      } catch (InterruptedException e) {
        Thread.currentThread().interrupt();
        throw new EngineLoopException.Overloaded("interrupted waiting for another poll");
      } catch (ExecutionException e) {
        throw new IllegalStateException("a round's end never fails", e);
      }
    }
    try {
      return round.get();
    } finally {
      rounds.remove(workerId, mine);
      mine.complete(null);
    }
  }

  /** Why: a round awaits its probes, registrations and leases in turn, each within the timeout. */
  private static final int ROUND_WAIT_FACTOR = 4;

  /**
   * How many jobs a round may take: {@code max}, bounded by the worker's capacity less the leases
   * it holds in all partitions together, so that a capacity holds for the node and not once per
   * partition. Each partition's engine still bounds by the capacity on its own; the lowest capacity
   * known counts (a re-registration reaches the partitions one by one). A worker no partition knows
   * yet is registered by this round with {@code max} as its capacity.
   */
  private static int budget(int max, Probe[] probe) {
    int capacity = Integer.MAX_VALUE;
    int held = 0;
    for (Probe p : probe) {
      if (p.worker() != null) {
        capacity = Math.min(capacity, p.worker().capacity());
        held += p.worker().inFlight();
      }
    }
    return capacity == Integer.MAX_VALUE ? max : Math.max(0, Math.min(max, capacity - held));
  }

  /** Loop thread: one partition's answer to a round (see {@link Probe}). */
  private static Probe probe(
      EngineQueries q, String workerId, int max, List<String> queues, List<String> tasks) {
    int would = q.wouldGrant(workerId, max, queues, tasks);
    WorkerView worker = q.worker(workerId).orElse(null);
    int top = Integer.MIN_VALUE;
    List<String> polled = !queues.isEmpty() ? queues : worker == null ? List.of() : worker.queues();
    // wouldGrant bounds by max and free slots only; the READY jobs bound it too, so that a round
    // splits max over the partitions that hold the jobs instead of giving it all to the first.
    long ready = q.readyCount();
    if (would > 0 && !polled.isEmpty() && polled.size() <= QUEUES_RANKED_MAX) {
      ready = 0;
      for (String name : polled) {
        var byPriority = q.queue(name).readyByPriority(); // highest first
        for (var e : byPriority.entrySet()) {
          top = Math.max(top, e.getKey());
          break;
        }
        for (long n : byPriority.values()) {
          ready += n;
        }
      }
    }
    return new Probe((int) Math.min(would, ready), top, worker);
  }

  /**
   * Why: ranking partitions reads each polled queue's lanes; a poll of every queue (or of very
   * many) is not ranked, only rotated.
   */
  private static final int QUEUES_RANKED_MAX = 16;

  /**
   * A poll that leases in one partition keeps its worker seen there only: in a partition where it
   * holds leases but takes nothing this round, it is declared dead once silent for its heartbeat
   * timeout, and its leases there are lost, though with one partition its polls alone would have
   * kept it alive. So past half that timeout the round sends such a partition a worker heartbeat (a
   * write at most about twice per timeout per partition, and only while it holds leases).
   */
  private void keepSeen(String workerId, Probe[] probe, int[] take, boolean[] touch) {
    long now = time.wallMillis();
    for (int p = 0; p < probe.length; p++) {
      WorkerView w = probe[p].worker();
      if (take[p] == 0
          && !touch[p]
          && w != null
          && w.inFlight() > 0
          && now - w.lastSeenMillis() > w.heartbeatTimeoutMillis() / 2) {
        try {
          loops.get(p).write(new Command.WorkerHeartbeat(now, workerId), 0, (o, q) -> null);
        } catch (EngineLoopException e) {
          // full or stopping: the next poll tries again
        }
      }
    }
  }

  /**
   * How long until a rate limit that holds back one of {@code w}'s lanes in any partition has a
   * token again; {@code Long.MAX_VALUE} when only another command can help it.
   */
  private long nanosUntilNextToken(Waiter w) {
    long now = time.wallMillis();
    List<CompletableFuture<Long>> next = new ArrayList<>(loops.size());
    for (EngineLoop l : loops) {
      next.add(l.read(q -> q.nextGrantAtMillis(w.workerId, w.queues, w.tasks, now)));
    }
    long earliest = Long.MAX_VALUE;
    for (var f : next) {
      earliest = Math.min(earliest, await(f, 0));
    }
    return earliest == Long.MAX_VALUE
        ? Long.MAX_VALUE
        : TimeUnit.MILLISECONDS.toNanos(Math.max(1, earliest - now));
  }

  /**
   * How many jobs {@code w} would be granted now over all partitions, within its worker's capacity
   * ({@link #budget}); marks the waiter {@code full} when that capacity is what holds it back.
   */
  private int wouldGrantAnywhere(Waiter w) {
    List<CompletableFuture<Probe>> probes = new ArrayList<>(loops.size());
    for (EngineLoop l : loops) {
      probes.add(l.read(q -> probe(q, w.workerId, w.max, w.queues, w.tasks)));
    }
    Probe[] probe = new Probe[loops.size()];
    int sum = 0;
    for (int p = 0; p < probe.length; p++) {
      probe[p] = await(probes.get(p), 0);
      sum += probe[p].would();
    }
    int budget = budget(w.max, probe);
    w.full.set(budget == 0);
    return Math.min(sum, budget);
  }

  /**
   * Wakes the parked polls that a partition's engine would now grant to, and the signal polls whose
   * leases it cancelled or timed out, for commands applied there without its loop: a replica
   * applies what other replicas proposed for that partition (a cancel sent through another replica
   * must reach a worker's signal poll parked here). Call it with the partition's engine locked (its
   * applier's thread), cheap and non-blocking. A command this replica's loop proposed is heard here
   * and by the loop: a poll woken twice is answered once.
   */
  public void appliedElsewhere(int partition, List<Event> events, EngineQueries q) {
    signals.get(partition).applied(events, q);
    applied(events, q);
  }

  /** Loop thread: wakes the parked polls this partition's engine would now grant to. */
  private void applied(List<Event> events, EngineQueries q) {
    if (waiters.isEmpty() || !mayUnblock(events)) {
      return;
    }
    try {
      long grantable = q.grantableJobsMax();
      Set<String> freed = workersFreed(events, q);
      for (Waiter w : waiters.values()) {
        if (grantable <= 0 && freed.isEmpty()) {
          break;
        }
        if (w.wake.isDone()) {
          continue;
        }
        if (freed.contains(w.workerId)) {
          // A slot of its capacity is free again (also before it was marked full: no lost wake).
          w.wake.complete(null);
          continue;
        }
        if (w.full.get()) {
          continue;
        }
        if (grantable <= 0) {
          continue;
        }
        int would = q.wouldGrant(w.workerId, w.max, w.queues, w.tasks);
        if (would > 0) {
          w.wake.complete(null);
          grantable -= would;
        }
      }
    } catch (RuntimeException e) {
      // A bug here must not stop the apply loop: the poll still ends at its deadline.
      log.error("waking parked long polls failed; they are answered at their deadline", e);
    }
  }

  /** The workers whose jobs these events took out of RUNNING: each has a slot free again. */
  private static Set<String> workersFreed(List<Event> events, EngineQueries q) {
    Set<String> out = Set.of();
    for (Event e : events) {
      if (e instanceof JobTransitioned t && t.from() == JobState.RUNNING) {
        var holder = q.lastAssignment(t.jobId()).orElse(null);
        if (holder != null) {
          out = out.isEmpty() ? new java.util.HashSet<>() : out;
          out.add(holder.workerId());
        }
      }
    }
    return out;
  }

  private static boolean mayUnblock(List<Event> events) {
    for (Event e : events) {
      if (e instanceof JobTransitioned t
          && (t.to() == JobState.READY || t.from() == JobState.RUNNING)) {
        return true;
      }
    }
    return false;
  }

  /** Waits for a loop's answer; unwraps its refusal. */
  public <T> T await(CompletableFuture<T> future, long extraMillis) {
    if (driven) {
      drive(future);
    }
    try {
      return future.get(driven ? 0 : replyTimeout.toMillis() + extraMillis, TimeUnit.MILLISECONDS);
    } catch (ExecutionException e) {
      if (e.getCause() instanceof RuntimeException r) {
        throw r;
      }
      throw new IllegalStateException("apply loop failed a request", e.getCause());
    } catch (TimeoutException e) {
      throw new EngineLoopException.Unavailable(
          ("no answer from an apply loop within"
                  + " replyTimeout=%s; the request may still be applied")
              .formatted(replyTimeout));
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      throw new EngineLoopException.Unavailable(
          "interrupted while waiting; the request may" + " still apply");
    }
  }

  /** A driven gateway's wait: runs every loop until {@code future} is done or none has work. */
  private void drive(CompletableFuture<?> future) {
    boolean ran = true;
    while (!future.isDone() && ran) {
      ran = false;
      for (EngineLoop l : loops) {
        ran |= l.runUntilIdle() > 0;
      }
    }
  }

  /** Stops every loop (not their backends, which stay the caller's). */
  @Override
  public void close() throws InterruptedException {
    for (EngineLoop l : loops) {
      l.close();
    }
  }
}
