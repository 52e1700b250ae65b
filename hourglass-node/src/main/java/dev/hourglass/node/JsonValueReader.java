package dev.hourglass.node;

import com.fasterxml.jackson.core.JsonLocation;
import com.fasterxml.jackson.core.JsonParser;
import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.core.JsonToken;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.io.BufferedReader;
import java.io.IOException;
import java.io.Reader;

/**
 * Reads a stream of JSON values, one per line or pretty-printed over several, and survives
 * malformed input: a syntax error yields one {@link Malformed} item and reading goes on with the
 * line after the bad value's first line.
 *
 * <p>Implementation notes. One Jackson parser reads the stream of root-level values until it
 * throws. It cannot be resumed after an error, so it is discarded and a new one starts on the lines
 * that follow the first line of the bad value, which {@link LineFeed} retained. Resuming there
 * (rather than after the line where the error was noticed) matters for the common case of a line
 * with a missing closing brace: the parser only notices when it reads into the next line, which is
 * usually a good message that must not be lost. A pretty-printed value that is broken in its middle
 * yields one error per remaining line of it, which is noisy but never loses a later value.
 *
 * <p>Not thread-safe.
 */
final class JsonValueReader {

  /** One thing read from the input. */
  sealed interface Item permits Value, Malformed {}

  /** A well-formed JSON value (not necessarily an object). */
  record Value(JsonNode json) implements Item {}

  /** Input that is not JSON; {@code detail} says where and why. */
  record Malformed(String detail) implements Item {}

  private final ObjectMapper mapper;
  private final LineFeed feed;
  private JsonParser parser;
  private long parserFirstLine;

  JsonValueReader(Reader source, ObjectMapper mapper) {
    this.mapper = mapper;
    this.feed = new LineFeed(new BufferedReader(source));
  }

  /**
   * The next item, or null at the end of the input.
   *
   * @throws IOException only when reading the underlying input fails
   */
  Item next() throws IOException {
    if (parser == null) {
      parserFirstLine = feed.nextLineNumber();
      parser = mapper.getFactory().createParser(feed);
      parser.disable(JsonParser.Feature.AUTO_CLOSE_SOURCE);
    }
    long valueLine = -1;
    try {
      JsonToken token = parser.nextToken();
      if (token == null) {
        return null;
      }
      valueLine = absoluteLine(parser.currentTokenLocation());
      feed.retainFrom(valueLine);
      return new Value(mapper.readTree(parser));
    } catch (LineFeed.InputTooLargeException e) {
      restart(e.line);
      return new Malformed(e.getMessage());
    } catch (JsonProcessingException e) {
      long errorLine = absoluteLine(e.getLocation());
      restart(valueLine >= 0 ? valueLine : errorLine);
      return new Malformed(
          (valueLine >= 0 && valueLine != errorLine
                  ? "value starting at line " + valueLine + ", error at line "
                  : "line ")
              + errorLine
              + ": "
              + e.getOriginalMessage());
    }
  }

  private void restart(long resumeAfterLine) throws IOException {
    parser.close();
    parser = null;
    feed.resumeAfter(resumeAfterLine);
  }

  private long absoluteLine(JsonLocation location) {
    if (location == null || location.getLineNr() < 1) {
      return feed.currentLineNumber();
    }
    return parserFirstLine + location.getLineNr() - 1;
  }
}
