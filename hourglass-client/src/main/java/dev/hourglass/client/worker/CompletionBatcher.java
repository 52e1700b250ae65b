package dev.hourglass.client.worker;

import dev.hourglass.client.Completion;
import dev.hourglass.client.CompletionResult;
import dev.hourglass.client.ErrorCode;
import dev.hourglass.client.HourglassClient;
import java.util.ArrayList;
import java.util.EnumSet;
import java.util.List;
import java.util.Set;
import java.util.concurrent.ConcurrentLinkedQueue;
import java.util.concurrent.locks.ReentrantLock;

/**
 * Reports the successes of many handlers in one {@code POST /api/v1/jobs:complete}: group commit on
 * the worker's side. Whichever handler thread gets the send lock takes every completion queued at
 * that moment (at most {@code maxBatch}) and sends them together; the others wait for the lock,
 * find their completion already answered, and return, or send the next batch themselves.
 *
 * <p>Why no timer and no sender thread: a lone completion goes out at once from its own thread, so
 * an idle worker adds no latency and no hand-off; under load, completions queue while a call is in
 * flight and the next batch grows by itself to what arrived meanwhile (the same idea as the
 * server's group commit).
 *
 * <p>Only the happy path is batched. A call that fails as a whole (server unreachable, 503, a
 * result over the size limit) and items refused for a transient reason come back {@link
 * Outcome#UNSENT}; the worker then reports those one by one with its usual retries, so failure
 * handling stays in one place.
 *
 * <p>Thread-safety: {@link #complete} may be called from any number of threads.
 */
final class CompletionBatcher {
  /** Per-item refusals that say nothing about the lease: retry them one by one. */
  private static final Set<ErrorCode> TRANSIENT_CODES =
      EnumSet.of(
          ErrorCode.OVERLOADED,
          ErrorCode.UNAVAILABLE,
          ErrorCode.NO_LEADER,
          ErrorCode.NOT_LEADER,
          ErrorCode.LEADER_NOT_READY);

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
   * @param codeName the refusal's code as sent when REFUSED
   * @param detail the refusal's reason when REFUSED
   */
  record Reply(Outcome outcome, String codeName, String detail) {
    static final Reply APPLIED = new Reply(Outcome.APPLIED, null, null);
    static final Reply UNSENT = new Reply(Outcome.UNSENT, null, null);
  }

  private static final class Pending {
    final Completion completion;
    volatile Reply reply;

    Pending(Completion completion) {
      this.completion = completion;
    }
  }

  private final HourglassClient client;
  private final String workerId;
  private final int maxBatch;
  private final ConcurrentLinkedQueue<Pending> queue = new ConcurrentLinkedQueue<>();

  /** Held by the thread whose call is in flight; the queue fills meanwhile. */
  private final ReentrantLock sending = new ReentrantLock();

  CompletionBatcher(HourglassClient client, String workerId, int maxBatch) {
    this.client = client;
    this.workerId = workerId;
    this.maxBatch = maxBatch;
  }

  /**
   * Reports one success and returns its outcome, sending it (with whatever else is queued) or
   * waiting while another thread's call carries it.
   */
  Reply complete(String jobId, int generation, Object result) {
    var mine = new Pending(new Completion(jobId, generation, result));
    queue.add(mine);
    while (mine.reply == null) {
      sending.lock(); // a virtual thread unmounts while it waits here
      try {
        if (mine.reply == null) {
          sendQueued();
        }
      } finally {
        sending.unlock();
      }
    }
    return mine.reply;
  }

  /** Sends up to maxBatch queued completions in one call; under the send lock. */
  private void sendQueued() {
    List<Pending> batch = new ArrayList<>();
    Pending p;
    while (batch.size() < maxBatch && (p = queue.poll()) != null) {
      batch.add(p);
    }
    List<Completion> items = new ArrayList<>(batch.size());
    for (Pending b : batch) {
      items.add(b.completion);
    }
    List<CompletionResult> results;
    try {
      results = client.completeAll(workerId, items);
    } catch (RuntimeException e) { // unreachable, 503, a result too large: each on its own
      batch.forEach(b -> b.reply = Reply.UNSENT);
      return;
    }
    for (int i = 0; i < batch.size(); i++) {
      batch.get(i).reply = reply(i < results.size() ? results.get(i) : null);
    }
  }

  private static Reply reply(CompletionResult r) {
    if (r == null || (!r.applied() && (r.code() == null || TRANSIENT_CODES.contains(r.code())))) {
      return Reply.UNSENT;
    }
    return r.applied() ? Reply.APPLIED : new Reply(Outcome.REFUSED, r.codeName(), r.detail());
  }
}
