package dev.hourglass.core.engine;

import java.util.Arrays;
import java.util.HashMap;
import java.util.List;
import java.util.function.Consumer;
import java.util.function.LongConsumer;
import java.util.function.Predicate;

/**
 * Every job the engine holds, by id, by idempotency key, and by submission sequence. The sequence
 * index is a directory of fixed-size chunks (4 bytes a job), which gives newest-first paging from a
 * cursor without a tree node per job; chunks emptied by eviction are released.
 *
 * <p>A job is held either as an object or, once it has succeeded and nothing refers to it any more
 * (see {@link Engine#archivable}), as a record in {@link ArchivedJobs}. Lookups return an archived
 * job as a new detached object: reading it is all anyone does with it. {@link #live} takes one back
 * out as an object, for the one case that changes a succeeded job (a new child names it).
 */
final class JobTable {
  private static final int CHUNK_BITS = 12;
  private static final int CHUNK_SIZE = 1 << CHUNK_BITS;

  private final HashMap<String, Job> byId = new HashMap<>();
  private final HashMap<String, Job> byIdempotencyKey = new HashMap<>();
  private final ArchivedJobs archive = new ArchivedJobs();
  private Job[][] chunks = new Job[16][];

  /** Per sequence: the archived record's position + 1, or 0 (a chunk exists once one is used). */
  private long[][] archivedAt = new long[16][];

  /** Jobs held per chunk, so an emptied chunk can be released; grows with {@link #chunks}. */
  private int[] chunkLive = new int[16];

  private long maxSeq;

  /**
   * False only in tests that compare an engine holding every job as an object with one that does
   * not.
   */
  private boolean archiving = true;

  int size() {
    return byId.size() + archive.size();
  }

  /** The job, or null; an archived one as a detached copy (changes to it are lost). */
  Job get(String id) {
    Job job = byId.get(id);
    if (job != null || archive.isEmpty()) {
      return job;
    }
    long at = archive.find(id);
    return at < 0 ? null : archive.read(at);
  }

  boolean contains(String id) {
    return byId.containsKey(id) || archive.find(id) >= 0;
  }

  /** The job as the object the engine changes, taking it out of the archive if it is there. */
  Job live(String id) {
    Job job = byId.get(id);
    if (job != null || archive.isEmpty()) {
      return job;
    }
    long at = archive.find(id);
    if (at < 0) {
      return null;
    }
    job = archive.read(at);
    archive.remove(at);
    byId.put(id, job);
    slots(job.seq)[slot(job.seq)] = job;
    archivedAt[chunk(job.seq)][slot(job.seq)] = 0;
    return job;
  }

  /** The job of that sequence if it is held as an object; null if archived or gone. */
  Job objectAt(long seq) {
    Job[] slots = chunk(seq) < chunks.length ? chunks[chunk(seq)] : null;
    return slots == null ? null : slots[slot(seq)];
  }

  /** When the archived job of that sequence finished. */
  long archivedFinishedAtMillis(long seq) {
    return archive.finishedAtMillis(archivedPosition(seq));
  }

  /**
   * The id of the job of that sequence, held either way; an archived one's read from its record.
   */
  String idAt(long seq) {
    Job job = objectAt(seq);
    return job != null ? job.id : archive.idAt(archivedPosition(seq));
  }

  /** For tests that check the archive changes nothing a user can see. */
  void keepEveryJobAsAnObject() {
    archiving = false;
  }

  Job byIdempotencyKey(String key) {
    return byIdempotencyKey.get(key);
  }

  void add(Job job) {
    Invariants.check(byId.putIfAbsent(job.id, job) == null, "duplicate job id %s", job.id);
    if (job.extras != null && job.extras.idempotencyKey != null) {
      byIdempotencyKey.put(job.extras.idempotencyKey, job);
    }
    int chunk = chunk(job.seq);
    if (chunk >= chunks.length) {
      int length = Math.max(chunks.length * 2, chunk + 1);
      chunks = Arrays.copyOf(chunks, length);
      archivedAt = Arrays.copyOf(archivedAt, length);
      chunkLive = Arrays.copyOf(chunkLive, length);
    }
    if (chunks[chunk] == null) {
      chunks[chunk] = new Job[CHUNK_SIZE];
    }
    chunks[chunk][slot(job.seq)] = job;
    chunkLive[chunk]++;
    maxSeq = Math.max(maxSeq, job.seq);
  }

  /**
   * Keeps a finished job as a record instead of an object; false when its record would be too
   * large, in which case nothing changed.
   */
  boolean archive(Job job) {
    if (!archiving) {
      return false;
    }
    long at = archive.add(job);
    if (at < 0) {
      return false;
    }
    byId.remove(job.id);
    int chunk = chunk(job.seq);
    if (archivedAt[chunk] == null) {
      archivedAt[chunk] = new long[CHUNK_SIZE];
    }
    archivedAt[chunk][slot(job.seq)] = at + 1;
    chunks[chunk][slot(job.seq)] = null;
    return true;
  }

  void remove(Job job) {
    byId.remove(job.id);
    if (job.extras != null && job.extras.idempotencyKey != null) {
      byIdempotencyKey.remove(job.extras.idempotencyKey, job);
    }
    chunks[chunk(job.seq)][slot(job.seq)] = null;
    released(job.seq);
  }

  /** Evicts the archived job of that sequence, which must be the oldest archived one. */
  void removeArchived(long seq) {
    archive.evictOldest(archivedPosition(seq));
    archivedAt[chunk(seq)][slot(seq)] = 0;
    released(seq);
  }

  private void released(long seq) {
    int chunk = chunk(seq);
    if (--chunkLive[chunk] == 0) {
      chunks[chunk] = null;
      archivedAt[chunk] = null;
    }
  }

  /** Jobs in submission order, oldest first; archived ones as detached copies. */
  void forEachInOrder(Consumer<Job> action) {
    forEachHeldInOrder(action, at -> action.accept(archive.read(at)));
  }

  /**
   * Jobs in submission order, oldest first, each as it is held: an object to {@code objects}, an
   * archived job's record position to {@code records} (read through {@link #archived}). Snapshots
   * copy a record's bytes instead of decoding and encoding the job again.
   */
  void forEachHeldInOrder(Consumer<Job> objects, LongConsumer records) {
    for (int c = 0; c < chunks.length; c++) {
      if (chunks[c] == null) {
        continue;
      }
      for (int s = 0; s < CHUNK_SIZE; s++) {
        Job job = chunks[c][s];
        if (job != null) {
          objects.accept(job);
        } else if (archivedAt[c] != null && archivedAt[c][s] != 0) {
          records.accept(archivedAt[c][s] - 1);
        }
      }
    }
  }

  ArchivedJobs archived() {
    return archive;
  }

  /**
   * Scans newest first from just below {@code beforeSeq}, collecting up to {@code limit} matches
   * and visiting at most {@code scanBudget} sequence slots. Archived jobs (all SUCCEEDED) are
   * visited only when {@code withArchived}: reading one is a decode, not a field access.
   *
   * @return the sequence to continue below, or 0 when the scan reached the oldest job
   */
  long scanNewestFirst(
      long beforeSeq,
      int limit,
      int scanBudget,
      boolean withArchived,
      Predicate<Job> keep,
      List<Job> out) {
    long seq = Math.min(beforeSeq - 1, maxSeq);
    int visited = 0;
    while (seq >= 1 && out.size() < limit && visited < scanBudget) {
      int chunk = chunk(seq);
      Job[] slots = chunk < chunks.length ? chunks[chunk] : null;
      if (slots == null) {
        long skipTo = ((long) chunk << CHUNK_BITS) - 1;
        visited += (int) Math.min(Integer.MAX_VALUE - visited, seq - skipTo);
        seq = skipTo;
        continue;
      }
      Job job = slots[slot(seq)];
      if (job == null && withArchived && archivedAt[chunk] != null) {
        long at = archivedAt[chunk][slot(seq)];
        job = at == 0 ? null : archive.read(at - 1);
      }
      if (job != null && keep.test(job)) {
        out.add(job);
      }
      seq--;
      visited++;
    }
    return seq >= 1 ? seq + 1 : 0;
  }

  long archivedPosition(long seq) {
    long[] positions = archivedAt[chunk(seq)];
    long at = positions == null ? 0 : positions[slot(seq)];
    if (at == 0) {
      throw Invariants.violated("job of sequence %d is not archived", seq);
    }
    return at - 1;
  }

  private Job[] slots(long seq) {
    return chunks[chunk(seq)];
  }

  private static int chunk(long seq) {
    return (int) (seq >>> CHUNK_BITS);
  }

  private static int slot(long seq) {
    return (int) (seq & (CHUNK_SIZE - 1));
  }
}
