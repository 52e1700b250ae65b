package dev.hourglass.wal;

import java.nio.file.Path;

/**
 * A snapshot whose header and body checksum were verified.
 *
 * @param lsn the last log record the snapshot covers; replay records with a greater LSN
 * @param body the opaque snapshot bytes
 * @param file where it was read from, for log messages
 */
public record LoadedSnapshot(long lsn, byte[] body, Path file) {}
