package dev.hourglass.cli;

import static org.assertj.core.api.Assertions.assertThat;

import dev.hourglass.client.HourglassClient;
import dev.hourglass.client.Job;
import dev.hourglass.server.HourglassServerExtension;
import dev.hourglass.wal.FsyncPolicy;
import java.time.Duration;
import java.util.List;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;

/** hourglass submit's backoff options and hourglass workers' paging, against a real server. */
class CliBoundsTest {
  @RegisterExtension
  final HourglassServerExtension server =
      HourglassServerExtension.withOptions(o -> o.withFsync(new FsyncPolicy.NeverUnsafeForTests()));

  String url;

  @BeforeEach
  void start() throws Exception {
    url = server.uri().toString();
  }

  private Run run(String... args) {
    return Run.against(url, args);
  }

  /** Submits with the given options, fails the job once, and answers the retry's delay. */
  long firstRetryDelayMillis(HourglassClient client, String id, String... options) {
    String[] args = new String[4 + options.length];
    args[0] = "submit";
    args[1] = "t";
    args[2] = "--job-id";
    args[3] = id;
    System.arraycopy(options, 0, args, 4, options.length);
    Run s = run(args);
    assertThat(s.exit()).as(s.err()).isZero();
    var a = client.lease("w-" + id, 1, Duration.ZERO, List.of(), Duration.ZERO).get(0);
    assertThat(a.jobId()).isEqualTo(id);
    client.fail(id, "w-" + id, a.generation(), "boom", true);
    Job job = client.job(id);
    return Duration.between(job.attempts().get(0).endedAt(), job.dueAt()).toMillis();
  }

  @Test
  void submitTakesTheBackoffCapAndJitterOnOrOff() {
    try (var client = HourglassClient.builder(url).build()) {
      assertThat(firstRetryDelayMillis(client, "exact", "--backoff", "1s", "--no-backoff-jitter"))
          .isEqualTo(2_000);
      assertThat(
              firstRetryDelayMillis(
                  client,
                  "capped",
                  "--backoff",
                  "1s",
                  "--backoff-max",
                  "500ms",
                  "--no-backoff-jitter"))
          .isEqualTo(500);
      assertThat(firstRetryDelayMillis(client, "jittered", "--backoff", "1s", "--backoff-jitter"))
          .isBetween(0L, 2_000L);
    }
    Run bad = run("submit", "t", "--backoff-max", "soon");
    assertThat(bad.exit()).isNotZero();
    assertThat(bad.err()).contains("--backoff-max");
  }

  @Test
  void workersArePagedAndAllFollowsTheCursors() {
    try (var client = HourglassClient.builder(url).build()) {
      for (int i = 0; i < 5; i++) {
        client.registerWorker("w" + i, 1, List.of(), Duration.ofMinutes(10));
      }
      assertThat(client.workers()).hasSize(5);
      assertThat(client.workers(null, 2).workers()).hasSize(2);
    }
    Run page = run("workers", "--limit", "2");
    assertThat(page.out())
        .contains("w0")
        .contains("w1")
        .doesNotContain("w2")
        .contains("more: --cursor w1");
    Run next = run("workers", "--limit", "2", "--cursor", "w1");
    assertThat(next.out()).contains("w2").contains("w3").doesNotContain("w1 ");
    Run all = run("workers", "--limit", "2", "--all");
    assertThat(all.out()).contains("w0").contains("w4").doesNotContain("more:");
    assertThat(run("workers", "--json", "--limit", "2").out()).contains("\"next_cursor\"");
  }
}
