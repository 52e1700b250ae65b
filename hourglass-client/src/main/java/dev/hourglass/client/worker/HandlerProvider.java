package dev.hourglass.client.worker;

import java.util.Map;

/**
 * A set of handlers that a worker process loads from a jar ({@code hourglass worker --handler-jar
 * my.jar}) through {@link java.util.ServiceLoader}: list the implementing class in {@code
 * META-INF/services/dev.hourglass.client.worker.HandlerProvider}. The class needs a public
 * no-argument constructor.
 */
public interface HandlerProvider {
  /**
   * The handlers, by task type.
   *
   * @return task type to handler; never null
   * @throws RuntimeException if the provider cannot set itself up (the worker does not start)
   */
  Map<String, JobHandler> handlers();
}
