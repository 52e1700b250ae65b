package dev.hourglass.server;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.BufferedReader;
import java.io.InputStreamReader;
import java.net.URI;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.Executors;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Goal: a server process killed with SIGKILL while clients submit loses no acknowledged job.
 * Clients submit single jobs and batches from several threads; the process is killed mid-load; a
 * new process on the same data directory must hold every job whose submit got a 2xx.
 */
@Tag("crash")
class CrashRecoveryTest {
  @TempDir Path dir;

  @Test
  void sigkilledServerLosesNoAcknowledgedJob() throws Exception {
    Path data = dir.resolve("data");
    Set<String> acked = ConcurrentHashMap.newKeySet();
    Process first = startServer(data);
    URI uri = readUri(first);
    var http = new HttpTestClient(uri);
    var running = new AtomicBoolean(true);
    try (var pool = Executors.newVirtualThreadPerTaskExecutor()) {
      for (int t = 0; t < 8; t++) {
        boolean batches = t % 2 == 0;
        pool.submit(() -> load(http, batches, running, acked));
      }
      long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(10);
      while (acked.size() < 3_000 && System.nanoTime() < deadline) {
        Thread.sleep(20); // waiting on a count that other threads raise; no signal to wait on
      }
      first.destroyForcibly().waitFor(10, TimeUnit.SECONDS);
      running.set(false);
    }
    int ackedAtKill = acked.size();
    System.out.printf("acknowledged before SIGKILL: %d jobs%n", ackedAtKill);
    assertThat(ackedAtKill).isGreaterThan(100);

    Process second = startServer(data);
    try {
      var after = new HttpTestClient(readUri(second));
      Set<String> present = allJobIds(after);
      Set<String> missing = new HashSet<>(acked);
      missing.removeAll(present);
      assertThat(missing).as("acknowledged jobs missing after restart").isEmpty();
      System.out.printf(
          "after restart: %d jobs present, all %d acknowledged ones among them%n",
          present.size(), ackedAtKill);
    } finally {
      second.destroy(); // SIGTERM: the graceful path
      assertThat(second.waitFor(20, TimeUnit.SECONDS)).isTrue();
    }
  }

  private static void load(
      HttpTestClient http, boolean batches, AtomicBoolean running, Set<String> acked) {
    while (running.get()) {
      try {
        if (batches) {
          StringBuilder b = new StringBuilder("{\"jobs\":[");
          for (int i = 0; i < 50; i++) {
            b.append(i == 0 ? "" : ",")
                .append("{\"task\":\"t\",\"payload\":{\"i\":")
                .append(i)
                .append("}}");
          }
          var r = http.post("/api/v1/jobs:batch", b.append("]}").toString());
          if (r.status() == 201) {
            r.body().get("jobs").forEach(j -> acked.add(j.get("job_id").asText()));
          }
        } else {
          var r = http.post("/api/v1/jobs", "{\"task\":\"t\",\"payload\":[1,2,3]}");
          if (r.status() == 201) {
            acked.add(r.str("job_id"));
          }
        }
      } catch (RuntimeException connectionRefusedAfterKill) {
        return;
      }
    }
  }

  private static Set<String> allJobIds(HttpTestClient http) {
    Set<String> ids = new HashSet<>();
    String cursor = null;
    do {
      var page =
          http.get("/api/v1/jobs?limit=1000" + (cursor == null ? "" : "&cursor=" + cursor)).body();
      page.get("jobs").forEach(j -> ids.add(j.get("job_id").asText()));
      cursor = page.hasNonNull("next_cursor") ? page.get("next_cursor").asText() : null;
    } while (cursor != null);
    return ids;
  }

  private static Process startServer(Path data) throws Exception {
    List<String> cmd =
        new ArrayList<>(
            List.of(
                Path.of(System.getProperty("java.home"), "bin", "java").toString(),
                "-Xmx256m",
                "-XX:TieredStopAtLevel=1",
                "-cp",
                System.getProperty("java.class.path"),
                ServerMain.class.getName(),
                "--port",
                "0",
                "--data-dir",
                data.toString()));
    return new ProcessBuilder(cmd).redirectError(ProcessBuilder.Redirect.INHERIT).start();
  }

  private static URI readUri(Process p) throws Exception {
    var in = new BufferedReader(new InputStreamReader(p.getInputStream(), StandardCharsets.UTF_8));
    for (String line; (line = in.readLine()) != null; ) {
      int at = line.indexOf("listening on ");
      if (at >= 0) {
        return URI.create(line.substring(at + "listening on ".length()).strip());
      }
    }
    throw new IllegalStateException("server exited without printing its URL: exit=" + p.waitFor());
  }
}
