package dev.hourglass.cluster;

import dev.hourglass.core.command.Command.Tick;
import dev.hourglass.core.event.Outcome;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;
import java.util.function.Consumer;
import java.util.function.LongSupplier;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Moves engine time forward on the leader: every period, if this replica is the ready leader and
 * the engine's next wake-up time has come, it proposes {@code Tick(now)}.
 *
 * <p>Only the leader ticks, and only once it is ready, which in Ratis means it has applied every
 * entry committed before its term began. So a new leader sees every job that was delayed, every
 * lease that was granted, before it decides anything is due; and a delayed job fires once, in the
 * first Tick committed after its time, whichever leader proposed it. A deposed leader's Tick that
 * does not commit changes nothing anywhere. Followers never tick.
 *
 * <p>Thread-safety: runs on its own daemon thread; {@link #close} may be called from any thread.
 */
public final class LeaderTicker implements AutoCloseable {
  private static final Logger log = LoggerFactory.getLogger(LeaderTicker.class);

  private final ReplicatedEngine engine;
  private final LongSupplier clockMillis;
  private final Consumer<List<Outcome>> onTick;
  private final ScheduledExecutorService executor;
  private long failures;

  private LeaderTicker(ReplicatedEngine engine, LongSupplier clockMillis,
      Consumer<List<Outcome>> onTick) {
    this.engine = engine;
    this.clockMillis = clockMillis;
    this.onTick = onTick;
    this.executor = Executors.newSingleThreadScheduledExecutor(r -> {
      Thread t = new Thread(r, "hourglass-ticker-" + engine.nodeId());
      t.setDaemon(true);
      return t;
    });
  }

  static LeaderTicker start(ReplicatedEngine engine, LongSupplier clockMillis, Duration period,
      Consumer<List<Outcome>> onTick) {
    var t = new LeaderTicker(engine, clockMillis, onTick);
    t.executor.scheduleWithFixedDelay(t::tickIfDue, period.toMillis(), period.toMillis(),
        TimeUnit.MILLISECONDS);
    return t;
  }

  private void tickIfDue() {
    if (!engine.isLeaderReady()) {
      return;
    }
    long now = clockMillis.getAsLong();
    long wake = engine.read(q -> q.nextWakeupMillis());
    if (wake > now) {
      return;
    }
    try {
      onTick.accept(engine.applyAll(List.of(new Tick(now))));
    } catch (NotLeaderException | ClusterUnavailableException e) {
      // Lost leadership or quorum between the check and the commit; the next leader ticks.
      if (failures++ % 100 == 0) {
        log.warn("node={} tick not committed (failures={}): {}", engine.nodeId(), failures,
            e.getMessage());
      }
    } catch (RuntimeException e) {
      log.error("node={} tick failed; ticking continues", engine.nodeId(), e);
    }
  }

  @Override
  public void close() {
    executor.shutdownNow();
  }
}
