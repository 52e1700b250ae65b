package dev.hourglass.client.internal;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.JsonNodeFactory;
import com.fasterxml.jackson.databind.node.ObjectNode;
import java.math.BigInteger;
import java.nio.charset.StandardCharsets;
import java.util.Random;
import org.junit.jupiter.api.Test;

/**
 * A plain tree written without Jackson's serializer is the very bytes Jackson writes, and every
 * other tree is left to Jackson. Randomized with a printed seed; replay one with {@code
 * -Dplainjson.seed=N}.
 */
class PlainJsonTest {
  private static final int CASES = 3_000;
  private static final JsonNodeFactory NODES = JsonNodeFactory.instance;

  @Test
  void plainTreesAreTheBytesJacksonWrites() throws Exception {
    long seed = Long.getLong("plainjson.seed", System.nanoTime());
    System.out.println("plainjson.seed=" + seed);
    var random = new Random(seed);
    int plain = 0;
    for (int i = 0; i < CASES; i++) {
      JsonNode tree = node(random, 0);
      byte[] jackson = Json.MAPPER.writeValueAsBytes(tree);
      byte[] ours = PlainJson.bytes(tree);
      assertThat(Json.bytes(tree)).as("seed=%d case=%d", seed, i).isEqualTo(jackson);
      if (ours != null) {
        plain++;
        assertThat(new String(ours, StandardCharsets.UTF_8))
            .as("seed=%d case=%d", seed, i)
            .isEqualTo(new String(jackson, StandardCharsets.UTF_8));
      }
    }
    assertThat(plain).as("trees written without Jackson, seed=%d", seed).isGreaterThan(CASES / 4);
  }

  @Test
  void aBodyAWorkerSendsIsPlainAndOddTreesAreNot() {
    ObjectNode body = NODES.objectNode().put("worker_id", "w-1").put("max", 16);
    body.put("wait_ms", 30_000L).putArray("tasks").add("email").add("resize");
    assertThat(new String(PlainJson.bytes(body), StandardCharsets.UTF_8))
        .isEqualTo(
            "{\"worker_id\":\"w-1\",\"max\":16,\"wait_ms\":30000,\"tasks\":[\"email\",\"resize\"]}");
    assertThat(PlainJson.bytes(NODES.objectNode().put("x", 1.5))).as("a float").isNull();
    assertThat(PlainJson.bytes(NODES.textNode("caf\u00e9"))).as("non-ASCII").isNull();
    assertThat(PlainJson.bytes(NODES.textNode("a\"b"))).as("a quote").isNull();
    assertThat(PlainJson.bytes(NODES.numberNode(Long.MIN_VALUE))).isNull();
    JsonNode deep = NODES.nullNode();
    for (int i = 0; i <= PlainJson.DEPTH_MAX + 1; i++) {
      deep = NODES.arrayNode().add(deep);
    }
    assertThat(PlainJson.bytes(deep)).as("deeper than DEPTH_MAX").isNull();
  }

  private static JsonNode node(Random r, int depth) {
    int kind = depth > 4 ? 2 + r.nextInt(8) : r.nextInt(10);
    return switch (kind) {
      case 0 -> {
        ObjectNode o = NODES.objectNode();
        for (int n = r.nextInt(5); n > 0; n--) {
          o.set(text(r), node(r, depth + 1));
        }
        yield o;
      }
      case 1 -> {
        var a = NODES.arrayNode();
        for (int n = r.nextInt(5); n > 0; n--) {
          a.add(node(r, depth + 1));
        }
        yield a;
      }
      case 2, 3 -> NODES.textNode(text(r));
      case 4 -> NODES.numberNode(r.nextInt(3) == 0 ? r.nextInt(20) - 10 : r.nextInt());
      case 5 ->
          NODES.numberNode(
              switch (r.nextInt(4)) {
                case 0 -> Long.MIN_VALUE;
                case 1 -> Long.MAX_VALUE;
                default -> r.nextLong();
              });
      case 6 -> NODES.booleanNode(r.nextBoolean());
      case 7 -> NODES.nullNode();
      case 8 -> r.nextBoolean() ? NODES.numberNode(r.nextDouble()) : NODES.numberNode((short) 7);
      default -> NODES.numberNode(BigInteger.valueOf(r.nextLong()).shiftLeft(r.nextInt(80)));
    };
  }

  /** Mostly printable ASCII; sometimes a quote, a backslash, a control or a non-ASCII char. */
  private static String text(Random r) {
    var b = new StringBuilder();
    for (int n = r.nextInt(10); n > 0; n--) {
      b.append(
          switch (r.nextInt(60)) {
            case 0 -> '"';
            case 1 -> '\\';
            case 2 -> (char) r.nextInt(0x20);
            case 3 -> (char) (0x7f + r.nextInt(0x300));
            default -> (char) (0x20 + r.nextInt(0x5f));
          });
    }
    return b.toString();
  }
}
