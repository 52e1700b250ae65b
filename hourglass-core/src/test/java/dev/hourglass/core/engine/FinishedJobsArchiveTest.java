package dev.hourglass.core.engine;

import static org.assertj.core.api.Assertions.assertThat;

import dev.hourglass.core.command.Backoff;
import dev.hourglass.core.command.Command;
import dev.hourglass.core.command.JobSpec;
import dev.hourglass.core.event.ErrorCode;
import dev.hourglass.core.event.Event;
import dev.hourglass.core.event.Event.JobEvicted;
import dev.hourglass.core.view.JobFilter;
import dev.hourglass.core.view.JobState;
import dev.hourglass.core.view.JobView;
import java.io.ByteArrayInputStream;
import java.io.DataInputStream;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.Test;

/**
 * Succeeded jobs held as records ({@link ArchivedJobs}) behave as the objects did: shown the same,
 * ids still refused, evicted in the order they finished among the jobs kept as objects, taken back
 * when a new job names one as its parent, and kept through a snapshot.
 */
class FinishedJobsArchiveTest {
  private static final long HOUR = 3_600_000;

  private final EngineFixture f =
      new EngineFixture(
          // Workers are forgotten when they die, so that the next wake-up is the retention's.
          EngineConfig.DEFAULTS.withRetentionMillis(HOUR).withWorkerRetentionMillis(0));

  private void run(String id, String result) {
    f.submit(JobSpec.of(id, "noop", "payload of " + id).withFairnessKey("tenant"));
    var g = f.leaseOne("w");
    f.applied(new Command.CompleteJob(f.now, g.jobId(), g.workerId(), g.generation(), result));
  }

  private boolean archived(String id) {
    Job job = f.engine.jobs.get(id);
    return job != null && f.engine.jobs.objectAt(job.seq) == null;
  }

  @Test
  void aSucceededJobIsArchivedAndShownAsItWas() {
    f.submit(JobSpec.of("a", "noop", "payload of a").withFairnessKey("tenant"));
    var first = f.leaseOne("w");
    f.fail(first, true);
    f.advance(Backoff.DEFAULT.capMillis());
    var second = f.leaseOne("w");
    f.applied(new Command.CompleteJob(f.now, "a", "w", second.generation(), "done"));

    assertThat(archived("a")).isTrue();
    JobView view = f.engine.queries().job("a").orElseThrow();
    assertThat(view.state()).isEqualTo(JobState.SUCCEEDED);
    assertThat(view.payload()).isEqualTo("payload of a");
    assertThat(view.result()).isEqualTo("done");
    assertThat(view.fairnessKey()).isEqualTo("tenant");
    assertThat(view.finishedAtMillis()).isEqualTo(f.now);
    assertThat(view.attempts()).extracting(a -> a.outcome()).containsExactly("FAILED", "SUCCEEDED");
    assertThat(view.attempts().get(0).error()).isEqualTo("boom");
    assertThat(f.engine.queries().jobsHeld()).isEqualTo(1);
    assertThat(
            f.engine
                .queries()
                .jobs(new JobFilter(JobState.SUCCEEDED, null, null), null, 10)
                .items())
        .containsExactly(view);
    assertThat(f.engine.queries().jobs(new JobFilter(JobState.READY, null, null), null, 10).items())
        .isEmpty();
  }

  @Test
  void anArchivedJobsIdIsStillRefused() {
    run("a", null);
    assertThat(archived("a")).isTrue();
    assertThat(f.rejected(new Command.SubmitJob(f.now, JobSpec.of("a", "noop", null))).code())
        .isEqualTo(ErrorCode.DUPLICATE_JOB_ID);
    assertThat(f.rejected(new Command.CancelJob(f.now, "a", null)).code())
        .isEqualTo(ErrorCode.ILLEGAL_TRANSITION);
  }

  @Test
  void jobsThatOthersReferToStayObjects() {
    f.submit(keyed("keyed"));
    f.complete(f.leaseOne("w"));
    run("parent", null);
    f.submit(JobSpec.of("child", "noop", null).withDependsOn(List.of("parent")));
    assertThat(archived("keyed")).as("a job with an idempotency key").isFalse();
    assertThat(archived("parent")).as("a parent named by a later job").isFalse();
    assertThat(f.engine.queries().job("parent").orElseThrow().dependents())
        .containsExactly("child");
    assertThat(f.state("child")).isEqualTo(JobState.READY);
    f.complete(f.leaseOne("w"));
    assertThat(archived("child")).as("a job with parents").isFalse();
  }

  @Test
  void finishedJobsAreEvictedInFinishOrderWhateverTheirForm() {
    var g = new EngineFixture(EngineConfig.DEFAULTS.withFinishedJobsMax(2));
    List<String> evicted = new ArrayList<>();
    complete(g, JobSpec.of("a", "noop", null), evicted); // archived
    g.submit("b");
    evicted.addAll(evictions(g.applied(new Command.CancelJob(g.now, "b", null)))); // an object
    complete(g, keyed("c"), evicted); // an object: it has an idempotency key
    complete(g, JobSpec.of("d", "noop", null), evicted);
    complete(g, JobSpec.of("e", "noop", null), evicted);
    complete(g, JobSpec.of("f", "noop", null), evicted);

    assertThat(evicted).containsExactly("a", "b", "c", "d");
    assertThat(g.engine.queries().jobsHeld()).isEqualTo(2);
    assertThat(g.engine.queries().count(JobState.SUCCEEDED)).isEqualTo(2);
    assertThat(g.engine.queries().job("a")).isEmpty();
    assertThat(g.engine.queries().job("f")).isPresent();
  }

  @Test
  void retentionEvictsAnArchivedJobWhenItsTimeComes() {
    run("a", null);
    long aFinished = f.now;
    f.advance(HOUR / 2);
    f.submit("b");
    f.applied(new Command.CancelJob(f.now, "b", null));
    assertThat(f.engine.queries().nextWakeupMillis()).isEqualTo(aFinished + HOUR);
    f.now = aFinished + HOUR - 1;
    assertThat(evictions(f.applied(new Command.Tick(f.now)))).isEmpty();
    f.now = aFinished + HOUR;
    assertThat(evictions(f.applied(new Command.Tick(f.now)))).containsExactly("a");
    assertThat(f.engine.queries().nextWakeupMillis()).isEqualTo(aFinished + HOUR / 2 + HOUR);
  }

  @Test
  void aSnapshotKeepsArchivedJobsAndRestoresThemArchived() throws Exception {
    run("a", "result a");
    run("b", null);
    run("parent", null);
    f.submit(JobSpec.of("child", "noop", null).withDependsOn(List.of("parent")));
    f.submit("waiting");
    byte[] snapshot = EngineSnapshot.toBytes(f.engine);

    Engine restored = EngineSnapshot.read(new DataInputStream(new ByteArrayInputStream(snapshot)));

    assertThat(EngineSnapshot.toBytes(restored)).isEqualTo(snapshot);
    for (String id : List.of("a", "b", "parent", "child", "waiting")) {
      assertThat(restored.queries().job(id)).isEqualTo(f.engine.queries().job(id));
      Job job = restored.jobs.get(id);
      assertThat(restored.jobs.objectAt(job.seq) == null)
          .as("%s archived after the restore", id)
          .isEqualTo(archived(id));
    }
    assertThat(archived("a")).isTrue();
    assertThat(archived("parent")).isFalse();
  }

  private static JobSpec keyed(String id) {
    return new JobSpec(
        id,
        JobSpec.DEFAULT_QUEUE,
        "noop",
        null,
        0,
        JobSpec.NO_DEADLINE,
        0,
        List.of(),
        3,
        Backoff.DEFAULT,
        0,
        "key of " + id);
  }

  private static void complete(EngineFixture g, JobSpec spec, List<String> evicted) {
    g.submit(spec);
    var grant = g.leaseOne("w");
    evicted.addAll(
        evictions(
            g.applied(
                new Command.CompleteJob(
                    g.now, spec.jobId(), grant.workerId(), grant.generation(), null))));
  }

  private static List<String> evictions(List<Event> events) {
    List<String> out = new ArrayList<>();
    for (Event e : events) {
      if (e instanceof JobEvicted ev) {
        out.add(ev.jobId());
      }
    }
    return out;
  }
}
