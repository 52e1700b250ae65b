package dev.hourglass.core.engine;

import static org.assertj.core.api.Assertions.assertThat;

import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
import java.util.Random;
import java.util.TreeSet;
import org.junit.jupiter.api.Test;

/**
 * The heap against a reference (a TreeSet with the same order) under random adds, removals of any
 * member, re-keys and polls. Small key ranges force ties on the first key, on both keys, and
 * through to the tie-break comparator. A failure names its seed; {@code -Dhourglass.seed=N} replays
 * it.
 */
class IndexedHeapTest {
  /** A member with two mutable keys and a name for the last tie-break. */
  static final class Item extends HeapMember {
    long a;
    long b;
    final String name;

    Item(long a, long b, String name) {
      this.a = a;
      this.b = b;
      this.name = name;
    }

    @Override
    public String toString() {
      return name + "(" + a + "," + b + ")";
    }
  }

  private static final Comparator<Item> ORDER =
      Comparator.<Item>comparingLong(i -> i.a)
          .thenComparingLong(i -> i.b)
          .thenComparing(i -> i.name);

  @Test
  void behavesLikeASortedSetUnderRandomOperations() {
    long first = Long.getLong("hourglass.seed", System.nanoTime());
    int runs = Long.getLong("hourglass.seed") != null ? 1 : 200;
    for (int r = 0; r < runs; r++) {
      long seed = first + r;
      try {
        run(seed);
      } catch (AssertionError | RuntimeException e) {
        throw new AssertionError(
            "IndexedHeapTest failed with seed "
                + seed
                + "; replay with -Dhourglass.seed="
                + seed
                + ": "
                + e.getMessage(),
            e);
      }
    }
  }

  private static void run(long seed) {
    var random = new Random(seed);
    int keyRange = 1 + random.nextInt(random.nextBoolean() ? 4 : 1_000);
    var heap = new IndexedHeap<Item>(i -> i.a, i -> i.b, Comparator.comparing(i -> i.name));
    var reference = new TreeSet<>(ORDER);
    List<Item> inHeap = new ArrayList<>();
    List<Item> outside = new ArrayList<>();
    int steps = 50 + random.nextInt(2_000);
    for (int s = 0; s < steps; s++) {
      int op = random.nextInt(10);
      if (op < 4 || inHeap.isEmpty()) {
        Item item =
            !outside.isEmpty() && random.nextBoolean()
                ? outside.remove(random.nextInt(outside.size()))
                : new Item(0, 0, "i" + seed + "-" + s);
        item.a = random.nextInt(keyRange);
        item.b = random.nextInt(keyRange);
        heap.add(item);
        reference.add(item);
        inHeap.add(item);
      } else if (op < 6) {
        Item item = inHeap.remove(random.nextInt(inHeap.size()));
        heap.remove(item);
        reference.remove(item);
        outside.add(item);
      } else if (op < 8) {
        Item item = inHeap.get(random.nextInt(inHeap.size()));
        reference.remove(item);
        item.a = random.nextInt(keyRange);
        item.b = random.nextInt(keyRange);
        heap.update(item);
        reference.add(item);
      } else {
        Item polled = heap.poll();
        assertThat(polled).isSameAs(reference.pollFirst());
        inHeap.remove(polled);
        outside.add(polled);
      }
      assertThat(heap.size()).isEqualTo(reference.size());
      assertThat(heap.peek()).isSameAs(reference.isEmpty() ? null : reference.first());
    }
    for (Item item : outside) {
      assertThat(heap.contains(item)).as("removed %s", item).isFalse();
    }
    for (Item item : inHeap) {
      assertThat(heap.contains(item)).as("kept %s", item).isTrue();
    }
    while (!reference.isEmpty()) {
      assertThat(heap.poll()).isSameAs(reference.pollFirst());
    }
    assertThat(heap.isEmpty()).isTrue();
  }
}
