package dev.hourglass.core.engine;

/**
 * Something that sits in at most one {@link IndexedHeap} at a time and remembers its position
 * there, so that it can be removed or re-keyed in O(log n) without a search.
 */
abstract class HeapMember {
  /** Position in the heap that holds this member, or -1 when in none. */
  int heapIndex = -1;
}
