package dev.hourglass.node;

import static org.assertj.core.api.Assertions.assertThat;

import java.nio.file.Path;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** How the node treats its input: envelopes, pretty-printing, malformed and unknown messages. */
class NodeInputTest {
  @TempDir Path dir;

  @Test
  void prettyPrintedEnvelopesAndBareBodiesAreAnsweredWithBareBodies() {
    List<String> out =
        new TestNode(dir)
            .run(
                "{",
                "  \"src\": \"c1\",",
                "  \"dest\": \"n1\",",
                "  \"body\": {",
                "    \"type\": \"init\",",
                "    \"msg_id\": 1,",
                "    \"replicas\": [\"s1\",",
                "\"s2\"]",
                "  }",
                "}",
                "{\"type\":\"leader_crash\",\"leader_id\":\"s1\",\"msg_id\":2}");
    assertThat(out)
        .containsExactly(
            "{\"type\": \"init_ok\", \"in_reply_to\": 1}",
            "{\"type\": \"new_leader_elected\", \"in_reply_to\": 2, \"old_leader\": \"s1\","
                + " \"new_leader\": \"s2\", \"term\": 2}");
  }

  @Test
  void malformedInputGetsError12AndTheNodeGoesOn() {
    List<String> out =
        new TestNode(dir)
            .run(
                "this is not json",
                "{\"type\":\"init\",\"msg_id\":1",
                "[1, 2]",
                "{\"msg_id\": 3}",
                "{\"type\": 5}",
                "{\"type\":\"assign_job\",\"msg_id\":4,\"job_id\":\"j\"}",
                "{\"type\":\"assign_job\",\"msg_id\":5,\"job_id\":\"j\",\"worker_id\":\"w\","
                    + "\"generation\":\"one\"}",
                "{\"type\":\"init\",\"msg_id\":6}");
    assertThat(out).hasSize(8);
    assertThat(out.subList(0, 7)).allSatisfy(line -> assertThat(line).contains("\"code\": 12"));
    assertThat(out.get(0))
        .startsWith(
            "{\"type\": \"error\", \"code\": 12, \"text\": \"input is" + " not JSON: line 1:");
    assertThat(out.get(1)).contains("value starting at line 2");
    assertThat(out.get(2)).contains("must be a JSON object");
    assertThat(out.get(3)).contains("needs a string \\\"type\\\"");
    assertThat(out.get(5))
        .startsWith("{\"type\": \"error\", \"in_reply_to\": 4, \"code\": 12,")
        .contains("worker_id");
    assertThat(out.get(6)).contains("whole number");
    assertThat(out.get(7)).isEqualTo("{\"type\": \"init_ok\", \"in_reply_to\": 6}");
  }

  @Test
  void unknownTypesGetError10() {
    List<String> out =
        new TestNode(dir).run("{\"type\":\"read\",\"msg_id\":\"m-1\"}", "{\"type\":\"echo\"}");
    assertThat(out.get(0))
        .startsWith(
            "{\"type\": \"error\", \"in_reply_to\": \"m-1\","
                + " \"code\": 10, \"text\": \"message type \\\"read\\\" is not supported;");
    assertThat(out.get(1)).startsWith("{\"type\": \"error\", \"code\": 10,");
  }

  @Test
  void anEmptyInputEndsTheNodeCleanly() {
    TestNode node = new TestNode(dir);
    assertThat(node.run()).isEmpty();
    assertThat(node.exitCode()).isZero();
    assertThat(node.stderr()).contains("recovered jobs=0");
  }
}
