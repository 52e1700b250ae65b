package dev.hourglass.runtime;

import dev.hourglass.core.command.Command;
import dev.hourglass.core.engine.EngineQueries;
import dev.hourglass.core.event.Outcome;
import dev.hourglass.wal.durable.DurableEngine;
import java.io.IOException;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.function.Function;

/**
 * A single node: commands are durable once this node's write-ahead log forced them. Only the loop
 * thread mutates the engine, and reads run on the loop thread too, so no lock is needed.
 */
public final class LocalBackend implements EngineBackend {
  private final DurableEngine durable;

  public LocalBackend(DurableEngine durable) {
    this.durable = durable;
  }

  @Override
  public List<Outcome> applyAll(List<Command> commands) throws IOException {
    return durable.applyAll(commands);
  }

  @Override
  public List<Outcome> applyAll(
      List<Command> commands, Function<List<Outcome>, List<Command>> followUp) throws IOException {
    return durable.applyAll(commands, followUp);
  }

  @Override
  public <T> T read(Function<EngineQueries, T> query) {
    return query.apply(durable.queries());
  }

  @Override
  public Leadership leadership() {
    return Leadership.SINGLE_NODE;
  }

  @Override
  public boolean mayTick() {
    return true;
  }

  @Override
  public long position() {
    return durable.lastLsn();
  }

  @Override
  public String nodeId() {
    return "single";
  }

  @Override
  public Map<String, Object> clusterStatus() {
    var m = new LinkedHashMap<String, Object>();
    m.put("mode", "single");
    m.put("node_id", null);
    m.put("leader", null);
    m.put("term", 0);
    m.put("members", List.of());
    return m;
  }

  @Override
  public void close() throws IOException {
    durable.close();
  }
}
