package dev.hourglass.core.engine;

import dev.hourglass.core.command.JobSpec;
import dev.hourglass.core.event.ErrorCode;
import dev.hourglass.core.event.Outcome.Rejected;
import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;

/**
 * Validates a batch of job specs against the engine's state without changing it, and orders the
 * batch so that every job comes after its parents (Kahn's topological sort, stable by position).
 *
 * @param ordered the specs in creation order
 * @param deduplicatedTo spec ids whose idempotency key matched an existing job, mapped to that job
 * @param rejection why the batch is refused, or null
 */
record SubmitPlan(List<JobSpec> ordered, Map<String, Job> deduplicatedTo, Rejected rejection) {

  static SubmitPlan build(List<JobSpec> specs, Engine engine) {
    Map<String, Job> dedup = new HashMap<>();
    Map<String, Integer> indexById = new HashMap<>();
    Set<String> keysInBatch = new HashSet<>();
    for (int i = 0; i < specs.size(); i++) {
      JobSpec spec = specs.get(i);
      Rejected bad = SpecValidator.validate(spec, engine.config());
      if (bad == null) {
        bad = checkIdentity(spec, engine, dedup, indexById, keysInBatch);
      }
      if (bad != null) {
        return rejected(
            specs.size() == 1 ? bad : new Rejected(bad.code(), "job[" + i + "]: " + bad.detail()));
      }
      indexById.putIfAbsent(spec.jobId(), i);
    }
    for (JobSpec spec : specs) {
      for (String parent : spec.dependsOn()) {
        boolean known = indexById.containsKey(parent) || engine.jobs.contains(parent);
        if (!known) {
          return rejected(
              new Rejected(
                  ErrorCode.UNKNOWN_PARENT,
                  "job "
                      + spec.jobId()
                      + " depends on "
                      + parent
                      + ", which does not exist; submit the parent first or in"
                      + " the same batch"));
        }
      }
    }
    return sortTopologically(specs, dedup, indexById);
  }

  private static Rejected checkIdentity(
      JobSpec spec,
      Engine engine,
      Map<String, Job> dedup,
      Map<String, Integer> indexById,
      Set<String> keysInBatch) {
    String key = spec.idempotencyKey();
    if (key != null) {
      Job existing = engine.jobs.byIdempotencyKey(key);
      if (existing != null) {
        dedup.put(spec.jobId(), existing);
        return null;
      }
      if (!keysInBatch.add(key)) {
        return SpecValidator.invalid("two jobs in one batch share idempotency key %s", key);
      }
    }
    if (engine.jobs.contains(spec.jobId()) || indexById.containsKey(spec.jobId())) {
      return new Rejected(
          ErrorCode.DUPLICATE_JOB_ID,
          "a job with id "
              + spec.jobId()
              + " exists already; use a new id, or an idempotency key to make resubmits safe");
    }
    return null;
  }

  private static SubmitPlan sortTopologically(
      List<JobSpec> specs, Map<String, Job> dedup, Map<String, Integer> indexById) {
    int n = specs.size();
    int[] inDegree = new int[n];
    List<List<Integer>> childrenOf = new ArrayList<>(n);
    for (int i = 0; i < n; i++) {
      childrenOf.add(new ArrayList<>(0));
    }
    for (int i = 0; i < n; i++) {
      for (String parent : specs.get(i).dependsOn()) {
        Integer p = indexById.get(parent);
        if (p != null && !dedup.containsKey(parent)) {
          childrenOf.get(p).add(i);
          inDegree[i]++;
        }
      }
    }
    ArrayDeque<Integer> ready = new ArrayDeque<>();
    for (int i = 0; i < n; i++) {
      if (inDegree[i] == 0) {
        ready.add(i);
      }
    }
    List<JobSpec> ordered = new ArrayList<>(n);
    while (!ready.isEmpty()) {
      int i = ready.poll();
      ordered.add(specs.get(i));
      for (int child : childrenOf.get(i)) {
        if (--inDegree[child] == 0) {
          ready.add(child);
        }
      }
    }
    if (ordered.size() < n) {
      List<String> inCycle = new ArrayList<>();
      for (int i = 0; i < n; i++) {
        if (inDegree[i] > 0) {
          inCycle.add(specs.get(i).jobId());
        }
      }
      return rejected(
          new Rejected(
              ErrorCode.DEPENDENCY_CYCLE,
              "the dependencies of jobs "
                  + inCycle
                  + " form a cycle; a job can only run after its"
                  + " parents, so break the cycle"));
    }
    return new SubmitPlan(ordered, dedup, null);
  }

  private static SubmitPlan rejected(Rejected r) {
    return new SubmitPlan(List.of(), Map.of(), r);
  }
}
