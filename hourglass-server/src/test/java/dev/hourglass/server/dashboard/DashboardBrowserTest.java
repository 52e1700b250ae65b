package dev.hourglass.server.dashboard;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import com.fasterxml.jackson.databind.JsonNode;
import dev.hourglass.server.Auth;
import dev.hourglass.server.HourglassServer;
import dev.hourglass.server.ServerOptions;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.MethodOrderer;
import org.junit.jupiter.api.Order;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestMethodOrder;
import org.junit.jupiter.api.io.TempDir;
import org.openqa.selenium.By;
import org.openqa.selenium.WebElement;

/**
 * The dashboard end to end in real headless chromium. Goal: against a server holding a DAG, plain
 * jobs, a dead job and a dead worker, every page shows what the API says, the DAG graph has one
 * node per job, the re-drive button moves the dead job to READY, and a server with tokens gets a
 * token prompt instead of a blank page. One PNG per page lands in target/dashboard-screenshots/.
 */
@TestMethodOrder(MethodOrderer.OrderAnnotation.class)
class DashboardBrowserTest {
  static final List<String> STATES =
      List.of(
          "PENDING", "SCHEDULED", "READY", "RUNNING", "SUCCEEDED", "FAILED", "DEAD", "CANCELLED");
  static final List<String> DAG =
      List.of("extract", "transform-a", "transform-b", "load", "report");

  @TempDir static Path dir;
  static HourglassServer server;
  static ApiCalls api;
  static Browser browser;

  @BeforeAll
  static void start() throws Exception {
    server = HourglassServer.start(ServerOptions.of(dir.resolve("open")).withPort(0));
    api = new ApiCalls(server.uri(), null);
    seed(api);
    browser = Browser.start();
  }

  @AfterAll
  static void stop() {
    try {
      if (browser != null) {
        browser.close();
      }
    } finally {
      if (server != null) {
        server.stop();
      }
    }
  }

  /** A DAG with its root done, plain jobs at three priorities, one dead job, one dead worker. */
  static void seed(ApiCalls api) {
    api.post(
        "/api/v1/jobs:batch",
        """
        {"jobs":[
          {"job_id":"extract","task":"extract","queue":"etl","payload":{"source":"s3://in"}},
          {"job_id":"transform-a","task":"transform","queue":"etl","depends_on":["extract"]},
          {"job_id":"transform-b","task":"transform","queue":"etl","depends_on":["extract"]},
          {"job_id":"load","task":"load","queue":"etl",
           "depends_on":["transform-a","transform-b"]},
          {"job_id":"report","task":"report","queue":"etl","depends_on":["load"]}]}""",
        201);
    api.post("/api/v1/lease", "{\"worker_id\":\"etl-1\",\"queues\":[\"etl\"]}", 200);
    api.post(
        "/api/v1/jobs/extract/complete",
        "{\"worker_id\":\"etl-1\",\"generation\":1,\"result\":{\"rows\":42}}",
        200);
    for (int i = 0; i < 7; i++) {
      api.post(
          "/api/v1/jobs",
          "{\"task\":\"thumbnail\",\"priority\":" + (i % 3) * 5 + ",\"payload\":{\"n\":" + i + "}}",
          201);
    }
    api.post(
        "/api/v1/jobs",
        "{\"job_id\":\"doomed\",\"task\":\"charge\",\"queue\":\"billing\"," + "\"max_attempts\":1}",
        201);
    api.post("/api/v1/lease", "{\"worker_id\":\"biller\",\"queues\":[\"billing\"]}", 200);
    api.post(
        "/api/v1/jobs/doomed/fail",
        "{\"worker_id\":\"biller\",\"generation\":1,"
            + "\"error\":\"card declined\",\"retryable\":false}",
        200);
    api.post(
        "/api/v1/workers",
        "{\"worker_id\":\"w-live\",\"capacity\":4,"
            + "\"heartbeat_timeout_ms\":600000,\"tasks\":[\"thumbnail\"]}",
        201);
    api.put("/api/v1/tasks/report/limits", "{\"max_running\":2,\"rate_per_second\":5}");
    // No live worker runs this task in this queue: the overview says so.
    api.post("/api/v1/jobs", "{\"task\":\"resize-image\",\"queue\":\"media\"}", 201);
    api.post(
        "/api/v1/workers",
        "{\"worker_id\":\"w-gone\",\"capacity\":2," + "\"heartbeat_timeout_ms\":300}",
        201);
    await()
        .atMost(Duration.ofSeconds(15))
        .until(
            () -> {
              for (JsonNode w : api.get("/api/v1/workers").get("workers")) {
                if (w.get("worker_id").asText().equals("w-gone")) {
                  return !w.get("alive").asBoolean();
                }
              }
              return false;
            });
  }

  @Test
  @Order(1)
  void overviewShowsTheCountsTheApiReports() throws Exception {
    browser.open(server.uri() + "/");
    browser.until(d -> "true".equals(browser.find("counts").getDomAttribute("data-ready")));
    JsonNode counts = api.get("/api/v1/stats").get("counts");
    for (String s : STATES) {
      var card = browser.find("count-" + s);
      assertThat(card.getDomAttribute("data-value")).as(s).isEqualTo(counts.get(s).asText());
      assertThat(card.findElement(By.className("value")).getText())
          .as(s)
          .isEqualTo(String.format(java.util.Locale.US, "%,d", counts.get(s).asLong()));
    }
    assertThat(browser.find("count-DEAD").getText()).contains("1");
    var etl = browser.until(d -> d.findElement(By.cssSelector("[data-queue='etl']")));
    assertThat(etl.getText()).contains("p0: 2");
    assertThat(browser.find("unrunnable-notice").getText())
        .contains("resize-image in media: 1")
        .contains("Start a worker");
    assertThat(
            browser
                .driver
                .findElement(
                    By.cssSelector("[data-queue='media'] [data-testid='queue-unrunnable']"))
                .getText())
        .isEqualTo("resize-image: 1");
    assertThat(browser.find("task-limits").getText())
        .contains("report")
        .contains("0 / 2")
        .contains("5/s, burst 5");
    // Some work while the page samples the counters once a second, so the charts move: the
    // throughput chart draws its area once it has two rates (three samples).
    var leased =
        api.post(
                "/api/v1/lease",
                "{\"worker_id\":\"w-live\",\"max\":3," + "\"queues\":[\"default\"]}",
                200)
            .get("assignments");
    for (JsonNode a : leased) {
      api.post(
          "/api/v1/jobs/" + a.get("job_id").asText() + "/complete",
          "{\"worker_id\":\"w-live\",\"generation\":1}",
          200);
    }
    browser.until(
        d -> d.findElements(By.cssSelector("[data-testid='chart-throughput'] path")).size() >= 2);
    browser.until(d -> browser.find("count-SUCCEEDED").getDomAttribute("data-value").equals("4"));
    browser.screenshot("1-overview");
  }

  @Test
  @Order(2)
  void jobsPageFiltersByStateAndPages() throws Exception {
    browser.open(server.uri() + "/#/jobs?state=READY");
    int ready = api.get("/api/v1/stats").get("counts").get("READY").asInt();
    browser.until(d -> d.findElements(By.cssSelector("[data-testid='job-row']")).size() == ready);
    assertThat(
            browser.driver.findElements(By.cssSelector("[data-testid='job-row'] .badge")).stream()
                .map(WebElement::getText))
        .containsOnly("READY");
    browser.screenshot("2-jobs");
  }

  @Test
  @Order(3)
  void jobDetailDrawsItsDagWithOneNodePerJobColouredByState() throws Exception {
    browser.open(server.uri() + "/#/job/load");
    assertThat(browser.find("job-state").getText()).isEqualTo("PENDING");
    browser.until(
        d -> d.findElements(By.cssSelector("[data-testid='dag-node']")).size() == DAG.size());
    var nodes = browser.driver.findElements(By.cssSelector("[data-testid='dag-node']"));
    assertThat(nodes.stream().map(n -> n.getDomAttribute("data-job-id")))
        .containsExactlyInAnyOrderElementsOf(DAG);
    for (WebElement n : nodes) {
      String id = n.getDomAttribute("data-job-id");
      assertThat(n.getDomAttribute("data-state"))
          .as(id)
          .isEqualTo(api.get("/api/v1/jobs/" + id).get("state").asText());
    }
    assertThat(browser.driver.findElements(By.cssSelector("[data-testid='dag-edge']"))).hasSize(5);
    browser.screenshot("3-job-detail-dag");
    // A node is a link to its job.
    browser.driver.findElement(By.cssSelector("[data-job-id='extract'] rect")).click();
    browser.until(d -> browser.find("job-id").getText().equals("extract"));
    assertThat(browser.find("job-state").getText()).isEqualTo("SUCCEEDED");
    browser.until(d -> d.findElements(By.cssSelector("[data-testid='attempt-row']")).size() == 1);
    assertThat(browser.find("attempts").getText()).contains("etl-1").contains("SUCCEEDED");
    assertThat(browser.find("payload").getText()).contains("s3://in");
  }

  @Test
  @Order(4)
  void workersPageMarksTheDeadWorker() throws Exception {
    browser.open(server.uri() + "/#/workers");
    // The rows are redrawn every second (heartbeat ages), so each check reads one row at once.
    String gone =
        browser.until(
            d -> {
              var row = d.findElement(By.cssSelector("[data-worker-id='w-gone']"));
              return row.getDomAttribute("class").contains("dead") ? row.getText() : null;
            });
    assertThat(gone).contains("dead");
    String live =
        browser.until(d -> d.findElement(By.cssSelector("[data-worker-id='w-live']")).getText());
    assertThat(live)
        .contains("alive")
        .contains("s ago")
        .doesNotContain("dead")
        .contains("thumbnail");
    String goneTasks =
        browser.until(
            d ->
                d.findElement(
                        By.cssSelector("[data-worker-id='w-gone'] [data-testid='worker-tasks']"))
                    .getText());
    assertThat(goneTasks).isEqualTo("any");
    browser.screenshot("4-workers");
  }

  @Test
  @Order(5)
  void deadLetterIsRedrivenWithTheButton() throws Exception {
    browser.open(server.uri() + "/#/dlq");
    var row =
        browser.until(
            d ->
                d.findElement(
                    By.cssSelector("[data-testid='dlq-row']" + "[data-job-id='doomed']")));
    assertThat(row.getText()).contains("card declined");
    browser.screenshot("5-dead-letters");
    row.findElement(By.cssSelector("[data-testid='redrive']")).click();
    browser.until(d -> browser.find("flash").getText().contains("READY"));
    browser.until(d -> d.findElements(By.cssSelector("[data-job-id='doomed']")).isEmpty());
    assertThat(api.get("/api/v1/jobs/doomed").get("state").asText()).isEqualTo("READY");
    browser.open(server.uri() + "/#/job/doomed");
    browser.until(d -> browser.find("job-state").getText().equals("READY"));
  }

  @Test
  @Order(6)
  void clusterPageIsHiddenOnASingleNodeAndListsMembersOnAReplica() throws Exception {
    browser.open(server.uri() + "/#/cluster");
    browser.until(d -> d.findElement(By.tagName("main")).getText().contains("single node"));
    assertThat(browser.driver.findElement(By.id("nav-cluster")).isDisplayed()).isFalse();
    // A replica's answer (the shape GET /api/v1/cluster gives in cluster mode), stubbed into the
    // page's fetch: the Cluster link appears and every member is listed.
    browser.js(
        """
        const original = window.fetch.bind(window);
        const status = {mode: "cluster", node_id: "n1", leader: "n1", term: 3,
          commit_index: 1200, last_applied_index: 1200, members: [
            {node_id: "n1", address: "127.0.0.1:9001", http: "http://127.0.0.1:7001",
             role: "LEADER", match_index: 1200, lag: 0},
            {node_id: "n2", address: "127.0.0.1:9002", http: "http://127.0.0.1:7002",
             role: "FOLLOWER", match_index: 1190, lag: 10},
            {node_id: "n3", address: "127.0.0.1:9003", http: null,
             role: "FOLLOWER", match_index: -1, lag: null}]};
        window.fetch = (url, options) => String(url).endsWith("/api/v1/cluster")
          ? Promise.resolve(new Response(JSON.stringify(status),
              {status: 200, headers: {"Content-Type": "application/json"}}))
          : original(url, options);
        """);
    browser.until(d -> d.findElements(By.cssSelector("[data-testid='member-row']")).size() == 3);
    assertThat(browser.find("leader").getText()).isEqualTo("n1");
    assertThat(browser.driver.findElement(By.cssSelector("[data-node-id='n2']")).getText())
        .contains("FOLLOWER")
        .contains("10");
    browser.until(d -> d.findElement(By.id("nav-cluster")).isDisplayed());
    browser.screenshot("6-cluster");
    // On a follower the API redirects to the leader, which a page cannot follow across origins:
    // the message links to the leader's dashboard.
    browser.js(
        """
        const stubbed = window.fetch;
        window.fetch = (url, options) => {
          if (String(url).endsWith("/api/v1/cluster")) {
            return stubbed(url, options).then((r) => r.json()).then((c) => new Response(
                JSON.stringify({...c, node_id: "n2"}), {status: 200}));
          }
          return Promise.reject(new TypeError("Failed to fetch"));
        };
        location.hash = "#/workers";
        """);
    var link =
        browser.until(
            d ->
                d.findElements(By.cssSelector("[data-testid='error'] a")).stream()
                    .findFirst()
                    .orElse(null));
    assertThat(link.getDomAttribute("href")).isEqualTo("http://127.0.0.1:7001");
    assertThat(browser.find("error").getText()).contains("follower");
  }

  @Test
  @Order(7)
  void aServerWithTokensGetsATokenPromptAndAStoppedOneAMessageNeverABlankPage() throws Exception {
    try (var secured =
        HourglassServer.start(
            ServerOptions.of(dir.resolve("secured"))
                .withPort(0)
                .withAuth(Auth.parse("client:client-token-1,admin:admin-token-1")))) {
      var admin = new ApiCalls(secured.uri(), "admin-token-1");
      admin.post("/api/v1/jobs", "{\"job_id\":\"x\",\"task\":\"t\",\"max_attempts\":1}", 201);
      admin.post("/api/v1/lease", "{\"worker_id\":\"w\"}", 200);
      admin.post("/api/v1/jobs/x/fail", "{\"worker_id\":\"w\",\"generation\":1}", 200);

      browser.open(secured.uri() + "/");
      browser.js("sessionStorage.clear()");
      browser.open(secured.uri() + "/#/dlq");
      browser.find("token-dialog");
      assertThat(browser.find("token-dialog").getText()).contains("needs a token");
      browser.screenshot("7-token-prompt");
      browser.find("token-input").sendKeys("client-token-1");
      browser.find("token-save").click();
      var row = browser.until(d -> d.findElement(By.cssSelector("[data-testid='dlq-row']")));
      // A client may read but not re-drive: the 403 asks for a better token.
      row.findElement(By.cssSelector("[data-testid='redrive']")).click();
      browser.until(d -> browser.find("token-dialog").getText().contains("admin"));
      browser.find("token-input").sendKeys("admin-token-1");
      browser.find("token-save").click();
      browser.until(d -> d.findElement(By.cssSelector("[data-testid='redrive']"))).click();
      browser.until(d -> browser.find("flash").getText().contains("READY"));
      assertThat(admin.get("/api/v1/jobs/x").get("state").asText()).isEqualTo("READY");
      assertThat(browser.js("return sessionStorage.getItem('hourglass.token')"))
          .isEqualTo("admin-token-1");
    }
    // The server is gone: the page says so and keeps what it showed.
    browser.until(d -> browser.find("error").getText().contains("did not answer"));
    assertThat(browser.driver.findElements(By.cssSelector("[data-testid='dlq']"))).hasSize(1);
    assertThat(browser.driver.findElement(By.tagName("main")).getText())
        .contains("Dead-letter queue");
    browser.screenshot("8-server-gone");
  }
}
