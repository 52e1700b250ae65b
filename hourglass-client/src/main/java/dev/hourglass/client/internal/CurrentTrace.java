package dev.hourglass.client.internal;

import com.fasterxml.jackson.databind.node.ObjectNode;
import io.opentelemetry.api.trace.propagation.W3CTraceContextPropagator;
import io.opentelemetry.context.Context;
import java.util.HashMap;
import java.util.Map;

/**
 * Puts the current OpenTelemetry context's W3C {@code traceparent} and {@code tracestate} into a
 * job request, so that the server keeps them with the job and each attempt's span can link back to
 * the submitter's span.
 *
 * <p>OpenTelemetry is optional ({@code requires static} in module-info, an optional Maven
 * dependency): without {@code opentelemetry-api} this class does nothing, and the classes that name
 * OpenTelemetry types ({@link Otel}) are never loaded. The context is written with the W3C
 * propagator whatever propagators the application configured, because the job field is W3C by
 * definition. Thread-safe: stateless after class initialisation.
 */
public final class CurrentTrace {
  /**
   * The server refuses a longer tracestate (it bounds what every traced job holds); the W3C
   * recommendation lets a propagator drop it rather than send it, and a submit should not fail for
   * want of vendor trace data.
   */
  static final int TRACESTATE_CHARS_MAX = 512;

  private static final boolean PRESENT = present();

  private CurrentTrace() {}

  /**
   * Adds {@code traceparent} (and {@code tracestate}) of the current span to {@code body}, unless
   * the body has a traceparent already, OpenTelemetry is absent, or no valid span is current.
   *
   * @param body a job request's JSON body; changed in place
   */
  public static void addTo(ObjectNode body) {
    if (!PRESENT || body.has("traceparent")) {
      return;
    }
    Map<String, String> headers = Otel.current();
    String traceparent = headers.get("traceparent");
    if (traceparent == null) {
      return;
    }
    body.put("traceparent", traceparent);
    String tracestate = headers.get("tracestate");
    if (tracestate != null
        && !tracestate.isEmpty()
        && tracestate.length() <= TRACESTATE_CHARS_MAX
        && !body.has("tracestate")) {
      body.put("tracestate", tracestate);
    }
  }

  /** Whether opentelemetry-api can be used from here (on the class path, or a readable module). */
  private static boolean present() {
    try {
      Otel.current();
      return true;
    } catch (LinkageError e) { // NoClassDefFoundError when absent, IllegalAccessError if unread
      return false;
    }
  }

  /** The only class that names OpenTelemetry types; loaded only when they resolve. */
  private static final class Otel {
    static Map<String, String> current() {
      Map<String, String> headers = new HashMap<>(4);
      W3CTraceContextPropagator.getInstance().inject(Context.current(), headers, Map::put);
      return headers;
    }
  }
}
