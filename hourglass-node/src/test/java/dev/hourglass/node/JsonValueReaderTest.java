package dev.hourglass.node;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.ObjectMapper;
import dev.hourglass.node.JsonValueReader.Item;
import dev.hourglass.node.JsonValueReader.Malformed;
import dev.hourglass.node.JsonValueReader.Value;
import java.io.IOException;
import java.io.StringReader;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.Test;

class JsonValueReaderTest {

  private static List<String> read(String input) throws IOException {
    JsonValueReader reader = new JsonValueReader(new StringReader(input), new ObjectMapper());
    List<String> items = new ArrayList<>();
    for (Item item = reader.next(); item != null; item = reader.next()) {
      items.add(
          switch (item) {
            case Value v -> v.json().toString();
            case Malformed m -> "MALFORMED " + m.detail();
          });
    }
    return items;
  }

  @Test
  void readsOneValuePerLineAndPrettyPrintedValuesAlike() throws IOException {
    assertThat(read("{\"a\":1}\n{\n\"b\": {\n\"c\": [1,\n2]\n}\n}\n  {\"d\":3} {\"e\":4}\n\n"))
        .containsExactly("{\"a\":1}", "{\"b\":{\"c\":[1,2]}}", "{\"d\":3}", "{\"e\":4}");
  }

  @Test
  void aLineWithoutItsClosingBraceDoesNotSwallowTheNextMessage() throws IOException {
    List<String> items = read("{\"type\":\"x\",\n{\"type\":\"init\"}\n");
    assertThat(items).hasSize(2);
    assertThat(items.get(0)).startsWith("MALFORMED value starting at line 1, error at line 2");
    assertThat(items.get(1)).isEqualTo("{\"type\":\"init\"}");
  }

  @Test
  void garbageLinesAreReportedOnceEachAndReadingGoesOn() throws IOException {
    List<String> items = read("not json at all\n{\"ok\":1}\n]]]\n{\"ok\":2}\n{\"bad\" 1}\n");
    assertThat(items).hasSize(5);
    assertThat(items.get(0)).startsWith("MALFORMED line 1: Unrecognized token 'not'");
    assertThat(items.get(1)).isEqualTo("{\"ok\":1}");
    assertThat(items.get(2)).startsWith("MALFORMED line 3");
    assertThat(items.get(3)).isEqualTo("{\"ok\":2}");
    assertThat(items.get(4)).startsWith("MALFORMED line 5");
  }

  @Test
  void aValueTruncatedAtTheEndOfInputIsMalformed() throws IOException {
    List<String> items = read("{\"ok\":1}\n{\"type\":");
    assertThat(items).hasSize(2);
    assertThat(items.get(1)).startsWith("MALFORMED");
  }

  @Test
  void anOverlongLineIsSkippedWithoutReadingItIntoMemory() throws IOException {
    String huge = "{\"x\":\"" + "a".repeat(LineFeed.LINE_CHARS_MAX) + "\"}";
    List<String> items = read(huge + "\n{\"ok\":1}\n");
    assertThat(items).hasSize(2);
    assertThat(items.get(0)).contains("LINE_CHARS_MAX");
    assertThat(items.get(1)).isEqualTo("{\"ok\":1}");
  }

  @Test
  void scalarsAtTheTopLevelAreValuesForTheNodeToRefuse() throws IOException {
    assertThat(read("42\n\"s\"\n")).containsExactly("42", "\"s\"");
  }
}
