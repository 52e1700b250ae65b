package dev.hourglass.node;

import dev.hourglass.core.command.Command;
import dev.hourglass.core.engine.EngineQueries;
import dev.hourglass.core.event.Outcome;
import java.io.IOException;
import java.util.List;

/**
 * The engine as the node sees it: commands in (made durable before they are applied), queries out.
 * Closing it drops every in-memory structure; {@link Opener#open} builds a new one from what was
 * made durable. Confined to the node's thread.
 */
interface EngineHost extends AutoCloseable {

  /** Makes the command durable, then applies it. */
  Outcome apply(Command command) throws IOException;

  /** Makes all the commands durable with one force, then applies them in order. */
  List<Outcome> applyAll(List<Command> commands) throws IOException;

  EngineQueries queries();

  /** The engine's clock: the latest time any applied command carried. */
  long nowMillis();

  @Override
  void close() throws IOException;

  /** Builds an engine from durable state alone (the log and snapshots). */
  @FunctionalInterface
  interface Opener {
    EngineHost open() throws IOException;
  }
}
