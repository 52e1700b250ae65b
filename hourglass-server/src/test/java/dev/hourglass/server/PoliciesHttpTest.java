package dev.hourglass.server;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Scheduling policies over HTTP: lease strategies, queue weights, fair queues, rate limits, how
 * queues show them, and the refusals of bad settings. Counts are checked, never durations: the rate
 * test bounds grants by the time the test itself saw pass, which holds on any machine.
 */
class PoliciesHttpTest {
  @TempDir Path dir;
  HourglassServer server;
  HttpTestClient http;

  @BeforeEach
  void start() throws Exception {
    server =
        HourglassServer.start(
            ServerOptions.of(dir.resolve("data")).withPort(0).withBind("127.0.0.1"));
    http = new HttpTestClient(server.uri());
  }

  @AfterEach
  void stop() {
    server.stop();
  }

  private void ok(HttpTestClient.Reply r) {
    assertThat(r.status()).as(r.text()).isBetween(200, 201);
  }

  private void submit(String queue, int n, String key) {
    List<String> jobs = new ArrayList<>();
    for (int i = 0; i < n; i++) {
      jobs.add(
          "{\"task\":\"t\",\"queue\":\""
              + queue
              + "\""
              + (key == null ? "" : ",\"fairness_key\":\"" + key + "\"")
              + "}");
    }
    ok(http.post("/api/v1/jobs:batch", "{\"jobs\":[" + String.join(",", jobs) + "]}"));
  }

  private void worker(String id) {
    ok(http.post("/api/v1/workers", "{\"worker_id\":\"" + id + "\",\"capacity\":1000}"));
  }

  /** The queue of each job one lease got. */
  private List<JsonNode> lease(String worker, int max, String strategy, String... queues) {
    String list = String.join("\",\"", queues);
    var r =
        http.post(
            "/api/v1/lease",
            "{\"worker_id\":\""
                + worker
                + "\",\"max\":"
                + max
                + (queues.length == 0 ? "" : ",\"queues\":[\"" + list + "\"]")
                + (strategy == null ? "" : ",\"strategy\":\"" + strategy + "\"")
                + "}");
    assertThat(r.status()).as(r.text()).isEqualTo(200);
    List<JsonNode> out = new ArrayList<>();
    r.body().get("assignments").forEach(out::add);
    return out;
  }

  private List<String> singleLeases(int n, String strategy, String... queues) {
    List<String> got = new ArrayList<>();
    for (int i = 0; i < n; i++) {
      for (JsonNode a : lease("w", 1, strategy, queues)) {
        got.add(a.get("queue").asText());
      }
    }
    return got;
  }

  private JsonNode queueNamed(String name) {
    for (JsonNode each : http.get("/api/v1/queues").body().get("queues")) {
      if (each.get("queue").asText().equals(name)) {
        return each;
      }
    }
    throw new AssertionError("no queue " + name + " in GET /api/v1/queues");
  }

  private static long count(List<String> values, String value) {
    return values.stream().filter(value::equals).count();
  }

  @Test
  void roundRobinSplitsTwentySingleLeasesTenAndTen() {
    worker("w");
    submit("qa", 30, null);
    submit("qb", 30, null);
    List<String> got = singleLeases(20, "round_robin", "qa", "qb");
    assertThat(got).hasSize(20);
    assertThat(count(got, "qa")).isBetween(9L, 11L);
  }

  @Test
  void weightedSplitsTwentySingleLeasesByWeightThreeToOne() {
    worker("w");
    ok(http.put("/api/v1/queues/qa/limits", "{\"weight\":3}"));
    submit("qa", 30, null);
    submit("qb", 30, null);
    List<String> got = singleLeases(20, "weighted", "qa", "qb");
    assertThat(got).hasSize(20);
    assertThat(count(got, "qa")).isBetween(14L, 16L);
    assertThat(count(got, "qb")).isBetween(4L, 6L);
  }

  @Test
  void aFairQueueServesFiveSmallJobsBehindAHundredBigOnesWithinTenGrants() {
    worker("w");
    ok(http.put("/api/v1/queues/shared/policy", "{\"fairness\":\"round_robin\"}"));
    submit("shared", 100, "big");
    submit("shared", 5, "small");
    int small = 0;
    for (int i = 0; i < 10; i++) {
      for (JsonNode a : lease("w", 1, null, "shared")) {
        JsonNode job = http.get("/api/v1/jobs/" + a.get("job_id").asText()).body();
        small += "small".equals(job.path("fairness_key").asText()) ? 1 : 0;
      }
    }
    assertThat(small).isEqualTo(5);
  }

  /**
   * Goal: with 10 jobs/s and a burst of 5, the grants over a little more than three seconds never
   * exceed 5 + 10 per second of the time that passed between setting the limit and the last answer
   * (plus one for rounding); and a poll that waits is woken by the next token, not by its deadline.
   */
  @Test
  void aRateLimitOfTenPerSecondNeverGrantsMoreThanItsRatePlusBurst() {
    worker("w");
    submit("r", 200, null);
    long start = System.currentTimeMillis();
    ok(http.put("/api/v1/queues/r/limits", "{\"rate_per_second\":10,\"burst\":5}"));
    int granted = lease("w", 20, null, "r").size();
    assertThat(granted).as("the full bucket").isEqualTo(5);
    long until = start + 3_100;
    for (int polls = 0; polls < 10_000 && System.currentTimeMillis() < until; polls++) {
      var r =
          http.post(
              "/api/v1/lease",
              "{\"worker_id\":\"w\",\"max\":20,\"queues\":[\"r\"]," + "\"wait_ms\":30000}");
      assertThat(r.status()).as(r.text()).isEqualTo(200);
      assertThat(r.body().get("assignments").size())
          .as("a long poll woken by a token")
          .isPositive();
      granted += r.body().get("assignments").size();
    }
    long elapsed = System.currentTimeMillis() - start;
    assertThat((long) granted).isLessThanOrEqualTo(5 + 10 * elapsed / 1_000 + 1);
    var queue = queueNamed("r");
    assertThat(queue.get("rate_per_second").asDouble()).isEqualTo(10.0);
    assertThat(queue.get("burst").asInt()).isEqualTo(5);
  }

  @Test
  void aWorkersReservedSlotIsLeftForItsQueue() {
    var reg =
        http.post(
            "/api/v1/workers",
            "{\"worker_id\":\"w\",\"capacity\":3," + "\"reserve\":{\"light\":1}}");
    ok(reg);
    assertThat(reg.body().get("reserve").get("light").asInt()).isEqualTo(1);
    submit("heavy", 10, null);
    assertThat(lease("w", 3, null)).as("the reserved slot stays free").hasSize(2);
    submit("light", 1, null);
    assertThat(lease("w", 3, null))
        .singleElement()
        .satisfies(a -> assertThat(a.get("queue").asText()).isEqualTo("light"));
    var bad =
        http.post(
            "/api/v1/workers",
            "{\"worker_id\":\"w2\",\"capacity\":1," + "\"reserve\":{\"light\":2}}");
    assertThat(bad.status()).as(bad.text()).isEqualTo(400);
    assertThat(bad.str("detail")).contains("capacity=1");
  }

  @Test
  void queuesShowTheirPolicy() {
    ok(http.put("/api/v1/queues/q/limits", "{\"weight\":4,\"rate_per_second\":2.5}"));
    ok(
        http.put(
            "/api/v1/queues/q/policy",
            "{\"fairness\":\"round_robin\",\"key_weights\":{\"gold\":4}}"));
    submit("q", 2, "gold");
    submit("q", 1, "silver");
    JsonNode q = queueNamed("q");
    assertThat(q.get("weight").asInt()).isEqualTo(4);
    assertThat(q.get("rate_per_second").asDouble()).isEqualTo(2.5);
    assertThat(q.get("burst").asInt()).as("default burst: the rate rounded up").isEqualTo(3);
    assertThat(q.get("fairness").asText()).isEqualTo("round_robin");
    assertThat(q.get("key_weights").get("gold").asInt()).isEqualTo(4);
    assertThat(q.get("active_keys").asLong()).isEqualTo(2);
    String metrics = http.get("/metrics").text();
    assertThat(metrics)
        .contains("hourglass_queue_policy{queue=\"q\",setting=\"weight\"} 4")
        .contains("hourglass_queue_policy{queue=\"q\",setting=\"rate_per_second\"} 2.5")
        .contains("hourglass_queue_policy{queue=\"q\",setting=\"fair_keys\"} 2");
    ok(http.put("/api/v1/tasks/t/limits", "{\"rate_per_second\":1}"));
    assertThat(
            http.put("/api/v1/tasks/t/limits", "{\"max_running\":3}")
                .body()
                .get("rate_per_second")
                .asDouble())
        .isEqualTo(1.0);
  }

  @Test
  void badPolicySettingsAreRefusedSpecificallyAndChangeNothing() {
    ok(http.put("/api/v1/queues/q/limits", "{\"max_running\":7}"));
    String[][] cases = {
      {"PUT", "/api/v1/queues/q/limits", "{\"max_running\":2,\"weight\":0}", "weight=0"},
      {"PUT", "/api/v1/queues/q/limits", "{}", "at least one"},
      {"PUT", "/api/v1/queues/q/limits", "{\"rate_per_second\":0.0001}", "steps of 0.001"},
      {"PUT", "/api/v1/queues/q/limits", "{\"rate_per_second\":-1}", "rate_per_second=-1"},
      {"PUT", "/api/v1/queues/q/limits", "{\"burst\":3}", "needs rate_per_second"},
      {"PUT", "/api/v1/queues/q/limits", "{\"rate_per_second\":5,\"burst\":0}", "burst=0"},
      {"PUT", "/api/v1/queues/q/policy", "{\"fairness\":\"lottery\"}", "lottery"},
      {
        "PUT",
        "/api/v1/queues/q/policy",
        "{\"fairness\":\"round_robin\",\"key_weights\":" + "{\"k\":0}}",
        "key_weights[k]=0"
      },
      {"PUT", "/api/v1/tasks/t/limits", "{\"weight\":2}", "weight"},
      {"POST", "/api/v1/lease", "{\"worker_id\":\"w\",\"strategy\":\"random\"}", "random"},
      {"POST", "/api/v1/jobs", "{\"task\":\"t\",\"fairness_key\":\"\"}", "fairness_key"},
    };
    for (String[] c : cases) {
      var r = c[0].equals("PUT") ? http.put(c[1], c[2]) : http.post(c[1], c[2]);
      assertThat(r.status()).as("%s %s", c[1], c[2]).isEqualTo(400);
      assertThat(r.str("code")).isEqualTo("INVALID_ARGUMENT");
      assertThat(r.str("detail")).as("%s %s", c[1], c[2]).contains(c[3]);
    }
    var q = queueNamed("q");
    assertThat(q.get("max_running").asInt()).isEqualTo(7);
    assertThat(q.get("weight").asInt()).isEqualTo(1);
    assertThat(q.get("fairness").asText()).isEqualTo("none");
  }
}
