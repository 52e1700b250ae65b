package dev.hourglass.core.engine;

import java.util.Arrays;
import java.util.Comparator;

/**
 * A binary min-heap whose members know their own index, giving O(log n) insert, removal of any
 * member and re-keying after a member's key changed. Not thread-safe: the engine is confined to
 * one thread.
 */
final class IndexedHeap<T extends HeapMember> {
  private final Comparator<? super T> order;
  private HeapMember[] items = new HeapMember[16];
  private int size;

  IndexedHeap(Comparator<? super T> order) {
    this.order = order;
  }

  int size() {
    return size;
  }

  boolean isEmpty() {
    return size == 0;
  }

  @SuppressWarnings("unchecked")
  T peek() {
    return size == 0 ? null : (T) items[0];
  }

  void add(T member) {
    Invariants.check(member.heapIndex < 0, "member already in a heap at index %d", member.heapIndex);
    if (size == items.length) {
      items = Arrays.copyOf(items, size * 2);
    }
    items[size] = member;
    member.heapIndex = size;
    size++;
    siftUp(size - 1);
  }

  T poll() {
    T top = peek();
    if (top != null) {
      remove(top);
    }
    return top;
  }

  /** Removes a member of this heap; a member of no heap is a bug. */
  void remove(T member) {
    int i = member.heapIndex;
    Invariants.check(i >= 0 && i < size && items[i] == member, "member not in this heap");
    size--;
    HeapMember last = items[size];
    items[size] = null;
    member.heapIndex = -1;
    if (i != size) {
      items[i] = last;
      last.heapIndex = i;
      siftDown(i);
      siftUp(last.heapIndex);
    }
    if (items.length > 64 && size < items.length / 4) {
      items = Arrays.copyOf(items, items.length / 2);
    }
  }

  /** Restores order after the member's key changed in either direction. */
  void update(T member) {
    siftDown(member.heapIndex);
    siftUp(member.heapIndex);
  }

  boolean contains(T member) {
    int i = member.heapIndex;
    return i >= 0 && i < size && items[i] == member;
  }

  @SuppressWarnings("unchecked")
  private int compare(int a, int b) {
    return order.compare((T) items[a], (T) items[b]);
  }

  private void siftUp(int i) {
    while (i > 0) {
      int parent = (i - 1) >>> 1;
      if (compare(i, parent) >= 0) {
        return;
      }
      swap(i, parent);
      i = parent;
    }
  }

  private void siftDown(int i) {
    while (true) {
      int left = 2 * i + 1;
      if (left >= size) {
        return;
      }
      int right = left + 1;
      int smallest = right < size && compare(right, left) < 0 ? right : left;
      if (compare(smallest, i) >= 0) {
        return;
      }
      swap(i, smallest);
      i = smallest;
    }
  }

  private void swap(int a, int b) {
    HeapMember x = items[a];
    items[a] = items[b];
    items[b] = x;
    items[a].heapIndex = a;
    items[b].heapIndex = b;
  }
}
