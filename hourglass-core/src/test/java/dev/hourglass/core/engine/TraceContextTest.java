package dev.hourglass.core.engine;

import static org.assertj.core.api.Assertions.assertThat;

import dev.hourglass.core.codec.CommandCodec;
import dev.hourglass.core.codec.FastDataInput;
import dev.hourglass.core.command.Backoff;
import dev.hourglass.core.command.Command;
import dev.hourglass.core.command.JobSpec;
import dev.hourglass.core.command.ScheduleSpec;
import dev.hourglass.core.command.TraceContext;
import dev.hourglass.core.event.ErrorCode;
import dev.hourglass.core.view.JobFilter;
import dev.hourglass.core.view.JobState;
import dev.hourglass.core.view.JobView;
import java.io.ByteArrayInputStream;
import java.time.Instant;
import java.util.Arrays;
import java.util.List;
import org.junit.jupiter.api.Test;

/**
 * A job's W3C trace context: checked strictly, kept with the job through retries, carried by every
 * firing of a traced schedule, and preserved by the command codec and the snapshot (older formats
 * still read, as jobs without one).
 */
class TraceContextTest {
  static final String PARENT = "00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01";
  static final TraceContext TRACE = new TraceContext(PARENT, "rojo=00f067aa0ba902b7,congo=t61rc");
  final EngineFixture f = new EngineFixture();

  @Test
  void wellFormedContextsPass() {
    for (String p :
        List.of(
            PARENT,
            "00-0af7651916cd43dd8448eb211c80319c-b7ad6b7169203331-00",
            "01-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01-future")) {
      assertThat(TraceContext.problem(p, null)).as(p).isNull();
    }
    for (String s :
        List.of(
            "a=1",
            "congo=t61rcWkgMzE, rojo=00f067aa0ba902b7",
            "tenant1@sys=x",
            "a=1,,b=2",
            "k_-*/9=v a l~")) {
      assertThat(TraceContext.problem(PARENT, s)).as(s).isNull();
    }
    assertThat(TraceContext.problem(null, null)).isNull();
  }

  @Test
  void malformedContextsAreRefusedNamingTheField() {
    List<String> badParents =
        List.of(
            "",
            "garbage",
            PARENT.toUpperCase(),
            " " + PARENT,
            PARENT + " ",
            PARENT + "-x",
            "ff" + PARENT.substring(2),
            "00-00000000000000000000000000000000-00f067aa0ba902b7-01",
            "00-4bf92f3577b34da6a3ce929d0e0e4736-0000000000000000-01",
            "00_4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01",
            "00-4bf92f3577b34da6a3ce929d0e0e473g-00f067aa0ba902b7-01",
            "01-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01x");
    for (String p : badParents) {
      assertThat(TraceContext.problem(p, null)).as(p).startsWith("traceparent=");
    }
    List<String> badStates =
        List.of(
            "",
            " , ",
            "novalue",
            "=v",
            "UPPER=v",
            "k=",
            "k=a,b",
            "k=v,k=w",
            "k=v\t1",
            "k=\u00e9",
            "1@=v",
            "a@B=v",
            "k=" + "x".repeat(257),
            "k=" + "v".repeat(TraceContext.TRACESTATE_CHARS_MAX),
            String.join(
                ",",
                java.util.stream.IntStream.range(0, 33).mapToObj(i -> "k" + i + "=v").toList()));
    for (String s : badStates) {
      assertThat(TraceContext.problem(PARENT, s)).as(s).startsWith("tracestate=");
    }
    assertThat(TraceContext.problem(null, "a=1"))
        .contains("tracestate")
        .contains("without a traceparent");
  }

  @Test
  void engineRefusesABadContextAndChangesNothing() {
    var bad = JobSpec.of("j1", "t", null).withTrace(new TraceContext("00-abc", null));
    var r = f.rejected(new Command.SubmitJob(f.now, bad));
    assertThat(r.code()).isEqualTo(ErrorCode.INVALID_ARGUMENT);
    assertThat(r.detail()).contains("j1").contains("traceparent=\"00-abc\"");
    var schedule =
        ScheduleSpec.of(
            "s",
            "* * * * *",
            "UTC",
            JobSpec.of("s", "t", null).withTrace(new TraceContext(PARENT, "BAD")));
    assertThat(f.rejected(new Command.PutSchedule(f.now, schedule)).detail())
        .contains("tracestate=\"BAD\"");
  }

  @Test
  void aRetriedJobKeepsItsContext() {
    f.submit(JobSpec.of("j1", "t", null).withTrace(TRACE).withBackoff(Backoff.of(0, 0, false)));
    assertThat(view("j1").trace()).isEqualTo(TRACE);
    f.fail(f.leaseOne("w"), true);
    f.advance(1);
    f.leaseOne("w");
    assertThat(view("j1").generation()).isEqualTo(2);
    assertThat(view("j1").trace()).isEqualTo(TRACE);
    f.submit("plain");
    assertThat(view("plain").trace()).isNull();
  }

  @Test
  void everyFiringOfATracedScheduleCarriesItsContext() {
    f.now = Instant.parse("2024-01-15T09:00:30Z").toEpochMilli();
    f.applied(
        new Command.PutSchedule(
            f.now,
            ScheduleSpec.of(
                "tick", "* * * * *", "UTC", JobSpec.of("tick", "report", null).withTrace(TRACE))));
    f.advance(30_000);
    f.advance(60_000);
    List<JobView> fired = f.engine.queries().jobs(JobFilter.ALL, null, 10).items();
    assertThat(fired).hasSize(2).allSatisfy(j -> assertThat(j.trace()).isEqualTo(TRACE));
  }

  @Test
  void codecKeepsTheContextAndReadsFormatOneRecords() throws Exception {
    var traced = JobSpec.of("j1", "t", "{}").withTrace(TRACE);
    var noState = JobSpec.of("j2", "t", null).withTrace(new TraceContext(PARENT, null));
    List<Command> commands =
        List.of(
            new Command.SubmitJob(5, traced),
            new Command.SubmitJobs(6, List.of(traced, noState, JobSpec.of("j3", "t", null))),
            new Command.PutSchedule(7, ScheduleSpec.of("s", "* * * * *", "UTC", traced)));
    for (Command c : commands) {
      assertThat(CommandCodec.decode(CommandCodec.encode(c))).isEqualTo(c);
    }
    // A format 1 record is today's record without the two trailing trace strings.
    var plain = new Command.SubmitJob(5, JobSpec.of("j1", "t", "{}"));
    byte[] now = CommandCodec.encode(plain);
    byte[] old = Arrays.copyOf(now, now.length - 8);
    old[0] = (byte) CommandCodec.FORMAT_1;
    assertThat(CommandCodec.decode(old)).isEqualTo(plain);
  }

  @Test
  void snapshotKeepsTheContextOfJobsAndSchedules() throws Exception {
    f.submit(JobSpec.of("j1", "t", null).withTrace(TRACE));
    f.submit("plain");
    f.applied(
        new Command.PutSchedule(
            f.now,
            ScheduleSpec.of("s", "0 0 1 1 *", "UTC", JobSpec.of("s", "t", null).withTrace(TRACE))));
    byte[] bytes = EngineSnapshot.toBytes(f.engine);
    Engine restored = EngineSnapshot.read(new FastDataInput(new ByteArrayInputStream(bytes), 4096));
    assertThat(EngineSnapshot.toBytes(restored)).isEqualTo(bytes);
    assertThat(restored.queries().job("j1").orElseThrow().trace()).isEqualTo(TRACE);
    assertThat(restored.queries().job("plain").orElseThrow().trace()).isNull();
    assertThat(restored.queries().schedule("s").orElseThrow().spec().template().trace())
        .isEqualTo(TRACE);
    assertThat(restored.queries().state("j1")).isEqualTo(JobState.READY);
  }

  private JobView view(String id) {
    return f.engine.queries().job(id).orElseThrow();
  }
}
