package dev.hourglass.core.engine;

import static org.assertj.core.api.Assertions.assertThat;

import dev.hourglass.core.command.JobSpec;
import org.junit.jupiter.api.Test;

/**
 * Jobs share one instance of the names they repeat, however each command spelled them: a retained
 * job's memory is then its own fields, not copies of its task type's name.
 */
class NameCacheTest {

  /** A fresh copy, as a request's JSON or the log's decoder hands each command. */
  private static String copyOf(String s) {
    return new String(s.toCharArray());
  }

  private static JobSpec spec(String id) {
    return JobSpec.of(id, copyOf("render-invoice"), null)
        .withQueue(copyOf("billing"))
        .withFairnessKey(copyOf("tenant-7"));
  }

  @Test
  void jobsSubmittedWithCopiesOfOneNameHoldOneInstance() {
    EngineFixture f = new EngineFixture();
    f.submit(spec("a"));
    f.submit(spec("b"));
    Job a = f.engine.jobs.get("a");
    Job b = f.engine.jobs.get("b");
    assertThat(b.task).isEqualTo("render-invoice").isSameAs(a.task);
    assertThat(b.queue).isEqualTo("billing").isSameAs(a.queue);
    assertThat(b.fairnessKey).isEqualTo("tenant-7").isSameAs(a.fairnessKey);
  }

  @Test
  void jobsReadFromASnapshotShareTheirNamesAndTheSnapshotIsUnchanged() throws Exception {
    EngineFixture f = new EngineFixture();
    f.submit(spec("a"));
    f.submit(spec("b"));
    byte[] snapshot = EngineSnapshot.toBytes(f.engine);
    Engine restored = BoundedStateTest.restore(snapshot);
    Job a = restored.jobs.get("a");
    Job b = restored.jobs.get("b");
    assertThat(b.task).isSameAs(a.task);
    assertThat(b.queue).isSameAs(a.queue);
    assertThat(b.fairnessKey).isSameAs(a.fairnessKey);
    assertThat(EngineSnapshot.toBytes(restored)).isEqualTo(snapshot);
  }

  @Test
  void aNameIsSharedUntilAnotherWithTheSameSlotTakesIt() {
    NameCache cache = new NameCache();
    String first = copyOf("emails");
    assertThat(cache.share(first)).isSameAs(first);
    assertThat(cache.share(copyOf("emails"))).isSameAs(first);
    assertThat(cache.share(null)).isNull();

    // Fill every slot with other names: the cache stays bounded, each name still comes back equal.
    for (int i = 0; i < 4 * NameCache.SLOTS; i++) {
      String name = "key-" + i;
      assertThat(cache.share(copyOf(name))).isEqualTo(name);
    }
    String later = copyOf("emails");
    assertThat(cache.share(later)).isEqualTo("emails");
    assertThat(cache.share(copyOf("emails"))).isSameAs(later);
  }
}
