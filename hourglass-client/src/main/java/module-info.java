/**
 * The Hourglass Java SDK: {@link dev.hourglass.client.HourglassClient} for the HTTP API and
 * {@link dev.hourglass.client.worker.Worker} for running jobs. Only these two packages are API;
 * {@code dev.hourglass.client.internal} may change in any release.
 *
 * <p>Jackson is read but not re-exported: no Jackson type appears in the API. Jackson binds
 * payloads and results by reflection, so a module whose records are payloads opens their package
 * to {@code com.fasterxml.jackson.databind}.
 */
module dev.hourglass.client {
  requires java.net.http;
  requires com.fasterxml.jackson.databind;

  exports dev.hourglass.client;
  exports dev.hourglass.client.worker;
}
