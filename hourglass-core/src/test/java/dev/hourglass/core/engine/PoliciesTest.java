package dev.hourglass.core.engine;

import static org.assertj.core.api.Assertions.assertThat;

import dev.hourglass.core.codec.CommandCodec;
import dev.hourglass.core.codec.FastDataInput;
import dev.hourglass.core.command.Command;
import dev.hourglass.core.command.Command.LeaseJobs;
import dev.hourglass.core.command.JobSpec;
import dev.hourglass.core.command.LeaseStrategy;
import dev.hourglass.core.command.RateLimit;
import dev.hourglass.core.event.ErrorCode;
import dev.hourglass.core.event.Event;
import dev.hourglass.core.event.Event.LeaseGranted;
import dev.hourglass.core.event.Outcome;
import dev.hourglass.core.event.Outcome.Applied;
import dev.hourglass.core.view.UnrunnableView;
import java.io.ByteArrayInputStream;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Random;
import java.util.TreeSet;
import org.junit.jupiter.api.Test;

/**
 * Scheduling policies: lease strategies, queue weights, fair share by key, rate limits. The seeded
 * tests run the engine next to a plain reference model written here (a direct simulation of each
 * rule over lists) and compare every grant; they print their seed.
 */
class PoliciesTest {
  private final EngineFixture f = new EngineFixture();

  private void submitTo(String queue, String id, int priority, String key) {
    f.submit(
        new JobSpec(
            id,
            queue,
            "t",
            null,
            priority,
            JobSpec.NO_DEADLINE,
            0,
            List.of(),
            3,
            dev.hourglass.core.command.Backoff.DEFAULT,
            0,
            null,
            null,
            key));
  }

  private List<String> leaseQueues(
      String worker, int max, LeaseStrategy strategy, String... queues) {
    List<String> out = new ArrayList<>();
    for (Event e :
        f.applied(
            new LeaseJobs(f.now, worker, max, List.of(queues), 60_000, List.of(), strategy))) {
      if (e instanceof LeaseGranted g) {
        out.add(f.engine.job(g.jobId()).queue);
      }
    }
    return out;
  }

  /** Registers workers with room for every job a test leases, so capacity never limits one. */
  private static void workers(EngineFixture e, String... ids) {
    for (String id : ids) {
      e.applied(new Command.RegisterWorker(e.now, id, 10_000, List.of(), 3_600_000));
    }
  }

  private void fill(String queue, int n) {
    for (int i = 0; i < n; i++) {
      submitTo(queue, queue + "-" + i, 0, null);
    }
  }

  @Test
  void priorityServesTheOlderQueueFirstAndRoundRobinAlternatesAcrossSingleLeases() {
    workers(f, "rr", "prio");
    fill("qa", 30);
    fill("qb", 30);
    List<String> rr = new ArrayList<>();
    for (int i = 0; i < 20; i++) {
      rr.addAll(leaseQueues("rr", 1, LeaseStrategy.ROUND_ROBIN, "qb", "qa"));
    }
    assertThat(rr).hasSize(20);
    assertThat(rr.stream().filter("qa"::equals).count()).isEqualTo(10);
    for (int i = 1; i < rr.size(); i++) {
      assertThat(rr.get(i)).as("grant %d", i).isNotEqualTo(rr.get(i - 1));
    }
    assertThat(leaseQueues("prio", 5, LeaseStrategy.PRIORITY, "qb", "qa")).containsOnly("qa");
  }

  @Test
  void weightedSharesAreSmoothAndProportional() {
    workers(f, "w");
    fill("qa", 30);
    fill("qb", 30);
    f.applied(new Command.SetQueueWeight(f.now, "qa", 3));
    List<String> got = new ArrayList<>();
    for (int i = 0; i < 20; i++) {
      got.addAll(leaseQueues("w", 1, LeaseStrategy.WEIGHTED, "qa", "qb"));
    }
    assertThat(got.stream().filter("qa"::equals).count()).isEqualTo(15);
    assertThat(String.join(",", got.subList(0, 8))).isEqualTo("qa,qa,qb,qa,qa,qa,qb,qa");
  }

  @Test
  void fifoIgnoresPriority() {
    submitTo("q", "old-low", 0, null);
    submitTo("q", "new-high", 5, null);
    var granted =
        f.applied(new LeaseJobs(f.now, "w", 1, List.of(), 60_000, List.of(), LeaseStrategy.FIFO));
    assertThat(
            ((LeaseGranted)
                    granted.stream()
                        .filter(e -> e instanceof LeaseGranted)
                        .findFirst()
                        .orElseThrow())
                .jobId())
        .isEqualTo("old-low");
  }

  @Test
  void aFairQueueServesASmallKeyBehindABigBacklogWithinOneRound() {
    workers(f, "w0", "w1", "w2");
    f.applied(new Command.SetQueueFairness(f.now, "fair", true, Map.of()));
    for (int i = 0; i < 100; i++) {
      submitTo("fair", "big-" + i, 0, "big");
    }
    for (int i = 0; i < 5; i++) {
      submitTo("fair", "small-" + i, 0, "small");
    }
    List<String> ids = new ArrayList<>();
    for (int i = 0; i < 10; i++) {
      for (Event e : f.applied(new LeaseJobs(f.now, "w" + (i % 3), 1, List.of("fair"), 60_000))) {
        if (e instanceof LeaseGranted g) {
          ids.add(g.jobId());
        }
      }
    }
    assertThat(ids.stream().filter(id -> id.startsWith("small")).count()).isEqualTo(5);
  }

  /**
   * Goal: the jobs of a fair queue share their key's name instead of each keeping the string it
   * arrived with, so a backlog of many jobs over few keys holds one string per key; a plain queue
   * leaves its jobs' keys as they came.
   */
  @Test
  void theJobsOfAFairKeyShareOneStringForItsName() {
    f.applied(new Command.SetQueueFairness(f.now, "fair", true, Map.of()));
    // Distinct instances of one name, as two decoded requests carry.
    submitTo("fair", "a-0", 0, new String("tenant-7"));
    submitTo("fair", "a-1", 0, new String("tenant-7"));
    submitTo("plain", "p-0", 0, new String("tenant-7"));
    String first = f.engine.job("a-0").fairnessKey;
    assertThat(first).isEqualTo("tenant-7");
    assertThat(f.engine.job("a-1").fairnessKey).isSameAs(first);
    assertThat(f.engine.job("p-0").fairnessKey).isEqualTo("tenant-7").isNotSameAs(first);
  }

  /**
   * Goal: a fair key's ring drops the entries of jobs that left READY lazily, so an entry can
   * outlive its job: cancelled in the middle of the ring and then evicted by the finished-jobs
   * bound, it must be skipped, not served, and the jobs around it served in order.
   */
  @Test
  void aRingEntryWhoseJobWasCancelledAndEvictedIsSkipped() {
    var r = new EngineFixture(EngineConfig.DEFAULTS.withFinishedJobsMax(1));
    workers(r, "w");
    r.applied(new Command.SetQueueFairness(r.now, "fair", true, Map.of()));
    for (int i = 0; i < 3; i++) {
      r.submit(JobSpec.of("a-" + i, "t", null).withQueue("fair").withFairnessKey("a"));
    }
    r.applied(new Command.CancelJob(r.now, "a-1", null));
    r.submit("other");
    r.applied(new Command.CancelJob(r.now, "other", null)); // evicts a-1: one finished job kept
    assertThat(r.state("a-1")).isNull();

    List<String> ids = new ArrayList<>();
    for (int i = 0; i < 3; i++) {
      for (Event e : r.applied(new LeaseJobs(r.now, "w", 1, List.of("fair"), 60_000))) {
        if (e instanceof LeaseGranted g) {
          ids.add(g.jobId());
        }
      }
    }
    assertThat(ids).containsExactly("a-0", "a-2");
  }

  private List<String> leaseIds(String worker, int n, String... tasks) {
    List<String> ids = new ArrayList<>();
    for (int i = 0; i < n; i++) {
      for (Event e :
          f.applied(
              new LeaseJobs(
                  f.now,
                  worker,
                  1,
                  List.of("fair"),
                  60_000,
                  List.of(tasks),
                  LeaseStrategy.PRIORITY))) {
        if (e instanceof LeaseGranted g) {
          ids.add(g.jobId());
        }
      }
    }
    return ids;
  }

  /**
   * Goal: a fair queue turns its keys queue-wide, across task types: a key whose jobs are of
   * another task type than the others' does not get a turn of its own per type (and so several jobs
   * in a row), and a worker that runs one task type gets only that type, skipping the keys that
   * have none of it without using up their turn.
   */
  @Test
  void aFairQueueTurnsItsKeysAcrossTaskTypesAndATaskFilterStillHolds() {
    f.applied(new Command.SetQueueFairness(f.now, "fair", true, Map.of()));
    for (String key : List.of("a", "b", "c")) {
      for (int i = 1; i <= 3; i++) {
        f.submit(
            JobSpec.of(key + i, key.equals("b") ? "y" : "x", null)
                .withQueue("fair")
                .withFairnessKey(key));
      }
    }
    workers(f, "any", "xs", "ys");
    assertThat(leaseIds("any", 3)).containsExactly("a1", "b1", "c1");
    assertThat(leaseIds("xs", 3, "x")).containsExactly("a2", "c2", "a3");
    assertThat(leaseIds("any", 2)).containsExactly("b2", "c3");
    assertThat(leaseIds("ys", 2, "y")).containsExactly("b3");
  }

  /**
   * Goal: a key that gets a job of another task type keeps its place in the ring: it is ahead of a
   * key that joined after it, also for a worker of that task type alone, before and after a
   * snapshot.
   */
  @Test
  void aKeyThatGainsATaskTypeKeepsItsPlaceInTheRing() throws Exception {
    f.applied(new Command.SetQueueFairness(f.now, "fair", true, Map.of()));
    f.submit(JobSpec.of("a-x", "x", null).withQueue("fair").withFairnessKey("a"));
    f.submit(JobSpec.of("b-y", "y", null).withQueue("fair").withFairnessKey("b"));
    f.submit(JobSpec.of("c-y", "y", null).withQueue("fair").withFairnessKey("c"));
    f.submit(JobSpec.of("a-y", "y", null).withQueue("fair").withFairnessKey("a"));
    workers(f, "ys");
    Engine restored =
        EngineSnapshot.read(
            new FastDataInput(new ByteArrayInputStream(EngineSnapshot.toBytes(f.engine)), 4096));
    assertThat(leaseIds("ys", 3, "y")).containsExactly("a-y", "b-y", "c-y");
    List<String> fromSnapshot = new ArrayList<>();
    for (Event e :
        ((Applied)
                restored.apply(
                    new LeaseJobs(
                        f.now,
                        "ys",
                        3,
                        List.of("fair"),
                        60_000,
                        List.of("y"),
                        LeaseStrategy.PRIORITY)))
            .events()) {
      if (e instanceof LeaseGranted g) {
        fromSnapshot.add(g.jobId());
      }
    }
    assertThat(fromSnapshot).containsExactly("a-y", "b-y", "c-y");
  }

  /**
   * Goal: a fair queue's jobs live in its ring, yet the counts that views and limits read stay
   * right (a key with jobs of two task types is one active key), and making the queue plain again,
   * and fair again, hands every job back in order.
   */
  @Test
  void aFairQueueCountsItsReadyJobsAndGivesThemBackWhenMadePlain() {
    f.applied(new Command.SetQueueFairness(f.now, "fair", true, Map.of()));
    for (int i = 0; i < 6; i++) { // keys k0..k2, each with one job of task x and one of task y
      f.submit(
          new JobSpec(
              "j" + i,
              "fair",
              i % 2 == 0 ? "x" : "y",
              null,
              i % 3,
              JobSpec.NO_DEADLINE,
              0,
              List.of(),
              3,
              dev.hourglass.core.command.Backoff.DEFAULT,
              0,
              null,
              null,
              "k" + (i % 3)));
    }
    var view = f.engine.queries().queues().get(0);
    assertThat(view.readyByPriority())
        .containsExactly(Map.entry(2, 2L), Map.entry(1, 2L), Map.entry(0, 2L));
    assertThat(view.policy().activeKeys()).isEqualTo(3);
    assertThat(f.engine.queries().unrunnable())
        .extracting(UnrunnableView::ready)
        .containsExactly(3L, 3L);
    workers(f, "w");
    assertThat(leaseIds("w", 2)).containsExactly("j0", "j1");
    f.applied(new Command.SetQueueFairness(f.now, "fair", false, Map.of()));
    assertThat(f.engine.grantableJobsMax()).isEqualTo(4);
    assertThat(leaseIds("w", 2)).containsExactly("j2", "j5");
    f.applied(new Command.SetQueueFairness(f.now, "fair", true, Map.of()));
    assertThat(f.engine.queries().queues().get(0).readyByPriority())
        .containsExactly(Map.entry(1, 1L), Map.entry(0, 1L));
    assertThat(leaseIds("w", 3)).containsExactly("j3", "j4");
    assertThat(f.engine.queries().queues().get(0).readyByPriority()).isEmpty();
  }

  @Test
  void keyWeightsGiveAKeySeveralJobsPerTurnAndPriorityOrdersInsideAKey() {
    f.applied(new Command.SetQueueFairness(f.now, "fair", true, Map.of("gold", 2)));
    submitTo("fair", "g-low", 0, "gold");
    submitTo("fair", "g-mid", 1, "gold");
    submitTo("fair", "g-high", 2, "gold");
    submitTo("fair", "s-1", 0, "silver");
    submitTo("fair", "s-2", 0, "silver");
    List<String> ids = new ArrayList<>();
    for (Event e : f.applied(new LeaseJobs(f.now, "w", 5, List.of("fair"), 60_000))) {
      if (e instanceof LeaseGranted g) {
        ids.add(g.jobId());
      }
    }
    assertThat(ids).containsExactly("g-high", "g-mid", "s-1", "g-low", "s-2");
  }

  @Test
  void aRateLimitedLeaseWaitsForTheNextTokenAndSaysWhenItIsDue() {
    fill("slow", 20);
    f.applied(new Command.SetQueueRate(f.now, "slow", new RateLimit(2_000, 3)));
    assertThat(leaseQueues("w", 10, LeaseStrategy.PRIORITY, "slow")).hasSize(3);
    EngineQueries q = f.engine.queries();
    assertThat(q.wouldGrant("w", 1, List.of("slow"), List.of(), f.now)).isZero();
    long due = q.nextGrantAtMillis("w", List.of("slow"), List.of(), f.now);
    assertThat(due).isEqualTo(f.now + 500); // 2 jobs/s: one token every 500 ms
    assertThat(q.wouldGrant("w", 1, List.of("slow"), List.of(), due - 1)).isZero();
    assertThat(q.wouldGrant("w", 1, List.of("slow"), List.of(), due)).isEqualTo(1);
    f.now = due;
    assertThat(leaseQueues("w", 10, LeaseStrategy.PRIORITY, "slow")).hasSize(1);
    assertThat(q.nextGrantAtMillis("w", List.of("other"), List.of(), f.now))
        .isEqualTo(Long.MAX_VALUE);
  }

  /**
   * Goal: slots a worker reserves for a queue are taken only by that queue's jobs, so a flood of
   * heavy jobs never takes the last slot from light ones; unreserved slots take anything.
   */
  @Test
  void aReservedSlotTakesOnlyItsQueuesJobs() {
    f.applied(
        new Command.RegisterWorker(
            f.now, "w", 3, List.of(), 3_600_000, List.of(), Map.of("light", 1)));
    fill("heavy", 10);
    assertThat(leaseQueues("w", 3, LeaseStrategy.PRIORITY)).containsExactly("heavy", "heavy");
    EngineQueries q = f.engine.queries();
    assertThat(q.wouldGrant("w", 1, List.of(), List.of())).as("only the reserved slot").isZero();
    assertThat(q.nextGrantAtMillis("w", List.of(), List.of(), f.now)).isEqualTo(Long.MAX_VALUE);
    fill("light", 2);
    assertThat(q.wouldGrant("w", 1, List.of(), List.of())).isEqualTo(1);
    assertThat(leaseQueues("w", 3, LeaseStrategy.PRIORITY)).containsExactly("light");
    // Every slot is used now; a finished heavy job frees an unreserved slot for anything.
    Job heavy = f.engine.jobs.get("heavy-0");
    f.applied(new Command.CompleteJob(f.now, heavy.id, "w", heavy.generation, null));
    assertThat(leaseQueues("w", 3, LeaseStrategy.PRIORITY)).containsExactly("heavy");
    assertThat(
            f.rejected(
                    new Command.RegisterWorker(
                        f.now, "w", 2, List.of(), 3_600_000, List.of(), Map.of("light", 3)))
                .detail())
        .contains("capacity=2");
    assertThat(
            f.rejected(
                    new Command.RegisterWorker(
                        f.now, "w", 4, List.of("heavy"), 3_600_000, List.of(), Map.of("light", 1)))
                .detail())
        .contains("does not serve");
  }

  @Test
  void badPolicySettingsAreRejectedAndChangeNothing() {
    assertThat(f.rejected(new Command.SetQueueWeight(f.now, "q", 0)).code())
        .isEqualTo(ErrorCode.INVALID_ARGUMENT);
    assertThat(f.rejected(new Command.SetQueueRate(f.now, "q", new RateLimit(1000, 0))).detail())
        .contains("burst=0");
    assertThat(f.rejected(new Command.SetTaskRate(f.now, "t", new RateLimit(-5, 1))).detail())
        .contains("rate_per_second");
    assertThat(f.rejected(new Command.SetQueueFairness(f.now, "q", true, Map.of("k", 0))).detail())
        .contains("key_weights[k]=0");
    assertThat(f.rejected(new Command.SetQueueFairness(f.now, "q", false, Map.of("k", 2))).detail())
        .contains("need fairness round_robin");
    assertThat(
            f.rejected(new Command.SubmitJob(f.now, JobSpec.of("j", "t", null).withFairnessKey("")))
                .detail())
        .contains("fairness_key");
  }

  // ---------------------------------------------------------------------------------------------
  // Seeded comparisons with a plain model

  /** A READY job as the model sees it. */
  private record MJob(String id, String queue, String task, int priority, long seq, String key) {}

  /** The rules, written as plainly as possible: scans over lists, nothing clever. */
  private static final class Model {
    final List<MJob> ready = new ArrayList<>();
    final Map<String, Integer> weights = new HashMap<>();
    final Map<String, String> lastQueue = new HashMap<>();
    final Map<String, Map<String, Long>> current = new HashMap<>();
    final Map<String, List<String>> rings = new HashMap<>(); // fair queue -> keys, front first
    final Map<String, Map<String, Integer>> used = new HashMap<>(); // fair queue -> key -> jobs
    final Map<String, Map<String, Integer>> keyWeights = new HashMap<>();
    List<String> tasks = List.of(); // the lease's task filter; empty: any

    MJob bestIn(String queue, boolean fifo) {
      List<String> ring = rings.get(queue);
      if (ring == null) {
        return bestOf(queue, null, fifo);
      }
      // A fair queue: the first key in the ring with a job the lease may run, across task types.
      for (String key : ring) {
        MJob best = bestOf(queue, key, false);
        if (best != null) {
          return best;
        }
      }
      return null;
    }

    private MJob bestOf(String queue, String key, boolean fifo) {
      MJob best = null;
      for (MJob j : ready) {
        if (!j.queue.equals(queue)
            || key != null && !j.key.equals(key)
            || !tasks.isEmpty() && !tasks.contains(j.task)) {
          continue;
        }
        // In a fair queue the key's own order (priority) holds under every strategy.
        if (best == null
            || (fifo
                ? j.seq < best.seq
                : j.priority > best.priority || j.priority == best.priority && j.seq < best.seq)) {
          best = j;
        }
      }
      return best;
    }

    /** A fair queue's ring from scratch: its keys in the order of their oldest ready job. */
    void makeFair(String queue, Map<String, Integer> weights) {
      List<String> ring = new ArrayList<>();
      List<MJob> oldestFirst = new ArrayList<>(ready); // a released job is back out of order
      oldestFirst.sort(java.util.Comparator.comparingLong(MJob::seq));
      for (MJob j : oldestFirst) {
        if (j.queue.equals(queue) && !ring.contains(j.key)) {
          ring.add(j.key);
        }
      }
      rings.put(queue, ring);
      used.put(queue, new HashMap<>());
      keyWeights.put(queue, weights);
    }

    MJob pick(String worker, List<String> queues, LeaseStrategy s) {
      switch (s) {
        case PRIORITY, FIFO -> {
          MJob best = null;
          for (String q : queues) {
            MJob j = bestIn(q, s == LeaseStrategy.FIFO);
            if (j != null
                && (best == null
                    || (s == LeaseStrategy.FIFO
                        ? j.seq < best.seq
                        : j.priority > best.priority
                            || j.priority == best.priority && j.seq < best.seq))) {
              best = j;
            }
          }
          return best;
        }
        case ROUND_ROBIN -> {
          int start = queues.indexOf(lastQueue.get(worker)) + 1;
          for (int i = 0; i < queues.size(); i++) {
            String q = queues.get((start + i) % queues.size());
            MJob j = bestIn(q, false);
            if (j != null) {
              lastQueue.put(worker, q);
              return j;
            }
          }
          return null;
        }
        case WEIGHTED -> {
          Map<String, Long> cw = current.computeIfAbsent(worker, k -> new HashMap<>());
          long total = 0;
          String pickQ = null;
          MJob pick = null;
          for (String q : queues) {
            MJob j = bestIn(q, false);
            if (j == null) {
              continue;
            }
            int w = weights.getOrDefault(q, 1);
            cw.merge(q, (long) w, Long::sum);
            total += w;
            if (pick == null || cw.get(q) > cw.get(pickQ)) {
              pick = j;
              pickQ = q;
            }
          }
          if (pick != null) {
            cw.merge(pickQ, -total, Long::sum);
          }
          return pick;
        }
      }
      throw new AssertionError(s);
    }

    void add(MJob j) {
      ready.add(j);
      List<String> ring = rings.get(j.queue);
      if (ring != null && !ring.contains(j.key)) {
        ring.add(j.key);
      }
    }

    /** A key that had its weight in jobs goes to the back; one with no ready job leaves. */
    void grant(MJob j) {
      List<String> ring = rings.get(j.queue);
      if (ring != null) {
        Map<String, Integer> u = used.get(j.queue);
        int n = u.getOrDefault(j.key, 0) + 1;
        if (n >= keyWeights.get(j.queue).getOrDefault(j.key, 1)) {
          ring.remove(j.key);
          ring.add(j.key);
          n = 0;
        }
        u.put(j.key, n);
      }
      leave(j);
    }

    /** A job leaves READY (leased or cancelled); a key with no ready job left leaves the ring. */
    void leave(MJob j) {
      ready.remove(j);
      List<String> ring = rings.get(j.queue);
      if (ring != null
          && ready.stream().noneMatch(r -> r.queue.equals(j.queue) && r.key.equals(j.key))) {
        ring.remove(j.key);
        used.get(j.queue).remove(j.key);
      }
    }
  }

  /**
   * Goal: over random submits (random queue, task type, priority, key), cancels, releases, weight
   * changes, a queue made fair and plain again, and leases (random worker, size, queue list, task
   * filter and strategy), the engine grants exactly the jobs the model does, in the same order; and
   * the same commands replayed, through the codec and from a mid-run snapshot, give the same state.
   */
  @Test
  void grantsMatchThePlainModelForEveryStrategy() throws Exception {
    long seed = Long.getLong("policies.seed", new Random().nextLong());
    System.out.println("PoliciesTest.grantsMatchThePlainModelForEveryStrategy seed=" + seed);
    for (int run = 0; run < 20; run++) {
      compareWithModel(new Random(seed + run), seed + run);
    }
  }

  private void compareWithModel(Random rnd, long seed) throws Exception {
    Engine engine = new Engine();
    Model model = new Model();
    List<Command> log = new ArrayList<>();
    List<String> queues = List.of("a", "b", "c", "d");
    Map<String, MJob> byId = new HashMap<>();
    Map<String, LeaseGranted> leased = new HashMap<>();
    List<String> leasedIds = new ArrayList<>(); // in grant order, so the pick is seeded
    long now = 1_000;
    long seq = 0;
    List<String> taskTypes = List.of("t", "u", "v");
    Map<String, Integer> kw = new LinkedHashMap<>();
    kw.put("k0", 1 + rnd.nextInt(3));
    if (rnd.nextBoolean()) {
      log.add(new Command.SetQueueFairness(now, "c", true, kw));
      model.makeFair("c", kw);
    }
    byte[] mid = null;
    int midAt = 0;
    int granted = 0;
    for (int w = 0; w < 3; w++) {
      // w0 reserves slots: with this capacity they never bind, but they go through the codec
      // and the snapshot like the rest of the state.
      log.add(
          new Command.RegisterWorker(
              now,
              "w" + w,
              10_000,
              List.of(),
              3_600_000,
              List.of(),
              w == 0 ? Map.of("a", 2) : Map.of()));
    }
    for (Command c : log) {
      assertThat(engine.apply(c)).isInstanceOf(Applied.class);
    }
    for (int step = 0; step < 400; step++) {
      now += rnd.nextInt(3);
      int what = rnd.nextInt(10);
      Command c;
      if (what == 6 && rnd.nextInt(3) == 0) {
        // A READY job cancelled, or a leased one released back to READY (out of order).
        if (rnd.nextBoolean() && !model.ready.isEmpty()) {
          MJob j = model.ready.get(rnd.nextInt(model.ready.size()));
          c = new Command.CancelJob(now, j.id(), "test");
          model.leave(j);
        } else if (!leasedIds.isEmpty()) {
          String id = leasedIds.remove(rnd.nextInt(leasedIds.size()));
          LeaseGranted g = leased.remove(id);
          c = new Command.ReleaseJob(now, id, g.workerId(), g.generation());
          model.add(byId.get(id));
        } else {
          continue;
        }
      } else if (what < 5) {
        String q = queues.get(rnd.nextInt(queues.size()));
        String key = "k" + rnd.nextInt(4);
        String task = taskTypes.get(rnd.nextInt(taskTypes.size()));
        int prio = rnd.nextInt(3);
        String id = "j" + step;
        c =
            new Command.SubmitJob(
                now,
                new JobSpec(
                    id,
                    q,
                    task,
                    null,
                    prio,
                    JobSpec.NO_DEADLINE,
                    0,
                    List.of(),
                    3,
                    dev.hourglass.core.command.Backoff.DEFAULT,
                    0,
                    null,
                    null,
                    key));
        MJob j = new MJob(id, q, task, prio, ++seq, key);
        byId.put(id, j);
        model.add(j);
      } else if (what == 5 && rnd.nextInt(8) == 0) {
        boolean fair = !model.rings.containsKey("c");
        c = new Command.SetQueueFairness(now, "c", fair, fair ? kw : Map.of());
        if (fair) {
          model.makeFair("c", kw);
        } else {
          model.rings.remove("c");
        }
      } else if (what == 5) {
        String q = queues.get(rnd.nextInt(queues.size()));
        int w = 1 + rnd.nextInt(4);
        c = new Command.SetQueueWeight(now, q, w);
        model.weights.put(q, w);
      } else {
        String worker = "w" + rnd.nextInt(3);
        List<String> served = new ArrayList<>(queues);
        java.util.Collections.shuffle(served, rnd);
        served = served.subList(0, 1 + rnd.nextInt(served.size()));
        LeaseStrategy s = LeaseStrategy.values()[rnd.nextInt(4)];
        int max = 1 + rnd.nextInt(3);
        List<String> tasks = new ArrayList<>(taskTypes);
        java.util.Collections.shuffle(tasks, rnd);
        tasks = rnd.nextInt(3) == 0 ? List.of() : List.copyOf(tasks.subList(0, 1 + rnd.nextInt(2)));
        model.tasks = tasks;
        c = new LeaseJobs(now, worker, max, served, 60_000, tasks, s);
        List<String> expected = new ArrayList<>();
        for (int i = 0; i < max; i++) {
          MJob j = model.pick(worker, served, s);
          if (j == null) {
            break;
          }
          model.grant(j);
          expected.add(j.id);
        }
        Outcome o = engine.apply(c);
        log.add(c);
        List<String> got = new ArrayList<>();
        for (Event e : ((Applied) o).events()) {
          if (e instanceof LeaseGranted g) {
            got.add(g.jobId());
            leased.put(g.jobId(), g);
            leasedIds.add(g.jobId());
          }
        }
        assertThat(got).as("seed=%d step=%d %s", seed, step, c).isEqualTo(expected);
        granted += got.size();
        continue;
      }
      assertThat(engine.apply(c)).as("seed=%d %s", seed, c).isInstanceOf(Applied.class);
      log.add(c);
      if (step == 200) {
        mid = EngineSnapshot.toBytes(engine);
        midAt = log.size();
      }
    }
    assertThat(granted).as("seed=%d: the run granted jobs", seed).isGreaterThan(50);
    checkReplays(engine, log, mid, midAt, seed);
  }

  private static void checkReplays(
      Engine engine, List<Command> log, byte[] mid, int midAt, long seed) throws Exception {
    Engine replayed = new Engine();
    Engine decoded = new Engine();
    for (Command c : log) {
      replayed.apply(c);
      decoded.apply(CommandCodec.decode(CommandCodec.encode(c)));
    }
    byte[] expected = EngineSnapshot.toBytes(engine);
    assertThat(Arrays.equals(EngineSnapshot.toBytes(replayed), expected))
        .as("replay seed=%d", seed)
        .isTrue();
    assertThat(Arrays.equals(EngineSnapshot.toBytes(decoded), expected))
        .as("codec seed=%d", seed)
        .isTrue();
    if (mid == null) {
      return;
    }
    Engine restored = EngineSnapshot.read(new FastDataInput(new ByteArrayInputStream(mid), 4096));
    assertThat(Arrays.equals(EngineSnapshot.toBytes(restored), mid))
        .as("snapshot round trip" + " seed=%d", seed)
        .isTrue();
    for (Command c : log.subList(midAt, log.size())) {
      restored.apply(c);
    }
    assertThat(Arrays.equals(EngineSnapshot.toBytes(restored), expected))
        .as("snapshot + rest of log, seed=%d", seed)
        .isTrue();
  }

  /**
   * Goal: with every queue backlogged, any window of sum(weights) consecutive weighted grants holds
   * each queue within one job of its exact share.
   */
  @Test
  void weightedSharesHoldOverEveryWindow() {
    long seed = Long.getLong("policies.seed", new Random().nextLong());
    System.out.println("PoliciesTest.weightedSharesHoldOverEveryWindow seed=" + seed);
    Random rnd = new Random(seed);
    for (int run = 0; run < 10; run++) {
      EngineFixture e = new EngineFixture();
      workers(e, "w");
      int n = 2 + rnd.nextInt(3);
      List<String> queues = new ArrayList<>();
      Map<String, Integer> w = new HashMap<>();
      int sum = 0;
      for (int i = 0; i < n; i++) {
        String q = "q" + i;
        queues.add(q);
        w.put(q, 1 + rnd.nextInt(5));
        sum += w.get(q);
        e.applied(new Command.SetQueueWeight(e.now, q, w.get(q)));
      }
      int grants = sum * 6;
      for (String q : queues) {
        for (int i = 0; i < grants; i++) {
          e.submit(JobSpec.of(q + "-" + i, "t", null).withQueue(q));
        }
      }
      List<String> got = new ArrayList<>();
      while (got.size() < grants) {
        for (Event ev :
            e.applied(
                new LeaseJobs(
                    e.now,
                    "w",
                    1 + rnd.nextInt(3),
                    queues,
                    60_000,
                    List.of(),
                    LeaseStrategy.WEIGHTED))) {
          if (ev instanceof LeaseGranted g) {
            got.add(e.engine.job(g.jobId()).queue);
          }
        }
      }
      for (int from = 0; from + sum <= got.size(); from++) {
        List<String> window = got.subList(from, from + sum);
        for (String q : queues) {
          long count = window.stream().filter(q::equals).count();
          assertThat(Math.abs(count - w.get(q)))
              .as("seed=%d run=%d window at %d, queue %s", seed, run, from, q)
              .isLessThanOrEqualTo(1);
        }
      }
    }
  }

  /**
   * Goal: in a fair queue, a key that gets a ready job while it has none gets a grant within as
   * many grants as there are keys with ready jobs at that moment (unit key weights).
   */
  @Test
  void aNewlyActiveKeyIsServedWithinOneRound() {
    long seed = Long.getLong("policies.seed", new Random().nextLong());
    System.out.println("PoliciesTest.aNewlyActiveKeyIsServedWithinOneRound seed=" + seed);
    Random rnd = new Random(seed);
    EngineFixture e = new EngineFixture();
    e.applied(new Command.SetQueueFairness(e.now, "f", true, Map.of()));
    Map<String, Integer> readyByKey = new HashMap<>();
    Map<String, Integer> deadline = new HashMap<>(); // key -> grants left to serve it
    int grants = 0;
    for (int step = 0; step < 5_000; step++) {
      if (rnd.nextInt(3) > 0) {
        String key = "k" + rnd.nextInt(1 + rnd.nextInt(50));
        int before = readyByKey.getOrDefault(key, 0);
        if (before == 0) {
          deadline.put(key, (int) readyByKey.values().stream().filter(v -> v > 0).count() + 1);
        }
        readyByKey.put(key, before + 1);
        e.submit(
            JobSpec.of("j" + step, "t", null)
                .withQueue("f")
                .withFairnessKey(key)
                .withPriority(rnd.nextInt(3)));
      } else {
        for (Event ev :
            e.applied(new LeaseJobs(e.now, "w" + rnd.nextInt(4), 1, List.of("f"), 60_000))) {
          if (ev instanceof LeaseGranted g) {
            grants++;
            String key = e.engine.job(g.jobId()).fairnessKey;
            readyByKey.merge(key, -1, Integer::sum);
            deadline.remove(key);
            for (var d : new ArrayList<>(deadline.entrySet())) {
              assertThat(d.getValue() - 1)
                  .as("seed=%d grant %d: key %s still waits", seed, grants, d.getKey())
                  .isGreaterThan(0);
              d.setValue(d.getValue() - 1);
            }
            e.complete(g);
          }
        }
      }
    }
    assertThat(grants).isGreaterThan(100);
  }

  /**
   * Goal: a rate limit of R/s with burst B never grants more than B + R x T/1000 (rounded up) in
   * any window of T ms, over random lease times on command time; and it does grant about at the
   * rate when polled often. Replay a seed with -Dpolicies.seed=N.
   */
  @Test
  void aRateLimitIsNeverExceededOverAnyWindow() {
    long seed = Long.getLong("policies.seed", new Random().nextLong());
    System.out.println("PoliciesTest.aRateLimitIsNeverExceededOverAnyWindow seed=" + seed);
    Random rnd = new Random(seed);
    for (int run = 0; run < 5; run++) {
      EngineFixture e = new EngineFixture();
      workers(e, "w0", "w1", "w2");
      long rateMilli = 1_000 * (1 + rnd.nextInt(20)) + rnd.nextInt(1000);
      int burst = 1 + rnd.nextInt(10);
      boolean perTask = rnd.nextBoolean();
      e.applied(
          perTask
              ? new Command.SetTaskRate(e.now, "t", new RateLimit(rateMilli, burst))
              : new Command.SetQueueRate(e.now, "q", new RateLimit(rateMilli, burst)));
      for (int i = 0; i < 2_000; i++) {
        e.submit(JobSpec.of("j" + i, "t", null).withQueue("q"));
      }
      long start = e.now;
      TreeSet<Long> times = new TreeSet<>();
      List<Long> grantTimes = new ArrayList<>();
      while (e.now - start < 3_000) {
        e.now += rnd.nextInt(40);
        for (Event ev :
            e.applied(
                new LeaseJobs(
                    e.now, "w" + rnd.nextInt(3), 1 + rnd.nextInt(8), List.of("q"), 60_000))) {
          if (ev instanceof LeaseGranted) {
            grantTimes.add(e.now);
            times.add(e.now);
          }
        }
      }
      for (long from : times) {
        for (long len : new long[] {1, 100, 999, 1_000, 2_000, 3_000}) {
          long count = grantTimes.stream().filter(t -> t >= from && t < from + len).count();
          long bound = burst + (rateMilli * len + 999_999) / 1_000_000;
          assertThat(count)
              .as(
                  "seed=%d run=%d window [%d, +%d) rate=%d burst=%d",
                  seed, run, from - start, len, rateMilli, burst)
              .isLessThanOrEqualTo(bound);
        }
      }
      // A full bucket stops filling until the next poll, at most 39 ms later: so each token
      // takes at most one token period plus one poll gap.
      long elapsed = e.now - start;
      long periodMillis = (1_000_000 + rateMilli - 1) / rateMilli + 40;
      assertThat((long) grantTimes.size())
          .as("seed=%d run=%d grants at the rate", seed, run)
          .isGreaterThanOrEqualTo(elapsed / periodMillis - 1);
    }
  }

  @Test
  void policyCommandsSurviveTheCodec() throws Exception {
    List<Command> commands =
        List.of(
            new LeaseJobs(5, "w", 2, List.of("a"), 100, List.of(), LeaseStrategy.WEIGHTED),
            new LeaseJobs(5, "w", 2, List.of(), 100, List.of("t"), LeaseStrategy.FIFO),
            new Command.SetQueueWeight(6, "a", 3),
            new Command.RegisterWorker(6, "w", 4, List.of(), 100, List.of(), Map.of("light", 2)),
            new Command.RegisterWorker(6, "w", 4, List.of(), 100, List.of("t"), Map.of("light", 2)),
            new Command.SetQueueRate(7, "a", new RateLimit(1500, 4)),
            new Command.SetTaskRate(8, "t", RateLimit.NONE),
            new Command.SetQueueFairness(9, "a", true, new LinkedHashMap<>(Map.of("gold", 4))),
            new Command.SubmitJob(10, JobSpec.of("j", "t", null).withFairnessKey("tenant")),
            new Command.SubmitJobs(
                11,
                List.of(
                    JobSpec.of("j1", "t", null),
                    JobSpec.of("j2", "t", null).withFairnessKey("x"))));
    for (Command c : commands) {
      assertThat(CommandCodec.decode(CommandCodec.encode(c))).isEqualTo(c);
    }
    assertThat(CommandCodec.encode(new LeaseJobs(5, "w", 2, List.of(), 100, List.of()))[1])
        .as("a priority lease keeps its old tag")
        .isEqualTo((byte) 8);
  }
}
