package dev.hourglass.sim;

import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.SplittableRandom;
import org.junit.jupiter.api.Test;

/**
 * The scheduler under simulation: a fixed budget of seeded runs on every build. Each run is named
 * by its seed and replays exactly: {@code -Dsim.seed=S} (with the same {@code -Dsim.steps}). More
 * runs: {@code -Dsim.seeds=N -Dsim.steps=M}. A failure prints its seed, the violated invariant and
 * the shortest trace found by cutting steps, with a {@code -Dsim.keep=...} that replays that trace.
 * See docs/SIMULATION.md.
 */
class SimulationTest {
  static final int SEEDS = Integer.getInteger("sim.seeds", 200);
  static final int STEPS = Integer.getInteger("sim.steps", 400);

  /** Why: shrinking re-runs the simulation; this bounds how long a failure takes to report. */
  /** Runs every seed and lists the failing ones, instead of stopping at the first. */
  static final boolean KEEP_GOING = Boolean.getBoolean("sim.keepGoing");

  static final int SHRINK_RUNS_MAX = Integer.getInteger("sim.shrinkRuns", 400);

  @Test
  void everySeedKeepsEveryInvariant() {
    Long fixed = Long.getLong("sim.seed");
    long[] seeds = fixed != null ? new long[] {fixed} : firstSeeds(SEEDS);
    long started = System.nanoTime();
    long requests = 0;
    long commands = 0;
    long faults = 0;
    long crashes = 0;
    Simulation.Stats sum = new Simulation.Stats();
    List<String> failed = new ArrayList<>();
    // By partition count: runs, requests, faults, scheduler crashes, wall nanos.
    java.util.Map<Integer, long[]> byPartitions = new java.util.TreeMap<>();
    for (long seed : seeds) {
      List<Action> actions = actionsOf(seed);
      Simulation sim = new Simulation(seed, actions);
      long runStarted = System.nanoTime();
      Simulation.Failure failure = sim.run();
      long[] row = byPartitions.computeIfAbsent(sim.stats().partitions, k -> new long[5]);
      row[0]++;
      row[1] += sim.stats().requests;
      row[2] += sim.stats().faults();
      row[3] += sim.stats().crashes;
      row[4] += System.nanoTime() - runStarted;
      if (failure != null && !KEEP_GOING) {
        throw new AssertionError(report(seed, actions, failure));
      }
      if (failure != null) {
        failed.add(seed + " (" + Shrinker.kindOf(failure.violation()) + ")");
      }
      requests += sim.stats().requests;
      commands += sim.stats().commandsLogged;
      faults += sim.stats().faults();
      crashes += sim.stats().crashes;
      add(sum, sim.stats());
    }
    double seconds = (System.nanoTime() - started) / 1e9;
    System.out.printf(
        "simulation: seeds=%d steps=%d wall=%.1fs requests=%d (%.0f/s)"
            + " commandsLogged=%d (%.0f/s) faultsPerRun=%.1f schedulerCrashesPerRun=%.1f%n",
        seeds.length,
        STEPS,
        seconds,
        requests,
        requests / seconds,
        commands,
        commands / seconds,
        (double) faults / seeds.length,
        (double) crashes / seeds.length);
    byPartitions.forEach(
        (n, row) ->
            System.out.printf(
                "simulation: partitions=%d runs=%d"
                    + " requests/s=%.0f faultsPerRun=%.1f schedulerCrashesPerRun=%.1f msPerRun=%.0f%n",
                n,
                row[0],
                row[1] / (row[4] / 1e9),
                (double) row[2] / row[0],
                (double) row[3] / row[0],
                row[4] / 1e6 / row[0]));
    if (!failed.isEmpty()) {
      throw new AssertionError(
          "simulation: %d of %d seeds failed: %s".formatted(failed.size(), seeds.length, failed));
    }
    System.out.printf(
        "simulation totals: acknowledgedJobs=%d completionsAccepted=%d jobsAtEnd=%d"
            + " crashesByPoint=%s restartsDuringRecovery=%d repairs=%d dropped=%d duplicated=%d"
            + " stalls=%d workerCrashes=%d tornTails=%d zeroTails=%d bitFlips=%d"
            + " placementConflicts=%d splitBatches=%d%n",
        sum.acknowledgedJobs,
        sum.completionsAccepted,
        sum.jobsAtEnd,
        sum.crashesByPoint,
        sum.restartsDuringRecovery,
        sum.repairs,
        sum.dropped,
        sum.duplicated,
        sum.stalls,
        sum.workerCrashes,
        sum.tornTails,
        sum.zeroTails,
        sum.bitFlips,
        sum.placementConflicts,
        sum.splitBatches);
  }

  private static void add(Simulation.Stats sum, Simulation.Stats one) {
    sum.acknowledgedJobs += one.acknowledgedJobs;
    sum.completionsAccepted += one.completionsAccepted;
    sum.jobsAtEnd += one.jobsAtEnd;
    one.crashesByPoint.forEach((k, v) -> sum.crashesByPoint.merge(k, v, Integer::sum));
    sum.restartsDuringRecovery += one.restartsDuringRecovery;
    sum.repairs += one.repairs;
    sum.dropped += one.dropped;
    sum.duplicated += one.duplicated;
    sum.stalls += one.stalls;
    sum.workerCrashes += one.workerCrashes;
    sum.tornTails += one.tornTails;
    sum.zeroTails += one.zeroTails;
    sum.bitFlips += one.bitFlips;
    sum.placementConflicts += one.placementConflicts;
    sum.splitBatches += one.splitBatches;
  }

  /** Two runs of one seed make the same choices, see the same faults and end in the same state. */
  @Test
  void aSeedReplaysExactly() {
    for (long seed = 1; seed <= 3; seed++) {
      List<Action> actions = Action.generate(seed, STEPS, Simulation.CLIENTS, Simulation.WORKERS);
      Simulation first = new Simulation(seed, actions);
      Simulation second = new Simulation(seed, actions);
      if (first.run() != null || second.run() != null) {
        throw new AssertionError("seed " + seed + " failed; everySeedKeepsEveryInvariant says how");
      }
      if (!first.stats().fingerprint().equals(second.stats().fingerprint())) {
        throw new AssertionError(
            "seed "
                + seed
                + " did not replay exactly:\n  "
                + first.stats().fingerprint()
                + "\n  "
                + second.stats().fingerprint());
      }
      System.out.println("simulation: seed " + seed + " replayed: " + first.stats().fingerprint());
    }
  }

  /** The CI seeds: fixed, so a build is reproducible; -Dsim.random=true draws fresh ones. */
  static long[] firstSeeds(int n) {
    if (Boolean.getBoolean("sim.random")) {
      return new SplittableRandom().longs(n).toArray();
    }
    long[] seeds = new long[n];
    for (int i = 0; i < n; i++) {
      seeds[i] = i + 1;
    }
    return seeds;
  }

  /** The run's actions, or only the steps {@code -Dsim.keep} lists (a shrunk trace). */
  static List<Action> actionsOf(long seed) {
    List<Action> all = Action.generate(seed, STEPS, Simulation.CLIENTS, Simulation.WORKERS);
    String keep = System.getProperty("sim.keep");
    if (keep == null || keep.isBlank()) {
      return all;
    }
    List<Action> kept = new ArrayList<>();
    for (String i : keep.split(",")) {
      kept.add(all.get(Integer.parseInt(i.strip())));
    }
    return kept;
  }

  /** The seed, the violation and the shortest failing trace found. */
  static String report(long seed, List<Action> actions, Simulation.Failure failure) {
    List<Integer> kept = Shrinker.shrink(seed, actions, failure, SHRINK_RUNS_MAX);
    Simulation.Failure last = new Simulation(seed, pick(actions, kept)).run();
    StringBuilder out = new StringBuilder();
    out.append("simulation failed: seed=")
        .append(seed)
        .append(" steps=")
        .append(actions.size())
        .append("\n  violation: ")
        .append(failure.violation())
        .append("\n  at step ")
        .append(failure.step())
        .append(" of the full run")
        .append("\n  shortest failing trace (")
        .append(kept.size())
        .append(" steps): ")
        .append(last == null ? "(did not fail again)" : last.violation())
        .append('\n');
    for (int i = 0; i < kept.size(); i++) {
      out.append("    ")
          .append(kept.get(i))
          .append(": ")
          .append(actions.get(kept.get(i)))
          .append('\n');
    }
    out.append("  replay: -Dsim.seed=")
        .append(seed)
        .append(" -Dsim.steps=")
        .append(STEPS)
        .append("\n  replay the short trace: -Dsim.seed=")
        .append(seed)
        .append(" -Dsim.steps=")
        .append(STEPS)
        .append(" -Dsim.keep=")
        .append(String.join(",", kept.stream().map(String::valueOf).toList()));
    return out.toString();
  }

  static List<Action> pick(List<Action> actions, List<Integer> indexes) {
    List<Action> picked = new ArrayList<>(indexes.size());
    for (int i : indexes) {
      picked.add(actions.get(i));
    }
    return picked;
  }

  /** Shrinks a failing run by cutting steps while it still fails the same way. */
  static final class Shrinker {
    private Shrinker() {}

    static List<Integer> shrink(
        long seed, List<Action> actions, Simulation.Failure failure, int runsMax) {
      String kind = kindOf(failure.violation());
      int end = failure.step() >= 0 ? failure.step() + 1 : actions.size();
      List<Integer> kept = new ArrayList<>();
      for (int i = 0; i < end; i++) {
        kept.add(i);
      }
      int runs = 0;
      if (!fails(seed, actions, kept, kind)) {
        kept = new ArrayList<>(Arrays.asList(indexes(actions.size())));
      }
      runs++;
      for (int chunk = Math.max(1, kept.size() / 2); chunk >= 1 && runs < runsMax; chunk /= 2) {
        for (int at = 0; at < kept.size() && runs < runsMax; ) {
          List<Integer> candidate = new ArrayList<>(kept);
          candidate.subList(at, Math.min(kept.size(), at + chunk)).clear();
          runs++;
          if (!candidate.isEmpty() && fails(seed, actions, candidate, kind)) {
            kept = candidate;
          } else {
            at += chunk;
          }
        }
      }
      return kept;
    }

    private static Integer[] indexes(int n) {
      Integer[] all = new Integer[n];
      for (int i = 0; i < n; i++) {
        all[i] = i;
      }
      return all;
    }

    private static boolean fails(long seed, List<Action> actions, List<Integer> kept, String kind) {
      Simulation.Failure f = new Simulation(seed, pick(actions, kept)).run();
      return f != null && kindOf(f.violation()).equals(kind);
    }

    /** The invariant's name: the violation's text up to its first colon. */
    static String kindOf(String violation) {
      int colon = violation.indexOf(':');
      return colon < 0 ? violation : violation.substring(0, colon);
    }
  }
}
