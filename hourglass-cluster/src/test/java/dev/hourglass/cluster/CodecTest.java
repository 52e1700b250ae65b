package dev.hourglass.cluster;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.hourglass.cluster.ReplyCodec.Committed;
import dev.hourglass.core.command.Command;
import dev.hourglass.core.command.Command.CompleteJob;
import dev.hourglass.core.command.Command.SubmitJobs;
import dev.hourglass.core.command.Command.Tick;
import dev.hourglass.core.command.JobSpec;
import dev.hourglass.core.engine.EngineConfig;
import dev.hourglass.core.event.ErrorCode;
import dev.hourglass.core.event.Event;
import dev.hourglass.core.event.Outcome;
import dev.hourglass.core.event.Outcome.Applied;
import dev.hourglass.core.event.Outcome.Assignment;
import dev.hourglass.core.event.Outcome.Rejected;
import dev.hourglass.core.view.JobState;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.file.Path;
import java.util.List;
import org.junit.jupiter.api.Test;

class CodecTest {
  @Test
  void entryRoundTripsAndRestampSetsEveryCommandsTime() throws IOException {
    List<Command> batch =
        List.of(
            new Tick(5),
            new SubmitJobs(7, List.of(JobSpec.of("a", "t", "p"))),
            new CompleteJob(9, "a", "w", 3, "ok"));
    byte[] entry = EntryCodec.encode(batch);
    assertThat(EntryCodec.decode(ByteBuffer.wrap(entry))).isEqualTo(batch);

    EntryCodec.restamp(entry, 1234);
    assertThat(EntryCodec.decode(ByteBuffer.wrap(entry)))
        .extracting(Command::atMillis)
        .containsOnly(1234L);
  }

  @Test
  void truncatedOrEmptyEntryIsRejected() {
    byte[] entry = EntryCodec.encode(List.of(new Tick(1)));
    byte[] cut = java.util.Arrays.copyOf(entry, entry.length - 1);
    assertThatThrownBy(() -> EntryCodec.decode(ByteBuffer.wrap(cut)))
        .isInstanceOf(IOException.class);
    assertThatThrownBy(() -> EntryCodec.encode(List.of()))
        .isInstanceOf(IllegalArgumentException.class);
  }

  @Test
  void replyRoundTripsEveryEventAndRejection() throws IOException {
    List<Event> events =
        List.of(
            new Event.JobTransitioned("j", null, JobState.READY, "submitted", "q", "t"),
            new Event.JobTransitioned("j", JobState.READY, JobState.RUNNING, "leased", "q", "t"),
            new Event.JobDeduplicated("j", "key"),
            new Event.LeaseGranted("j", "w", 2, 99, "t"),
            new Event.LeaseLost("j", "w", 1, "expired", Event.LeaseLost.Reason.LEASE_EXPIRED),
            new Event.LeaseLost("j", "w", 1, "timed out", Event.LeaseLost.Reason.TIMED_OUT),
            new Event.LeaseLost("j", "w", 1, "died", Event.LeaseLost.Reason.WORKER_DIED),
            new Event.LeaseLost("j", "w", 2, "superseded", Event.LeaseLost.Reason.SUPERSEDED),
            new Event.WorkerDied("w", 3),
            new Event.ScheduleFired("s", 10, "j2"),
            new Event.FiringSkipped("s", 11, "overlap"),
            new Event.JobEvicted("old"));
    List<Outcome> outcomes =
        List.of(
            new Applied(events),
            Applied.NOTHING,
            new Rejected(ErrorCode.ALREADY_ASSIGNED, "live", new Assignment("j", "w", 2)),
            new Rejected(ErrorCode.UNKNOWN_JOB, "no such job"));
    Committed c = new Committed(4, 17, outcomes);
    assertThat(ReplyCodec.decode(ReplyCodec.encode(c))).isEqualTo(c);
  }

  @Test
  void peersParseAndRejectDuplicates() {
    assertThat(Peer.parseList("s1=127.0.0.1:9001,s2=127.0.0.1:9002"))
        .containsExactly(new Peer("s1", "127.0.0.1", 9001), new Peer("s2", "127.0.0.1", 9002));
    assertThatThrownBy(() -> Peer.parseList("s1=h:1,s1=h:2"))
        .hasMessageContaining("duplicate peer id=s1");
    assertThatThrownBy(
            () ->
                new ClusterOptions(
                    "s9",
                    Peer.parseList("s1=h:1"),
                    Path.of("d"),
                    EngineConfig.DEFAULTS,
                    RaftTuning.DEFAULTS,
                    System::currentTimeMillis))
        .hasMessageContaining("not among --peers");
  }
}
