package dev.hourglass.node;

import dev.hourglass.core.command.Command;
import dev.hourglass.core.engine.EngineQueries;
import dev.hourglass.core.event.Outcome;
import dev.hourglass.wal.FsyncPolicy;
import dev.hourglass.wal.durable.DurableEngine;
import java.io.IOException;
import java.nio.file.Path;
import java.util.List;

/** The engine host the node runs on: the server's durable engine over a data directory. */
final class Hosts {
  private Hosts() {}

  /**
   * Opens (and recovers) the durable engine on {@code dataDir} with the node's engine settings.
   * Every append is forced before the command is applied and answered, as the protocol requires
   * of an assignment; the node's rate is one harness message at a time, so batching would gain
   * nothing.
   */
  static EngineHost.Opener opener(Path dataDir) {
    return () -> new DurableHost(
        DurableEngine.open(dataDir, Node.ENGINE_CONFIG, new FsyncPolicy.Always()));
  }

  /** Adapts {@link DurableEngine}; closing it releases the directory and drops the engine. */
  private record DurableHost(DurableEngine engine) implements EngineHost {
    @Override
    public Outcome apply(Command command) throws IOException {
      return engine.apply(command);
    }

    @Override
    public List<Outcome> applyAll(List<Command> commands) throws IOException {
      return engine.applyAll(commands);
    }

    @Override
    public EngineQueries queries() {
      return engine.queries();
    }

    @Override
    public long nowMillis() {
      return engine.engine().nowMillis();
    }

    @Override
    public void close() throws IOException {
      engine.close();
    }
  }
}
