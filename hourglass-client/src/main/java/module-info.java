/**
 * The Hourglass Java SDK: {@link dev.hourglass.client.HourglassClient} for the HTTP API and {@link
 * dev.hourglass.client.worker.Worker} for running jobs. Only these two packages are API; {@code
 * dev.hourglass.client.internal} may change in any release.
 *
 * <p>Jackson is read but not re-exported: no Jackson type appears in the API. Jackson binds
 * payloads and results by reflection, so a module whose records are payloads opens their package to
 * {@code com.fasterxml.jackson.databind}.
 *
 * <p>OpenTelemetry is optional ({@code requires static}): when the application has {@code
 * opentelemetry-api}, a submit stores the current span's W3C trace context with the job; without
 * it, nothing happens.
 */
// opentelemetry-api ships as automatic modules (Automatic-Module-Name, no module-info); its
// names are stable, and the requires are static, so nothing needs them at run time.
@SuppressWarnings("requires-automatic")
module dev.hourglass.client {
  requires com.fasterxml.jackson.databind;
  requires static io.opentelemetry.api;
  requires static io.opentelemetry.context;

  exports dev.hourglass.client;
  exports dev.hourglass.client.worker;
}
