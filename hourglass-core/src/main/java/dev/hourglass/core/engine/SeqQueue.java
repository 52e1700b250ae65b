package dev.hourglass.core.engine;

import java.util.function.LongConsumer;

/**
 * A first-in first-out queue of job sequence numbers in one growable ring of {@code long}s: a
 * million entries cost eight megabytes and no objects. Not thread-safe.
 */
final class SeqQueue {
  private long[] ring = new long[16];
  private int head;
  private int size;

  int size() {
    return size;
  }

  boolean isEmpty() {
    return size == 0;
  }

  void addLast(long seq) {
    if (size == ring.length) {
      long[] grown = new long[ring.length * 2];
      int first = ring.length - head;
      System.arraycopy(ring, head, grown, 0, first);
      System.arraycopy(ring, 0, grown, first, head);
      ring = grown;
      head = 0;
    }
    ring[(head + size) & (ring.length - 1)] = seq;
    size++;
  }

  long peekFirst() {
    if (size == 0) {
      throw Invariants.violated("peek of an empty sequence queue");
    }
    return ring[head];
  }

  long pollFirst() {
    long seq = peekFirst();
    head = (head + 1) & (ring.length - 1);
    size--;
    if (size == 0 && ring.length > 1024) {
      ring = new long[16]; // a drained burst does not keep its ring
      head = 0;
    }
    return seq;
  }

  /** Oldest first. */
  void forEach(LongConsumer action) {
    for (int i = 0; i < size; i++) {
      action.accept(ring[(head + i) & (ring.length - 1)]);
    }
  }
}
