package dev.hourglass.node;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.ObjectMapper;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

/** The expected strings are what CPython 3 prints for json.dumps of the same value. */
class PythonJsonTest {
  private static final ObjectMapper MAPPER = new ObjectMapper();

  private static String dumps(String json) throws Exception {
    return PythonJson.dumps(MAPPER.readTree(json));
  }

  @Test
  void spacingAndKeyOrderFollowJsonDumps() throws Exception {
    assertThat(dumps("{\"b\":1,\"a\":[1,2,{\"x\":null}],\"c\":{},\"d\":[],\"e\":true}"))
        .isEqualTo("{\"b\": 1, \"a\": [1, 2, {\"x\": null}], \"c\": {}, \"d\": [], \"e\": true}");
  }

  @Test
  void nonAsciiAndControlCharactersAreEscapedLikeEnsureAscii() throws Exception {
    assertThat(dumps("\"caf\\u00e9 \\ud83d\\ude00 \\u0001 \\u007f \\\" \\\\ \\n\\t/\""))
        .isEqualTo("\"caf\\u00e9 \\ud83d\\ude00 \\u0001 \\u007f \\\" \\\\ \\n\\t/\"");
  }

  @ParameterizedTest
  @CsvSource({
    "1.5, 1.5",
    "1.0, 1.0",
    "100.0, 100.0",
    "1e16, 1e+16",
    "1.5e-5, 1.5e-05",
    "0.0001, 0.0001",
    "123456789012345.6, 123456789012345.6",
    "-2.5e300, -2.5e+300",
    "-0.0, -0.0",
    "0.1, 0.1"
  })
  void floatsAreWrittenAsPythonRepr(double value, String python) {
    assertThat(PythonJson.pythonFloat(value)).isEqualTo(python);
  }

  @Test
  void bigIntegersStayExact() throws Exception {
    assertThat(dumps("[12345678901234567890123, -7]")).isEqualTo("[12345678901234567890123, -7]");
  }
}
