package dev.hourglass.core.engine;

import static org.assertj.core.api.Assertions.assertThat;

import dev.hourglass.core.command.Command;
import dev.hourglass.core.command.JobSpec;
import dev.hourglass.core.event.Event;
import dev.hourglass.core.event.Event.LeaseGranted;
import dev.hourglass.core.event.Outcome;
import dev.hourglass.core.event.Outcome.Applied;
import dev.hourglass.core.event.Outcome.Rejected;
import dev.hourglass.core.view.JobState;
import java.util.ArrayList;
import java.util.List;

/** An engine under test with a manual clock and short-hands for the common commands. */
final class EngineFixture {
  final Engine engine;
  long now = 1_000_000;

  EngineFixture() {
    this(EngineConfig.DEFAULTS);
  }

  EngineFixture(EngineConfig config) {
    engine = new Engine(config);
  }

  void advance(long millis) {
    now += millis;
    applied(new Command.Tick(now));
  }

  Outcome apply(Command c) {
    return engine.apply(c);
  }

  List<Event> applied(Command c) {
    Outcome o = engine.apply(c);
    assertThat(o).as("outcome of %s", c).isInstanceOf(Applied.class);
    return ((Applied) o).events();
  }

  Rejected rejected(Command c) {
    byte[] before = EngineSnapshot.toBytes(engine);
    Outcome o = engine.apply(c);
    assertThat(o).as("outcome of %s", c).isInstanceOf(Rejected.class);
    assertThat(EngineSnapshot.toBytes(engine))
        .as("state after a rejected command")
        .isEqualTo(before);
    return (Rejected) o;
  }

  void submit(JobSpec spec) {
    applied(new Command.SubmitJob(now, spec));
  }

  void submit(String id) {
    submit(JobSpec.of(id, "noop", null));
  }

  List<LeaseGranted> lease(String worker, int max) {
    List<LeaseGranted> out = new ArrayList<>();
    for (Event e : applied(new Command.LeaseJobs(now, worker, max, List.of(), 10_000))) {
      if (e instanceof LeaseGranted g) {
        out.add(g);
      }
    }
    return out;
  }

  LeaseGranted leaseOne(String worker) {
    List<LeaseGranted> granted = lease(worker, 1);
    assertThat(granted).as("lease for %s", worker).hasSize(1);
    return granted.get(0);
  }

  void complete(LeaseGranted g) {
    applied(new Command.CompleteJob(now, g.jobId(), g.workerId(), g.generation(), "ok"));
  }

  void fail(LeaseGranted g, boolean retryable) {
    applied(new Command.FailJob(now, g.jobId(), g.workerId(), g.generation(), "boom", retryable));
  }

  JobState state(String id) {
    return engine.queries().state(id);
  }
}
