package dev.hourglass.node;

import java.nio.file.Path;

/** Chooses the engine host the node runs on. */
final class Hosts {
  private Hosts() {}

  /**
   * TODO(#4): open DurableEngine on {@code dataDir} once hourglass-wal provides it; until then
   * the log is a list in memory, replayed on restart.
   */
  static EngineHost.Opener opener(Path dataDir) {
    return new MemoryLogHost.Store(Node.ENGINE_CONFIG);
  }
}
