package dev.hourglass.bench.peers;

import static org.assertj.core.api.Assertions.assertThat;

import ch.qos.logback.classic.Logger;
import ch.qos.logback.classic.LoggerContext;
import ch.qos.logback.classic.spi.ILoggingEvent;
import ch.qos.logback.core.read.ListAppender;
import java.nio.file.Path;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.slf4j.LoggerFactory;

/**
 * A closed Quartz instance's threads outlive its close for a while and log ERRORs about the store
 * closed under them; the bench drops those lines, and only those: the next instance's errors, and
 * other threads', still show.
 */
class QuartzShutdownLogTest {
  @TempDir Path dir;

  @Test
  void aClosedInstancesThreadsAreSilencedAndTheNextInstanceIsNot() throws Exception {
    PeerBench.quietLogging();
    var ctx = (LoggerContext) LoggerFactory.getILoggerFactory();
    var appender = new ListAppender<ILoggingEvent>();
    appender.setContext(ctx);
    appender.start();
    Logger root = ctx.getLogger(org.slf4j.Logger.ROOT_LOGGER_NAME);
    root.addAppender(appender);
    try {
      QuartzContender first = QuartzContender.ram();
      first.open(dir.resolve("a"), 2);
      first.start();
      String closed = first.instanceName();
      first.close();
      // The next instance opens, as the next workload's does, before the first one's threads
      // have logged their last lines.
      QuartzContender next = QuartzContender.ram();
      next.open(dir.resolve("b"), 2);
      try {
        logOnThread(closed + "_QuartzSchedulerThread", "from the closed scheduler thread");
        logOnThread("QuartzScheduler_" + closed + "-NON_CLUSTERED_MisfireHandler", "misfires");
        logOnThread(next.instanceName() + "_Worker-1", "from the next instance");
        logOnThread("unrelated", "from another thread");
      } finally {
        next.close();
      }
      assertThat(appender.list)
          .extracting(ILoggingEvent::getMessage)
          .contains("from the next instance", "from another thread")
          .doesNotContain("from the closed scheduler thread", "misfires");
    } finally {
      root.detachAppender(appender);
    }
  }

  private static void logOnThread(String name, String message) throws InterruptedException {
    Thread t =
        Thread.ofPlatform()
            .name(name)
            .start(
                () ->
                    LoggerFactory.getLogger("org.quartz.core.QuartzSchedulerThread")
                        .error(message));
    t.join();
  }
}
