package dev.hourglass.runtime;

import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.function.IntSupplier;

/**
 * Chooses the partition of each job of a submit (one job or a batch), before any id is generated.
 *
 * <p>Implementation notes. What places a job, strongest first, and why:
 *
 * <ol>
 *   <li>A client-chosen {@code job_id}: every later call names only the id, so the job must live
 *       where its id routes ({@link PartitionRouting#partitionOfId}); that is also what keeps ids
 *       unique over all partitions, since each id has one partition that can hold it.
 *   <li>{@code partition_key}: the key's partition ({@link PartitionRouting#partitionOfKey}).
 *   <li>A parent outside the batch ({@code depends_on}): the parent's partition, from its id. A
 *       child is released by its parent's success inside one engine, so they must share one.
 *   <li>Jobs connected by {@code depends_on} inside the batch form one group that must share a
 *       partition (union-find over the batch).
 * </ol>
 *
 * If two of these name different partitions for one group, the submit is refused ({@link Conflict})
 * and nothing is applied. A group nothing places goes to the partition of its first idempotency key
 * (so that a retried submit of the same request lands, and is deduplicated, in the same partition),
 * else to {@code spread}'s one choice for the whole submit (the caller rotates, so load spreads,
 * while a batch that nothing places stays whole: one atomic command).
 *
 * <p>Stateless and thread-safe; O(jobs + dependencies).
 */
public final class PartitionPlacement {
  private PartitionPlacement() {}

  /**
   * One job of a submit.
   *
   * @param jobId the client-chosen id, or null when the server generates it
   * @param partitionKey the job's {@code partition_key}, or null
   * @param dependsOn parent ids (of existing jobs or of jobs of the same batch)
   * @param idempotencyKey or null
   */
  public record Item(
      String jobId, String partitionKey, List<String> dependsOn, String idempotencyKey) {}

  /** Two rules place one group of jobs in different partitions; nothing was applied. */
  public static final class Conflict extends RuntimeException {
    private static final long serialVersionUID = 1L;

    Conflict(String message) {
      super(message, null, false, false);
    }
  }

  /** Why one job of a group is fixed to a partition, for the conflict message. */
  private record Fixed(int partition, String why) {}

  /**
   * The partition of each item, in order.
   *
   * @throws Conflict when one group of jobs would need two partitions
   */
  public static int[] place(List<Item> items, int partitions, IntSupplier spread) {
    int n = items.size();
    int[] out = new int[n];
    if (partitions == 1) {
      return out;
    }
    Map<String, Integer> indexById = new HashMap<>();
    for (int i = 0; i < n; i++) {
      if (items.get(i).jobId() != null) {
        indexById.putIfAbsent(items.get(i).jobId(), i);
      }
    }
    int[] group = new int[n];
    for (int i = 0; i < n; i++) {
      group[i] = i;
    }
    for (int i = 0; i < n; i++) {
      for (String parent : items.get(i).dependsOn()) {
        Integer j = indexById.get(parent);
        if (j != null) {
          group[find(group, i)] = find(group, j);
        }
      }
    }
    Fixed[] fixed = new Fixed[n]; // by group root
    for (int i = 0; i < n; i++) {
      int root = find(group, i);
      for (Fixed f : fixedBy(items.get(i), i, n, indexById, partitions)) {
        if (fixed[root] == null) {
          fixed[root] = f;
        } else if (fixed[root].partition() != f.partition()) {
          throw new Conflict(
              ("%s, but %s: a job lives in its parents' partition, so the jobs"
                      + " of one pipeline must share one partition; give every job of the pipeline the"
                      + " same partition_key (and client-chosen job_ids the prefix \"<partition_key>~\"),"
                      + " or let the server choose the ids")
                  .formatted(fixed[root].why(), f.why()));
        }
      }
    }
    int spreadTo = -1; // one choice for the whole submit: a batch nothing places stays whole
    for (int i = 0; i < n; i++) {
      int root = find(group, i);
      if (fixed[root] == null) {
        String key = items.get(i).idempotencyKey();
        if (key != null) {
          fixed[root] = new Fixed(PartitionRouting.partitionOfKey(key, partitions), "");
        } else {
          spreadTo = spreadTo >= 0 ? spreadTo : Math.floorMod(spread.getAsInt(), partitions);
          fixed[root] = new Fixed(spreadTo, "");
        }
      }
    }
    for (int i = 0; i < n; i++) {
      out[i] = fixed[find(group, i)].partition();
    }
    return out;
  }

  private static List<Fixed> fixedBy(
      Item item, int index, int n, Map<String, Integer> indexById, int partitions) {
    String job = n == 1 ? "the job" : "jobs[" + index + "]";
    List<Fixed> out = new ArrayList<>(2);
    if (item.jobId() != null) {
      out.add(
          new Fixed(
              PartitionRouting.partitionOfId(item.jobId(), partitions),
              "%s's job_id %s".formatted(job, item.jobId())
                  + " routes to partition "
                  + PartitionRouting.partitionOfId(item.jobId(), partitions)));
    }
    if (item.partitionKey() != null) {
      int p = PartitionRouting.partitionOfKey(item.partitionKey(), partitions);
      out.add(
          new Fixed(
              p,
              "%s's partition_key \"%s\" places it in partition %d"
                  .formatted(job, item.partitionKey(), p)));
    }
    for (String parent : item.dependsOn()) {
      if (!indexById.containsKey(parent)) {
        int p = PartitionRouting.partitionOfId(parent, partitions);
        out.add(new Fixed(p, "%s's parent %s lives in partition %d".formatted(job, parent, p)));
      }
    }
    return out;
  }

  private static int find(int[] group, int i) {
    while (group[i] != i) {
      group[i] = group[group[i]];
      i = group[i];
    }
    return i;
  }
}
