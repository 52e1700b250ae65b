package dev.hourglass.spring;

import dev.hourglass.client.HourglassClient;
import dev.hourglass.client.worker.Worker;
import org.springframework.boot.health.contributor.AbstractHealthIndicator;
import org.springframework.boot.health.contributor.Health;

/**
 * UP while the server answers {@code /readyz} and, when this application runs a worker, the server
 * knows the worker; DOWN otherwise. Details: the server's URL and, with a worker, its id, whether
 * it is registered, and the jobs it runs. Thread-safe; each check makes one call.
 */
final class HourglassHealthIndicator extends AbstractHealthIndicator {
  private final HourglassClient client;
  private final HourglassWorkerLifecycle lifecycle;

  /**
   * @param lifecycle the worker's lifecycle, or null when the application runs no worker
   */
  HourglassHealthIndicator(HourglassClient client, HourglassWorkerLifecycle lifecycle) {
    super("Hourglass health check failed");
    this.client = client;
    this.lifecycle = lifecycle;
  }

  @Override
  protected void doHealthCheck(Health.Builder builder) {
    boolean ready = client.ready();
    builder.withDetail("url", client.baseUrl().toString()).withDetail("ready", ready);
    boolean up = ready;
    if (lifecycle != null) {
      Worker w = lifecycle.worker();
      boolean registered = w != null && w.registered();
      builder
          .withDetail("worker", lifecycle.workerId())
          .withDetail("registered", registered)
          .withDetail("inFlight", w == null ? 0 : w.inFlight());
      up &= registered;
    }
    if (up) {
      builder.up();
    } else {
      builder.down();
    }
  }
}
