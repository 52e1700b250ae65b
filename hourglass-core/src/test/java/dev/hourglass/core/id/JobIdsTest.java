package dev.hourglass.core.id;

import static org.assertj.core.api.Assertions.assertThat;

import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Set;
import java.util.UUID;
import java.util.concurrent.ConcurrentHashMap;
import org.junit.jupiter.api.Test;

/** Goal: the default ids are RFC 9562 UUIDv7, ordered by their millisecond, and never repeat. */
class JobIdsTest {

  @Test
  void idsAreVersion7WithTheirMillisecondFirst() {
    long[] clock = {1_795_500_000_000L};
    var ids = new JobIds(() -> clock[0], JobIdsTest::anyLong);
    UUID a = UUID.fromString(ids.next());
    clock[0] += 1;
    UUID b = UUID.fromString(ids.next());
    assertThat(a.version()).isEqualTo(7);
    assertThat(a.variant()).isEqualTo(2);
    assertThat(a.getMostSignificantBits() >>> 16).isEqualTo(1_795_500_000_000L);
    assertThat(b.toString()).isGreaterThan(a.toString()); // a later millisecond sorts later
  }

  private static long anyLong() {
    return 0x0123456789ABCDEFL;
  }

  @Test
  void theDefaultGeneratorNeverRepeatsAcrossThreads() throws Exception {
    JobIds ids = JobIds.withThreadLocalRandom(System::currentTimeMillis);
    Set<String> seen = ConcurrentHashMap.newKeySet();
    List<Thread> threads = new ArrayList<>();
    for (int t = 0; t < 4; t++) {
      threads.add(
          Thread.ofVirtual()
              .start(
                  () -> {
                    Set<String> mine = new HashSet<>();
                    for (int i = 0; i < 50_000; i++) {
                      mine.add(ids.next());
                    }
                    seen.addAll(mine);
                  }));
    }
    for (Thread t : threads) {
      t.join();
    }
    assertThat(seen).hasSize(200_000);
  }
}
