package dev.hourglass.wal;

/** Outcome of decoding one record frame at an offset. */
enum FrameStatus {
  OK("valid record"),
  END("clean end of segment"),
  SHORT_HEADER("frame header cut short by end of file"),
  ZEROS("zero-filled frame header"),
  BAD_LENGTH("record length above recordBytesMax"),
  SHORT_PAYLOAD("payload cut short by end of file"),
  BAD_CRC("checksum mismatch"),
  BAD_VERSION("unknown record format version"),
  BAD_LSN("record LSN differs from the expected next LSN");

  final String description;

  FrameStatus(String description) {
    this.description = description;
  }
}
