package dev.hourglass.server;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.util.EnumSet;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Optional;
import java.util.Set;

/**
 * Bearer tokens with roles. With no token configured, every call is allowed (a local development
 * server bound to 127.0.0.1); with at least one, a call needs {@code Authorization: Bearer <token>}
 * whose role grants the call's access, else 401 (missing or unknown token) or 403 (known token,
 * wrong role).
 *
 * <p>Tokens are kept only as SHA-256 digests and compared with {@link MessageDigest#isEqual}, so
 * neither a heap dump, a log line nor a timing difference reveals one. Immutable, thread-safe.
 */
public final class Auth {

  /** Who may call what. */
  public enum Role {
    /** Submits and queries jobs. */
    CLIENT,
    /** Leases jobs and reports on them. */
    WORKER,
    /** Everything, including queue, schedule and dead-letter administration. */
    ADMIN
  }

  /** What a route needs. */
  enum Access {
    CLIENT(EnumSet.of(Role.CLIENT, Role.ADMIN)),
    WORKER(EnumSet.of(Role.WORKER, Role.ADMIN)),
    /** Reads that workers and clients both make (a job's state, the worker list). */
    READ(EnumSet.of(Role.CLIENT, Role.WORKER, Role.ADMIN)),
    ADMIN(EnumSet.of(Role.ADMIN));

    final Set<Role> roles;

    Access(Set<Role> roles) {
      this.roles = roles;
    }
  }

  /** Why: a token shorter than this is guessable; the server refuses to start with one. */
  static final int TOKEN_LENGTH_MIN = 8;

  private final List<Map.Entry<byte[], Role>> digests;

  /** The first admin token, which a replica presents to another when it forwards a write. */
  private final String adminToken;

  private Auth(List<Map.Entry<byte[], Role>> digests, String adminToken) {
    this.digests = digests;
    this.adminToken = adminToken;
  }

  public static Auth none() {
    return new Auth(List.of(), null);
  }

  /**
   * Parses {@code "role:token,role:token"} (commas or newlines; blank lines and {@code #} comments
   * ignored), as in {@code HOURGLASS_TOKENS} or a tokens file.
   *
   * @throws IllegalArgumentException naming the bad entry's position (never the token)
   */
  public static Auth parse(String spec) {
    var entries = new LinkedHashMap<String, Role>();
    String[] parts = spec.split("[,\\n]");
    for (int i = 0; i < parts.length; i++) {
      String p = parts[i].strip();
      if (p.isEmpty() || p.startsWith("#")) {
        continue;
      }
      int colon = p.indexOf(':');
      Role role = colon < 0 ? null : roleOf(p.substring(0, colon).strip());
      String token = colon < 0 ? "" : p.substring(colon + 1).strip();
      if (role == null || token.length() < TOKEN_LENGTH_MIN) {
        throw new IllegalArgumentException(
            ("invalid token entry #%d: expected role:token with"
                    + " role client, worker or admin and a token of at least %d characters; the server"
                    + " does not start")
                .formatted(i + 1, TOKEN_LENGTH_MIN));
      }
      entries.put(token, role);
    }
    return new Auth(
        entries.entrySet().stream().map(e -> Map.entry(sha256(e.getKey()), e.getValue())).toList(),
        entries.entrySet().stream()
            .filter(e -> e.getValue() == Role.ADMIN)
            .map(Map.Entry::getKey)
            .findFirst()
            .orElse(null));
  }

  public static Auth fromFile(Path file) throws IOException {
    return parse(Files.readString(file, StandardCharsets.UTF_8));
  }

  private static Role roleOf(String name) {
    try {
      return Role.valueOf(name.toUpperCase(Locale.ROOT));
    } catch (IllegalArgumentException e) {
      return null;
    }
  }

  public boolean enabled() {
    return !digests.isEmpty();
  }

  /** The token a replica presents to the others (the first admin token), or null without one. */
  String adminToken() {
    return adminToken;
  }

  /** Throws 401 or 403 unless the Authorization header value grants {@code access}. */
  void check(Optional<String> authorization, Access access) {
    if (digests.isEmpty()) {
      return;
    }
    String value = authorization.orElse("");
    if (!value.regionMatches(true, 0, "Bearer ", 0, 7) || value.length() <= 7) {
      throw new ApiException(
          401,
          "UNAUTHORIZED",
          "Unauthorized",
          "missing bearer token: this"
              + " server requires \"Authorization: Bearer <token>\"; nothing was applied");
    }
    byte[] digest = sha256(value.substring(7).strip());
    Role role = null;
    for (var e : digests) {
      if (MessageDigest.isEqual(e.getKey(), digest)) {
        role = e.getValue();
      }
    }
    if (role == null) {
      throw new ApiException(
          401, "UNAUTHORIZED", "Unauthorized", "unknown bearer token; nothing was applied");
    }
    if (!access.roles.contains(role)) {
      throw new ApiException(
          403,
          "FORBIDDEN",
          "Forbidden",
          ("role %s may not make this call;" + " it needs one of %s; nothing was applied")
              .formatted(
                  role.name().toLowerCase(Locale.ROOT),
                  access.roles.toString().toLowerCase(Locale.ROOT)));
    }
  }

  private static byte[] sha256(String token) {
    try {
      return MessageDigest.getInstance("SHA-256").digest(token.getBytes(StandardCharsets.UTF_8));
    } catch (NoSuchAlgorithmException e) {
      throw new IllegalStateException("every JDK has SHA-256", e);
    }
  }

  @Override
  public String toString() {
    return "Auth[tokens=" + digests.size() + "]"; // never the tokens
  }
}
