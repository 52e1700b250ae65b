package dev.hourglass.wal;

import java.io.IOException;
import java.io.OutputStream;

/**
 * Streams a snapshot body. The stream is buffered and checksums as it goes, so a 1 GB body never
 * needs to exist as one array. Implementations must not close {@code out} (closing is ignored).
 */
@FunctionalInterface
public interface SnapshotBody {
  void writeTo(OutputStream out) throws IOException;
}
