package dev.hourglass.sim;

import dev.hourglass.core.engine.EngineQueries;
import dev.hourglass.core.event.Event;
import dev.hourglass.core.event.Event.JobTransitioned;
import dev.hourglass.core.event.Event.LeaseGranted;
import dev.hourglass.core.event.Outcome;
import dev.hourglass.core.view.JobFilter;
import dev.hourglass.core.view.JobState;
import dev.hourglass.core.view.JobView;
import dev.hourglass.core.view.Page;
import dev.hourglass.runtime.PartitionRouting;
import java.util.ArrayList;
import java.util.EnumMap;
import java.util.HashMap;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;

/*
 * Implementation notes: what the simulator holds the scheduler to, and from what it knows it.
 *
 * Facts come from two places. What clients and workers were told (an answer that reached them):
 * a submit acknowledged, a completion accepted. And what the loop applied, in order, through its
 * applied-events listener, which runs after the batch was forced and before any answer: every
 * lease granted, every job that succeeded. A fact of either kind is durable by the scheduler's
 * promise, so a recovery must keep it.
 *
 * A report (heartbeat, complete, fail, release) is checked when the loop computes its answer,
 * which happens in batch order right after the listener heard the events of the commands before
 * it; so "the newest generation granted so far" is exact at that point, even when a later command
 * of the same batch grants a newer one.
 *
 * Events of a batch whose answers never left the process (a crash between the force and the
 * answers, or during the snapshot after it) were durable but unheard; after each recovery the
 * oracle therefore refreshes what it knows from the recovered state itself.
 *
 * With N partitions every check runs on each partition's engine, and the global ones on all of
 * them: a job lives in exactly one partition, the one its id routes to (PartitionRouting), which
 * is also where every later call by id looks for it; a job's parents live in its partition (a
 * parent's success releases its children inside one engine); an idempotency key names at most
 * one job in all partitions, and every answer to a request with that key names the same job.
 *
 * Not thread-safe: the simulator's thread only (the loop runs on it).
 */

/** The invariants of a simulated run, checked continuously; the first violation is kept. */
final class Oracle {
  private final Set<String> acknowledged = new LinkedHashSet<>();
  private final Map<String, Integer> completedAccepted = new HashMap<>();
  private final Map<String, Integer> succeededApplied = new HashMap<>();
  private final Map<String, Integer> newestGeneration = new HashMap<>();

  /** The job each idempotency key was answered with. */
  private final Map<String, String> jobOfKey = new HashMap<>();

  private String violation;

  String violation() {
    return violation;
  }

  void fail(String what) {
    if (violation == null) {
      violation = what;
    }
  }

  /** The applied-events listener: runs on the loop, after the force, before the answers. */
  void applied(List<Event> events) {
    for (Event e : events) {
      switch (e) {
        case LeaseGranted g -> {
          int before = newestGeneration.getOrDefault(g.jobId(), 0);
          if (g.generation() <= before) {
            fail(
                "generation went backwards: job=%s granted generation=%d after generation=%d"
                    .formatted(g.jobId(), g.generation(), before));
          }
          newestGeneration.put(g.jobId(), g.generation());
        }
        case JobTransitioned t when t.to() == JobState.SUCCEEDED -> {
          if (succeededApplied.merge(t.jobId(), 1, Integer::sum) > 1) {
            fail("a job succeeded twice: job=" + t.jobId());
          }
        }
        default -> {}
      }
    }
  }

  /** A submit (or batch) a client was told succeeded: every named job must survive. */
  void acknowledgedSubmit(List<String> jobIds) {
    acknowledged.addAll(jobIds);
  }

  /** A client was told that its request with idempotency key {@code key} made (or is) a job. */
  void keyAnswered(String key, String jobId) {
    String first = jobOfKey.putIfAbsent(key, jobId);
    if (first != null && !first.equals(jobId)) {
      fail("an idempotency key made two jobs: key=%s jobs %s and %s".formatted(key, first, jobId));
    }
  }

  /**
   * A worker's report, as the loop answers it: one that names an older generation than the newest
   * granted must be refused; an accepted completion must be the job's only one.
   */
  void report(String kind, String jobId, int generation, Outcome outcome) {
    if (!outcome.isApplied()) {
      return;
    }
    int newest = newestGeneration.getOrDefault(jobId, 0);
    if (generation < newest) {
      fail(
          "a report with a stale generation was accepted: %s job=%s generation=%d newest=%d"
              .formatted(kind, jobId, generation, newest));
    }
    if (kind.equals("complete")) {
      Integer first = completedAccepted.putIfAbsent(jobId, generation);
      if (first != null) {
        fail(
            "two accepted completions: job=%s generations %d and %d"
                .formatted(jobId, first, generation));
      }
    }
  }

  /**
   * After a recovery of every partition ({@code parts.get(i)} is partition i): nothing acknowledged
   * is lost, each found where its id routes; no generation went back; then refresh.
   */
  void recovered(List<EngineQueries> parts, int boot) {
    for (String id : acknowledged) {
      if (partOf(parts, id).job(id).isEmpty()) {
        fail("an acknowledged job was lost: job=%s after recovery of boot %d".formatted(id, boot));
        return;
      }
    }
    for (Map.Entry<String, Integer> e : completedAccepted.entrySet()) {
      JobState state = partOf(parts, e.getKey()).state(e.getKey());
      if (state != JobState.SUCCEEDED) {
        fail(
            "an accepted completion was lost: job=%s is %s after recovery of boot %d"
                .formatted(e.getKey(), state, boot));
        return;
      }
    }
    for (JobView job : allJobs(parts)) {
      int newest = newestGeneration.getOrDefault(job.jobId(), 0);
      if (job.generation() < newest) {
        fail(
            "generation went backwards across a crash: job=%s generation=%d newest=%d boot=%d"
                .formatted(job.jobId(), job.generation(), newest, boot));
      }
      newestGeneration.put(job.jobId(), Math.max(newest, job.generation()));
      if (job.state() == JobState.SUCCEEDED) {
        succeededApplied.putIfAbsent(job.jobId(), 1);
      }
    }
  }

  /**
   * The engine's own invariants, from the outside: each job has at most one live lease, a job is
   * RUNNING exactly when it has one, in its current generation; the counts by state match a recount
   * of every held job. Then the invariants across partitions (see the notes).
   */
  void engineInvariants(List<EngineQueries> parts) {
    for (EngineQueries q : parts) {
      engineInvariants(q);
    }
    Map<String, Integer> partitionOfJob = new HashMap<>();
    Map<String, String> jobWithKey = new HashMap<>();
    int n = parts.size();
    for (int p = 0; p < n && violation == null; p++) {
      for (JobView job : allJobs(parts.get(p))) {
        Integer other = partitionOfJob.put(job.jobId(), p);
        int routed = PartitionRouting.partitionOfId(job.jobId(), n);
        if (other != null || routed != p) {
          fail(
              "a job is not where its id routes: job=%s found in partition %d%s, routes to %d"
                  .formatted(job.jobId(), p, other == null ? "" : " and " + other, routed));
          return;
        }
        for (String parent : job.dependsOn()) {
          if (PartitionRouting.partitionOfId(parent, n) != p) {
            fail(
                "a dependency crosses partitions: job=%s in partition %d, parent=%s in %d"
                    .formatted(job.jobId(), p, parent, PartitionRouting.partitionOfId(parent, n)));
            return;
          }
        }
        String key = job.idempotencyKey();
        String first = key == null ? null : jobWithKey.putIfAbsent(key, job.jobId());
        if (first != null) {
          fail(
              "an idempotency key made two jobs: key=%s jobs %s and %s"
                  .formatted(key, first, job.jobId()));
          return;
        }
      }
    }
  }

  private void engineInvariants(EngineQueries q) {
    Map<String, Integer> live = new HashMap<>();
    for (Outcome.Assignment a : q.liveAssignments()) {
      if (live.put(a.jobId(), a.generation()) != null) {
        fail("two live leases of one job: job=" + a.jobId());
        return;
      }
    }
    Map<JobState, Long> recount = new EnumMap<>(JobState.class);
    List<JobView> jobs = allJobs(q);
    for (JobView job : jobs) {
      recount.merge(job.state(), 1L, Long::sum);
      Integer leased = live.get(job.jobId());
      if ((job.state() == JobState.RUNNING) != (leased != null)) {
        fail("job=%s is %s but live lease=%s".formatted(job.jobId(), job.state(), leased));
        return;
      }
      if (leased != null && leased != job.generation()) {
        fail(
            "job=%s live lease in generation %d but the job is in %d"
                .formatted(job.jobId(), leased, job.generation()));
        return;
      }
    }
    for (JobState s : JobState.values()) {
      if (q.count(s) != recount.getOrDefault(s, 0L)) {
        fail(
            "count of %s is %d but a recount finds %d"
                .formatted(s, q.count(s), recount.getOrDefault(s, 0L)));
        return;
      }
    }
    if (jobs.size() != q.jobsHeld()) {
      fail("jobsHeld=%d but a listing finds %d".formatted(q.jobsHeld(), jobs.size()));
    }
  }

  /** Jobs not yet terminal in any partition, by id (for liveness). */
  static List<String> unfinished(List<EngineQueries> parts) {
    List<String> open = new ArrayList<>();
    for (JobView job : allJobs(parts)) {
      if (job.state() != JobState.SUCCEEDED
          && job.state() != JobState.DEAD
          && job.state() != JobState.CANCELLED) {
        open.add(job.jobId() + "=" + job.state());
      }
    }
    return open;
  }

  /** The partition that holds {@code id}: the one its id routes to. */
  static EngineQueries partOf(List<EngineQueries> parts, String id) {
    return parts.get(PartitionRouting.partitionOfId(id, parts.size()));
  }

  static List<JobView> allJobs(List<EngineQueries> parts) {
    List<JobView> all = new ArrayList<>();
    for (EngineQueries q : parts) {
      all.addAll(allJobs(q));
    }
    return all;
  }

  static List<JobView> allJobs(EngineQueries q) {
    List<JobView> all = new ArrayList<>();
    String cursor = null;
    do {
      Page<JobView> page = q.jobs(JobFilter.ALL, cursor, EngineQueries.PAGE_SIZE_MAX);
      all.addAll(page.items());
      cursor = page.nextCursor();
    } while (cursor != null);
    return all;
  }

  int completionsAccepted() {
    return completedAccepted.size();
  }

  int acknowledgedCount() {
    return acknowledged.size();
  }
}
