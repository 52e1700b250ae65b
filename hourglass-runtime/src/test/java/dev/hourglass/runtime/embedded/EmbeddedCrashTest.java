package dev.hourglass.runtime.embedded;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.BufferedReader;
import java.io.IOException;
import java.io.InputStreamReader;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Collections;
import java.util.HashSet;
import java.util.List;
import java.util.Set;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * A real process submits jobs through the embedded API and is SIGKILLed mid-way: every id it
 * printed (which it did only after {@code submit} returned) must be there when the directory is
 * opened again. This is the embedded API's promise that a returned call is durable.
 */
@Tag("crash")
class EmbeddedCrashTest {
  /** Kill after at least this many acknowledged submits: enough to span many group commits. */
  private static final int ACKS_BEFORE_KILL = 300;

  private static final long BOUND_SECONDS = 60;

  @TempDir Path dir;

  @Test
  void everySubmitThatReturnedSurvivesSigkill() throws Exception {
    Path data = dir.resolve("data");
    Path stderr = dir.resolve("child.err");
    String java = Path.of(System.getProperty("java.home"), "bin", "java").toString();
    Process child =
        new ProcessBuilder(
                java,
                "-XX:TieredStopAtLevel=1",
                "-cp",
                System.getProperty("java.class.path"),
                EmbeddedCrashChild.class.getName(),
                data.toString())
            .redirectError(stderr.toFile())
            .start();
    List<String> acked = Collections.synchronizedList(new ArrayList<>());
    Thread reader =
        Thread.ofPlatform()
            .daemon(true)
            .start(
                () -> {
                  try (BufferedReader in =
                      new BufferedReader(
                          new InputStreamReader(child.getInputStream(), StandardCharsets.UTF_8))) {
                    for (String line; (line = in.readLine()) != null; ) {
                      // A line the kill cut short lacks its end marker: that submit's answer never
                      // arrived.
                      if (line.startsWith("S ") && line.endsWith(" .")) {
                        acked.add(line.substring(2, line.length() - 2));
                      }
                    }
                  } catch (IOException e) {
                    // the stream ends when the child dies; what was read is what was acknowledged
                  }
                });
    try {
      long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(BOUND_SECONDS);
      while (acked.size() < ACKS_BEFORE_KILL && child.isAlive() && System.nanoTime() < deadline) {
        Thread.sleep(2);
      }
      assertThat(child.isAlive())
          .as(
              "child alive before the kill; stderr: %s",
              Files.exists(stderr) ? Files.readString(stderr) : "")
          .isTrue();
      assertThat(acked.size())
          .as("acknowledged submits before the kill")
          .isGreaterThanOrEqualTo(ACKS_BEFORE_KILL);
    } finally {
      child.destroyForcibly(); // SIGKILL on Linux: no shutdown hook, no close, no flush
      assertThat(child.waitFor(BOUND_SECONDS, TimeUnit.SECONDS)).isTrue();
      reader.join(TimeUnit.SECONDS.toMillis(BOUND_SECONDS));
    }

    List<String> ids;
    synchronized (acked) {
      ids = List.copyOf(acked);
    }
    Set<String> distinct = new HashSet<>(ids);
    assertThat(distinct).as("ids are unique").hasSameSizeAs(ids);
    try (var hourglass = EmbeddedHourglass.open(data)) {
      List<String> missing = ids.stream().filter(id -> hourglass.job(id).isEmpty()).toList();
      assertThat(missing)
          .as("acknowledged submits missing after SIGKILL (of %d)", ids.size())
          .isEmpty();
    }
  }
}
