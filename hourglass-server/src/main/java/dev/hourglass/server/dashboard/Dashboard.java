package dev.hourglass.server.dashboard;

import io.helidon.http.HeaderNames;
import io.helidon.webserver.http.HttpRouting;
import io.helidon.webserver.http.ServerRequest;
import io.helidon.webserver.http.ServerResponse;
import java.io.IOException;
import java.io.InputStream;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.util.HexFormat;
import java.util.Locale;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.ConcurrentHashMap;
import java.util.regex.Pattern;

/**
 * Serves the web dashboard (docs/DASHBOARD.md): {@code GET /} answers {@code index.html} and {@code
 * GET /dashboard/NAME} answers the asset {@code NAME} from the classpath folder {@code dashboard/}
 * inside the server's jar. No token is needed for these files; the API calls the page makes carry
 * the token.
 *
 * <p>Safety: a name must match {@link #NAME} (one path segment of letters, digits, '-' and '_',
 * then one known extension), so "..", "/", "%2e" and friends never reach the class loader and
 * nothing outside the folder can be named. Anything else is a 404.
 *
 * <p>Caching: the files are not content-hashed (no build step), so every answer says {@code
 * Cache-Control: no-cache} with a strong {@code ETag}; the browser revalidates and gets a 304
 * without a body while the jar is unchanged.
 *
 * <p>Thread-safety: stateless apart from a concurrent cache of the files found; safe from any
 * thread.
 */
public final class Dashboard {
  /** One path segment with a known extension; see the class comment. */
  static final Pattern NAME = Pattern.compile("[A-Za-z0-9_-]{1,64}\\.(html|js|css|svg|png)");

  /** Why: the assets are a handful of small files; anything bigger is a packaging mistake. */
  static final int ASSET_BYTES_MAX = 1 << 20;

  private static final String FOLDER = "dashboard/";
  private static final Map<String, String> TYPES =
      Map.of(
          "html", "text/html; charset=utf-8",
          "js", "text/javascript; charset=utf-8",
          "css", "text/css; charset=utf-8",
          "svg", "image/svg+xml",
          "png", "image/png");

  /**
   * The page may load scripts, styles and images only from this server and talk only to it; inline
   * style attributes are allowed for bar widths set from script.
   */
  private static final String CSP =
      "default-src 'none'; script-src 'self'; connect-src 'self';"
          + " img-src 'self' data:; style-src 'self' 'unsafe-inline'; base-uri 'none';"
          + " form-action 'self'; frame-ancestors 'none'";

  /**
   * Files found, by name. Only hits are kept, so the map is bounded by the files in the jar; a miss
   * asks the class loader again (rare, and a 404 either way).
   */
  private static final Map<String, Asset> CACHE = new ConcurrentHashMap<>();

  private Dashboard() {}

  /** A loaded file: its bytes, content type and entity tag. */
  record Asset(byte[] bytes, String contentType, String etag) {}

  /**
   * Registers {@code GET /} and {@code GET /dashboard/*}. Call before any catch-all route.
   *
   * @param routing the server's routing
   */
  public static void routes(HttpRouting.Builder routing) {
    routing.get("/", (req, res) -> serve(req, res, "index.html"));
    routing.get("/dashboard", (req, res) -> serve(req, res, "index.html"));
    routing.get("/dashboard/", (req, res) -> serve(req, res, "index.html"));
    routing.get(
        "/dashboard/*",
        (req, res) -> serve(req, res, req.path().rawPath().substring("/dashboard/".length())));
  }

  private static void serve(ServerRequest req, ServerResponse res, String name) {
    Optional<Asset> found = lookup(name);
    if (found.isEmpty()) {
      byte[] body =
          ("{\"type\":\"urn:hourglass:problem:not-found\",\"title\":\"Not found\","
                  + "\"status\":404,\"detail\":\"no dashboard file of that name\",\"code\":\"NOT_FOUND\"}")
              .getBytes(StandardCharsets.UTF_8);
      res.status(404).header(HeaderNames.CONTENT_TYPE, "application/problem+json").send(body);
      return;
    }
    Asset a = found.get();
    res.header(HeaderNames.CACHE_CONTROL, "no-cache");
    res.header(HeaderNames.ETAG, a.etag());
    res.header(HeaderNames.X_CONTENT_TYPE_OPTIONS, "nosniff");
    res.header(HeaderNames.create("Referrer-Policy"), "no-referrer");
    if (name.endsWith(".html")) {
      res.header(HeaderNames.create("Content-Security-Policy"), CSP);
    }
    var match = req.headers().first(HeaderNames.IF_NONE_MATCH);
    if (match.isPresent() && match.get().equals(a.etag())) {
      res.status(304).send();
      return;
    }
    res.status(200).header(HeaderNames.CONTENT_TYPE, a.contentType()).send(a.bytes());
  }

  /** The asset of that name, or empty when the name is not allowed or no such file exists. */
  static Optional<Asset> lookup(String name) {
    if (name == null || !NAME.matcher(name).matches()) {
      return Optional.empty();
    }
    Asset cached = CACHE.get(name);
    if (cached != null) {
      return Optional.of(cached);
    }
    Optional<Asset> loaded = load(name);
    loaded.ifPresent(a -> CACHE.putIfAbsent(name, a));
    return loaded;
  }

  /** How many files are cached (for tests: bounded by the files in the jar). */
  static int cachedCount() {
    return CACHE.size();
  }

  private static Optional<Asset> load(String name) {
    try (InputStream in = Dashboard.class.getClassLoader().getResourceAsStream(FOLDER + name)) {
      if (in == null) {
        return Optional.empty();
      }
      byte[] bytes = in.readNBytes(ASSET_BYTES_MAX + 1);
      if (bytes.length > ASSET_BYTES_MAX) {
        throw new IllegalStateException(
            ("dashboard asset too large: name=%s bytesMax=%d; the" + " jar is mispackaged")
                .formatted(name, ASSET_BYTES_MAX));
      }
      String ext = name.substring(name.lastIndexOf('.') + 1).toLowerCase(Locale.ROOT);
      return Optional.of(new Asset(bytes, TYPES.get(ext), etag(bytes)));
    } catch (IOException e) {
      throw new UncheckedIOException("reading dashboard asset " + name + " failed", e);
    }
  }

  private static String etag(byte[] bytes) {
    try {
      byte[] digest = MessageDigest.getInstance("SHA-256").digest(bytes);
      return "\"" + HexFormat.of().formatHex(digest, 0, 12) + "\"";
    } catch (NoSuchAlgorithmException e) {
      throw new IllegalStateException("SHA-256 is required of every JDK", e);
    }
  }
}
