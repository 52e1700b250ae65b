package dev.hourglass.core.engine;

import dev.hourglass.core.command.JobSpec;
import dev.hourglass.core.view.JobState;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeSet;

/**
 * The READY jobs of a fair queue, by fairness key: one ring of the keys with ready jobs for the
 * whole queue, served in turn whatever their task types, and each key's jobs in priority order.
 *
 * <p>Implementation notes. The ring is a position per key, its {@link Key#stamp}: a key that gets
 * its first ready job, or ends its turn, takes the next value of a counter, so the front of the
 * ring is the key with the lowest stamp and sending a key to the back is giving it a new stamp. A
 * key's jobs are split by task type ({@link KeyJobs}), and each task type keeps the keys that have
 * jobs of that type in stamp order ({@link TaskKeys}): a linked list, as new and re-stamped keys
 * always go to the back, plus a heap for the rare key that gains a task type while it waits in the
 * ring. A lease looks at the first key of each task type it may take (its task filter, the task
 * limits) and serves the lowest stamp: the first key in the queue's ring that has a job the lease
 * may run, with no pass over the keys. From that key it takes the best job of those task types:
 * higher priority, then earlier deadline, then older. A worker that runs only some task types
 * therefore gets only those, and skips the keys that have none of them without using up their turn.
 *
 * <p>A key with weight w is given w jobs ({@link Key#served}) before it goes to the back; a key
 * whose last ready job leaves is forgotten, its partial turn with it, so memory follows the keys
 * with work. Inside one task type of one key, in-order arrivals (one priority, no deadline, each
 * newer than the last) sit in a small FIFO ring and the others in a sorted set, as in a plain lane.
 *
 * <p>Cost: adding or removing a job is a hash lookup of its key plus O(1) (in order) or O(log j) in
 * the key's jobs of its type; a key joining or leaving a task type is O(1) (O(log k) through the
 * heap); a lease's choice is one list head per task type of the queue (what a plain queue pays per
 * lane); ending a turn moves the key to the back of each of its task types' lists, O(t) for t types
 * (O(log k) for one it waited on in the heap). The jobs are only here: the queue's plain lanes keep
 * just their counts.
 *
 * <p>The ring order and the partial turns are state, written to the snapshot ({@link #order},
 * {@link #partialTurns}) and put back by {@link #restore}; the stamps themselves are not written,
 * as only their order matters. Called only from the engine's thread.
 */
final class FairRing {
  /** Higher priority, then earlier deadline, then older (seq is unique). */
  static final Comparator<Job> ORDER = FairRing::compare;

  /** The key of jobs submitted without one. */
  static final String NO_KEY = "";

  /** A key with ready jobs: its place in the ring, its partial turn, its jobs by task type. */
  private static final class Key {
    final String name;

    /** Lower is served sooner; unique within the ring. */
    long stamp;

    /** The jobs given in its current turn, below its weight. */
    int served;

    /** Its jobs by task type, linked through {@link KeyJobs#nextOfKey}: usually just one. */
    KeyJobs first;

    Key(String name, long stamp) {
      this.name = name;
      this.stamp = stamp;
    }

    KeyJobs of(String task) {
      for (KeyJobs kj = first; kj != null; kj = kj.nextOfKey) {
        if (kj.lane.task.equals(task)) {
          return kj;
        }
      }
      return null;
    }

    void unlink(KeyJobs gone) {
      if (first == gone) {
        first = gone.nextOfKey;
        return;
      }
      KeyJobs kj = first;
      while (kj.nextOfKey != gone) {
        kj = kj.nextOfKey;
      }
      kj.nextOfKey = gone.nextOfKey;
    }
  }

  /**
   * One task type of the queue: the keys that have READY jobs of it, by stamp. A key enters with
   * the highest stamp yet when it is new or ends its turn, so those go to the back of a linked list
   * that stays in stamp order (O(1)); only a key already in the ring that gains this task type
   * enters with an older stamp, and waits in a heap by stamp until its turn ends. The first key is
   * the lower of the two heads.
   */
  static final class TaskKeys {
    final String task;
    private KeyJobs first;
    private KeyJobs last;
    private IndexedHeap<KeyJobs> late;
    private int jobs;

    TaskKeys(String task) {
      this.task = task;
    }

    KeyJobs top() {
      KeyJobs fromLate = late == null ? null : late.peek();
      if (fromLate == null) {
        return first;
      }
      return first == null || fromLate.key.stamp < first.key.stamp ? fromLate : first;
    }

    void insert(KeyJobs kj) {
      if (last == null || kj.key.stamp > last.key.stamp) {
        kj.prev = last;
        if (last == null) {
          first = kj;
        } else {
          last.next = kj;
        }
        last = kj;
        return;
      }
      if (late == null) {
        late = new IndexedHeap<>(x -> x.key.stamp, x -> 0, null);
      }
      late.add(kj);
    }

    void remove(KeyJobs kj) {
      if (kj.heapIndex >= 0) {
        late.remove(kj);
        return;
      }
      if (kj.prev == null) {
        first = kj.next;
      } else {
        kj.prev.next = kj.next;
      }
      if (kj.next == null) {
        last = kj.prev;
      } else {
        kj.next.prev = kj.prev;
      }
      kj.prev = null;
      kj.next = null;
    }

    /** Empties the list and the heap, leaving the keys' jobs alone; for a restore only. */
    void clear() {
      while (first != null) {
        remove(first);
      }
      while (late != null && late.poll() != null) {
        // polled: every key leaves the heap
      }
    }
  }

  /**
   * One key's READY jobs of one task type: a FIFO ring for jobs that arrive in order and a sorted
   * set for the rest, the head being the better of the two heads. Ring entries leave lazily: an
   * entry is live only while its job is READY with the {@link Job#readyStamp} it entered with;
   * stale ones are dropped at the head, and the ring is reset whenever its last live job leaves.
   * Entering the ring sets the job's stamp to the entry's number ({@link #pushed}), which the
   * entry's place gives back, so the ring needs no array of stamps beside its jobs (a job leaves no
   * other structure's entries behind while it is here: the lanes of a fair queue only count).
   */
  private static final class KeyJobs extends HeapMember {
    final Key key;
    final TaskKeys lane;
    KeyJobs nextOfKey;

    /** Neighbours in its task type's list (in stamp order), while not in its late heap. */
    KeyJobs prev;

    KeyJobs next;
    private Job[] ring;

    /** Entries ever pushed; the entry at offset i from the head is number pushed - size + i. */
    private int pushed;

    private int ringHead;
    private int ringSize;
    private int ringLive;
    private int ringPriority;
    private long ringTailSeq;
    private TreeSet<Job> sorted;
    int size;

    KeyJobs(Key key, TaskKeys lane) {
      this.key = key;
      this.lane = lane;
    }

    Job head() {
      Job r = liveRingHead();
      Job t = sorted == null || sorted.isEmpty() ? null : sorted.first();
      if (r == null || t == null) {
        return r == null ? t : r;
      }
      return compare(r, t) <= 0 ? r : t;
    }

    private Job liveRingHead() {
      if (ringSize == ringLive) { // no stale entry: the head is live, no need to read its stamp
        return ringSize == 0 ? null : ring[ringHead];
      }
      while (ringSize > 0) {
        Job j = ring[ringHead];
        if (isLive(j, pushed - ringSize)) {
          return j;
        }
        ring[ringHead] = null;
        ringHead = (ringHead + 1) & (ring.length - 1);
        ringSize--;
      }
      return null;
    }

    private static boolean isLive(Job job, int stamp) {
      return job.state == JobState.READY && job.readyStamp == stamp;
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
      if (ringSize > 0 && ringSize == ringLive && ring[ringHead] == job) {
        // The usual case, a lease taking the head: it leaves at once, so the ring stays free of
        // stale entries and the next head needs no stamp check.
        ring[ringHead] = null;
        ringHead = (ringHead + 1) & (ring.length - 1);
        ringSize--;
        ringLive--;
      } else if (sorted == null || !sorted.remove(job)) {
        Invariants.check(ringLive > 0, "job %s is not in its fairness key %s", job.id, key.name);
        ringLive--;
        if (ringLive == 0) {
          clearRing();
        }
      }
      size--;
    }

    void addLiveTo(java.util.Collection<Job> out) {
      for (int i = 0; i < ringSize; i++) {
        int at = (ringHead + i) & (ring.length - 1);
        if (isLive(ring[at], pushed - ringSize + i)) {
          out.add(ring[at]);
        }
      }
      if (sorted != null) {
        out.addAll(sorted);
      }
    }

    private void push(Job job) {
      if (ring == null) {
        ring = new Job[2];
      } else if (ringSize == ring.length) {
        Job[] bigger = new Job[ring.length * 2];
        for (int i = 0; i < ringSize; i++) {
          bigger[i] = ring[(ringHead + i) & (ring.length - 1)];
        }
        ring = bigger;
        ringHead = 0;
      }
      ring[(ringHead + ringSize) & (ring.length - 1)] = job;
      job.readyStamp = pushed++; // int wrap-around is harmless: entries are compared for equality
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

  private final QueueState queue;
  private final Map<String, Key> keys = new HashMap<>();
  private final Map<String, TaskKeys> byTask = new HashMap<>();

  /** The task types in the order they first had a job here, for the lease's pass over them. */
  final List<TaskKeys> tasks = new ArrayList<>();

  /** The last stamp given; the next key to join or end its turn gets the one after. */
  private long clock;

  private int jobs;

  /**
   * The job {@link #next} last chose and where it is, so that leasing it ({@link #served}, then
   * {@link #remove}) skips two lookups of its key. Not state, only a shortcut: while set, the job
   * is READY in that entry (its removal clears it).
   */
  private Job lastJob;

  private KeyJobs lastEntry;

  FairRing(QueueState queue) {
    this.queue = queue;
  }

  static String keyOf(Job job) {
    return job.fairnessKey == null ? NO_KEY : job.fairnessKey;
  }

  /** Higher priority, then earlier deadline, then older. */
  static int compare(Job a, Job b) {
    if (a.priority != b.priority) {
      return a.priority > b.priority ? -1 : 1;
    }
    if (a.deadlineMillis != b.deadlineMillis) {
      return a.deadlineMillis < b.deadlineMillis ? -1 : 1;
    }
    return Long.compare(a.seq, b.seq);
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
      k = new Key(name, ++clock);
      keys.put(name, k);
    }
    if (job.fairnessKey != null) {
      // From here on the job shares its key's name. Each job arrives with a string of its own, and
      // a backlog of a million jobs over a thousand keys would keep a million copies of a thousand
      // names alive, about 50 bytes each, for the collector to copy and the caches to hold.
      job.fairnessKey = k.name;
    }
    KeyJobs kj = k.of(job.task);
    if (kj == null) {
      TaskKeys lane = byTask.get(job.task);
      if (lane == null) {
        lane = new TaskKeys(job.task);
        byTask.put(job.task, lane);
        tasks.add(lane);
      }
      kj = new KeyJobs(k, lane);
      kj.nextOfKey = k.first;
      k.first = kj;
      lane.insert(kj);
    }
    kj.add(job);
    kj.lane.jobs++;
    jobs++;
  }

  /** Removes a job that is leaving READY (still READY now); call before its state changes. */
  void remove(Job job) {
    KeyJobs kj = entryOf(job);
    Invariants.check(
        kj != null,
        "READY job %s has no entry under its fairness key in queue %s",
        job.id,
        queue.name);
    Key k = kj.key;
    if (job == lastJob) {
      lastJob = null;
      lastEntry = null;
    }
    kj.remove(job);
    kj.lane.jobs--;
    jobs--;
    if (kj.size == 0) {
      kj.lane.remove(kj);
      k.unlink(kj);
      if (k.first == null) {
        keys.remove(k.name);
      }
    }
  }

  /**
   * The job the next lease takes from this queue, among the task types it may take now (its task
   * filter {@code taskFilter}, the task limits): the best such job of the first key in the ring
   * that has one; null when none has. One look at the first key of each task type of the queue.
   */
  Job next(Engine e, Set<String> taskFilter, long atMillis) {
    KeyJobs pick = null;
    Job pickJob = null;
    for (int i = 0; i < tasks.size(); i++) {
      TaskKeys lane = tasks.get(i);
      if (lane.jobs == 0 || !e.taskEligible(lane.task, taskFilter, atMillis)) {
        continue;
      }
      KeyJobs top = lane.top();
      if (pick == null || top.key.stamp < pick.key.stamp) {
        pick = top;
        pickJob = top.head();
      } else if (top.key == pick.key) {
        Job head = top.head();
        if (compare(head, pickJob) < 0) {
          pick = top;
          pickJob = head;
        }
      }
    }
    if (pickJob != null) {
      lastJob = pickJob;
      lastEntry = pick;
    }
    return pickJob;
  }

  private KeyJobs entryOf(Job job) {
    if (job == lastJob) {
      return lastEntry;
    }
    Key k = keys.get(keyOf(job));
    return k == null ? null : k.of(job.task);
  }

  /**
   * Called when {@code job}, which {@link #next} chose, is about to be leased: its key has had one
   * more job of its turn, and goes to the back of the ring once it has had its weight.
   */
  void served(Job job) {
    KeyJobs kj = entryOf(job);
    Invariants.check(
        kj != null && kj.lane.top() == kj,
        "job %s leased out of turn from fair queue %s",
        job.id,
        queue.name);
    Key k = kj.key;
    k.served++;
    if (k.served >= queue.keyWeight(k.name)) {
      k.served = 0;
      k.stamp = ++clock;
      for (KeyJobs t = k.first; t != null; t = t.nextOfKey) {
        t.lane.remove(t);
        t.lane.insert(t); // the highest stamp: to the back of the list
      }
    }
  }

  /** Adds the ring's jobs to {@code out}, unordered; O(jobs), for a policy change only. */
  void moveAllTo(java.util.Collection<Job> out) {
    for (Key k : keys.values()) {
      for (KeyJobs kj = k.first; kj != null; kj = kj.nextOfKey) {
        kj.addLiveTo(out);
      }
    }
  }

  /** The keys in serving order, from the front; O(k log k), for snapshots only. */
  List<String> order() {
    List<Key> byStamp = new ArrayList<>(keys.values());
    byStamp.sort((a, b) -> Long.compare(a.stamp, b.stamp));
    List<String> out = new ArrayList<>(byStamp.size());
    for (Key k : byStamp) {
      out.add(k.name);
    }
    return out;
  }

  /** The keys in the middle of a turn and their jobs so far, in {@code order}, for snapshots. */
  Map<String, Integer> partialTurns(List<String> order) {
    Map<String, Integer> out = new java.util.LinkedHashMap<>();
    for (String name : order) {
      int served = keys.get(name).served;
      if (served > 0) {
        out.put(name, served);
      }
    }
    return out;
  }

  /**
   * Puts the ring back in a snapshot's order with its partial turns; the keys must be exactly those
   * that hold ready jobs.
   */
  void restore(List<String> order, Map<String, Integer> turns) {
    Invariants.check(
        order.size() == keys.size(),
        "fair ring of %s: snapshot names %d keys, %d" + " hold ready jobs",
        queue.name,
        order.size(),
        keys.size());
    for (Key k : keys.values()) { // marking only: the iteration order does not matter
      k.stamp = 0;
    }
    for (TaskKeys lane : tasks) {
      lane.clear();
    }
    clock = 0;
    for (String name : order) {
      Key k = keys.get(name);
      Invariants.check(
          k != null && k.stamp == 0,
          "fair ring of %s: key %s is unknown or named" + " twice",
          queue.name,
          name);
      k.stamp = ++clock;
      Integer served = turns.get(name);
      k.served = served == null ? 0 : served;
      for (KeyJobs kj = k.first; kj != null; kj = kj.nextOfKey) {
        kj.lane.insert(kj); // in stamp order: each goes to the back of its list
      }
    }
  }
}
