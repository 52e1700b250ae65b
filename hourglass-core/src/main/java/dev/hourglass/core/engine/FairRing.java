package dev.hourglass.core.engine;

import dev.hourglass.core.command.JobSpec;
import dev.hourglass.core.view.JobState;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.TreeSet;

/**
 * The READY jobs of one task type in a fair queue, by fairness key: the keys with ready jobs in a
 * ring, served in turn, and each key's jobs in priority order.
 *
 * <p>Implementation notes. The ring is a circular doubly linked list of the keys that have READY
 * jobs, with a cursor on the key to serve next ({@link #front}). A key that gets its first ready
 * job joins at the back (just before the cursor), so it is served within one round of the keys
 * ahead of it; a key whose last ready job leaves is unlinked in O(1) and forgotten, so memory is
 * bounded by the keys with work, not by every key ever seen. A key with weight w is served w times
 * in a row before the cursor moves on ({@link #served}). Inside a key, jobs are ordered as the
 * plain lanes order them: higher priority, then earlier deadline, then older. A key keeps in-order
 * arrivals in a small FIFO ring (O(1), sequential memory) and only the others in a sorted set, as a
 * plain lane does.
 *
 * <p>So every operation is O(1), or O(log k) in the jobs of one key, plus a hash lookup of the key:
 * there is no pass over the keys, however many there are. The jobs are also in their plain lanes
 * (the counts and listings read those); this ring only decides which one a lease takes.
 *
 * <p>The ring order is state: it is written to the snapshot and restored by {@link #restore}.
 */
final class FairRing {
  /** Higher priority, then earlier deadline, then older (seq is unique). */
  static final Comparator<Job> ORDER =
      Comparator.<Job>comparingInt(j -> -j.priority)
          .thenComparingLong(j -> j.deadlineMillis)
          .thenComparingLong(j -> j.seq);

  /** The key of jobs submitted without one. */
  static final String NO_KEY = "";

  /**
   * One key's READY jobs: like a plain lane, a FIFO ring for jobs that arrive in order (one
   * priority, no deadline, each newer than the last) and a sorted set for the rest, the head being
   * the better of the two heads. Ring entries leave lazily: an entry is live only while its job is
   * READY with the {@link Job#readyStamp} it entered with; stale ones are dropped at the head, and
   * the ring is reset whenever its last live job leaves.
   */
  private static final class Key {
    final String name;
    private Job[] ring;
    private int[] stamps;
    private int ringHead;
    private int ringSize;
    private int ringLive;
    private int ringPriority;
    private long ringTailSeq;
    private TreeSet<Job> sorted;
    int size;
    Key prev;
    Key next;

    Key(String name) {
      this.name = name;
    }

    Job head() {
      Job r = liveRingHead();
      Job t = sorted == null || sorted.isEmpty() ? null : sorted.first();
      if (r == null || t == null) {
        return r == null ? t : r;
      }
      return ORDER.compare(r, t) <= 0 ? r : t;
    }

    private Job liveRingHead() {
      while (ringSize > 0) {
        Job j = ring[ringHead];
        if (j.state == JobState.READY && j.readyStamp == stamps[ringHead]) {
          return j;
        }
        ring[ringHead] = null;
        ringHead = (ringHead + 1) & (ring.length - 1);
        ringSize--;
      }
      return null;
    }

    void add(Job job) {
      boolean inOrder =
          job.deadlineMillis == JobSpec.NO_DEADLINE
              && (ringLive == 0 || job.priority == ringPriority && job.seq > ringTailSeq);
      if (!inOrder) {
        if (sorted == null) {
          sorted = new TreeSet<>(ORDER);
        }
        sorted.add(job);
      } else {
        if (ringLive == 0) {
          clearRing();
          ringPriority = job.priority;
        }
        push(job);
        ringTailSeq = job.seq;
        ringLive++;
      }
      size++;
    }

    /** Removes a job that is leaving READY (still READY now); call before its state changes. */
    void remove(Job job) {
      if (sorted == null || !sorted.remove(job)) {
        Invariants.check(ringLive > 0, "job %s is not in its fairness key %s", job.id, name);
        ringLive--;
        if (ringLive == 0) {
          clearRing();
        }
      }
      size--;
    }

    private void push(Job job) {
      if (ring == null) {
        ring = new Job[2];
        stamps = new int[2];
      } else if (ringSize == ring.length) {
        Job[] bigger = new Job[ring.length * 2];
        int[] biggerStamps = new int[ring.length * 2];
        for (int i = 0; i < ringSize; i++) {
          int from = (ringHead + i) & (ring.length - 1);
          bigger[i] = ring[from];
          biggerStamps[i] = stamps[from];
        }
        ring = bigger;
        stamps = biggerStamps;
        ringHead = 0;
      }
      int slot = (ringHead + ringSize) & (ring.length - 1);
      ring[slot] = job;
      stamps[slot] = job.readyStamp;
      ringSize++;
    }

    private void clearRing() {
      if (ring != null) {
        java.util.Arrays.fill(ring, null);
      }
      ringHead = 0;
      ringSize = 0;
    }
  }

  final String task;
  private final QueueState queue;
  private final Map<String, Key> keys = new HashMap<>();
  private Key front;

  /** How many jobs the front key has been given in its current turn. */
  private int turnUsed;

  private int jobs;

  FairRing(QueueState queue, String task) {
    this.queue = queue;
    this.task = task;
  }

  static String keyOf(Job job) {
    return job.fairnessKey == null ? NO_KEY : job.fairnessKey;
  }

  int size() {
    return jobs;
  }

  int keyCount() {
    return keys.size();
  }

  void add(Job job) {
    String name = keyOf(job);
    Key k = keys.get(name);
    if (k == null) {
      k = new Key(name);
      keys.put(name, k);
      link(k);
    }
    k.add(job);
    jobs++;
  }

  void remove(Job job) {
    Key k = keys.get(keyOf(job));
    Invariants.check(k != null, "READY job %s has no fairness key entry", job.id);
    k.remove(job);
    jobs--;
    if (k.size == 0) {
      unlink(k);
      keys.remove(k.name);
    }
  }

  /** The job the next lease from this ring takes: the front key's best. */
  Job peek() {
    return front == null ? null : front.head();
  }

  /** Called when {@code job}, the ring's {@link #peek}, is about to be leased. */
  void served(Job job) {
    Invariants.check(
        front != null && front.name.equals(keyOf(job)),
        "job %s leased out of turn from fair queue %s",
        job.id,
        queue.name);
    turnUsed++;
    if (turnUsed >= queue.keyWeight(front.name)) {
      front = front.next;
      turnUsed = 0;
    }
  }

  private void link(Key k) {
    if (front == null) {
      k.prev = k;
      k.next = k;
      front = k;
      turnUsed = 0;
      return;
    }
    Key back = front.prev;
    k.prev = back;
    k.next = front;
    back.next = k;
    front.prev = k;
  }

  private void unlink(Key k) {
    if (k.next == k) {
      front = null;
      turnUsed = 0;
    } else {
      k.prev.next = k.next;
      k.next.prev = k.prev;
      if (front == k) {
        front = k.next;
        turnUsed = 0;
      }
    }
    k.prev = null;
    k.next = null;
  }

  /** The keys in serving order, from the front; O(keys), for snapshots only. */
  List<String> order() {
    List<String> out = new ArrayList<>(keys.size());
    for (Key k = front; k != null; k = k.next == front ? null : k.next) {
      out.add(k.name);
    }
    return out;
  }

  int turnUsed() {
    return turnUsed;
  }

  /** Puts the ring back in a snapshot's order; the keys must be exactly those held. */
  void restore(List<String> order, int used) {
    Invariants.check(
        order.size() == keys.size(),
        "fair ring of %s/%s: snapshot names %d keys," + " %d hold ready jobs",
        queue.name,
        task,
        order.size(),
        keys.size());
    for (Key k : keys.values()) { // clearing links only: the iteration order does not matter
      k.prev = null;
      k.next = null;
    }
    front = null;
    for (String name : order) {
      Key k = keys.get(name);
      Invariants.check(
          k != null && k.next == null,
          "fair ring of %s/%s: key %s is unknown or" + " named twice",
          queue.name,
          task,
          name);
      link(k);
    }
    turnUsed = used;
  }
}
