package dev.hourglass.server;

import dev.hourglass.core.command.RateLimit;
import dev.hourglass.core.engine.EngineQueries;
import dev.hourglass.core.view.JobFilter;
import dev.hourglass.core.view.JobState;
import dev.hourglass.core.view.JobView;
import dev.hourglass.core.view.Page;
import dev.hourglass.core.view.QueueView;
import dev.hourglass.core.view.TaskLimitView;
import dev.hourglass.core.view.UnrunnableView;
import dev.hourglass.core.view.WorkerView;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;

/**
 * What the API answers about the whole node, merged from each partition's own view: queues and
 * counts summed, workers merged by id, dead letters and job pages merged in a stable order. With
 * one partition every merge returns that partition's view unchanged. Stateless.
 *
 * <p>Job pages over several partitions use a composite cursor: one position per partition, joined
 * by {@code .}: {@code s} (not started), {@code x} (exhausted) or the partition's own cursor. A
 * page takes jobs newest first by creation time over all partitions (ties: lower partition first);
 * every job appears on exactly one page of a listing.
 */
final class PartitionViews {
  private PartitionViews() {}

  /** One partition's queues, workers and unrunnable jobs. */
  record Part(List<QueueView> queues, List<WorkerView> workers, List<UnrunnableView> unrunnable) {}

  /** One partition's figures for {@code /stats} and {@code /partitions}. */
  record Stats(Map<JobState, Long> counts, long jobsHeld, long unrunnable, long nextWakeupMillis) {}

  /** A job of a partition's scan, with the cursor that continues after it. */
  record Positioned(JobView job, String cursorAfter, int partition) {}

  /** A partition's scan for one page: its jobs, and where the scan stopped (null: the end). */
  record Scan(List<Positioned> jobs, String endCursor) {}

  static List<QueueView> queues(List<Part> parts) {
    if (parts.size() == 1) {
      return parts.get(0).queues();
    }
    Map<String, QueueView> merged = new LinkedHashMap<>();
    for (Part p : parts) {
      for (QueueView q : p.queues()) {
        merged.merge(q.name(), q, PartitionViews::sum);
      }
    }
    return List.copyOf(merged.values());
  }

  /** One queue over two partitions: limits and counts add up; paused if paused anywhere. */
  private static QueueView sum(QueueView a, QueueView b) {
    Map<JobState, Long> counts = new LinkedHashMap<>(a.countsByState());
    b.countsByState().forEach((s, n) -> counts.merge(s, n, Long::sum));
    Map<Integer, Long> ready = new TreeMap<>(Comparator.reverseOrder());
    ready.putAll(a.readyByPriority());
    b.readyByPriority().forEach((p, n) -> ready.merge(p, n, Long::sum));
    return new QueueView(
        a.name(),
        a.paused() || b.paused(),
        a.maxRunning() + b.maxRunning(),
        a.running() + b.running(),
        counts,
        ready,
        sum(a.policy(), b.policy()));
  }

  /**
   * One queue's policy over two partitions: the weight and fairness are set alike on each, the rate
   * limit is split (its shares add up, as max_running's do), and active keys add up.
   */
  private static QueueView.Policy sum(QueueView.Policy a, QueueView.Policy b) {
    RateLimit rate =
        a.rate().isNone() && b.rate().isNone()
            ? RateLimit.NONE
            : new RateLimit(
                a.rate().milliPerSecond() + b.rate().milliPerSecond(),
                a.rate().burst() + b.rate().burst());
    return new QueueView.Policy(
        a.weight(), rate, a.fair() || b.fair(), a.keyWeights(), a.activeKeys() + b.activeKeys());
  }

  /**
   * The task types with a limit over every partition, by task name: each partition holds a share of
   * a limit, and the shares add up to what the user set (rates in exact thousandths, so the sum is
   * exact too). Every partition holds a share of each limit (at least 1), so a task that no
   * partition lists has none.
   */
  static List<TaskLimitView> taskLimits(List<List<TaskLimitView>> byPartition) {
    Map<String, TaskLimitView> merged = new TreeMap<>();
    for (List<TaskLimitView> p : byPartition) {
      for (TaskLimitView t : p) {
        merged.merge(t.task(), t, PartitionViews::sum);
      }
    }
    return List.copyOf(merged.values());
  }

  /** One task type's limits over two partitions: limits, running counts and rates add up. */
  static TaskLimitView sum(TaskLimitView a, TaskLimitView b) {
    return new TaskLimitView(
        a.task(),
        a.maxRunning() + b.maxRunning(),
        a.running() + b.running(),
        new RateLimit(
            a.rate().milliPerSecond() + b.rate().milliPerSecond(),
            a.rate().burst() + b.rate().burst()));
  }

  static List<WorkerView> workers(List<Part> parts) {
    if (parts.size() == 1) {
      return parts.get(0).workers();
    }
    Map<String, WorkerView> merged = new LinkedHashMap<>();
    for (Part p : parts) {
      for (WorkerView w : p.workers()) {
        merged.merge(w.workerId(), w, PartitionViews::sum);
      }
    }
    return List.copyOf(merged.values());
  }

  /** One worker as two partitions know it: its leases add up; alive if alive anywhere. */
  private static WorkerView sum(WorkerView a, WorkerView b) {
    WorkerView newer = b.lastSeenMillis() > a.lastSeenMillis() ? b : a;
    return new WorkerView(
        a.workerId(),
        newer.capacity(),
        newer.queues(),
        a.inFlight() + b.inFlight(),
        newer.lastSeenMillis(),
        newer.heartbeatTimeoutMillis(),
        a.alive() || b.alive(),
        newer.tasks(),
        newer.reserve());
  }

  static List<UnrunnableView> unrunnable(List<Part> parts) {
    if (parts.size() == 1) {
      return parts.get(0).unrunnable();
    }
    Map<List<String>, Long> merged = new LinkedHashMap<>();
    for (Part p : parts) {
      for (UnrunnableView u : p.unrunnable()) {
        merged.merge(List.of(u.queue(), u.task()), u.ready(), Long::sum);
      }
    }
    List<UnrunnableView> out = new ArrayList<>(merged.size());
    merged.forEach((k, n) -> out.add(new UnrunnableView(k.get(0), k.get(1), n)));
    return out;
  }

  static Map<JobState, Long> counts(List<Stats> stats) {
    Map<JobState, Long> out = new LinkedHashMap<>(stats.get(0).counts());
    for (int p = 1; p < stats.size(); p++) {
      stats.get(p).counts().forEach((s, n) -> out.merge(s, n, Long::sum));
    }
    return out;
  }

  /** Workers by id over every partition's page after the same cursor (each ordered by id). */
  static Page<WorkerView> workers(List<Page<WorkerView>> pages, int limit) {
    if (pages.size() == 1) {
      return pages.get(0);
    }
    TreeMap<String, WorkerView> merged = new TreeMap<>();
    boolean more = false;
    for (Page<WorkerView> page : pages) {
      more |= page.nextCursor() != null;
      for (WorkerView w : page.items()) {
        merged.merge(w.workerId(), w, PartitionViews::sum);
      }
    }
    List<WorkerView> items = new ArrayList<>(merged.values());
    if (items.size() > limit) {
      items = items.subList(0, limit);
      more = true;
    }
    String next = more && !items.isEmpty() ? items.get(items.size() - 1).workerId() : null;
    return new Page<>(List.copyOf(items), next);
  }

  /** The dead letters of every partition, oldest death first (ties: lower partition). */
  static List<Wire.Job> deadLetters(List<List<JobView>> byPartition, int limit) {
    List<Wire.Job> out = new ArrayList<>();
    if (byPartition.size() == 1) {
      byPartition.get(0).forEach(j -> out.add(Wire.Job.of(j, 0)));
      return out;
    }
    List<Positioned> all = new ArrayList<>();
    for (int p = 0; p < byPartition.size(); p++) {
      for (JobView j : byPartition.get(p)) {
        all.add(new Positioned(j, null, p));
      }
    }
    all.sort(
        Comparator.comparingLong((Positioned x) -> x.job().finishedAtMillis())
            .thenComparingInt(Positioned::partition));
    for (int i = 0; i < all.size() && i < limit; i++) {
      out.add(Wire.Job.of(all.get(i).job(), all.get(i).partition()));
    }
    return out;
  }

  /** Every partition's schedules; by schedule id when there are several partitions. */
  static List<Wire.Schedule> schedules(List<List<Wire.Schedule>> byPartition) {
    if (byPartition.size() == 1) {
      return byPartition.get(0);
    }
    List<Wire.Schedule> out = new ArrayList<>();
    byPartition.forEach(out::addAll);
    out.sort(Comparator.comparing(Wire.Schedule::scheduleId));
    return out;
  }

  // ---------------------------------------------------------------------------------------------
  // Job pages over partitions

  /**
   * Each partition's cursor from a composite one: "" to start, null when exhausted.
   *
   * @throws ApiException 400 for a cursor this server did not issue
   */
  static String[] splitCursor(String cursor, int partitions) {
    String[] out = new String[partitions];
    if (cursor == null || cursor.isEmpty()) {
      java.util.Arrays.fill(out, "");
      return out;
    }
    String[] each = cursor.split("\\.", -1);
    if (each.length != partitions) {
      throw badCursor(cursor);
    }
    for (int p = 0; p < partitions; p++) {
      String c = each[p];
      if (c.equals("s")) {
        out[p] = "";
      } else if (c.equals("x")) {
        out[p] = null;
      } else if (!c.isEmpty() && c.length() <= 19 && c.chars().allMatch(Character::isDigit)) {
        out[p] = c;
      } else {
        throw badCursor(cursor);
      }
    }
    return out;
  }

  private static ApiException badCursor(String cursor) {
    return ApiException.badRequest(
        "INVALID_ARGUMENT",
        "cursor \""
            + JobSpecs.abbreviate(cursor)
            + "\" is not one this server issued; pass the next_cursor of the previous page");
  }

  /**
   * Loop thread: up to {@code limit} jobs of one partition after {@code cursor}, each with the
   * cursor after it, so that a merged page can stop anywhere in this partition's run.
   */
  static Scan positioned(
      EngineQueries q, JobFilter filter, String cursor, int limit, int partition) {
    List<Positioned> out = new ArrayList<>();
    String c = cursor;
    for (int i = 0; i < limit; i++) {
      Page<JobView> page = q.jobs(filter, c, 1);
      c = page.nextCursor();
      if (page.items().isEmpty()) {
        break; // the scan budget ran out (c goes on) or the partition ended (c is null)
      }
      out.add(new Positioned(page.items().get(0), c, partition));
      if (c == null) {
        break;
      }
    }
    return new Scan(out, c);
  }

  /** One page from every partition's scan, newest first; the composite cursor goes on. */
  static Page<Wire.Job> mergeJobs(List<Scan> scans, String[] cursors, int limit) {
    int n = scans.size();
    int[] taken = new int[n];
    List<Wire.Job> items = new ArrayList<>(limit);
    while (items.size() < limit) {
      int best = -1;
      for (int p = 0; p < n; p++) {
        if (taken[p] < scans.get(p).jobs().size()
            && (best < 0
                || scans.get(p).jobs().get(taken[p]).job().createdAtMillis()
                    > scans.get(best).jobs().get(taken[best]).job().createdAtMillis())) {
          best = p;
        }
      }
      if (best < 0) {
        break;
      }
      Positioned x = scans.get(best).jobs().get(taken[best]++);
      items.add(Wire.Job.of(x.job(), best));
    }
    StringBuilder next = new StringBuilder();
    boolean more = false;
    for (int p = 0; p < n; p++) {
      Scan scan = scans.get(p);
      String c;
      if (cursors[p] == null) {
        c = null;
      } else if (taken[p] == scan.jobs().size()) {
        c = scan.endCursor();
      } else {
        c = taken[p] == 0 ? cursors[p] : scan.jobs().get(taken[p] - 1).cursorAfter();
      }
      more |= c != null;
      next.append(p == 0 ? "" : ".").append(c == null ? "x" : c.isEmpty() ? "s" : c);
    }
    return new Page<>(items, more ? next.toString() : null);
  }
}
