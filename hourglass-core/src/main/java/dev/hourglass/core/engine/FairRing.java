package dev.hourglass.core.engine;

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
 * bounded by the keys with work, not by every key ever seen. A key with weight w is served w
 * times in a row before the cursor moves on ({@link #served}). Inside a key, jobs are ordered as
 * the plain lanes order them: higher priority, then earlier deadline, then older. A key holds its
 * one job in a field and only a key with two or more gets a sorted set, since with a million keys
 * most hold one job.
 *
 * <p>So every operation is O(log k) in the jobs of one key, plus an O(1) hash lookup of the key:
 * there is no pass over the keys, however many there are. The jobs are also in their plain lanes
 * (the counts and listings read those); this ring only decides which one a lease takes.
 *
 * <p>The ring order is state: it is written to the snapshot and restored by {@link #restore}.
 */
final class FairRing {
  /** Higher priority, then earlier deadline, then older (seq is unique). */
  static final Comparator<Job> ORDER = Comparator.<Job>comparingInt(j -> -j.priority)
      .thenComparingLong(j -> j.deadlineMillis).thenComparingLong(j -> j.seq);

  /** The key of jobs submitted without one. */
  static final String NO_KEY = "";

  private static final class Key {
    final String name;
    Job only;
    TreeSet<Job> many;
    int size;
    Key prev;
    Key next;

    Key(String name) {
      this.name = name;
    }

    Job head() {
      return many != null ? many.first() : only;
    }

    void add(Job job) {
      if (size == 0) {
        only = job;
      } else {
        if (many == null) {
          many = new TreeSet<>(ORDER);
          many.add(only);
          only = null;
        }
        many.add(job);
      }
      size++;
    }

    void remove(Job job) {
      if (many != null) {
        Invariants.check(many.remove(job), "job %s is not in its fairness key %s", job.id, name);
        if (many.size() == 1) {
          only = many.first();
          many = null;
        }
      } else {
        Invariants.check(only == job, "job %s is not in its fairness key %s", job.id, name);
        only = null;
      }
      size--;
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
    Invariants.check(front != null && front.name.equals(keyOf(job)),
        "job %s leased out of turn from fair queue %s", job.id, queue.name);
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
    Invariants.check(order.size() == keys.size(), "fair ring of %s/%s: snapshot names %d keys,"
        + " %d hold ready jobs", queue.name, task, order.size(), keys.size());
    for (Key k : keys.values()) { // clearing links only: the iteration order does not matter
      k.prev = null;
      k.next = null;
    }
    front = null;
    for (String name : order) {
      Key k = keys.get(name);
      Invariants.check(k != null && k.next == null, "fair ring of %s/%s: key %s is unknown or"
          + " named twice", queue.name, task, name);
      link(k);
    }
    turnUsed = used;
  }
}
