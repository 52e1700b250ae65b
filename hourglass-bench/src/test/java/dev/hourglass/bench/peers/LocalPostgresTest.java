package dev.hourglass.bench.peers;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.net.InetSocketAddress;
import java.net.Socket;
import java.nio.file.Files;
import java.nio.file.Path;
import java.sql.DriverManager;
import java.sql.ResultSet;
import java.sql.Statement;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The PostgreSQL the JDBC peers run on keeps its default durability, listens on loopback only, and
 * leaves nothing behind: no server, no files.
 */
class LocalPostgresTest {

  @Test
  void startsADurableLoopbackServerAndRemovesEverythingOnClose() throws Exception {
    Path dir;
    int port;
    try (LocalPostgres pg = LocalPostgres.start()) {
      dir = pg.directory();
      port = pg.port();
      assertThat(pg.show("fsync")).isEqualTo("on");
      assertThat(pg.show("synchronous_commit")).isEqualTo("on");
      assertThat(pg.show("listen_addresses")).isEqualTo("127.0.0.1");
      assertThat(pg.show("unix_socket_directories")).isEqualTo(dir.toString());
      assertThat(pg.description()).startsWith("PostgreSQL ").contains("fsync=on");

      // The bench user owns a fresh database and can create tables in it.
      LocalPostgres.Database db = pg.createDatabase();
      LocalPostgres.runScript(
          db, "-- a comment line\ncreate table t (x int);\n" + "insert into t values (42);");
      try (var c = DriverManager.getConnection(db.url(), db.user(), db.password());
          Statement s = c.createStatement();
          ResultSet r = s.executeQuery("select x from t")) {
        assertThat(r.next()).isTrue();
        assertThat(r.getInt(1)).isEqualTo(42);
      }
      pg.dropDatabase(db);
      assertThat(Files.isDirectory(dir.resolve("data"))).isTrue();
    }

    assertThat(dir).doesNotExist();
    try (Socket s = new Socket()) {
      assertThatThrownBy(() -> s.connect(new InetSocketAddress("127.0.0.1", port), 1_000))
          .as("the server on port %d is stopped", port)
          .isInstanceOf(java.io.IOException.class);
    }
  }

  @Test
  void aMissingInstallationNamesTheInstallCommand(@TempDir Path emptyInstallRoot) {
    assertThatThrownBy(() -> LocalPostgres.binaries(emptyInstallRoot))
        .isInstanceOf(IllegalStateException.class)
        .hasMessageContaining("PostgreSQL is not installed")
        .hasMessageContaining("scripts/install-test-deps postgresql");
  }

  @Test
  void theNewestInstalledVersionIsUsed(@TempDir Path root) throws Exception {
    for (String v : new String[] {"9.6", "15", "13"}) {
      Path bin = Files.createDirectories(root.resolve(v).resolve("bin"));
      Files.createFile(bin.resolve("initdb")).toFile().setExecutable(true);
    }
    assertThat(LocalPostgres.binaries(root)).isEqualTo(root.resolve("15").resolve("bin"));
  }
}
