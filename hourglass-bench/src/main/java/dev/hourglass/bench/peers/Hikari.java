package dev.hourglass.bench.peers;

import com.zaxxer.hikari.HikariConfig;
import com.zaxxer.hikari.HikariDataSource;

/** The connection pool the JDBC peers use, as most of their users do: HikariCP, defaults. */
final class Hikari {
  private Hikari() {}

  /** A pool of up to {@code maxConnections} connections to {@code db}. */
  static HikariDataSource pool(LocalPostgres.Database db, int maxConnections) {
    HikariConfig c = new HikariConfig();
    c.setJdbcUrl(db.url());
    c.setUsername(db.user());
    c.setPassword(db.password());
    c.setMaximumPoolSize(maxConnections);
    c.setPoolName("bench-" + db.name());
    return new HikariDataSource(c);
  }
}
