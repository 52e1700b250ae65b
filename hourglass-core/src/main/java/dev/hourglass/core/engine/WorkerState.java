package dev.hourglass.core.engine;

import java.util.List;
import java.util.Set;

/**
 * A worker as the engine knows it. Sits in the engine's liveness heap, ordered by the time it will
 * be declared dead unless it is heard from. Its leases are kept in assignment order (a linked set,
 * never a hash-ordered one) so that reclaiming them is deterministic on every replica.
 */
final class WorkerState extends HeapMember {
  final String id;
  int capacity;

  /** Queues served; empty means every queue. */
  List<String> queues;

  /** Task types it can run, in the order it gave them; empty means every task type. */
  List<String> tasks = List.of();

  /** The same task types as a set, for lookups while choosing lanes; null means every one. */
  Set<String> taskSet;

  long heartbeatTimeoutMillis;
  long lastSeenMillis;
  boolean alive = true;
  final AttemptChain leases = new AttemptChain(AttemptChain.Kind.WORKER_LEASES);

  /** ROUND_ROBIN: the queue of its last round-robin grant; the next starts after it. */
  String lastQueue;

  /**
   * WEIGHTED: the smooth weighted round robin's current weight per queue, in the order the queues
   * were first served (a linked map: it is written to snapshots in this order).
   */
  final java.util.LinkedHashMap<String, Long> currentWeights = new java.util.LinkedHashMap<>();

  /** Slots set aside per queue, in the order the worker gave them; empty for none. */
  java.util.Map<String, Integer> reserve = java.util.Map.of();

  /** Its RUNNING jobs per reserved queue (only those), kept by the engine's state changes. */
  final java.util.HashMap<String, Integer> reservedRunning = new java.util.HashMap<>();

  WorkerState(String id, int capacity, List<String> queues, long heartbeatTimeoutMillis) {
    this.id = id;
    this.capacity = capacity;
    this.queues = List.copyOf(queues);
    this.heartbeatTimeoutMillis = heartbeatTimeoutMillis;
  }

  void setTasks(List<String> names) {
    tasks = List.copyOf(names);
    taskSet = TaskFilter.of(tasks);
  }

  long deathAtMillis() {
    long at = lastSeenMillis + heartbeatTimeoutMillis;
    return at < lastSeenMillis ? Long.MAX_VALUE : at;
  }

  int freeSlots() {
    return Math.max(0, capacity - leases.size());
  }

  /** Reserved slots not in use: slots that only their own queue's jobs may take. */
  int unusedReserved() {
    int unused = 0;
    for (var r : reserve.entrySet()) {
      unused += Math.max(0, r.getValue() - reservedRunning.getOrDefault(r.getKey(), 0));
    }
    return unused;
  }

  /**
   * The queues a grant may come from now, given the reservations: {@code served} itself while a
   * slot outside the unused reservations is free; else only the reserved queues with an unused slot
   * (in {@code served}'s order, or the reservation order when it serves every queue).
   * O(reservations + queues served).
   */
  java.util.List<String> grantableQueues(java.util.List<String> served) {
    if (reserve.isEmpty() || freeSlots() > unusedReserved()) {
      return served;
    }
    java.util.List<String> out = new java.util.ArrayList<>(reserve.size());
    for (String q : served.isEmpty() ? reserve.keySet() : served) {
      Integer r = reserve.get(q);
      if (r != null && reservedRunning.getOrDefault(q, 0) < r && !out.contains(q)) {
        out.add(q);
      }
    }
    return out;
  }

  void setReserve(java.util.Map<String, Integer> r, java.util.Collection<Job> running) {
    reserve = r.isEmpty() ? java.util.Map.of() : new java.util.LinkedHashMap<>(r);
    reservedRunning.clear();
    for (Job j : running) {
      countRunning(j, 1);
    }
  }

  void countRunning(Job job, int delta) {
    if (reserve.containsKey(job.queue)) {
      reservedRunning.merge(job.queue, delta, Integer::sum);
    }
  }
}
