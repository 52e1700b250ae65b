package dev.hourglass.client.worker;

import dev.hourglass.client.Completion;
import dev.hourglass.client.CompletionResult;
import dev.hourglass.client.HourglassClient;
import java.util.ArrayList;
import java.util.List;
import java.util.Set;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.LinkedBlockingQueue;

/**
 * Reports the successes of many handlers in one {@code POST /api/v1/jobs:complete}: group commit
 * on the worker's side. One sender thread takes the first waiting completion, drains every other
 * one that queued up meanwhile (at most {@code maxBatch}), and sends them together; handlers wait
 * for their own outcome.
 *
 * <p>Why no timer: a lone completion goes out at once, so an idle worker adds no latency; under
 * load, completions queue while the previous call is in flight, and the batch grows by itself to
 * what the server can take per round trip (the same idea as the server's group commit).
 *
 * <p>Only the happy path is batched. A call that fails as a whole (server unreachable, 503, a
 * result over the size limit) and items refused for a transient reason come back {@link
 * Outcome#UNSENT}; the worker then reports those one by one with its usual retries, so failure
 * handling stays in one place.
 *
 * <p>Thread-safety: {@link #complete} may be called from any number of threads.
 */
final class CompletionBatcher implements AutoCloseable {
  /** Per-item refusals that say nothing about the lease: retry them one by one. */
  private static final Set<String> TRANSIENT_CODES = Set.of("OVERLOADED", "UNAVAILABLE",
      "NO_LEADER", "NOT_LEADER", "LEADER_NOT_READY");

  /** What became of one completion. */
  enum Outcome {
    /** The job is SUCCEEDED. */
    APPLIED,
    /** The server refused it for this lease (stale generation, not the holder, ...). */
    REFUSED,
    /** Not applied, for a reason unrelated to the lease; report it on its own. */
    UNSENT
  }

  /**
   * One completion's outcome.
   *
   * @param outcome what became of it
   * @param code the refusal's code when REFUSED
   * @param detail the refusal's reason when REFUSED
   */
  record Reply(Outcome outcome, String code, String detail) {
    static final Reply APPLIED = new Reply(Outcome.APPLIED, null, null);
    static final Reply UNSENT = new Reply(Outcome.UNSENT, null, null);
  }

  private record Pending(Completion completion, CompletableFuture<Reply> reply) {}

  private final HourglassClient client;
  private final String workerId;
  private final int maxBatch;
  private final LinkedBlockingQueue<Pending> queue = new LinkedBlockingQueue<>();
  private final Thread sender;
  private volatile boolean closed;

  CompletionBatcher(HourglassClient client, String workerId, int maxBatch) {
    this.client = client;
    this.workerId = workerId;
    this.maxBatch = maxBatch;
    this.sender = Thread.ofPlatform().name("hourglass-" + workerId + "-complete").daemon()
        .start(this::sendLoop);
  }

  /**
   * Reports one success and waits for its outcome. Not interruptible: the worker decides what a
   * job's report means only from this reply.
   */
  Reply complete(String jobId, int generation, Object result) {
    var p = new Pending(new Completion(jobId, generation, result), new CompletableFuture<>());
    queue.add(p);
    if (closed) {
      drainUnsent(); // close() may have drained before this add
    }
    return p.reply.join();
  }

  private void sendLoop() {
    List<Pending> batch = new ArrayList<>();
    while (!closed) {
      try {
        batch.add(queue.take());
      } catch (InterruptedException e) {
        break;
      }
      queue.drainTo(batch, maxBatch - 1);
      send(batch);
      batch.clear();
    }
    drainUnsent();
  }

  private void send(List<Pending> batch) {
    List<Completion> items = new ArrayList<>(batch.size());
    for (Pending p : batch) {
      items.add(p.completion);
    }
    List<CompletionResult> results;
    try {
      results = client.completeAll(workerId, items);
    } catch (RuntimeException e) { // unreachable, 503, a result too large: each on its own
      batch.forEach(p -> p.reply.complete(Reply.UNSENT));
      return;
    }
    for (int i = 0; i < batch.size(); i++) {
      CompletionResult r = i < results.size() ? results.get(i) : null;
      batch.get(i).reply.complete(reply(r));
    }
  }

  private static Reply reply(CompletionResult r) {
    if (r == null || (!r.applied() && (r.code() == null || TRANSIENT_CODES.contains(r.code())))) {
      return Reply.UNSENT;
    }
    return r.applied() ? Reply.APPLIED : new Reply(Outcome.REFUSED, r.code(), r.detail());
  }

  private void drainUnsent() {
    Pending p;
    while ((p = queue.poll()) != null) {
      p.reply.complete(Reply.UNSENT);
    }
  }

  /** Stops the sender; completions still queued, or added later, come back UNSENT. */
  @Override
  public void close() {
    closed = true;
    sender.interrupt();
    try {
      sender.join(5_000);
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
    }
    drainUnsent();
  }
}
