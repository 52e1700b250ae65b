package dev.hourglass.server;

import com.fasterxml.jackson.databind.JsonNode;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.time.Duration;
import java.util.function.Supplier;

/** A small JSON client over java.net.http for tests and the benchmark. Thread-safe. */
final class HttpTestClient {
  /** A response: status and parsed body (null when the body is not JSON). */
  record Reply(int status, JsonNode body, String text, HttpResponse<String> raw) {
    String str(String field) {
      return body.path(field).asText(null);
    }
  }

  private final HttpClient client;

  /** The server's address, read at each request (a per-test server moves to a new port). */
  private final Supplier<URI> base;

  private final String token;

  HttpTestClient(URI base) {
    this(() -> base, null);
  }

  HttpTestClient(Supplier<URI> base, String token) {
    this.base = base;
    this.token = token;
    this.client =
        HttpClient.newBuilder()
            .version(HttpClient.Version.HTTP_1_1)
            .connectTimeout(Duration.ofSeconds(5))
            .build();
  }

  HttpTestClient withToken(String t) {
    return new HttpTestClient(base, t);
  }

  Reply get(String path) {
    return send(builder(path).GET());
  }

  Reply post(String path, String json) {
    return send(
        builder(path)
            .header("Content-Type", "application/json")
            .POST(HttpRequest.BodyPublishers.ofString(json)));
  }

  Reply put(String path, String json) {
    return send(
        builder(path)
            .header("Content-Type", "application/json")
            .PUT(HttpRequest.BodyPublishers.ofString(json)));
  }

  Reply delete(String path) {
    return send(builder(path).DELETE());
  }

  HttpRequest.Builder builder(String path) {
    var b = HttpRequest.newBuilder(base.get().resolve(path)).timeout(Duration.ofSeconds(70));
    if (token != null) {
      b.header("Authorization", "Bearer " + token);
    }
    return b;
  }

  Reply send(HttpRequest.Builder b) {
    try {
      HttpResponse<String> r = client.send(b.build(), HttpResponse.BodyHandlers.ofString());
      JsonNode body = null;
      try {
        body = r.body().isEmpty() ? null : Http.MAPPER.readTree(r.body());
      } catch (IOException notJson) {
        // metrics text, or a plain error page
      }
      return new Reply(r.statusCode(), body, r.body(), r);
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      throw new IllegalStateException(e);
    }
  }
}
