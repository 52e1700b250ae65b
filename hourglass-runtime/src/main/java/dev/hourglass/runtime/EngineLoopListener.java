package dev.hourglass.runtime;

import dev.hourglass.core.event.Event;
import java.util.List;

/**
 * What the {@link EngineLoop} tells its shell's metrics: each group commit, the events of every
 * applied command, and each refusal for overload. Called on the loop thread (overloaded: on the
 * caller's), so an implementation must be quick, must not block and must not throw.
 */
public interface EngineLoopListener {

  /** Hears nothing. */
  EngineLoopListener NONE = new EngineLoopListener() {};

  /** One group commit of {@code commands} commands took {@code nanos} to become durable. */
  default void batchApplied(int commands, long nanos) {}

  /** The events of one applied command, applied at {@code nowMillis} (the turn's wall time). */
  default void events(List<Event> events, long nowMillis) {}

  /** A request was refused because the loop's inbox or its parked long polls were full. */
  default void overloaded() {}
}
