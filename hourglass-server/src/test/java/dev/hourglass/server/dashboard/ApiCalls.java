package dev.hourglass.server.dashboard;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;

/** A tiny JSON client for setting up what the browser then looks at. Thread-safe. */
final class ApiCalls {
  static final ObjectMapper JSON = new ObjectMapper();
  private static final HttpClient HTTP = HttpClient.newHttpClient();
  private final URI base;
  private final String token;

  ApiCalls(URI base, String token) {
    this.base = base;
    this.token = token;
  }

  JsonNode get(String path) {
    return send(builder(path).GET(), 200);
  }

  JsonNode post(String path, String json, int expected) {
    return send(
        builder(path)
            .header("Content-Type", "application/json")
            .POST(HttpRequest.BodyPublishers.ofString(json)),
        expected);
  }

  JsonNode put(String path, String json) {
    return send(
        builder(path)
            .header("Content-Type", "application/json")
            .PUT(HttpRequest.BodyPublishers.ofString(json)),
        200);
  }

  private HttpRequest.Builder builder(String path) {
    var b = HttpRequest.newBuilder(base.resolve(path));
    if (token != null) {
      b.header("Authorization", "Bearer " + token);
    }
    return b;
  }

  private JsonNode send(HttpRequest.Builder b, int expected) {
    try {
      var r = HTTP.send(b.build(), HttpResponse.BodyHandlers.ofString());
      if (r.statusCode() != expected) {
        throw new AssertionError(
            "expected "
                + expected
                + " from "
                + r.request().method()
                + " "
                + r.uri()
                + " but got "
                + r.statusCode()
                + ": "
                + r.body());
      }
      return JSON.readTree(r.body());
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      throw new IllegalStateException(e);
    }
  }
}
