package dev.hourglass.cli;

import static org.assertj.core.api.Assertions.assertThat;

import dev.hourglass.client.Schedule;
import dev.hourglass.server.HourglassServerExtension;
import dev.hourglass.wal.FsyncPolicy;
import java.nio.file.Files;
import java.nio.file.Path;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;
import org.junit.jupiter.api.io.TempDir;

/** The client subcommands against a real embedded server. */
class CliCommandsTest {
  @TempDir Path dir;

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

  @Test
  void submitStatusJobsCancelAndErrors() throws Exception {
    Run s =
        run(
            "submit",
            "sleep",
            "--payload",
            "{\"ms\":5}",
            "--job-id",
            "a",
            "--priority",
            "3",
            "--max-attempts",
            "4",
            "--backoff",
            "250ms",
            "--idempotency-key",
            "k1");
    assertThat(s.exit()).as(s.err()).isZero();
    assertThat(s.out()).isEqualTo("a READY" + System.lineSeparator());
    assertThat(run("submit", "sleep", "--idempotency-key", "k1").out()).contains("deduplicated");

    Path payload = Files.writeString(dir.resolve("p.json"), "{\"to\":\"x@y.z\"}");
    assertThat(
            run(
                    "submit",
                    "echo",
                    "--payload-file",
                    payload.toString(),
                    "--job-id",
                    "b",
                    "--depends-on",
                    "a",
                    "--delay",
                    "5m")
                .out())
        .contains("b PENDING");
    assertThat(run("submit", "echo", "--cron", "0 3 * * *", "--schedule-id", "nightly").out())
        .contains("schedule nightly created");

    Run status = run("status", "b");
    assertThat(status.out())
        .contains("state      PENDING")
        .contains("depends on a")
        .contains("{\"to\":\"x@y.z\"}");
    Run json = run("status", "b", "--json");
    assertThat(json.out()).contains("\"job_id\" : \"b\"").contains("\"to\" : \"x@y.z\"");

    assertThat(run("jobs").out()).contains("JOB").contains("a ").contains("b ");
    assertThat(run("jobs", "--state", "PENDING").out()).contains("b ").doesNotContain("a  ");
    assertThat(run("jobs", "--json", "--limit", "1").out()).contains("\"next_cursor\"");

    assertThat(run("cancel", "a", "--reason", "test").out()).contains("a CANCELLED");
    assertThat(run("status", "b").out()).contains("CANCELLED");

    Run missing = run("status", "nope");
    assertThat(missing.exit()).isEqualTo(1);
    assertThat(missing.err()).contains("no job nope exists").contains("HTTP 404 UNKNOWN_JOB");
    Run bad = run("submit", "t", "--payload", "{oops");
    assertThat(bad.exit()).isEqualTo(2);
    assertThat(bad.err()).contains("not valid JSON");
  }

  @Test
  void schedulesAreCreatedListedPausedResumedAndDeleted() {
    Run created =
        run(
            "schedules",
            "create",
            "--cron",
            "0 3 * * *",
            "--time-zone",
            "Europe/Berlin",
            "--task",
            "report",
            "--payload",
            "{\"kind\":\"daily\"}",
            "--schedule-id",
            "nightly",
            "--queue",
            "reports",
            "--overlap",
            "skip",
            "--catch-up",
            "each_within_window",
            "--catch-up-window",
            "1h",
            "--max-attempts",
            "2");
    assertThat(created.exit()).as(created.err()).isZero();
    assertThat(created.out())
        .contains("schedule nightly created")
        .contains("Europe/Berlin")
        .contains("active");
    try (var client = dev.hourglass.client.HourglassClient.builder(url).build()) {
      var s = client.schedule("nightly");
      assertThat(s.payload()).isEqualTo("{\"kind\":\"daily\"}");
      assertThat(s.queue()).isEqualTo("reports");
      assertThat(s.overlap()).isEqualTo(Schedule.Overlap.SKIP);
      assertThat(s.catchUp()).isEqualTo(Schedule.CatchUp.EACH_WITHIN_WINDOW);
      assertThat(s.nextFireAt()).isNotNull();
    }
    Run badPolicy =
        run(
            "schedules",
            "create",
            "--cron",
            "0 3 * * *",
            "--task",
            "report",
            "--overlap",
            "sometimes");
    assertThat(badPolicy.exit()).isEqualTo(2);
    assertThat(badPolicy.err())
        .contains("overlap=\"sometimes\" is not one of [allow, skip," + " queue_one]");
    run(
        "schedules",
        "create",
        "--cron",
        "*/5 * * * *",
        "--task",
        "sync",
        "--schedule-id",
        "every-5");

    Run list = run("schedules");
    assertThat(list.out())
        .contains("SCHEDULE")
        .contains("nightly")
        .contains("0 3 * * *")
        .contains("every-5")
        .doesNotContain("PAUSED");
    assertThat(run("schedules", "pause", "nightly").out()).contains("schedule nightly paused");
    assertThat(run("schedules", "list").out()).containsPattern("nightly .* PAUSED");
    assertThat(run("schedules", "list", "--json").out())
        .contains("\"schedule_id\" : \"nightly\"")
        .contains("\"paused\" : true");
    assertThat(run("schedules", "resume", "nightly").out())
        .contains("nightly resumed")
        .contains("active");
    assertThat(run("schedules", "delete", "nightly", "every-5").out())
        .contains("schedule nightly deleted")
        .contains("schedule every-5 deleted");
    assertThat(run("schedules", "--json").out().strip()).isEqualTo("[ ]");

    Run badCron = run("schedules", "create", "--cron", "not a cron", "--task", "t");
    assertThat(badCron.exit()).isEqualTo(1);
    assertThat(badCron.err()).contains("HTTP 400 INVALID_SCHEDULE");
    Run unknown = run("schedules", "pause", "nope");
    assertThat(unknown.exit()).isEqualTo(1);
    assertThat(unknown.err()).contains("HTTP 404 UNKNOWN_SCHEDULE");
    assertThat(run("schedules", "create", "--task", "t").exit()).isEqualTo(2); // no --cron
  }

  @Test
  void queuesAreListedWithDepthPausedResumedAndLimited() {
    for (int i = 0; i < 3; i++) {
      run("submit", "t", "--queue", "mail", "--priority", i == 0 ? "5" : "0");
    }
    run("submit", "t", "--queue", "other", "--delay", "1h");

    Run list = run("queues");
    assertThat(list.exit()).as(list.err()).isZero();
    assertThat(list.out())
        .contains("QUEUE")
        .contains("DEPTH")
        .containsPattern("mail +active +3 +0 +- +0")
        .containsPattern("other +active +0 +0 +- +1");
    assertThat(list.out()).contains("5:1").contains("0:2");

    assertThat(run("queues", "pause", "mail").out()).contains("queue mail paused: paused");
    assertThat(run("queues", "list").out()).containsPattern("mail +PAUSED +3");
    try (var client = dev.hourglass.client.HourglassClient.builder(url).build()) {
      assertThat(
              client.lease(
                  "w1",
                  1,
                  java.time.Duration.ZERO,
                  java.util.List.of("mail"),
                  java.time.Duration.ZERO))
          .isEmpty();
      assertThat(run("queues", "resume", "mail").out()).contains("queue mail resumed: active");
      assertThat(run("queues", "limits", "mail", "--max-running", "1").out())
          .contains("max running 1");
      assertThat(
              client.lease(
                  "w1",
                  3,
                  java.time.Duration.ZERO,
                  java.util.List.of("mail"),
                  java.time.Duration.ZERO))
          .hasSize(1);
    }
    assertThat(run("queues", "--json").out())
        .contains("\"queue\" : \"mail\"")
        .contains("\"max_running\" : 1")
        .contains("\"running\" : 1");
    assertThat(run("queues", "task-limits", "t", "--max-running", "2").out())
        .contains("task t limited: max running 2");
    Run negative = run("queues", "limits", "mail", "--max-running", "-1");
    assertThat(negative.exit()).isEqualTo(2);
    assertThat(negative.err()).contains("max running -1 must not be negative");
    assertThat(run("queues", "limits", "mail").exit()).isEqualTo(2); // no setting
  }

  @Test
  void queueLimitsAndFairnessAreSetFromTheCommandLine() {
    // Goal: every limit and the fairness policy can be set with hourglass queues, the list shows
    // them, the jobs follow them, and bad values are refused with exit 2 and change nothing.
    String[] keys = {"big", "big", "big", "small"};
    for (int i = 0; i < keys.length; i++) {
      Run s =
          run("submit", "t", "--queue", "shared", "--fairness-key", keys[i], "--job-id", "j" + i);
      assertThat(s.exit()).as(s.err()).isZero();
    }
    Run limits =
        run(
            "queues",
            "limits",
            "shared",
            "--weight",
            "3",
            "--rate",
            "10",
            "--burst",
            "5",
            "--max-running",
            "2");
    assertThat(limits.exit()).as(limits.err()).isZero();
    assertThat(limits.out())
        .isEqualTo(
            "queue shared limited: max running 2, weight 3, rate 10/s burst 5"
                + System.lineSeparator());
    Run policy =
        run("queues", "policy", "shared", "--fairness", "round_robin", "--key-weight", "gold=4");
    assertThat(policy.exit()).as(policy.err()).isZero();
    assertThat(policy.out()).contains("queue shared fairness round_robin: ").contains("gold x4");
    assertThat(run("queues").out())
        .containsPattern(
            "shared +active +4 +0 +2 .* weight=3 rate=10/s burst=5 fair\\(2 keys;" + " gold x4\\)");
    try (var client = dev.hourglass.client.HourglassClient.builder(url).build()) {
      var leased =
          client.lease(
              "w1",
              4,
              java.time.Duration.ZERO,
              java.util.List.of("shared"),
              java.time.Duration.ZERO);
      assertThat(leased).hasSize(2); // max running 2
      assertThat(leased.stream().map(a -> a.jobId())).containsExactly("j0", "j3"); // keys in turn
    }
    assertThat(run("queues", "limits", "shared", "--rate", "0").out())
        .contains("weight 3, no rate limit");
    assertThat(run("queues", "policy", "shared", "--fairness", "none").out())
        .isEqualTo("queue shared fairness none" + System.lineSeparator());
    assertThat(run("queues", "limits", "shared", "--rate", "2.5", "--json").out())
        .contains("\"rate_per_second\" : 2.5")
        .contains("\"burst\" : 3");

    String[][] refused = {
      {"limits", "--weight", "0"},
      {"limits", "--weight", "10001"},
      {"limits", "--weight", "heavy"},
      {"limits", "--rate", "0.0001"},
      {"limits", "--rate", "-1"},
      {"limits", "--rate", "1000001"},
      {"limits", "--rate", "10", "--burst", "0"},
      {"limits", "--burst", "5"},
      {"limits", "--max-running", "-1"},
      {"limits"},
      {"policy", "--fairness", "fair"},
      {"policy"},
      {"policy", "--fairness", "round_robin", "--key-weight", "gold=0"},
      {"policy", "--fairness", "round_robin", "--key-weight", "gold=1001"},
      {"policy", "--fairness", "round_robin", "--key-weight", "gold"},
      {"policy", "--fairness", "none", "--key-weight", "gold=2"},
    };
    String[] messages = {
      "weight 0 is outside [1, 10000]",
      "weight 10001 is outside [1, 10000]",
      "'heavy' is not an int",
      "rate 0.0001 per second must be 0 (no limit) or between 0.001 and 1000000",
      "rate -1 per second must be 0",
      "rate 1000001 per second must be 0",
      "burst 0 is outside [1, 1000000]",
      "burst 5 needs a rate above 0",
      "max running -1 must not be negative",
      "need at least one of max running, weight, rate",
      "--fairness fair is not one of round_robin, none",
      "Missing required option: '--fairness",
      "weight 0 of key gold is outside [1, 1000]",
      "weight 1001 of key gold is outside [1, 1000]",
      "should be in KEY=VALUE",
      "key weights need fairness round_robin",
    };
    for (int i = 0; i < refused.length; i++) {
      String[] args = new String[refused[i].length + 2];
      args[0] = "queues";
      args[1] = refused[i][0];
      args[2] = "shared";
      System.arraycopy(refused[i], 1, args, 3, refused[i].length - 1);
      Run r = run(args);
      assertThat(r.exit()).as(String.join(" ", args) + ": " + r.err()).isEqualTo(2);
      assertThat(r.err()).as(String.join(" ", args)).contains(messages[i]);
    }
    assertThat(run("queues").out()).containsPattern("shared .* weight=3 rate=2.5/s burst=3 *$");
  }

  @Test
  void taskLimitsSetARateAndBurstFromTheCommandLine() {
    // Goal: hourglass queues task-limits sets a task type's rate limit and burst as well as its
    // concurrency limit, the server holds them back by them, and bad values are refused with exit
    // 2 before any request, with the same options and help as hourglass queues limits.
    run("submit", "rated", "--job-id", "r0");
    run("submit", "rated", "--job-id", "r1");
    Run set = run("queues", "task-limits", "rated", "--rate", "1", "--burst", "1");
    assertThat(set.exit()).as(set.err()).isZero();
    assertThat(set.out())
        .isEqualTo(
            "task rated limited: max running unlimited, rate 1/s burst 1" + System.lineSeparator());
    try (var client = dev.hourglass.client.HourglassClient.builder(url).build()) {
      // One lease is one command with one timestamp: the bucket holds its burst of 1 whatever the
      // time since the limit was set, so the second job waits for the next token.
      assertThat(
              client.lease(
                  "w1", 2, java.time.Duration.ZERO, java.util.List.of(), java.time.Duration.ZERO))
          .hasSize(1);
      Run off =
          run("queues", "task-limits", "rated", "--rate-per-second", "0", "--max-running", "3");
      assertThat(off.out())
          .isEqualTo("task rated limited: max running 3, no rate limit" + System.lineSeparator());
      assertThat(
              client.lease(
                  "w1", 2, java.time.Duration.ZERO, java.util.List.of(), java.time.Duration.ZERO))
          .hasSize(1);
    }
    assertThat(run("queues", "task-limits", "rated", "--rate", "2.5", "--json").out())
        .contains("\"task\" : \"rated\"")
        .contains("\"max_running\" : 3")
        .contains("\"running\" : 2")
        .contains("\"rate_per_second\" : 2.5")
        .contains("\"burst\" : 3");

    // Against a port where nothing listens: a request would fail with exit 1, not 2.
    String nowhere = "http://127.0.0.1:1/";
    String[][] refused = {
      {"--rate", "-1"},
      {"--rate", "0.0001"},
      {"--rate", "10", "--burst", "0"},
      {"--burst", "5"},
      {"--rate", "0", "--burst", "5"},
      {"--max-running", "-1"},
      {"--weight", "3"},
      {},
    };
    String[] messages = {
      "rate -1 per second must be 0 (no limit) or between 0.001 and 1000000",
      "rate 0.0001 per second must be 0",
      "burst 0 is outside [1, 1000000]",
      "burst 5 needs a rate above 0",
      "burst 5 needs a rate above 0",
      "max running -1 must not be negative",
      "Unknown options: '--weight'",
      "task limits need at least one of max running, rate",
    };
    for (int i = 0; i < refused.length; i++) {
      String[] args = new String[refused[i].length + 3];
      args[0] = "queues";
      args[1] = "task-limits";
      args[2] = "rated";
      System.arraycopy(refused[i], 0, args, 3, refused[i].length);
      Run r = Run.against(nowhere, args);
      assertThat(r.exit()).as(String.join(" ", args) + ": " + r.err()).isEqualTo(2);
      assertThat(r.err()).as(String.join(" ", args)).contains(messages[i]);
    }

    String help = Run.of("queues", "task-limits", "--help").out();
    String queueHelp = Run.of("queues", "limits", "--help").out();
    for (String option : new String[] {"--burst=N", "--max-running=N", "--rate, --rate-"}) {
      String entry = optionHelp(help, option);
      assertThat(optionHelp(queueHelp, option)).as(option).isEqualTo(entry);
    }
    assertThat(help).contains("Usage: hourglass queues task-limits").doesNotContain("--weight");
  }

  @Test
  void taskLimitsWithoutATaskListEveryTaskTypeWithALimit() {
    // Goal: hourglass queues task-limits alone lists the task types with a limit as a table and
    // as JSON; options without a task type are refused with exit 2 before any request.
    assertThat(run("queues", "task-limits").out()).contains("no task type has a limit");
    run("queues", "task-limits", "resize", "--max-running", "3");
    run("queues", "task-limits", "email", "--rate", "2.5", "--burst", "4");
    Run list = run("queues", "task-limits");
    assertThat(list.exit()).as(list.err()).isZero();
    assertThat(list.out().lines().map(l -> l.strip().split("\\s+")).toList())
        .containsExactly(
            new String[] {"TASK", "RUNNING", "MAX", "RUNNING", "RATE", "BURST"},
            new String[] {"email", "0", "-", "2.5/s", "4"},
            new String[] {"resize", "0", "3", "-", "-"});
    assertThat(run("queues", "task-limits", "--json").out())
        .contains("\"task\" : \"email\"")
        .contains("\"rate_per_second\" : 2.5")
        .contains("\"task\" : \"resize\"")
        .contains("\"max_running\" : 3");
    run("queues", "task-limits", "resize", "--max-running", "0");
    assertThat(run("queues", "task-limits").out()).doesNotContain("resize").contains("email");

    Run noTask = Run.against("http://127.0.0.1:1/", "queues", "task-limits", "--max-running", "2");
    assertThat(noTask.exit()).as(noTask.err()).isEqualTo(2);
    assertThat(noTask.err()).contains("give the task type first");
  }

  /** An option's entry in a usage text: its line and the next (where its description wraps). */
  private static String optionHelp(String usage, String option) {
    java.util.List<String> lines = usage.lines().toList();
    for (int i = 0; i + 1 < lines.size(); i++) {
      if (lines.get(i).strip().startsWith(option)) {
        return lines.get(i) + "\n" + lines.get(i + 1);
      }
    }
    throw new AssertionError(option + " is not in " + usage);
  }

  @Test
  void queuesShowTheirSchedulingPolicy() throws Exception {
    run("submit", "t", "--queue", "shared");
    var http = java.net.http.HttpClient.newHttpClient();
    for (String[] put :
        new String[][] {
          {"/api/v1/queues/shared/limits", "{\"weight\":3,\"rate_per_second\":10,\"burst\":5}"},
          {
            "/api/v1/queues/shared/policy",
            "{\"fairness\":\"round_robin\"," + "\"key_weights\":{\"gold\":4}}"
          }
        }) {
      String base = url.replaceAll("/$", "");
      var reply =
          http.send(
              java.net.http.HttpRequest.newBuilder(java.net.URI.create(base + put[0]))
                  .header("Content-Type", "application/json")
                  .PUT(java.net.http.HttpRequest.BodyPublishers.ofString(put[1]))
                  .build(),
              java.net.http.HttpResponse.BodyHandlers.ofString());
      assertThat(reply.statusCode()).as(reply.body()).isEqualTo(200);
    }
    Run list = run("queues");
    assertThat(list.out())
        .contains("POLICY")
        .containsPattern("shared .* weight=3 rate=10/s burst=5 fair\\(1 keys; gold x4\\)");
  }

  @Test
  void workersAreListedWithTheTaskTypesTheyRun() {
    try (var client = dev.hourglass.client.HourglassClient.builder(url).build()) {
      client.registerWorker(
          "mailer",
          2,
          java.util.List.of(),
          java.time.Duration.ofMinutes(5),
          java.util.List.of("send-email", "send-sms"));
    }
    Run list = run("workers");
    assertThat(list.out()).contains("TASKS").containsPattern("mailer .* send-email,send-sms");
    assertThat(run("workers", "--json").out()).contains("\"tasks\" : [ \"send-email\",");
    assertThat(run("queues").out()).contains("UNRUNNABLE");
  }

  @Test
  void partitionsPrintsEachPartitionsCountsAndLogPosition() {
    assertThat(run("submit", "t").exit()).isZero();
    Run table = run("partitions");
    assertThat(table.exit()).as(table.err()).isZero();
    assertThat(table.out())
        .contains("PARTITION")
        .contains("LOG POSITION")
        .containsPattern("(?m)^0 +1 ");
    assertThat(run("partitions", "--json").out()).contains("\"log_position\" : 1");
  }

  @Test
  void workersAndTheDeadLetterQueue() {
    try (var client = dev.hourglass.client.HourglassClient.builder(url).build()) {
      run("submit", "t", "--job-id", "d", "--max-attempts", "1");
      var a =
          client
              .lease("w1", 1, java.time.Duration.ZERO, java.util.List.of(), java.time.Duration.ZERO)
              .get(0);
      client.fail(a.jobId(), "w1", a.generation(), "boom", true);
    }
    assertThat(run("workers").out()).contains("WORKER").contains("w1").contains("yes");
    assertThat(run("dlq").out()).contains("d ").contains("boom");
    assertThat(run("dlq", "list", "--json").out()).contains("\"job_id\" : \"d\"");
    assertThat(run("dlq", "retry", "d").out()).contains("d READY");
    assertThat(run("dlq").out()).doesNotContain("boom");
  }
}
