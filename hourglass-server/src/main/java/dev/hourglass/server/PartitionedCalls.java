package dev.hourglass.server;

import dev.hourglass.core.command.Command;
import dev.hourglass.core.command.JobSpec;
import dev.hourglass.core.engine.EngineQueries;
import dev.hourglass.core.event.Event;
import dev.hourglass.core.event.Event.JobDeduplicated;
import dev.hourglass.core.event.Outcome;
import dev.hourglass.core.event.Outcome.Applied;
import dev.hourglass.core.event.Outcome.Rejected;
import dev.hourglass.core.id.JobIds;
import dev.hourglass.core.view.LeaseEnd;
import dev.hourglass.runtime.EngineLoopException;
import dev.hourglass.runtime.LeaseSignals;
import dev.hourglass.runtime.PartitionPlacement;
import dev.hourglass.runtime.Partitions;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CompletableFuture;

/**
 * The API calls that depend on how a node's partitions divide the work: where a submit's jobs go
 * (and the ids generated for them), a batch applied in several partitions, and a worker's signal
 * poll over every partition. With one partition each is the call of a node without partitions.
 * Thread-safe.
 */
final class PartitionedCalls {
  /** Waits for a loop's answer as the API does (its timeout and refusal mapping). */
  interface Awaiter {
    <T> T await(CompletableFuture<T> future, Duration extra);
  }

  private final Partitions parts;
  private final JobIds ids;
  private final Awaiter awaiter;

  PartitionedCalls(Partitions parts, JobIds ids, Awaiter awaiter) {
    this.parts = parts;
    this.ids = ids;
    this.awaiter = awaiter;
  }

  /**
   * The partition of each job of a submit (see {@link PartitionPlacement}); a submit that would
   * need two partitions for one pipeline is refused with 422 PARTITION_CONFLICT.
   */
  int[] place(List<Wire.JobRequest> jobs) {
    if (parts.count() == 1) {
      return new int[jobs.size()];
    }
    List<PartitionPlacement.Item> items = new ArrayList<>(jobs.size());
    for (int i = 0; i < jobs.size(); i++) {
      Wire.JobRequest j = jobs.get(i);
      JobSpecs.checkPartitionKey(j, jobs.size() == 1 ? "" : "jobs[" + i + "]: ");
      items.add(
          new PartitionPlacement.Item(
              j.jobId(),
              j.partitionKey(),
              j.dependsOn() == null ? List.of() : j.dependsOn(),
              j.idempotencyKey()));
    }
    try {
      return PartitionPlacement.place(items, parts.count(), parts::spread);
    } catch (PartitionPlacement.Conflict e) {
      throw new ApiException(
          422,
          "PARTITION_CONFLICT",
          "Unprocessable content",
          e.getMessage() + "; nothing was applied");
    }
  }

  /** The job's id: the client's, or a generated one that routes to partition {@code p}. */
  String idIn(int p, Wire.JobRequest r) {
    if (r.jobId() != null) {
      return r.jobId();
    }
    return parts.count() == 1 ? ids.next() : parts.idIn(p, ids::next);
  }

  /**
   * A signal poll over every partition: each partition watches the leases it holds (and any it
   * grants meanwhile); the first partition with a signal answers. A partition where the worker
   * never leased does not know it; only when none knows it is the poll refused.
   */
  CompletableFuture<List<LeaseEnd>> signalsOf(
      String id, List<LeaseSignals.Held> held, long waitMs) {
    if (parts.count() == 1) {
      return parts.signals(0).await(id, held, waitMs);
    }
    List<List<LeaseSignals.Held>> byPartition = new ArrayList<>();
    for (int p = 0; p < parts.count(); p++) {
      byPartition.add(new ArrayList<>());
    }
    for (var h : held) {
      byPartition.get(parts.partitionOf(h.jobId())).add(h);
    }
    var out = new CompletableFuture<List<LeaseEnd>>();
    var pending = new java.util.concurrent.atomic.AtomicInteger(parts.count());
    var known = new java.util.concurrent.atomic.AtomicBoolean();
    var refused = new java.util.concurrent.atomic.AtomicReference<Throwable>();
    for (int p = 0; p < parts.count(); p++) {
      CompletableFuture<List<LeaseEnd>> f;
      try {
        f = parts.signals(p).await(id, byPartition.get(p), waitMs);
      } catch (EngineLoopException e) {
        f = CompletableFuture.failedFuture(e);
      }
      f.whenComplete(
          (ends, e) -> {
            if (e == null) {
              known.set(true);
              if (!ends.isEmpty()) {
                out.complete(ends);
              }
            } else {
              refused.compareAndSet(null, e);
            }
            if (pending.decrementAndGet() == 0) {
              if (known.get()) {
                out.complete(List.of());
              } else {
                out.completeExceptionally(refused.get());
              }
            }
          });
    }
    return out;
  }

  /** The answer to one partition's part of a batch: each job's id and state, in order. */
  static Wire.BatchSubmitted submitted(List<JobSpec> specs, Outcome o, EngineQueries q) {
    if (o instanceof Rejected r) {
      throw ApiException.rejected(r);
    }
    Map<String, String> dedup = new HashMap<>();
    for (Event e : ((Applied) o).events()) {
      if (e instanceof JobDeduplicated d) {
        dedup.put(d.idempotencyKey(), d.jobId());
      }
    }
    List<Wire.Submitted> list = new ArrayList<>(specs.size());
    for (JobSpec s : specs) {
      String existing = s.idempotencyKey() == null ? null : dedup.get(s.idempotencyKey());
      String id = existing != null ? existing : s.jobId();
      list.add(new Wire.Submitted(id, q.state(id).name(), existing != null ? true : null));
    }
    return new Wire.BatchSubmitted(list);
  }

  /**
   * A batch whose jobs belong to several partitions: one SubmitJobs per partition, applied
   * concurrently, each atomic. When a part is refused, the answer is its refusal and names the jobs
   * that the other parts did apply (a retry with idempotency keys is then safe).
   */
  Wire.BatchSubmitted submitSplit(long now, List<JobSpec> specs, int[] placed, long bytes) {
    Map<Integer, List<Integer>> byPartition = new java.util.TreeMap<>();
    for (int i = 0; i < specs.size(); i++) {
      byPartition.computeIfAbsent(placed[i], k -> new ArrayList<>()).add(i);
    }
    Map<Integer, CompletableFuture<Wire.BatchSubmitted>> futures = new LinkedHashMap<>();
    for (var e : byPartition.entrySet()) {
      List<JobSpec> part = e.getValue().stream().map(specs::get).toList();
      futures.put(
          e.getKey(),
          parts
              .loop(e.getKey())
              .write(
                  new Command.SubmitJobs(now, part),
                  bytes * part.size() / specs.size(),
                  (o, q) -> submitted(part, o, q)));
    }
    Wire.Submitted[] out = new Wire.Submitted[specs.size()];
    ApiException refused = null;
    List<String> applied = new ArrayList<>();
    for (var e : futures.entrySet()) {
      List<Integer> idx = byPartition.get(e.getKey());
      try {
        var answer = awaiter.await(e.getValue(), Duration.ZERO);
        for (int k = 0; k < idx.size(); k++) {
          out[idx.get(k)] = answer.jobs().get(k);
          applied.add(answer.jobs().get(k).jobId());
        }
      } catch (ApiException x) {
        refused = refused == null ? x : refused;
      }
    }
    if (refused != null) {
      throw new ApiException(
          refused.status(),
          refused.code(),
          refused.title(),
          refused.getMessage()
              + (applied.isEmpty()
                  ? ""
                  : ("; this batch spans partitions and"
                      + " each partition's part is applied on its own: the jobs of the other parts"
                      + " were applied: "
                      + applied)));
    }
    return new Wire.BatchSubmitted(List.of(out));
  }
}
