package dev.hourglass.server;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import com.fasterxml.jackson.databind.JsonNode;
import dev.hourglass.server.HttpTestClient.Reply;
import dev.hourglass.testkit.LocalReplicaSet;
import java.io.UncheckedIOException;
import java.net.URI;
import java.net.http.HttpRequest;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Collections;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicLong;
import org.awaitility.core.ConditionTimeoutException;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.CleanupMode;
import org.junit.jupiter.api.io.TempDir;

/**
 * Goal: three `hourglass server` replica processes on 127.0.0.1 behave as one scheduler over HTTP.
 * A follower redirects to the leader; the leader's SIGKILL under a steady submit/lease/complete
 * load loses no acknowledged job, never completes a job twice, never has two overlapping attempts
 * of one job, and every assignment a worker was ever given is in the surviving history (nothing a
 * deposed leader did without a commit is visible); a delayed job fires once across a failover; a
 * lost majority refuses writes with a clear 503.
 */
class ClusterHttpTest {
  static final Duration WAIT = Duration.ofSeconds(60);

  /** Small heaps and C1 only: three replicas and the test share two cores. */
  static final List<String> JVM = List.of("-Xmx256m", "-XX:TieredStopAtLevel=1");

  /** Kept when a test fails: the replicas' logs are {@code <dir>/<node id>.log}. */
  @TempDir(cleanup = CleanupMode.ON_SUCCESS)
  Path dir;

  LocalReplicaSet replicas;

  @AfterEach
  void tearDown() {
    if (replicas != null) {
      replicas.close();
    }
  }

  /**
   * The leader's id once every live replica agrees on one that is alive, as their GET
   * /api/v1/cluster say (right after a kill, the survivors still name the dead leader).
   */
  String awaitLeader() {
    // Generous: three JVMs starting on two shared cores take 10-30 s to elect a first leader.
    return await()
        .atMost(WAIT.multipliedBy(2))
        .pollInterval(Duration.ofMillis(50))
        .until(
            () -> {
              String agreed = null;
              for (int i = 0; i < replicas.size(); i++) {
                if (!replicas.isAlive(i)) {
                  continue;
                }
                JsonNode c = tryGet(replicas.urls().get(i), "/api/v1/cluster");
                if (c == null || c.path("leader").isNull() || c.path("leader").isMissingNode()) {
                  return null;
                }
                if (agreed != null && !agreed.equals(c.get("leader").asText())) {
                  return null;
                }
                agreed = c.get("leader").asText();
              }
              return agreed != null && replicas.isAlive(replicas.indexOf(agreed)) ? agreed : null;
            },
            id -> id != null);
  }

  static JsonNode tryGet(URI base, String path) {
    try {
      Reply r = new HttpTestClient(base).get(path);
      return r.status() == 200 ? r.body() : null;
    } catch (UncheckedIOException down) {
      return null;
    }
  }

  @Test
  void followerRedirectsDelayedJobFiresOnceAcrossFailoverAndLostMajorityRefusesWrites()
      throws Exception {
    replicas = new LocalReplicaSet(dir, 3, JVM, List.of());
    replicas.startAll();
    String leader = awaitLeader();
    int leaderIndex = replicas.indexOf(leader);
    int followerIndex = (leaderIndex + 1) % 3;
    URI leaderUrl = replicas.urls().get(leaderIndex);
    var follower = new HttpTestClient(replicas.urls().get(followerIndex));

    JsonNode status = follower.get("/api/v1/cluster").body();
    assertThat(status.get("mode").asText()).isEqualTo("cluster");
    assertThat(status.get("node_id").asText()).isEqualTo(replicas.peers().get(followerIndex).id());
    assertThat(status.get("term").asLong()).isPositive();
    assertThat(status.get("members")).hasSize(3);

    Reply redirected = follower.post("/api/v1/jobs?x=1", "{\"task\":\"t\"}");
    assertThat(redirected.status()).isEqualTo(307);
    assertThat(redirected.raw().headers().firstValue("Location"))
        .hasValue(leaderUrl.resolve("/api/v1/jobs?x=1").toString());
    assertThat(redirected.body().get("code").asText()).isEqualTo("NOT_LEADER");
    assertThat(follower.get("/api/v1/stats").status()).isEqualTo(307); // reads too: never stale

    var onLeader = new HttpTestClient(leaderUrl);
    JsonNode leaderStatus = onLeader.get("/api/v1/cluster").body();
    assertThat(leaderStatus.get("leader").asText()).isEqualTo(leader);
    assertThat(leaderStatus.get("members").findValuesAsText("role")).contains("LEADER");

    // A job due in 3 s, then the leader dies: the new leader must fire it, once.
    Reply delayed = onLeader.post("/api/v1/jobs", "{\"task\":\"later\",\"delay_ms\":3000}");
    assertThat(delayed.status()).isEqualTo(201);
    String delayedId = delayed.body().get("job_id").asText();
    replicas.kill(leaderIndex);
    String second = awaitLeader();
    assertThat(second).isNotEqualTo(leader);
    var newLeader = new HttpTestClient(replicas.urls().get(replicas.indexOf(second)));
    // Elected is not yet serving: it first applies the earlier terms' entries (503 meanwhile).
    JsonNode job =
        await()
            .atMost(WAIT)
            .until(() -> newLeader.get("/api/v1/jobs/" + delayedId), r -> r.status() == 200)
            .body();
    assertThat(job.get("state").asText()).isIn("SCHEDULED", "READY");
    await()
        .atMost(WAIT)
        .until(
            () ->
                newLeader
                    .get("/api/v1/jobs/" + delayedId)
                    .body()
                    .get("state")
                    .asText()
                    .equals("READY"));
    Reply lease = newLeader.post("/api/v1/lease", "{\"worker_id\":\"w\",\"max\":10,\"wait_ms\":0}");
    assertThat(lease.body().get("assignments").findValuesAsText("job_id"))
        .containsExactly(delayedId);
    assertThat(
            newLeader
                .post(
                    "/api/v1/jobs/" + delayedId + "/complete",
                    "{\"worker_id\":\"w\",\"generation\":1}")
                .status())
        .isEqualTo(200);

    // The old leader comes back as a follower and catches up (it redirects to the new leader).
    replicas.start(leaderIndex);
    var old = new HttpTestClient(leaderUrl);
    await()
        .atMost(WAIT)
        .until(
            () -> {
              JsonNode c = tryGet(leaderUrl, "/api/v1/cluster");
              return c != null
                  && second.equals(c.path("leader").asText())
                  && c.get("last_applied_index").asLong()
                      >= newLeader.get("/api/v1/cluster").body().get("commit_index").asLong();
            });
    assertThat(old.post("/api/v1/jobs", "{\"task\":\"t\"}").status()).isEqualTo(307);

    // Lose the majority: the survivor refuses writes with a 503 that says why.
    int survivor = replicas.indexOf(second);
    for (int i = 0; i < 3; i++) {
      if (i != survivor) {
        replicas.kill(i);
      }
    }
    var alone = new HttpTestClient(replicas.urls().get(survivor));
    Reply refused =
        await()
            .atMost(WAIT)
            .until(() -> alone.post("/api/v1/jobs", "{\"task\":\"t\"}"), r -> r.status() == 503);
    assertThat(refused.body().get("code").asText()).isIn("NO_LEADER", "UNAVAILABLE");
    assertThat(refused.body().get("detail").asText()).containsAnyOf("majority", "leader");
    assertThat(refused.raw().headers().firstValue("Retry-After")).isPresent();
    assertThat(alone.get("/api/v1/cluster").status()).isEqualTo(200); // still tells its view
  }

  // ---------------------------------------------------------------------------------------------
  // Leader killed under load

  /** What the test saw: acknowledged submits, every assignment, every acknowledged completion. */
  static final class History {
    final Set<String> acked = ConcurrentHashMap.newKeySet();
    final Map<String, List<Integer>> granted = new ConcurrentHashMap<>();
    final Map<String, List<Integer>> completed = new ConcurrentHashMap<>();

    void grant(String job, int generation) {
      granted
          .computeIfAbsent(job, j -> Collections.synchronizedList(new ArrayList<>()))
          .add(generation);
    }

    void complete(String job, int generation) {
      completed
          .computeIfAbsent(job, j -> Collections.synchronizedList(new ArrayList<>()))
          .add(generation);
    }
  }

  /**
   * Calls whichever replica leads: follows 307, and on 503 or a refused connection tries the next
   * replica after a short pause, until the deadline. Remembers the last leader that answered.
   */
  final class AnyLeader {
    volatile int current;
    volatile long lastAckNanos;
    volatile String lastAckFrom;

    Reply call(String method, String path, String json) {
      long deadline = System.nanoTime() + WAIT.toNanos();
      while (System.nanoTime() < deadline) {
        int i = current;
        URI base = replicas.urls().get(i);
        try {
          var c = new HttpTestClient(base);
          HttpRequest.Builder b = c.builder(path).timeout(Duration.ofSeconds(10));
          b =
              json == null
                  ? b.method(method, HttpRequest.BodyPublishers.noBody())
                  : b.header("Content-Type", "application/json")
                      .method(method, HttpRequest.BodyPublishers.ofString(json));
          Reply r = c.send(b);
          if (r.status() == 307) {
            URI to = URI.create(r.raw().headers().firstValue("Location").orElseThrow());
            current = indexOfPort(to.getPort());
            continue;
          }
          if (r.status() == 503) {
            current = (i + 1) % replicas.size();
            pause();
            continue;
          }
          if (r.status() / 100 == 2) {
            lastAckNanos = System.nanoTime();
            lastAckFrom = replicas.peers().get(i).id();
          }
          return r;
        } catch (UncheckedIOException | IllegalStateException down) {
          current = (i + 1) % replicas.size();
          pause();
        }
      }
      throw new AssertionError("no replica answered " + method + " " + path + " within " + WAIT);
    }

    int indexOfPort(int port) {
      for (int i = 0; i < replicas.size(); i++) {
        if (replicas.urls().get(i).getPort() == port) {
          return i;
        }
      }
      throw new AssertionError("redirect to an unknown port " + port);
    }

    void pause() {
      try {
        Thread.sleep(20);
      } catch (InterruptedException e) {
        Thread.currentThread().interrupt();
        throw new IllegalStateException(e);
      }
    }
  }

  @Test
  void leaderKilledUnderLoadLosesNothingCompletesNothingTwiceAndNeverOverlapsAttempts()
      throws Exception {
    replicas = new LocalReplicaSet(dir, 3, JVM, List.of());
    replicas.startAll();
    awaitLeader();
    var history = new History();
    var leader = new AnyLeader();
    var running = new AtomicBoolean(true);
    var working = new AtomicBoolean(true);
    var submitted = new AtomicLong();
    Map<String, String> heldFrom = new ConcurrentHashMap<>();
    var redeliveredCopies = new AtomicLong();

    Thread submitter =
        Thread.ofPlatform()
            .name("submitter")
            .start(
                () -> {
                  while (running.get()) {
                    long n = submitted.incrementAndGet();
                    // Idempotency key: a submit whose answer was lost in a failover is retried
                    // safely.
                    // Every failover can cost the jobs the worker holds an attempt (their 2 s
                    // leases expire
                    // before the completions reach the new leader); enough attempts that none runs
                    // out.
                    Reply r =
                        leader.call(
                            "POST",
                            "/api/v1/jobs",
                            "{\"task\":\"t\",\"max_attempts\":100,\"idempotency_key\":\"k"
                                + n
                                + "\"}");
                    if (r.status() / 100 == 2) {
                      history.acked.add(r.body().get("job_id").asText());
                    }
                  }
                });
    Thread worker =
        Thread.ofPlatform()
            .name("worker")
            .start(
                () -> {
                  while (working.get()) {
                    Reply r =
                        leader.call(
                            "POST",
                            "/api/v1/lease",
                            "{\"worker_id\":\"w1\",\"max\":20,\"wait_ms\":200,\"lease_ms\":2000}");
                    if (r.status() != 200) {
                      continue;
                    }
                    for (JsonNode a : r.body().get("assignments")) {
                      String job = a.get("job_id").asText();
                      int generation = a.get("generation").asInt();
                      String from = leader.lastAckFrom;
                      String firstFrom =
                          heldFrom.putIfAbsent(job + "#" + generation, from + " " + a);
                      if (firstFrom != null) {
                        // A new leader re-sends assignments it cannot know were delivered
                        // ("redelivered");
                        // a worker that already ran this one ignores the copy, as the SDK's Worker
                        // does.
                        assertThat(a.get("redelivered").asBoolean())
                            .as(
                                "a second copy is a redelivery: "
                                    + from
                                    + " "
                                    + a
                                    + "; first copy from "
                                    + firstFrom
                                    + "; the job now: "
                                    + leader.call("GET", "/api/v1/jobs/" + job, null).text())
                            .isTrue();
                        redeliveredCopies.incrementAndGet();
                        continue;
                      }
                      history.grant(job, generation);
                      Reply c =
                          leader.call(
                              "POST",
                              "/api/v1/jobs/" + job + "/complete",
                              "{\"worker_id\":\"w1\",\"generation\":" + generation + "}");
                      if (c.status() == 200
                          || c.status() == 409 && succeededWith(leader, job, generation)) {
                        // 409 after a retry: the first try committed but its answer was lost in a
                        // failover.
                        history.complete(job, generation);
                      }
                    }
                  }
                });

    List<Long> failoverMillis = new ArrayList<>();
    try {
      for (int k = 0; k < 3; k++) {
        await().atMost(WAIT).until(() -> history.acked.size() > 30);
        String victim = leader.lastAckFrom;
        long killedAt = System.nanoTime();
        replicas.kill(replicas.indexOf(victim));
        await()
            .atMost(WAIT)
            .until(() -> leader.lastAckNanos > killedAt && !victim.equals(leader.lastAckFrom));
        long ms = (leader.lastAckNanos - killedAt) / 1_000_000;
        failoverMillis.add(ms);
        System.out.printf(
            "failover %d over HTTP: killed leader %s; %s served after %d ms%n",
            k + 1, victim, leader.lastAckFrom, ms);
        replicas.start(replicas.indexOf(victim));
        awaitLeader();
      }
    } finally {
      running.set(false);
      submitter.join(WAIT.toMillis());
    }
    try {
      // Every acknowledged job ends SUCCEEDED: lost lease answers expire and run again.
      await().atMost(WAIT.multipliedBy(2)).until(() -> unfinished(leader) == 0);
    } finally {
      working.set(false);
      worker.join(WAIT.toMillis());
    }
    assertThat(worker.isAlive()).as("worker stopped").isFalse();
    awaitReplicasIdentical();

    // Every acknowledged job is in the history and succeeded, once, with the generation whose
    // completion was acknowledged; attempts never overlap; every grant seen is in the history.
    for (String job : history.acked) {
      JsonNode j = leader.call("GET", "/api/v1/jobs/" + job, null).body();
      assertThat(j.get("state").asText()).as(job).isEqualTo("SUCCEEDED");
      List<Integer> completions = history.completed.getOrDefault(job, List.of());
      assertThat(completions).as("acknowledged completions of " + job + ": " + j).hasSize(1);
      Map<Integer, JsonNode> attempts = new HashMap<>();
      long previousEnd = Long.MIN_VALUE;
      for (JsonNode a : j.get("attempts")) {
        attempts.put(a.get("generation").asInt(), a);
      }
      List<JsonNode> byStart = new ArrayList<>(attempts.values());
      byStart.sort(
          (x, y) -> Long.compare(x.get("started_at").asLong(), y.get("started_at").asLong()));
      for (JsonNode a : byStart) {
        assertThat(a.get("started_at").asLong())
            .as("attempts of " + job + " overlap: " + j)
            .isGreaterThanOrEqualTo(previousEnd);
        previousEnd = a.path("ended_at").asLong(Long.MAX_VALUE);
      }
      for (int g : history.granted.getOrDefault(job, List.of())) {
        assertThat(attempts)
            .as(
                "grant of generation "
                    + g
                    + " to "
                    + job
                    + " is missing from the surviving history: "
                    + j)
            .containsKey(g);
      }
      assertThat(attempts.get(completions.get(0)).get("outcome").asText()).isEqualTo("SUCCEEDED");
    }
    assertThat(history.acked).hasSizeGreaterThan(90);
    System.out.println(
        "failover over HTTP (ms): "
            + failoverMillis
            + "; acknowledged jobs: "
            + history.acked.size()
            + "; redelivered copies ignored: "
            + redeliveredCopies.get());
  }

  static boolean succeededWith(AnyLeader leader, String job, int generation) {
    for (JsonNode a : leader.call("GET", "/api/v1/jobs/" + job, null).body().get("attempts")) {
      if (a.get("generation").asInt() == generation
          && "SUCCEEDED".equals(a.get("outcome").asText())) {
        return true;
      }
    }
    return false;
  }

  /**
   * Once writes stop, every replica reaches the same applied index with byte-identical engine state
   * (the digest of its canonical snapshot): a replica that diverged would fail here.
   */
  void awaitReplicasIdentical() {
    try {
      await()
          .atMost(WAIT)
          .pollInterval(Duration.ofMillis(200))
          .ignoreExceptions()
          .untilAsserted(
              () -> {
                Set<String> digests = new java.util.HashSet<>();
                for (URI url : replicas.urls()) {
                  JsonNode d = tryGet(url, "/api/v1/cluster/digest");
                  assertThat(d).as("replica at " + url + " answers").isNotNull();
                  digests.add(
                      d.get("applied_index").asLong() + "/" + d.get("state_crc32c").asText());
                }
                assertThat(digests).as("replicas' applied index / state digest").hasSize(1);
              });
    } catch (ConditionTimeoutException e) {
      StringBuilder views = new StringBuilder();
      for (URI url : replicas.urls()) {
        views.append("\n  ").append(url).append(": ").append(tryGet(url, "/api/v1/cluster"));
      }
      throw new AssertionError(
          "replicas did not converge; their logs are kept in " + dir + "; their views:" + views, e);
    }
  }

  /** Jobs not yet in a terminal state, from the leader's counts. */
  static long unfinished(AnyLeader leader) {
    JsonNode counts = leader.call("GET", "/api/v1/stats", null).body().get("counts");
    long n = 0;
    for (String state : List.of("PENDING", "SCHEDULED", "READY", "RUNNING", "FAILED")) {
      n += counts.path(state).asLong();
    }
    return n;
  }
}
