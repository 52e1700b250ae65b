package dev.hourglass.node;

import java.io.IOException;
import java.io.Reader;
import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.List;

/**
 * A {@link Reader} that hands its consumer (the JSON parser) at most one input line per {@code
 * read} call and remembers the lines of the value being parsed, so that after a syntax error the
 * caller can start a fresh parser on the lines that follow the bad value's first line.
 *
 * <p>Why one line at a time: a parser reads ahead into its own buffer, and what it buffered is lost
 * with it when it is discarded after an error. Feeding single lines bounds that look-ahead to the
 * current line, which is retained here anyway. It also makes the node answer each line as soon as
 * it arrives, which an interactive harness waits for.
 *
 * <p>Not thread-safe; used by the node's single reading thread.
 */
final class LineFeed extends Reader {
  /**
   * Bounds one input line. Why this size: the engine caps a payload at 1 MiB, and JSON escaping can
   * at most quadruple it; anything longer cannot be a valid request.
   */
  static final int LINE_CHARS_MAX = 4 << 20;

  /** Bounds the text retained for one (possibly pretty-printed) value, for the same reason. */
  static final int VALUE_CHARS_MAX = 4 << 20;

  /** Thrown from {@link #read} when a line or a value exceeds its bound; the input goes on. */
  static final class InputTooLargeException extends IOException {
    final long line;

    InputTooLargeException(long line, String message) {
      super(message);
      this.line = line;
    }
  }

  private record Line(long number, String text) {}

  private final Reader source;
  private final ArrayDeque<Line> replay = new ArrayDeque<>();
  private final List<Line> retained = new ArrayList<>();
  private long retainedChars;
  private long lastNumber;
  private Line current;
  private int position;

  LineFeed(Reader source) {
    this.source = source;
  }

  /** The number (1-based) of the next line {@link #read} will start on. */
  long nextLineNumber() {
    if (current != null && position < current.text.length()) {
      return current.number;
    }
    return replay.isEmpty() ? lastNumber + 1 : replay.peekFirst().number;
  }

  /** The number of the line being read, or of the last line read. */
  long currentLineNumber() {
    return current != null ? current.number : lastNumber;
  }

  /** Forgets retained lines before {@code firstLine}: the value now being parsed starts there. */
  void retainFrom(long firstLine) {
    while (!retained.isEmpty() && retained.get(0).number < firstLine) {
      retainedChars -= retained.remove(0).text.length();
    }
  }

  /**
   * Drops the partly read line and every retained line up to {@code line}, and queues the retained
   * lines after it to be read again, before any unread input.
   */
  void resumeAfter(long line) {
    for (int i = retained.size() - 1; i >= 0; i--) {
      if (retained.get(i).number > line) {
        replay.addFirst(retained.get(i));
      }
    }
    retained.clear();
    retainedChars = 0;
    current = null;
    position = 0;
  }

  @Override
  public int read(char[] buffer, int offset, int length) throws IOException {
    if (length == 0) {
      return 0;
    }
    if (current == null || position >= current.text.length()) {
      current = replay.isEmpty() ? readSourceLine() : replay.pollFirst();
      position = 0;
      if (current == null) {
        return -1;
      }
      retained.add(current);
      retainedChars += current.text.length();
      if (retainedChars > VALUE_CHARS_MAX) {
        throw new InputTooLargeException(
            current.number,
            "a JSON value spans more than "
                + VALUE_CHARS_MAX
                + " characters (VALUE_CHARS_MAX); it is skipped");
      }
    }
    int n = Math.min(length, current.text.length() - position);
    current.text.getChars(position, position + n, buffer, offset);
    position += n;
    return n;
  }

  /** The next source line with its newline, or null at the end; an overlong line is skipped. */
  private Line readSourceLine() throws IOException {
    StringBuilder text = new StringBuilder();
    boolean tooLong = false;
    int c;
    while ((c = source.read()) != -1 && c != '\n') {
      if (text.length() < LINE_CHARS_MAX) {
        text.append((char) c);
      } else {
        tooLong = true;
      }
    }
    if (c == -1 && text.isEmpty()) {
      return null;
    }
    long number = ++lastNumber;
    if (tooLong) {
      throw new InputTooLargeException(
          number,
          "line "
              + number
              + " is longer than "
              + LINE_CHARS_MAX
              + " characters (LINE_CHARS_MAX); it is skipped");
    }
    return new Line(number, text.append('\n').toString());
  }

  @Override
  public void close() throws IOException {
    source.close();
  }
}
