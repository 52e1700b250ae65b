package dev.hourglass.runtime;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Random;
import java.util.UUID;
import org.junit.jupiter.api.Test;

/**
 * The routing of ids and keys to partitions: pinned values (the mapping must never change for a
 * given count), jump-hash consistency, the routing key rules, and seeded randomized placement of
 * keys, pipelines and schedules (the seed is printed; rerun with -Dpartitions.seed=...).
 */
class PartitionRoutingTest {
  private static final long SEED = Long.getLong("partitions.seed", System.nanoTime());

  @Test
  void theMappingIsPinned() {
    // Computed once and pinned: a change here moves every job of existing data directories.
    assertThat(PartitionRouting.hash("")).isEqualTo(PINNED_EMPTY);
    assertThat(
            List.of(
                PartitionRouting.partitionOfKey("order-7", 4),
                PartitionRouting.partitionOfKey("customer-42", 4),
                PartitionRouting.partitionOfKey("a", 16),
                PartitionRouting.partitionOfKey("b", 16),
                PartitionRouting.partitionOfKey("ü", 3)))
        .isEqualTo(PINNED_KEYS);
    assertThat(PartitionRouting.partitionOfKey("anything", 1)).isZero();
  }

  static final long PINNED_EMPTY = 0xefd01f60ba992926L;
  static final List<Integer> PINNED_KEYS = List.of(3, 3, 5, 8, 1);

  @Test
  void anIdRoutesByItsPrefixOrItsSchedule() {
    assertThat(PartitionRouting.routingKey("order-7~charge")).isEqualTo("order-7");
    assertThat(PartitionRouting.routingKey("order-7~a~b")).isEqualTo("order-7");
    assertThat(PartitionRouting.routingKey("~x")).isEqualTo("~x");
    assertThat(PartitionRouting.routingKey("nightly@1700000000000")).isEqualTo("nightly");
    assertThat(PartitionRouting.routingKey("a@5@1700000000000")).isEqualTo("a");
    assertThat(PartitionRouting.routingKey("k~nightly@1700000000000")).isEqualTo("k");
    assertThat(PartitionRouting.routingKey("user@example")).isEqualTo("user@example");
    assertThat(PartitionRouting.routingKey("@123")).isEqualTo("@123");
    for (int n = 1; n <= 16; n++) {
      assertThat(PartitionRouting.partitionOfId("order-7~charge", n))
          .isEqualTo(PartitionRouting.partitionOfKey("order-7", n));
    }
  }

  @Test
  void jumpHashMovesOnlyKeysToTheNewPartitionAndSpreadsEvenly() {
    System.out.println("partitions.seed=" + SEED);
    var random = new Random(SEED);
    int keys = 20_000;
    for (int n = 1; n < 12; n++) {
      int[] counts = new int[n + 1];
      for (int i = 0; i < keys; i++) {
        String key = "k" + random.nextLong();
        int before = PartitionRouting.partitionOfKey(key, n);
        int after = PartitionRouting.partitionOfKey(key, n + 1);
        assertThat(after == before || after == n)
            .as("key %s from %d of %d", key, before, n)
            .isTrue();
        counts[after]++;
      }
      for (int c : counts) { // expected keys/(n+1) each; 6 sigma would be far below 25 %
        assertThat(c).isBetween((int) (keys / (n + 1) * 0.75), (int) (keys / (n + 1) * 1.25));
      }
    }
    int[] sequential = new int[8];
    for (int i = 0; i < 8_000; i++) { // keys differing in their last characters spread too
      sequential[PartitionRouting.partitionOfKey("order-" + i, 8)]++;
    }
    for (int c : sequential) {
      assertThat(c).isBetween(750, 1250);
    }
  }

  @Test
  void randomSubmitsPlaceEveryPipelineInOnePartitionAndEveryIdFindsIt() {
    System.out.println("partitions.seed=" + SEED);
    var random = new Random(SEED);
    int placedRounds = 0;
    for (int round = 0; round < 200; round++) {
      int n = 1 + random.nextInt(8);
      List<PartitionPlacement.Item> items = new ArrayList<>();
      List<Boolean> generated = new ArrayList<>();
      Map<String, Integer> existing = new HashMap<>(); // parents submitted before, by id
      for (int i = 0; i < 5; i++) {
        String id = "old" + random.nextInt(1000);
        existing.put(id, PartitionRouting.partitionOfId(id, n));
      }
      String pipelineKey = "p" + random.nextInt(50);
      int size = 1 + random.nextInt(12);
      for (int i = 0; i < size; i++) {
        String id =
            switch (random.nextInt(3)) {
              case 0 -> null;
              case 1 -> pipelineKey + "~job" + i;
              default -> "job" + round + "-" + i;
            };
        String key = random.nextInt(3) == 0 ? pipelineKey : null;
        List<String> parents = new ArrayList<>();
        if (random.nextInt(3) == 0 && i > 0 && items.get(i - 1).jobId() != null) {
          parents.add(items.get(i - 1).jobId());
        }
        if (random.nextInt(5) == 0) {
          parents.add(existing.keySet().iterator().next());
        }
        String idem = random.nextInt(4) == 0 ? "idem" + random.nextInt(100) : null;
        items.add(new PartitionPlacement.Item(id, key, parents, idem));
        generated.add(id == null);
      }
      int[] placed;
      try {
        placed = PartitionPlacement.place(items, n, () -> random.nextInt(1000));
        placedRounds++;
      } catch (PartitionPlacement.Conflict e) {
        assertThat(n).isGreaterThan(1);
        assertThat(e.getMessage()).contains("partition_key").contains("partition ");
        continue;
      }
      for (int i = 0; i < size; i++) {
        var item = items.get(i);
        assertThat(placed[i]).isBetween(0, n - 1);
        if (item.jobId() != null) { // every later call finds the job by its id alone
          assertThat(PartitionRouting.partitionOfId(item.jobId(), n)).isEqualTo(placed[i]);
        }
        if (item.partitionKey() != null) {
          assertThat(PartitionRouting.partitionOfKey(item.partitionKey(), n)).isEqualTo(placed[i]);
        }
        for (String parent : item.dependsOn()) { // a job lives with its parents
          int parentAt =
              existing.containsKey(parent) ? existing.get(parent) : placed[indexOf(items, parent)];
          assertThat(parentAt).isEqualTo(placed[i]);
        }
        if (generated.get(i)) { // a generated id is drawn to route where the job was placed
          String drawn = idIn(n, placed[i], random);
          assertThat(PartitionRouting.partitionOfId(drawn, n)).isEqualTo(placed[i]);
        }
      }
      // A schedule's firings live with the schedule.
      String schedule = random.nextBoolean() ? "s" + random.nextInt(100) : pipelineKey + "~s";
      long fire = random.nextLong(0, Long.MAX_VALUE);
      assertThat(PartitionRouting.partitionOfId(schedule + "@" + fire, n))
          .isEqualTo(PartitionRouting.partitionOfId(schedule, n));
    }
    assertThat(placedRounds).as("rounds placed without a conflict").isGreaterThan(20);
  }

  @Test
  void partsOfOnePipelineInTwoPartitionsAreRefusedWithWhatToDo() {
    String a = null;
    String b = null;
    for (int i = 0; a == null || b == null; i++) { // two parents in different partitions
      String id = "parent" + i;
      if (PartitionRouting.partitionOfId(id, 4) == 0 && a == null) {
        a = id;
      } else if (PartitionRouting.partitionOfId(id, 4) == 1 && b == null) {
        b = id;
      }
    }
    var child = new PartitionPlacement.Item(null, null, List.of(a, b), null);
    String first = a;
    assertThatThrownBy(() -> PartitionPlacement.place(List.of(child), 4, () -> 0))
        .isInstanceOf(PartitionPlacement.Conflict.class)
        .hasMessageContaining(first + " lives in partition 0")
        .hasMessageContaining("partition 1")
        .hasMessageContaining("same partition_key");
  }

  private static int indexOf(List<PartitionPlacement.Item> items, String id) {
    for (int i = 0; i < items.size(); i++) {
      if (id.equals(items.get(i).jobId())) {
        return i;
      }
    }
    throw new AssertionError("no item " + id);
  }

  private static String idIn(int n, int partition, Random random) {
    for (int i = 0; i < 64 * n; i++) {
      String id = new UUID(random.nextLong(), random.nextLong()).toString();
      if (PartitionRouting.partitionOfId(id, n) == partition) {
        return id;
      }
    }
    throw new AssertionError("no id for partition " + partition);
  }
}
