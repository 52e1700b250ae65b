package dev.hourglass.core.engine;

import static org.assertj.core.api.Assertions.assertThat;

import dev.hourglass.core.command.Backoff;
import dev.hourglass.core.command.TraceContext;
import dev.hourglass.core.view.JobState;
import java.io.ByteArrayOutputStream;
import java.io.DataOutputStream;
import java.io.IOException;
import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.SplittableRandom;
import org.junit.jupiter.api.Test;

/**
 * The store of succeeded jobs against a plain model: a record reads back as the job it was, ids are
 * found until their job leaves, and chunks are released as the oldest records go. Seeded: a failure
 * prints its seed; replay with {@code -Dhourglass.seed=N}.
 */
class ArchivedJobsTest {
  private static final int RUNS = 20;

  @Test
  void recordsReadBackAsTheJobsTheyWere() throws Exception {
    forEachSeed(
        random -> {
          ArchivedJobs archive = new ArchivedJobs();
          for (int i = 0; i < 300; i++) {
            Job job = randomJob(random, i + 1);
            long at = archive.add(job);
            assertThat(at).as("position of %s", job.id).isNotNegative();
            Job back = archive.read(at);
            assertThat(encoded(back)).as("record of %s", job.id).isEqualTo(encoded(job));
            assertThat(EngineQueries.view(back)).isEqualTo(EngineQueries.view(job));
            ByteArrayOutputStream copied = new ByteArrayOutputStream();
            archive.writeJob(at, new DataOutputStream(copied));
            assertThat(copied.toByteArray()).as("bytes a snapshot copies").isEqualTo(jobBytes(job));
            assertThat(archive.idAt(at)).isEqualTo(job.id);
            assertThat(archive.queueAt(at)).isEqualTo(job.queue);
            assertThat(archive.fairnessKeyAt(at)).isEqualTo(job.fairnessKey);
            assertThat(archive.finishedAtMillis(at)).isEqualTo(job.dueAtMillis);
          }
        });
  }

  @Test
  void randomAddsEvictionsAndRemovalsMatchAModel() throws Exception {
    forEachSeed(
        random -> {
          ArchivedJobs archive = new ArchivedJobs();
          ArrayDeque<String> finishOrder = new ArrayDeque<>(); // ids still held, oldest first
          Map<String, Long> positions = new HashMap<>();
          List<String> gone = new ArrayList<>();
          long seq = 0;
          for (int step = 0; step < 20_000; step++) {
            int op = random.nextInt(10);
            if (op < 6 || finishOrder.isEmpty()) {
              Job job = randomJob(random, ++seq);
              long at = archive.add(job);
              finishOrder.addLast(job.id);
              positions.put(job.id, at);
            } else if (op < 9) {
              String oldest = finishOrder.pollFirst();
              archive.evictOldest(positions.remove(oldest));
              gone.add(oldest);
            } else {
              // Taken back as an object: any record but the oldest, leaving a tombstone.
              List<String> held = new ArrayList<>(finishOrder);
              String id = held.get(random.nextInt(held.size()));
              archive.remove(positions.remove(id));
              finishOrder.remove(id);
              gone.add(id);
            }
            assertThat(archive.size()).isEqualTo(finishOrder.size());
            if (step % 997 == 0) {
              for (String id : finishOrder) {
                assertThat(archive.find(id)).as("position of %s", id).isEqualTo(positions.get(id));
              }
              for (String id : gone.subList(Math.max(0, gone.size() - 200), gone.size())) {
                assertThat(archive.find(id)).as("position of %s, gone", id).isEqualTo(-1);
              }
            }
          }
          while (!finishOrder.isEmpty()) {
            archive.evictOldest(positions.remove(finishOrder.pollFirst()));
          }
          assertThat(archive.size()).isZero();
          assertThat(archive.chunksHeld()).as("chunks held once empty").isLessThanOrEqualTo(1);
        });
  }

  @Test
  void aRecordTooLargeForAChunkIsRefusedAndChangesNothing() {
    ArchivedJobs archive = new ArchivedJobs();
    Job job = job("big", 1, "x".repeat(ArchivedJobs.RECORD_BYTES_MAX));
    assertThat(archive.add(job)).isEqualTo(-1);
    assertThat(archive.size()).isZero();
    assertThat(archive.find("big")).isEqualTo(-1);
    Job small = job("small", 2, "x");
    assertThat(archive.read(archive.add(small)).id).isEqualTo("small");
  }

  private static void forEachSeed(SeededCheck check) throws Exception {
    Long fixed = Long.getLong("hourglass.seed");
    long[] seeds =
        fixed != null ? new long[] {fixed} : new SplittableRandom().longs(RUNS).toArray();
    for (long seed : seeds) {
      try {
        check.run(new SplittableRandom(seed));
      } catch (AssertionError | RuntimeException e) {
        throw new AssertionError(
            "failed for seed " + seed + "; replay with -Dhourglass.seed=" + seed, e);
      }
    }
  }

  private interface SeededCheck {
    void run(SplittableRandom random) throws Exception;
  }

  private static Job job(String id, long seq, String payload) {
    Job job = new Job(id, seq, "q", "t", payload, 0, Long.MAX_VALUE, 1_000, 3, Backoff.DEFAULT, 0);
    job.state = JobState.SUCCEEDED;
    job.dueAtMillis = 2_000;
    return job;
  }

  /** A succeeded job with every field an archived job can carry set at random. */
  private static Job randomJob(SplittableRandom random, long seq) {
    // Ids of every width of UTF-8, so the store's byte-level id comparison is exercised.
    String id = "job-" + seq + "-" + "aé€😀".repeat(random.nextInt(3));
    int payloadBytes = random.nextInt(50) == 0 ? random.nextInt(200_000) : random.nextInt(300);
    String payload = random.nextInt(10) == 0 ? null : "p".repeat(payloadBytes);
    Job job =
        new Job(
            id,
            seq,
            "queue-" + random.nextInt(3),
            "task-" + random.nextInt(3),
            payload,
            random.nextInt(-5, 6),
            random.nextBoolean() ? Long.MAX_VALUE : random.nextLong(1, 1L << 50),
            random.nextLong(1, 1L << 45),
            random.nextInt(1, 10),
            Backoff.of(random.nextLong(1, 10_000), 3_600_000, random.nextBoolean()),
            random.nextInt(3) == 0 ? random.nextLong(1, 100_000) : 0);
    job.state = JobState.SUCCEEDED;
    job.dueAtMillis = random.nextLong(1, 1L << 45);
    int attempts = random.nextInt(1, 4);
    for (int g = 1; g <= attempts; g++) {
      Attempt a =
          new Attempt(job, job.lastAttempt, "worker-" + random.nextInt(4), g, g * 10L, g * 20L);
      a.end(
          g * 15L,
          g == attempts ? Attempt.Outcome.SUCCEEDED : Attempt.Outcome.FAILED,
          g == attempts ? null : "error " + g);
      a.acknowledged = random.nextBoolean();
      job.lastAttempt = a;
    }
    job.generation = attempts;
    job.failures = attempts - 1;
    if (random.nextBoolean()) {
      JobExtras x = job.extras();
      x.result = random.nextBoolean() ? "result of " + id : null;
      x.runAtMillis = random.nextBoolean() ? random.nextLong(1, 1L << 45) : 0;
      x.trace =
          random.nextBoolean()
              ? new TraceContext("00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01", null)
              : null;
    }
    job.fairnessKey = random.nextBoolean() ? "tenant-" + random.nextInt(5) : null;
    return job;
  }

  private static byte[] jobBytes(Job job) throws IOException {
    ByteArrayOutputStream bytes = new ByteArrayOutputStream();
    EngineSnapshot.writeJob(new DataOutputStream(bytes), job);
    return bytes.toByteArray();
  }

  private static byte[] encoded(Job job) throws IOException {
    ByteArrayOutputStream bytes = new ByteArrayOutputStream();
    DataOutputStream out = new DataOutputStream(bytes);
    EngineSnapshot.writeJob(out, job);
    dev.hourglass.core.codec.Bytes.writeString(out, job.fairnessKey);
    return bytes.toByteArray();
  }
}
