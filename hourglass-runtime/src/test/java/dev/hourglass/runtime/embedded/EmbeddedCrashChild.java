package dev.hourglass.runtime.embedded;

import dev.hourglass.core.command.JobSpec;
import java.io.PrintStream;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;

/**
 * The child process of {@link EmbeddedCrashTest}: opens the embedded API on a directory and submits
 * jobs from several threads (so they share group commits), printing {@code S <id> .} only after
 * each submit returned. It never stops by itself before its bound; the test kills it.
 */
final class EmbeddedCrashChild {
  /** Why a bound: a child the test forgot to kill still ends. */
  private static final int SUBMITS_PER_THREAD_MAX = 100_000;

  private static final int THREADS = 4;

  private EmbeddedCrashChild() {}

  public static void main(String[] args) throws Exception {
    Path dir = Path.of(args[0]);
    PrintStream out = System.out;
    try (var hourglass = EmbeddedHourglass.open(dir)) {
      out.println("READY");
      out.flush();
      List<Thread> threads = new ArrayList<>();
      for (int t = 0; t < THREADS; t++) {
        threads.add(
            Thread.ofPlatform()
                .start(
                    () -> {
                      for (int i = 0; i < SUBMITS_PER_THREAD_MAX; i++) {
                        String id =
                            hourglass.submit(JobSpec.of(null, "crash", "{\"i\":" + i + "}"));
                        synchronized (out) {
                          out.println("S " + id + " .");
                          out.flush();
                        }
                      }
                    }));
      }
      for (Thread t : threads) {
        t.join();
      }
    }
  }
}
