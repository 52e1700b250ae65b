package dev.hourglass.bench.wal;

import dev.hourglass.wal.FsyncPolicy;
import dev.hourglass.wal.SegmentedLog;
import dev.hourglass.wal.WalOptions;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Comparator;
import java.util.Random;
import java.util.concurrent.TimeUnit;
import java.util.stream.Stream;
import org.openjdk.jmh.annotations.Benchmark;
import org.openjdk.jmh.annotations.BenchmarkMode;
import org.openjdk.jmh.annotations.Fork;
import org.openjdk.jmh.annotations.Level;
import org.openjdk.jmh.annotations.Measurement;
import org.openjdk.jmh.annotations.Mode;
import org.openjdk.jmh.annotations.OutputTimeUnit;
import org.openjdk.jmh.annotations.Param;
import org.openjdk.jmh.annotations.Scope;
import org.openjdk.jmh.annotations.Setup;
import org.openjdk.jmh.annotations.State;
import org.openjdk.jmh.annotations.TearDown;
import org.openjdk.jmh.annotations.Threads;
import org.openjdk.jmh.annotations.Warmup;

/**
 * Latency of one writer's durable append: {@code append(record).join()} with fsync=always, i.e.
 * encode + hand-off to the flusher + one write + one fdatasync + completion. Compare with the raw
 * fsync latency printed by {@link WalThroughputBench}.
 *
 * <p>Run: {@code java -cp 'hourglass-bench/target/*:hourglass-bench/target/lib/*'
 * org.openjdk.jmh.Main WalAppendLatencyBenchmark}. Set {@code -Dbench.dir} to put the log on a
 * specific disk (default: the system temp dir).
 */
@State(Scope.Benchmark)
@BenchmarkMode(Mode.SampleTime)
@OutputTimeUnit(TimeUnit.MICROSECONDS)
@Warmup(iterations = 2, time = 3)
@Measurement(iterations = 3, time = 5)
@Fork(1)
@Threads(1)
public class WalAppendLatencyBenchmark {
  @Param({"200"})
  public int recordBytes;

  @Param({"always"})
  public String fsync;

  private Path dir;
  private SegmentedLog wal;
  private byte[] record;

  @Setup(Level.Trial)
  public void open() throws IOException {
    var parent = Path.of(System.getProperty("bench.dir", System.getProperty("java.io.tmpdir")));
    dir = Files.createTempDirectory(parent, "wal-jmh-");
    wal = SegmentedLog.open(WalOptions.defaults(dir).withFsync(FsyncPolicy.parse(fsync)));
    record = new byte[recordBytes];
    new Random(1).nextBytes(record);
  }

  @Benchmark
  public long appendAndAwaitDurable() {
    return wal.append(record).join();
  }

  @TearDown(Level.Trial)
  public void close() throws IOException {
    wal.close();
    try (Stream<Path> files = Files.walk(dir)) {
      for (var p : files.sorted(Comparator.reverseOrder()).toList()) {
        Files.delete(p);
      }
    }
  }
}
