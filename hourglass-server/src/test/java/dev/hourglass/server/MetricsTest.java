package dev.hourglass.server;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import com.fasterxml.jackson.databind.JsonNode;
import dev.hourglass.wal.FsyncPolicy;
import java.time.Duration;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeSet;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.TimeUnit;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;

/**
 * The Prometheus metrics as a scraper sees them: a real server on 127.0.0.1, real HTTP calls, and
 * assertions on the series and values of {@code GET /metrics}. Each test has its own server, so the
 * label caps and counters start from zero.
 */
class MetricsTest {
  private static final Duration WAIT = Duration.ofSeconds(20);

  @RegisterExtension
  final HourglassServerExtension server =
      HourglassServerExtension.withOptions(o -> o.withFsync(new FsyncPolicy.NeverUnsafeForTests()));

  final HttpTestClient http = server.http();
  final ExecutorService pool = Executors.newVirtualThreadPerTaskExecutor();

  @AfterEach
  void stop() throws InterruptedException {
    pool.shutdownNow();
    assertThat(pool.awaitTermination(10, TimeUnit.SECONDS)).isTrue();
  }

  @Test
  void parkedLongPollsAreCountedAndTheGaugeSurvivesGarbageCollection() throws Exception {
    // A gauge holds its object weakly; the old one watched a lambda nothing else kept, so after a
    // collection every scrape read NaN. Collect first, then expect real numbers.
    System.gc();
    assertThat(scrape().value("hourglass_longpolls_parked")).isEqualTo(0.0);
    CompletableFuture<JsonNode> poll =
        CompletableFuture.supplyAsync(
            () ->
                http.post(
                        "/api/v1/lease",
                        "{\"worker_id\":\"parker\",\"wait_ms\":30000,\"queues\":[\"park\"]}")
                    .body(),
            pool);
    await()
        .atMost(WAIT)
        .untilAsserted(
            () -> {
              System.gc();
              assertThat(scrape().value("hourglass_longpolls_parked")).isEqualTo(1.0);
            });
    submit("park", "wake", "");
    assertThat(poll.get(WAIT.toSeconds(), TimeUnit.SECONDS).get("assignments")).hasSize(1);
    System.gc();
    assertThat(scrape().value("hourglass_longpolls_parked")).isEqualTo(0.0);
  }

  @Test
  void successFailureAndWaitAreLabelledWithQueueAndTask() {
    for (int i = 0; i < 3; i++) {
      submit("billing", "charge", ",\"max_attempts\":1");
    }
    submit("mail", "send", ",\"max_attempts\":1");
    submit("mail", "send", ",\"max_attempts\":1");
    List<JsonNode> billing = lease("w1", "billing", 3);
    complete(billing.get(0));
    complete(billing.get(1));
    fail(billing.get(2));
    List<JsonNode> mail = lease("w1", "mail", 2);
    complete(mail.get(0));
    fail(mail.get(1));

    Scrape m = scrape();
    assertThat(m.value("hourglass_jobs_submitted_total", "queue", "billing", "task", "charge"))
        .isEqualTo(3.0);
    assertThat(m.value("hourglass_jobs_succeeded_total", "queue", "billing", "task", "charge"))
        .isEqualTo(2.0);
    assertThat(m.value("hourglass_jobs_failed_total", "queue", "billing", "task", "charge"))
        .isEqualTo(1.0);
    assertThat(m.value("hourglass_jobs_succeeded_total", "queue", "mail", "task", "send"))
        .isEqualTo(1.0);
    assertThat(m.value("hourglass_jobs_failed_total", "queue", "mail", "task", "send"))
        .isEqualTo(1.0);
    assertThat(m.value("hourglass_job_wait_seconds_count", "queue", "billing", "task", "charge"))
        .isEqualTo(3.0);
    assertThat(m.value("hourglass_job_wait_seconds_count", "queue", "mail", "task", "send"))
        .isEqualTo(2.0);
    assertThat(m.series("hourglass_job_wait_seconds_bucket", "queue", "mail"))
        .as("fixed wait buckets, +Inf included")
        .hasSize(17);
    // The dashboard sums every series of a name: the totals stay what they were.
    assertThat(m.value("hourglass_jobs_succeeded_total")).isEqualTo(3.0);
    assertThat(m.value("hourglass_jobs_failed_total")).isEqualTo(2.0);
  }

  @Test
  void lostLeasesAreCountedByReasonAndRetriesAsRequeues() {
    submit("expiring", "t", ",\"max_attempts\":2,\"backoff_ms\":0");
    leaseFor("silent", "expiring", 300);
    submit("slow", "t", ",\"max_attempts\":1,\"timeout_ms\":300");
    leaseFor("busy", "slow", 60_000);
    assertThat(
            http.post(
                    "/api/v1/workers",
                    "{\"worker_id\":\"mortal\",\"capacity\":1," + "\"heartbeat_timeout_ms\":300}")
                .status())
        .isEqualTo(201);
    submit("orphaned", "t", ",\"max_attempts\":1");
    leaseFor("mortal", "orphaned", 60_000);

    await()
        .atMost(WAIT)
        .untilAsserted(
            () -> {
              Scrape m = scrape();
              assertThat(m.value("hourglass_leases_lost_total", "reason", "lease_expired"))
                  .isEqualTo(1.0);
              assertThat(m.value("hourglass_leases_lost_total", "reason", "timed_out"))
                  .isEqualTo(1.0);
              assertThat(m.value("hourglass_leases_lost_total", "reason", "worker_died"))
                  .isEqualTo(1.0);
              assertThat(m.value("hourglass_jobs_requeued_total", "reason", "retry"))
                  .isEqualTo(1.0);
            });
    Scrape m = scrape();
    assertThat(m.value("hourglass_leases_lost_total", "reason", "superseded")).isEqualTo(0.0);
    assertThat(m.value("hourglass_jobs_requeued_total", "reason", "released")).isEqualTo(0.0);
    // At least: on a slow machine "mortal" may also die between registering and leasing.
    assertThat(m.value("hourglass_workers_died_total")).isGreaterThanOrEqualTo(1.0);
    assertThat(m.value("hourglass_jobs_failed_total", "queue", "expiring")).isEqualTo(1.0);
    assertThat(m.value("hourglass_jobs_dead_total")).isEqualTo(2.0);

    String job = submit("giving-back", "t", "");
    JsonNode a = leaseFor("quitter", "giving-back", 60_000);
    assertThat(
            http.post(
                    "/api/v1/jobs/" + job + "/release",
                    "{\"worker_id\":\"quitter\","
                        + "\"generation\":"
                        + a.get("generation").asInt()
                        + "}")
                .status())
        .isEqualTo(200);
    assertThat(scrape().value("hourglass_jobs_requeued_total", "reason", "released"))
        .isEqualTo(1.0);
  }

  @Test
  void heartbeatAgeIsReportedForLiveWorkersOnly() {
    long before = System.currentTimeMillis();
    assertThat(
            http.post(
                    "/api/v1/workers",
                    "{\"worker_id\":\"steady\",\"capacity\":1,"
                        + "\"heartbeat_timeout_ms\":600000}")
                .status())
        .isEqualTo(201);
    assertThat(
            http.post(
                    "/api/v1/workers",
                    "{\"worker_id\":\"fading\",\"capacity\":1," + "\"heartbeat_timeout_ms\":200}")
                .status())
        .isEqualTo(201);
    await().atMost(WAIT).until(() -> scrape().value("hourglass_workers_died_total") == 1.0);
    Scrape m = scrape();
    long after = System.currentTimeMillis();
    double age = m.value("hourglass_worker_heartbeat_age_seconds", "worker", "steady");
    // Registered after `before`, scraped before `after`: the age lies between, whatever the pace.
    assertThat(age).isBetween(0.0, (after - before) / 1000.0);
    assertThat(m.series("hourglass_worker_heartbeat_age_seconds", "worker", "fading")).isEmpty();
    assertThat(m.value("hourglass_workers_alive")).isEqualTo(1.0);
  }

  @Test
  void userChosenLabelValuesAreCappedAndTheRestReadOther() {
    int n = ServerMetrics.QUEUE_LABELS_MAX;
    assertThat(ServerMetrics.QUEUE_TASK_LABELS_MAX).isEqualTo(n);
    // Priorities: the highest PRIORITY_LABELS_MAX are labels, the rest summed as "other".
    List<String> prio = new ArrayList<>();
    for (int p = 1; p <= ServerMetrics.PRIORITY_LABELS_MAX + 5; p++) {
      prio.add(job("prio", "t", p));
    }
    batch(prio);
    // Tasks: n + 5 task names in one queue; then n + 5 more queue names.
    List<String> tasks = new ArrayList<>();
    for (int i = 0; i < n + 5; i++) {
      tasks.add(job("tasks", "task" + i, 0));
    }
    batch(tasks);
    List<String> queues = new ArrayList<>();
    for (int i = 0; i < n + 5; i++) {
      queues.add(job("queue" + i, "t", 0));
    }
    batch(queues);
    for (int i = 0; i < ServerMetrics.WORKER_LABELS_MAX + 5; i++) {
      assertThat(http.post("/api/v1/workers", "{\"worker_id\":\"w" + i + "\"}").status())
          .isEqualTo(201);
    }

    Scrape m = scrape();
    for (String name :
        List.of(
            "hourglass_jobs_submitted_total",
            "hourglass_queue_ready",
            "hourglass_jobs",
            "hourglass_job_wait_seconds_count")) {
      Set<String> values = m.labelValues(name, "queue");
      assertThat(values).as(name).hasSizeLessThanOrEqualTo(n + 1).contains(ServerMetrics.OTHER);
    }
    assertThat(m.labelValues("hourglass_jobs_submitted_total", "task"))
        .hasSizeLessThanOrEqualTo(n + 1)
        .contains(ServerMetrics.OTHER);
    int jobs = prio.size() + tasks.size() + queues.size();
    assertThat(m.value("hourglass_jobs_submitted_total")).isEqualTo(jobs);
    assertThat(m.value("hourglass_queue_ready")).isEqualTo(jobs);
    assertThat(m.series("hourglass_queue_ready", "queue", "prio"))
        .hasSize(ServerMetrics.PRIORITY_LABELS_MAX + 1);
    assertThat(m.value("hourglass_queue_ready", "queue", "prio", "priority", "other"))
        .isEqualTo(5.0);
    assertThat(
            m.value(
                "hourglass_queue_ready",
                "queue",
                "prio",
                "priority",
                Integer.toString(ServerMetrics.PRIORITY_LABELS_MAX + 5)))
        .isEqualTo(1.0);
    assertThat(m.series("hourglass_worker_heartbeat_age_seconds"))
        .hasSize(ServerMetrics.WORKER_LABELS_MAX);
    assertThat(m.value("hourglass_workers_alive")).isEqualTo(ServerMetrics.WORKER_LABELS_MAX + 5);
  }

  // ---------------------------------------------------------------------------------------------

  private String submit(String queue, String task, String extra) {
    var r =
        http.post(
            "/api/v1/jobs", "{\"task\":\"" + task + "\",\"queue\":\"" + queue + "\"" + extra + "}");
    assertThat(r.status()).as(r.text()).isEqualTo(201);
    return r.str("job_id");
  }

  private static String job(String queue, String task, int priority) {
    return "{\"task\":\"" + task + "\",\"queue\":\"" + queue + "\",\"priority\":" + priority + "}";
  }

  private void batch(List<String> jobs) {
    var r = http.post("/api/v1/jobs:batch", "{\"jobs\":[" + String.join(",", jobs) + "]}");
    assertThat(r.status()).as(r.text()).isBetween(200, 201);
  }

  private List<JsonNode> lease(String worker, String queue, int max) {
    var r =
        http.post(
            "/api/v1/lease",
            "{\"worker_id\":\""
                + worker
                + "\",\"max\":"
                + max
                + ",\"queues\":[\""
                + queue
                + "\"]}");
    assertThat(r.status()).as(r.text()).isEqualTo(200);
    List<JsonNode> out = new ArrayList<>();
    r.body().get("assignments").forEach(out::add);
    assertThat(out).hasSize(max);
    return out;
  }

  private JsonNode leaseFor(String worker, String queue, long leaseMs) {
    var r =
        http.post(
            "/api/v1/lease",
            "{\"worker_id\":\""
                + worker
                + "\",\"lease_ms\":"
                + leaseMs
                + ",\"queues\":[\""
                + queue
                + "\"]}");
    assertThat(r.status()).as(r.text()).isEqualTo(200);
    assertThat(r.body().get("assignments")).hasSize(1);
    return r.body().get("assignments").get(0);
  }

  private void complete(JsonNode a) {
    report(a, "complete", "");
  }

  private void fail(JsonNode a) {
    report(a, "fail", ",\"error\":\"boom\"");
  }

  private void report(JsonNode a, String what, String extra) {
    String body =
        "{\"worker_id\":\"w1\",\"generation\":" + a.get("generation").asInt() + extra + "}";
    var r = http.post("/api/v1/jobs/" + a.get("job_id").asText() + "/" + what, body);
    assertThat(r.status()).as(r.text()).isEqualTo(200);
  }

  private Scrape scrape() {
    var r = http.get("/metrics");
    assertThat(r.status()).isEqualTo(200);
    return Scrape.parse(r.text());
  }

  /** One scrape, parsed: every sample with its name, labels and value. */
  record Scrape(List<Sample> samples) {
    private static final Pattern LINE =
        Pattern.compile("([a-zA-Z_:][a-zA-Z0-9_:]*)(?:\\{(.*)\\})? (\\S+)");
    private static final Pattern LABEL = Pattern.compile("(\\w+)=\"((?:[^\"\\\\]|\\\\.)*)\"");

    record Sample(String name, Map<String, String> labels, double value) {}

    static Scrape parse(String text) {
      List<Sample> out = new ArrayList<>();
      for (String line : text.split("\n")) {
        if (line.isBlank() || line.startsWith("#")) {
          continue;
        }
        Matcher m = LINE.matcher(line);
        assertThat(m.matches()).as("a Prometheus sample line: %s", line).isTrue();
        Map<String, String> labels = new LinkedHashMap<>();
        if (m.group(2) != null) {
          Matcher l = LABEL.matcher(m.group(2));
          while (l.find()) {
            labels.put(l.group(1), l.group(2));
          }
        }
        out.add(new Sample(m.group(1), labels, Double.parseDouble(m.group(3))));
      }
      return new Scrape(out);
    }

    /** The samples of {@code name} whose labels include the given name/value pairs. */
    List<Sample> series(String name, String... labelPairs) {
      List<Sample> out = new ArrayList<>();
      for (Sample s : samples) {
        boolean match = s.name().equals(name);
        for (int i = 0; match && i < labelPairs.length; i += 2) {
          match = labelPairs[i + 1].equals(s.labels().get(labelPairs[i]));
        }
        if (match) {
          out.add(s);
        }
      }
      return out;
    }

    /** The sum over {@link #series}; fails when there is no such series at all. */
    double value(String name, String... labelPairs) {
      List<Sample> found = series(name, labelPairs);
      assertThat(found).as("series %s %s", name, List.of(labelPairs)).isNotEmpty();
      double sum = 0;
      for (Sample s : found) {
        sum += s.value();
      }
      return sum;
    }

    Set<String> labelValues(String name, String label) {
      Set<String> out = new TreeSet<>();
      for (Sample s : series(name)) {
        if (s.labels().containsKey(label)) {
          out.add(s.labels().get(label));
        }
      }
      return out;
    }
  }
}
