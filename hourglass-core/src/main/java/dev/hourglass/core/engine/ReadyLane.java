package dev.hourglass.core.engine;

import dev.hourglass.core.command.JobSpec;
import java.util.Arrays;
import java.util.Comparator;

/**
 * The READY jobs of one (queue, task, priority), ordered by earliest deadline, then oldest first.
 * In a fair queue the lane holds only their count ({@link #count}): the jobs are in the queue's
 * {@link FairRing}.
 *
 * <p>Implementation notes. Almost every job arrives in order: no deadline, and a submission
 * sequence higher than any job already here. Those go to a FIFO ring (O(1), sequential memory,
 * cheap with ten million jobs waiting); the rest (jobs with a deadline, or an old job coming back
 * after a retry) go to an indexed heap. The head of the lane is the smaller of the two heads under
 * the same order, so the lane behaves exactly like one ordered queue.
 *
 * <p>A job leaves the ring lazily: an entry is live only while its job is READY with the same
 * {@link Job#readyStamp} it had when it entered, so leaving READY needs no search. Stale entries
 * are dropped when they reach the head, and the ring is compacted when they outnumber live ones.
 */
final class ReadyLane {
  static final Comparator<Job> ORDER =
      Comparator.<Job>comparingLong(j -> j.deadlineMillis).thenComparingLong(j -> j.seq);

  /** Below this many stale entries compaction is not worth a pass over the ring. */
  private static final int COMPACT_MIN_STALE = 1024;

  final String queue;
  final String task;
  final int priority;

  private final IndexedHeap<Job> outOfOrder =
      new IndexedHeap<>(j -> j.deadlineMillis, j -> j.seq, null);
  private Job[] ring = new Job[16];
  private int[] stamps = new int[16];
  private int head;
  private int ringSize;
  private int ringStale;
  private long ringTailSeq = Long.MIN_VALUE;
  private int live;

  ReadyLane(String queue, String task, int priority) {
    this.queue = queue;
    this.task = task;
    this.priority = priority;
  }

  int size() {
    return live;
  }

  /** Adds a job that has just become READY (its readyStamp already bumped). */
  void add(Job job) {
    if (job.deadlineMillis == JobSpec.NO_DEADLINE && job.seq > ringTailSeq) {
      pushRing(job);
      ringTailSeq = job.seq;
    } else {
      outOfOrder.add(job);
    }
    live++;
  }

  /** Removes a job that is leaving READY; call before its state or stamp changes. */
  void remove(Job job) {
    if (job.heapIndex >= 0) {
      outOfOrder.remove(job);
    } else {
      ringStale++;
      maybeCompact();
    }
    live--;
  }

  /** The next job to lease from this lane, or null when empty. */
  Job peek() {
    Job fromRing = ringHead();
    Job fromHeap = outOfOrder.peek();
    if (fromRing == null) {
      return fromHeap;
    }
    if (fromHeap == null) {
      return fromRing;
    }
    return ORDER.compare(fromRing, fromHeap) <= 0 ? fromRing : fromHeap;
  }

  /**
   * Counts a READY job of a fair queue in or out: such a job lives in its queue's {@link FairRing},
   * and the lane only keeps the count that views, limits and listings read.
   */
  void count(int delta) {
    live += delta;
    if (live < 0) { // checked first: the message's boxed arguments cost on every call otherwise
      Invariants.check(false, "lane %s/%s/%d counts %d jobs", queue, task, priority, live);
    }
  }

  /**
   * Moves the lane's jobs to {@code out}, unordered, and empties its structures but keeps its
   * count: its queue has become fair, so the jobs now live in the fair ring. O(lane size log lane
   * size), for a policy change only.
   */
  void moveAllTo(java.util.Collection<Job> out) {
    for (int i = 0; i < ringSize; i++) {
      int at = (head + i) & (ring.length - 1);
      if (isLive(ring[at], stamps[at])) {
        out.add(ring[at]);
      }
    }
    for (Job j = outOfOrder.poll(); j != null; j = outOfOrder.poll()) {
      out.add(j);
    }
    ring = new Job[16];
    stamps = new int[16];
    head = 0;
    ringSize = 0;
    ringStale = 0;
    ringTailSeq = Long.MIN_VALUE;
  }

  private Job ringHead() {
    while (ringSize > 0) {
      Job j = ring[head];
      if (isLive(j, stamps[head])) {
        return j;
      }
      ring[head] = null;
      head = (head + 1) & (ring.length - 1);
      ringSize--;
      ringStale--;
    }
    return null;
  }

  private static boolean isLive(Job job, int stamp) {
    return job.state == dev.hourglass.core.view.JobState.READY
        && job.readyStamp == stamp
        && job.heapIndex < 0;
  }

  private void pushRing(Job job) {
    if (ringSize == ring.length) {
      grow();
    }
    int slot = (head + ringSize) & (ring.length - 1);
    ring[slot] = job;
    stamps[slot] = job.readyStamp;
    ringSize++;
  }

  private void grow() {
    Job[] newRing = new Job[ring.length * 2];
    int[] newStamps = new int[ring.length * 2];
    for (int i = 0; i < ringSize; i++) {
      int from = (head + i) & (ring.length - 1);
      newRing[i] = ring[from];
      newStamps[i] = stamps[from];
    }
    ring = newRing;
    stamps = newStamps;
    head = 0;
  }

  private void maybeCompact() {
    if (ringStale < COMPACT_MIN_STALE || ringStale * 2 < ringSize) {
      return;
    }
    int kept = 0;
    Job[] newRing = new Job[ring.length];
    int[] newStamps = new int[ring.length];
    for (int i = 0; i < ringSize; i++) {
      int from = (head + i) & (ring.length - 1);
      if (isLive(ring[from], stamps[from])) {
        newRing[kept] = ring[from];
        newStamps[kept] = stamps[from];
        kept++;
      }
    }
    // The job being removed right now is still READY, so it survived the pass; it will be
    // recognised as stale later, which the counter below accounts for.
    ringStale = kept - (live - 1 - outOfOrder.size());
    ring = newRing;
    stamps = newStamps;
    head = 0;
    ringSize = kept;
    Arrays.fill(ring, kept, ring.length, null);
  }
}
