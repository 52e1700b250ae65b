package dev.hourglass.runtime;

import dev.hourglass.core.command.Command;
import dev.hourglass.core.engine.EngineQueries;
import dev.hourglass.core.event.Outcome;
import java.io.IOException;
import java.util.List;
import java.util.Map;
import java.util.function.Function;

/**
 * A backend that passes every call on to another one; a subclass overrides only what it changes
 * (the stdio node, whose protocol brings its own time, never ticks; the simulator records the
 * failure the log raised). Both {@code applyAll} overloads are passed on, so a wrapped single node
 * keeps granting a parked long poll in the same force as the submit that serves it.
 */
public abstract class ForwardingBackend implements EngineBackend {
  private final EngineBackend delegate;

  protected ForwardingBackend(EngineBackend delegate) {
    this.delegate = delegate;
  }

  @Override
  public List<Outcome> applyAll(List<Command> commands) throws IOException {
    return delegate.applyAll(commands);
  }

  @Override
  public List<Outcome> applyAll(
      List<Command> commands, Function<List<Outcome>, List<Command>> followUp) throws IOException {
    return delegate.applyAll(commands, followUp);
  }

  @Override
  public <T> T read(Function<EngineQueries, T> query) {
    return delegate.read(query);
  }

  @Override
  public Leadership leadership() {
    return delegate.leadership();
  }

  @Override
  public boolean mayTick() {
    return delegate.mayTick();
  }

  @Override
  public long position() {
    return delegate.position();
  }

  @Override
  public String nodeId() {
    return delegate.nodeId();
  }

  @Override
  public Map<String, Object> clusterStatus() {
    return delegate.clusterStatus();
  }

  @Override
  public String failure() {
    return delegate.failure();
  }

  @Override
  public void close() throws IOException {
    delegate.close();
  }
}
