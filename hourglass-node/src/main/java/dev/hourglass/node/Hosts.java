package dev.hourglass.node;

import dev.hourglass.core.command.Command;
import dev.hourglass.core.engine.EngineQueries;
import dev.hourglass.core.event.Outcome;
import dev.hourglass.runtime.EngineLoop;
import dev.hourglass.runtime.EngineLoopException;
import dev.hourglass.runtime.EngineLoopListener;
import dev.hourglass.runtime.ForwardingBackend;
import dev.hourglass.runtime.LocalBackend;
import dev.hourglass.runtime.LoopLimits;
import dev.hourglass.runtime.TimeSource;
import dev.hourglass.wal.FsyncPolicy;
import dev.hourglass.wal.durable.DurableEngine;
import java.io.IOException;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionException;
import java.util.function.LongSupplier;

/**
 * The engine host the node runs on: the server's durable engine over a data directory, driven by
 * the server's {@link EngineLoop} in driven mode on the node's one thread.
 */
final class Hosts {
  private Hosts() {}

  /**
   * Opens (and recovers) the durable engine on {@code dataDir} with the node's engine settings.
   * Every append is forced before the command is applied and answered, as the protocol requires of
   * an assignment. {@code wallClock} is the node's manual clock: the loop reads no other.
   */
  static EngineHost.Opener opener(Path dataDir, LongSupplier wallClock) {
    return () ->
        new LoopHost(
            DurableEngine.open(dataDir, Node.ENGINE_CONFIG, new FsyncPolicy.Always()), wallClock);
  }

  /**
   * The node's clock as the loop's: the loop stamps nothing the node sends (every command carries
   * the node's own stamp), so it serves only the loop's bookkeeping.
   */
  private record NodeTime(LongSupplier wallClock) implements TimeSource {
    @Override
    public long wallMillis() {
      return wallClock.getAsLong();
    }

    @Override
    public long monotonicNanos() {
      return wallClock.getAsLong() * 1_000_000L;
    }
  }

  /**
   * The engine behind a driven loop. Each call queues its commands and pumps the loop until it is
   * idle, so the commands of one call are one group commit (one force) as long as they fit one
   * batch ({@link LoopLimits#applyBatchMax()} commands, an even number, so an assignment and its
   * report, queued as a pair, never straddle two forces). Closing it closes the loop, then the log,
   * and drops the engine.
   */
  private static final class LoopHost implements EngineHost {
    private final DurableEngine durable;
    private final EngineLoop loop;

    LoopHost(DurableEngine durable, LongSupplier wallClock) {
      this.durable = durable;
      this.loop =
          EngineLoop.driven(
              new ProtocolTimed(new LocalBackend(durable)),
              LoopLimits.DEFAULTS,
              EngineLoopListener.NONE,
              new NodeTime(wallClock));
    }

    @Override
    public Outcome apply(Command command) throws IOException {
      return applyAll(List.of(command)).getFirst();
    }

    @Override
    public List<Outcome> applyAll(List<Command> commands) throws IOException {
      List<CompletableFuture<Outcome>> replies = new ArrayList<>(commands.size());
      try {
        for (Command command : commands) {
          if (replies.size() % LoopLimits.DEFAULTS.applyBatchMax() == 0) {
            loop.runUntilIdle(); // keeps the inbox below its capacity for a huge call
          }
          replies.add(loop.write(command, 0, (outcome, queries) -> outcome));
        }
        loop.runUntilIdle();
        List<Outcome> outcomes = new ArrayList<>(replies.size());
        for (CompletableFuture<Outcome> reply : replies) {
          outcomes.add(reply.join());
        }
        return outcomes;
      } catch (CompletionException e) {
        throw new IOException(
            "the engine loop stopped: " + e.getCause().getMessage(), e.getCause());
      } catch (EngineLoopException e) {
        throw new IOException("the engine loop stopped: " + e.getMessage(), e);
      }
    }

    /** The live queries: safe because the loop runs only when this thread pumps it. */
    @Override
    public EngineQueries queries() {
      return durable.queries();
    }

    @Override
    public long nowMillis() {
      return durable.engine().nowMillis();
    }

    @Override
    public void close() throws IOException {
      try {
        loop.close();
      } catch (InterruptedException e) {
        Thread.currentThread().interrupt();
      } finally {
        durable.close();
      }
    }
  }

  /**
   * A single node whose loop never proposes ticks: the protocol brings its own time, and the node
   * applies a {@code Tick} exactly where a message says time has passed ({@code execute_jobs},
   * {@code execute_job}); a tick of its own at the wall clock would run or retry jobs the protocol
   * has not reached yet.
   */
  private static final class ProtocolTimed extends ForwardingBackend {
    ProtocolTimed(LocalBackend local) {
      super(local);
    }

    @Override
    public boolean mayTick() {
      return false;
    }
  }
}
