package dev.hourglass.core.engine;

import java.util.HashMap;
import java.util.function.Predicate;

/**
 * Every job the engine holds, by id, by idempotency key, and by submission sequence. The sequence
 * index is a directory of fixed-size chunks (4 bytes a job), which gives newest-first paging from a
 * cursor without a tree node per job; chunks emptied by eviction are released.
 */
final class JobTable {
  private static final int CHUNK_BITS = 12;
  private static final int CHUNK_SIZE = 1 << CHUNK_BITS;

  private final HashMap<String, Job> byId = new HashMap<>();
  private final HashMap<String, Job> byIdempotencyKey = new HashMap<>();
  private Job[][] chunks = new Job[16][];

  /** Jobs held per chunk, so an emptied chunk can be released; grows with {@link #chunks}. */
  private int[] chunkLive = new int[16];

  private long maxSeq;

  int size() {
    return byId.size();
  }

  Job get(String id) {
    return byId.get(id);
  }

  Job byIdempotencyKey(String key) {
    return byIdempotencyKey.get(key);
  }

  void add(Job job) {
    Invariants.check(byId.putIfAbsent(job.id, job) == null, "duplicate job id %s", job.id);
    if (job.extras != null && job.extras.idempotencyKey != null) {
      byIdempotencyKey.put(job.extras.idempotencyKey, job);
    }
    int chunk = (int) (job.seq >>> CHUNK_BITS);
    if (chunk >= chunks.length) {
      chunks = java.util.Arrays.copyOf(chunks, Math.max(chunks.length * 2, chunk + 1));
    }
    if (chunks[chunk] == null) {
      chunks[chunk] = new Job[CHUNK_SIZE];
    }
    if (chunk >= chunkLive.length) {
      chunkLive = java.util.Arrays.copyOf(chunkLive, chunks.length);
    }
    chunks[chunk][(int) (job.seq & (CHUNK_SIZE - 1))] = job;
    chunkLive[chunk]++;
    maxSeq = Math.max(maxSeq, job.seq);
  }

  void remove(Job job) {
    byId.remove(job.id);
    if (job.extras != null && job.extras.idempotencyKey != null) {
      byIdempotencyKey.remove(job.extras.idempotencyKey, job);
    }
    int chunk = (int) (job.seq >>> CHUNK_BITS);
    chunks[chunk][(int) (job.seq & (CHUNK_SIZE - 1))] = null;
    if (--chunkLive[chunk] == 0) {
      chunks[chunk] = null;
    }
  }

  /** Jobs in submission order, oldest first (used for snapshots). */
  void forEachInOrder(java.util.function.Consumer<Job> action) {
    for (Job[] chunk : chunks) {
      if (chunk == null) {
        continue;
      }
      for (Job job : chunk) {
        if (job != null) {
          action.accept(job);
        }
      }
    }
  }

  /**
   * Scans newest first from just below {@code beforeSeq}, collecting up to {@code limit} matches
   * and visiting at most {@code scanBudget} sequence slots.
   *
   * @return the sequence to continue below, or 0 when the scan reached the oldest job
   */
  long scanNewestFirst(
      long beforeSeq, int limit, int scanBudget, Predicate<Job> keep, java.util.List<Job> out) {
    long seq = Math.min(beforeSeq - 1, maxSeq);
    int visited = 0;
    while (seq >= 1 && out.size() < limit && visited < scanBudget) {
      int chunk = (int) (seq >>> CHUNK_BITS);
      Job[] slots = chunk < chunks.length ? chunks[chunk] : null;
      if (slots == null) {
        long skipTo = ((long) chunk << CHUNK_BITS) - 1;
        visited += (int) Math.min(Integer.MAX_VALUE - visited, seq - skipTo);
        seq = skipTo;
        continue;
      }
      Job job = slots[(int) (seq & (CHUNK_SIZE - 1))];
      if (job != null && keep.test(job)) {
        out.add(job);
      }
      seq--;
      visited++;
    }
    return seq >= 1 ? seq + 1 : 0;
  }
}
