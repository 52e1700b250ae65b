package dev.hourglass.wal.durable;

import static org.assertj.core.api.Assertions.assertThat;

import dev.hourglass.core.engine.EngineConfig;
import dev.hourglass.core.event.Outcome.Assignment;
import dev.hourglass.core.view.JobState;
import dev.hourglass.core.view.JobView;
import dev.hourglass.wal.FsyncPolicy;
import java.io.BufferedReader;
import java.io.InputStreamReader;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Collections;
import java.util.HashMap;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.SplittableRandom;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Kills a real process running the durable engine with SIGKILL at random moments, many times on the
 * same data directory, and after each restart checks: every acknowledged submit is present; every
 * acknowledged completion is still SUCCEEDED (a completed job never became runnable again); no job
 * has two live assignments; no generation went backwards, neither against what a worker was told
 * nor against the previous recovery.
 */
class DurableEngineCrashTest {
  private static final int KILLS = 12;

  @TempDir Path dir;

  @Test
  void acknowledgedDecisionsSurviveSigkillAtRandomMoments() throws Exception {
    long seed = Long.getLong("hourglass.seed", new SplittableRandom().nextLong());
    SplittableRandom random = new SplittableRandom(seed);
    Set<String> submitted = new HashSet<>();
    Set<String> completed = new HashSet<>();
    Map<String, Integer> generationTold = new HashMap<>();
    Map<String, Integer> generationRecovered = new HashMap<>();
    try {
      for (int kill = 0; kill < KILLS; kill++) {
        List<String> acks = runAndKill("r" + kill, random.nextLong(), 50 + random.nextInt(400));
        for (String line : acks) {
          String[] f = line.split(" ");
          switch (f[0]) {
            case "S" -> submitted.add(f[1]);
            case "L" -> generationTold.merge(f[1], Integer.parseInt(f[2]), Math::max);
            case "C" -> completed.add(f[1]);
            default -> {}
          }
        }
        verify(submitted, completed, generationTold, generationRecovered);
      }
    } catch (AssertionError e) {
      throw new AssertionError(
          "crash test failed with seed "
              + seed
              + " (-Dhourglass.seed="
              + seed
              + "): "
              + e.getMessage(),
          e);
    }
    assertThat(submitted).as("acknowledged submits over all runs").hasSizeGreaterThan(100);
    assertThat(completed).as("acknowledged completions over all runs").isNotEmpty();
  }

  /** Starts the child, lets it acknowledge about {@code acksBeforeKill} results, SIGKILLs it. */
  private List<String> runAndKill(String run, long seed, int acksBeforeKill) throws Exception {
    String java = Path.of(System.getProperty("java.home"), "bin", "java").toString();
    Process child =
        new ProcessBuilder(
                java,
                "-cp",
                System.getProperty("java.class.path"),
                CrashChild.class.getName(),
                dir.toString(),
                run,
                Long.toString(seed))
            .redirectError(ProcessBuilder.Redirect.DISCARD)
            .start();
    List<String> acks = Collections.synchronizedList(new ArrayList<>());
    Thread reader =
        Thread.ofVirtual()
            .start(
                () -> {
                  try (BufferedReader in =
                      new BufferedReader(
                          new InputStreamReader(child.getInputStream(), StandardCharsets.UTF_8))) {
                    for (String line; (line = in.readLine()) != null; ) {
                      acks.add(line);
                    }
                  } catch (java.io.IOException e) {
                    // the child was killed mid-line; what was read is what was acknowledged
                  }
                });
    long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(20);
    while (acks.size() < acksBeforeKill && child.isAlive() && System.nanoTime() < deadline) {
      Thread.onSpinWait();
      Thread.sleep(1);
    }
    assertThat(child.isAlive()).as("child %s alive before the kill", run).isTrue();
    child.destroyForcibly(); // SIGKILL on Linux
    child.waitFor(10, TimeUnit.SECONDS);
    reader.join(5_000);
    synchronized (acks) {
      // A line cut by the kill has no newline and was never read; only whole lines count.
      return acks.stream().filter(l -> !l.equals("READY")).toList();
    }
  }

  private void verify(
      Set<String> submitted,
      Set<String> completed,
      Map<String, Integer> generationTold,
      Map<String, Integer> generationRecovered)
      throws Exception {
    try (DurableEngine d =
        DurableEngine.open(dir, EngineConfig.DEFAULTS, new FsyncPolicy.Always())) {
      for (String job : submitted) {
        assertThat(d.queries().state(job)).as("acknowledged submit %s", job).isNotNull();
      }
      for (String job : completed) {
        assertThat(d.queries().state(job))
            .as("acknowledged completion %s", job)
            .isEqualTo(JobState.SUCCEEDED);
      }
      Set<String> live = new HashSet<>();
      for (Assignment a : d.queries().liveAssignments()) {
        assertThat(live.add(a.jobId())).as("second live assignment of %s", a.jobId()).isTrue();
      }
      for (var told : generationTold.entrySet()) {
        JobView job = d.queries().job(told.getKey()).orElseThrow();
        assertThat(job.generation())
            .as("generation of %s", told.getKey())
            .isGreaterThanOrEqualTo(told.getValue());
      }
      for (String job : submitted) {
        int now = d.queries().job(job).orElseThrow().generation();
        Integer before = generationRecovered.put(job, now);
        assertThat(now)
            .as("generation of %s across restarts", job)
            .isGreaterThanOrEqualTo(before == null ? 0 : before);
      }
    }
  }
}
