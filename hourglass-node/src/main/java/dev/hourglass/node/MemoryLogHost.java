package dev.hourglass.node;

import dev.hourglass.core.command.Command;
import dev.hourglass.core.engine.Engine;
import dev.hourglass.core.engine.EngineConfig;
import dev.hourglass.core.engine.EngineQueries;
import dev.hourglass.core.event.Outcome;
import java.util.ArrayList;
import java.util.List;

/**
 * A host whose "log" is a list in memory, kept by its {@link Store} across crashes. A crash drops
 * the engine object; opening again replays every logged command into a new engine, exactly as a
 * recovery from disk would. Stand-in until the durable engine of hourglass-wal is available.
 */
final class MemoryLogHost implements EngineHost {
  private final Store store;
  private Engine engine;

  private MemoryLogHost(Store store, Engine engine) {
    this.store = store;
    this.engine = engine;
  }

  /** The commands logged so far; outlives every host opened on it. */
  static final class Store implements EngineHost.Opener {
    private final EngineConfig config;
    private final List<Command> log = new ArrayList<>();

    Store(EngineConfig config) {
      this.config = config;
    }

    @Override
    public EngineHost open() {
      Engine engine = new Engine(config);
      for (Command c : log) {
        engine.apply(c);
      }
      return new MemoryLogHost(this, engine);
    }
  }

  @Override
  public Outcome apply(Command command) {
    requireOpen();
    store.log.add(command);
    return engine.apply(command);
  }

  @Override
  public EngineQueries queries() {
    requireOpen();
    return engine.queries();
  }

  @Override
  public long nowMillis() {
    requireOpen();
    return engine.nowMillis();
  }

  @Override
  public void close() {
    engine = null;
  }

  private void requireOpen() {
    if (engine == null) {
      throw new IllegalStateException("engine host is closed; open a new one from the store");
    }
  }
}
