package dev.trellis.testing;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.netty.handler.codec.http.HttpVersion;
import java.util.LinkedHashMap;
import java.util.Map;
import org.junit.jupiter.api.Test;

class JsonTest {

    @Test
    void escapesWhatJsonRequires() throws Exception {
        String tricky = "quote\" backslash\\ newline\n tab\t bell\u0007 é";
        String json = Json.string(new StringBuilder(), tricky).toString();

        assertThat(json).isEqualTo("\"quote\\\" backslash\\\\ newline\\n tab\\t bell\\u0007 é\"");
        assertThat(new ObjectMapper().readValue(json, String.class)).isEqualTo(tricky);
    }

    @Test
    void echoBodyIsValidJsonWithTheFieldsInOrder() throws Exception {
        Map<String, String> headers = new LinkedHashMap<>();
        headers.put("host", "127.0.0.1:1");
        headers.put("x-multi", "a, b");
        EchoRequest request = new EchoRequest("GET", "/x?y=\"1\"", "HTTP/1.1", headers, 42,
                HttpVersion.HTTP_1_1, true, new EchoRoute.Echo());

        String json = request.toJson("catalog-v1");

        assertThat(json).startsWith("{\"server\":\"catalog-v1\",\"method\":\"GET\",\"path\":");
        JsonNode tree = new ObjectMapper().readTree(json);
        assertThat(tree.get("path").asText()).isEqualTo("/x?y=\"1\"");
        assertThat(tree.get("protocol").asText()).isEqualTo("HTTP/1.1");
        assertThat(tree.get("headers").get("x-multi").asText()).isEqualTo("a, b");
        assertThat(tree.get("bodyBytes").asLong()).isEqualTo(42);
    }
}
