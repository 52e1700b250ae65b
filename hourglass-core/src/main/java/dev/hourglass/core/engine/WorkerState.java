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
   * WEIGHTED: the smooth weighted round robin's current weight per queue, in the order the
   * queues were first served (a linked map: it is written to snapshots in this order).
   */
  final java.util.LinkedHashMap<String, Long> currentWeights = new java.util.LinkedHashMap<>();

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
}
