package dev.hourglass.core.engine;

import java.util.ArrayList;
import java.util.List;

/**
 * An insertion-ordered set of live attempts, linked through fields of the attempts themselves.
 * Replaces a {@code LinkedHashSet<Job>} on the lease hot path: add and remove are O(1) and allocate
 * nothing, and iteration order is insertion order on every replica. Two chains exist: each worker's
 * leases, and the engine's unacknowledged assignments; an attempt carries links for both. Not
 * thread-safe.
 */
final class AttemptChain {
  enum Kind {
    WORKER_LEASES,
    UNACKNOWLEDGED
  }

  private final Kind kind;
  private Attempt head;
  private Attempt tail;
  private int size;

  AttemptChain(Kind kind) {
    this.kind = kind;
  }

  int size() {
    return size;
  }

  boolean isEmpty() {
    return size == 0;
  }

  void add(Attempt a) {
    Invariants.check(!contains(a), "attempt of %s already chained", a.job);
    setPrev(a, tail);
    setNext(a, null);
    if (tail == null) {
      head = a;
    } else {
      setNext(tail, a);
    }
    tail = a;
    setMember(a, true);
    size++;
  }

  /** Removes the attempt if it is in this chain; returns whether it was. */
  boolean remove(Attempt a) {
    if (!contains(a)) {
      return false;
    }
    Attempt p = prev(a);
    Attempt n = next(a);
    if (p == null) {
      head = n;
    } else {
      setNext(p, n);
    }
    if (n == null) {
      tail = p;
    } else {
      setPrev(n, p);
    }
    setPrev(a, null);
    setNext(a, null);
    setMember(a, false);
    size--;
    return true;
  }

  boolean contains(Attempt a) {
    return kind == Kind.WORKER_LEASES ? a.inWorkerChain : a.inUnackedChain;
  }

  /**
   * The jobs of the chained attempts, oldest first (a copy: safe to change the chain while using
   * it).
   */
  List<Job> jobs() {
    List<Job> out = new ArrayList<>(size);
    for (Attempt a = head; a != null; a = next(a)) {
      out.add(a.job);
    }
    return out;
  }

  private Attempt prev(Attempt a) {
    return kind == Kind.WORKER_LEASES ? a.workerPrev : a.unackedPrev;
  }

  private Attempt next(Attempt a) {
    return kind == Kind.WORKER_LEASES ? a.workerNext : a.unackedNext;
  }

  private void setPrev(Attempt a, Attempt p) {
    if (kind == Kind.WORKER_LEASES) {
      a.workerPrev = p;
    } else {
      a.unackedPrev = p;
    }
  }

  private void setNext(Attempt a, Attempt n) {
    if (kind == Kind.WORKER_LEASES) {
      a.workerNext = n;
    } else {
      a.unackedNext = n;
    }
  }

  private void setMember(Attempt a, boolean member) {
    if (kind == Kind.WORKER_LEASES) {
      a.inWorkerChain = member;
    } else {
      a.inUnackedChain = member;
    }
  }
}
