package dev.hourglass.core.codec;

import static org.assertj.core.api.Assertions.assertThat;

import dev.hourglass.core.command.Command;
import dev.hourglass.core.command.JobSpec;
import java.util.List;
import org.junit.jupiter.api.Test;

/**
 * The reused encoder writes each command exactly as the codec does, whatever came before it: a
 * longer command, a shorter one, and one over the size whose buffer it drops. (The engine's
 * property test compares the two over every command of its random runs.)
 */
class CommandEncoderTest {

  @Test
  void eachRecordIsTheCodecsWhateverCameBefore() throws Exception {
    var encoder = new CommandCodec.Encoder();
    String big = "x".repeat(700_000);
    List<Command> commands =
        List.of(
            new Command.SubmitJob(1, JobSpec.of("a", "t", "{\"n\":1}")),
            new Command.SubmitJob(2, JobSpec.of("b-with-a-longer-id", "task", "{\"n\":22}")),
            new Command.CompleteJob(3, "a", "w", 1, null),
            new Command.SubmitJobs(
                4,
                List.of(
                    JobSpec.of("c", "t", "{\"s\":\"" + big + "\"}"),
                    JobSpec.of("d", "t", "{\"s\":\"" + big + "\"}"))),
            new Command.SubmitJob(5, JobSpec.of("e", "t", null)),
            new Command.CompleteJob(6, "e", "w", 1, "{\"ok\":true}"));

    for (Command c : commands) {
      byte[] record = encoder.encode(c);
      assertThat(record).as("%s", c.getClass().getSimpleName()).isEqualTo(CommandCodec.encode(c));
      assertThat(CommandCodec.decode(record)).isEqualTo(c);
    }
  }
}
