package dev.hourglass.bench.peers;

import java.io.IOException;
import java.net.InetAddress;
import java.net.ServerSocket;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.nio.file.attribute.UserPrincipal;
import java.security.SecureRandom;
import java.sql.Connection;
import java.sql.DriverManager;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Statement;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.HexFormat;
import java.util.List;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.stream.Stream;

/**
 * A throwaway PostgreSQL server for the JDBC peers: Debian's binaries, a fresh cluster made with
 * {@code initdb} in a temporary directory, listening on 127.0.0.1 only, on a free port, with its
 * unix socket inside that directory. The server keeps PostgreSQL's default durability ({@code
 * fsync=on}, {@code synchronous_commit=on}: a commit is on disk before it returns), which {@link
 * #start} checks with {@code SHOW}. Each workload gets a fresh database ({@link #createDatabase})
 * owned by the user {@value #USER}.
 *
 * <p>PostgreSQL refuses to run as root. When this JVM is root, the directory is handed to the
 * system user {@value #OS_USER} (Debian's package creates it) and {@code initdb} and {@code pg_ctl}
 * run through {@code runuser}; otherwise they run as the current user.
 *
 * <p>{@link #close} stops the server ({@code pg_ctl stop -m fast}) and deletes the directory; a
 * shutdown hook does the same if the JVM exits first. Only a killed JVM (SIGKILL) leaves the server
 * running; its directory under the temporary directory then says which.
 *
 * <p>Thread-safety: all methods may be called from any thread; the superuser connection they share
 * is used under this object's lock.
 */
final class LocalPostgres implements AutoCloseable {
  static final String USER = "bench";
  static final String OS_USER = "postgres";
  static final String INSTALL =
      "scripts/install-test-deps postgresql (as root: it runs apt-get" + " install -y postgresql)";
  private static final Path INSTALL_ROOT = Path.of("/usr/lib/postgresql");

  /** Why 120 s: initdb fsyncs the new cluster, which takes seconds on a busy shared disk. */
  private static final long COMMAND_TIMEOUT_SECONDS = 120;

  /** Another process may take the free port between our probe and the server's bind. */
  private static final int START_ATTEMPTS = 3;

  private static final AtomicInteger DATABASES = new AtomicInteger();

  private final Path bin;
  private final Path dir;
  private final boolean viaRunuser;
  private final String superPassword;
  private final String password;
  private final AtomicBoolean closed = new AtomicBoolean();
  private final Thread hook;
  private int port;
  private Connection admin;
  private String description = "";

  /** One database of this server, for one workload. */
  record Database(String name, String url, String user, String password) {}

  private LocalPostgres(Path bin, Path dir, boolean viaRunuser) {
    this.bin = bin;
    this.dir = dir;
    this.viaRunuser = viaRunuser;
    this.superPassword = randomPassword();
    this.password = randomPassword();
    this.hook = new Thread(this::stopAndDelete, "local-postgres-stop");
  }

  /**
   * Creates the cluster, starts the server, creates the user {@value #USER} and checks the
   * durability settings. Stops and deletes everything again if any step fails.
   *
   * @throws IllegalStateException if PostgreSQL is not installed (the message says how to install
   *     it) or the server does not keep the default durability
   */
  static LocalPostgres start() throws IOException, InterruptedException, SQLException {
    Path bin = binaries(INSTALL_ROOT);
    boolean root = isRoot();
    Path dir = Files.createTempDirectory("hourglass-postgres");
    LocalPostgres pg = new LocalPostgres(bin, dir, root);
    Runtime.getRuntime().addShutdownHook(pg.hook);
    boolean started = false;
    try {
      if (root) {
        Files.setOwner(dir, osUser());
      }
      pg.initdb();
      pg.startServer();
      pg.prepare();
      started = true;
      return pg;
    } finally {
      if (!started) {
        pg.close();
      }
    }
  }

  /** The newest {@code installRoot/<version>/bin} with an initdb (Debian: /usr/lib/postgresql). */
  static Path binaries(Path installRoot) throws IOException {
    List<Path> found = new ArrayList<>();
    if (Files.isDirectory(installRoot)) {
      try (Stream<Path> s = Files.list(installRoot)) {
        s.map(v -> v.resolve("bin"))
            .filter(b -> Files.isExecutable(b.resolve("initdb")))
            .forEach(found::add);
      }
    }
    return found.stream()
        .max(Comparator.comparingDouble(LocalPostgres::version))
        .orElseThrow(
            () ->
                new IllegalStateException(
                    "PostgreSQL is not installed: no "
                        + installRoot
                        + "/<version>/bin/initdb; the peer benchmark runs db-scheduler, Quartz"
                        + " and JobRunr on it. Install it with "
                        + INSTALL));
  }

  private static double version(Path bin) {
    try {
      return Double.parseDouble(bin.getParent().getFileName().toString());
    } catch (NumberFormatException e) {
      return -1;
    }
  }

  private static boolean isRoot() throws IOException {
    return ((Integer) Files.getAttribute(Path.of("/proc/self"), "unix:uid")) == 0;
  }

  private static UserPrincipal osUser() throws IOException {
    try {
      return Path.of("/")
          .getFileSystem()
          .getUserPrincipalLookupService()
          .lookupPrincipalByName(OS_USER);
    } catch (IOException e) {
      throw new IllegalStateException(
          "PostgreSQL refuses to run as root, and there is no system"
              + " user "
              + OS_USER
              + " to run it as: user="
              + OS_USER
              + "; Debian's package creates it:"
              + " install it with "
              + INSTALL,
          e);
    }
  }

  private void initdb() throws IOException, InterruptedException {
    Path pwfile = dir.resolve("superuser-password");
    Files.writeString(pwfile, superPassword + "\n", StandardCharsets.UTF_8);
    Files.setPosixFilePermissions(pwfile, PosixFilePermissions.fromString("rw-------"));
    if (viaRunuser) {
      Files.setOwner(pwfile, osUser());
    }
    try {
      run(
          List.of(
              bin.resolve("initdb").toString(),
              "-D",
              data().toString(),
              "-U",
              "postgres",
              "--pwfile=" + pwfile,
              "--auth-local=scram-sha-256",
              "--auth-host=scram-sha-256",
              "-E",
              "UTF8",
              "--locale=C"));
    } finally {
      Files.deleteIfExists(pwfile);
    }
    // Loopback only, and the socket in our own directory (not /var/run/postgresql, which other
    // clusters use). Everything else, durability included, stays PostgreSQL's default.
    Files.writeString(
        data().resolve("postgresql.conf"),
        "\nlisten_addresses = '127.0.0.1'\n" + "unix_socket_directories = '" + dir + "'\n",
        StandardCharsets.UTF_8,
        java.nio.file.StandardOpenOption.APPEND);
  }

  private void startServer() throws IOException, InterruptedException {
    for (int attempt = 1; ; attempt++) {
      port = freePort();
      try {
        run(
            List.of(
                bin.resolve("pg_ctl").toString(),
                "-D",
                data().toString(),
                "-l",
                log().toString(),
                "-o",
                "-p " + port,
                "-w",
                "-t",
                "60",
                "start"));
        return;
      } catch (IOException e) {
        if (attempt == START_ATTEMPTS || !logTail().contains("already in use")) {
          throw new IOException(e.getMessage() + "\nserver log:\n" + logTail(), e);
        }
      }
    }
  }

  private void prepare() throws SQLException {
    admin = DriverManager.getConnection(url("postgres"), "postgres", superPassword);
    try (Statement s = admin.createStatement()) {
      s.execute("CREATE ROLE " + USER + " LOGIN PASSWORD '" + password + "'");
    }
    String fsync = show("fsync");
    String syncCommit = show("synchronous_commit");
    if (!fsync.equals("on") || !syncCommit.equals("on")) {
      throw new IllegalStateException(
          "the local PostgreSQL does not keep the default durability:"
              + " fsync="
              + fsync
              + " synchronous_commit="
              + syncCommit
              + "; both must be on, or the"
              + " peers' figures would not be those of a durable store");
    }
    description =
        show("server_version").replaceFirst(" .*", "")
            + ", a fresh cluster on"
            + " 127.0.0.1:"
            + port
            + ", fsync="
            + fsync
            + ", synchronous_commit="
            + syncCommit
            + ", full_page_writes="
            + show("full_page_writes")
            + ", wal_sync_method="
            + show("wal_sync_method")
            + ", shared_buffers="
            + show("shared_buffers")
            + ", max_connections="
            + show("max_connections")
            + " (all defaults)";
  }

  /** The value of a server setting, as {@code SHOW} prints it. */
  synchronized String show(String setting) throws SQLException {
    try (Statement s = admin.createStatement();
        ResultSet r = s.executeQuery("SHOW " + setting)) {
      r.next();
      return r.getString(1);
    }
  }

  /** Version and settings, for the report: "PostgreSQL 15.18, a fresh cluster on ...". */
  String description() {
    return "PostgreSQL " + description;
  }

  /** What a peer on this server keeps, for the report. */
  String durability() {
    return "PostgreSQL, fsync=on, synchronous_commit=on: a commit is on disk before it returns";
  }

  /** A fresh, empty database owned by {@value #USER}. */
  synchronized Database createDatabase() throws SQLException {
    String name = "run_" + DATABASES.incrementAndGet();
    try (Statement s = admin.createStatement()) {
      s.execute("CREATE DATABASE " + name + " OWNER " + USER);
    }
    return new Database(name, url(name), USER, password);
  }

  /**
   * Drops a database, closing whatever connections are still open on it (a peer stopped without
   * waiting may still hold some).
   */
  synchronized void dropDatabase(Database db) throws SQLException {
    if (closed.get()) {
      return;
    }
    try (Statement s = admin.createStatement()) {
      s.execute("DROP DATABASE IF EXISTS " + db.name() + " WITH (FORCE)");
    }
  }

  /** Runs semicolon-separated statements on {@code db}, skipping comment lines. */
  static void runScript(Database db, String script) throws SQLException {
    StringBuilder cleaned = new StringBuilder();
    for (String line : script.split("\n")) {
      if (!line.strip().startsWith("--")) {
        cleaned.append(line).append('\n');
      }
    }
    try (Connection c = DriverManager.getConnection(db.url(), db.user(), db.password());
        Statement s = c.createStatement()) {
      for (String stmt : cleaned.toString().split(";")) {
        if (!stmt.isBlank()) {
          s.execute(stmt);
        }
      }
    }
  }

  int port() {
    return port;
  }

  Path directory() {
    return dir;
  }

  private String url(String database) {
    return "jdbc:postgresql://127.0.0.1:" + port + "/" + database;
  }

  private Path data() {
    return dir.resolve("data");
  }

  private Path log() {
    return dir.resolve("server.log");
  }

  /** Stops the server and deletes its directory; safe to call more than once. */
  @Override
  public void close() {
    stopAndDelete();
    try {
      Runtime.getRuntime().removeShutdownHook(hook);
    } catch (IllegalStateException e) {
      // The JVM is already shutting down and runs the hook itself; nothing left to undo.
    }
  }

  private void stopAndDelete() {
    if (!closed.compareAndSet(false, true)) {
      return;
    }
    synchronized (this) {
      try {
        if (admin != null) {
          admin.close();
        }
      } catch (SQLException e) {
        // The server is stopped next either way.
      }
    }
    try {
      if (Files.exists(data().resolve("postmaster.pid"))) {
        try {
          run(
              List.of(
                  bin.resolve("pg_ctl").toString(),
                  "-D",
                  data().toString(),
                  "-m",
                  "fast",
                  "-w",
                  "-t",
                  "60",
                  "stop"));
        } catch (IOException e) {
          run(
              List.of(
                  bin.resolve("pg_ctl").toString(),
                  "-D",
                  data().toString(),
                  "-m",
                  "immediate",
                  "-w",
                  "-t",
                  "60",
                  "stop"));
        }
      }
    } catch (IOException | InterruptedException e) {
      System.err.println("local PostgreSQL: stop failed: dir=" + dir + "; " + e.getMessage());
    } finally {
      try {
        Workloads.deleteTree(dir);
      } catch (IOException e) {
        System.err.println("local PostgreSQL: could not delete dir=" + dir + ": " + e);
      }
    }
  }

  /** Runs a PostgreSQL command (as {@value #OS_USER} when we are root) and waits for it. */
  private void run(List<String> command) throws IOException, InterruptedException {
    List<String> full = new ArrayList<>();
    if (viaRunuser) {
      full.addAll(List.of("runuser", "-u", OS_USER, "--"));
    }
    full.addAll(command);
    // Output to a file, not a pipe: a pipe read could block past the timeout.
    Path out = Files.createTempFile("hourglass-postgres-command", ".out");
    try {
      Process p =
          new ProcessBuilder(full)
              .directory(dir.toFile())
              .redirectErrorStream(true)
              .redirectOutput(out.toFile())
              .redirectInput(ProcessBuilder.Redirect.from(new java.io.File("/dev/null")))
              .start();
      if (!p.waitFor(COMMAND_TIMEOUT_SECONDS, TimeUnit.SECONDS)) {
        p.destroyForcibly();
        throw new IOException("timed out after " + COMMAND_TIMEOUT_SECONDS + " s: " + full);
      }
      if (p.exitValue() != 0) {
        throw new IOException(
            "failed with exit code " + p.exitValue() + ": " + full + "\n" + Files.readString(out));
      }
    } finally {
      Files.deleteIfExists(out);
    }
  }

  private String logTail() {
    try {
      String all = Files.readString(log());
      return all.length() <= 4_000 ? all : all.substring(all.length() - 4_000);
    } catch (IOException e) {
      return "(no server log: " + e.getMessage() + ")";
    }
  }

  private static int freePort() throws IOException {
    try (ServerSocket s = new ServerSocket(0, 1, InetAddress.getLoopbackAddress())) {
      return s.getLocalPort();
    }
  }

  private static String randomPassword() {
    byte[] b = new byte[18];
    new SecureRandom().nextBytes(b);
    return HexFormat.of().formatHex(b);
  }
}
