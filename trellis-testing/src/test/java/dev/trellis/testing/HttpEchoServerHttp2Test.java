package dev.trellis.testing;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.trellis.testing.Http2TestClient.Mode;
import dev.trellis.testing.Http2TestClient.Response;
import java.io.IOException;
import java.net.ServerSocket;
import java.net.SocketTimeoutException;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.net.http.HttpResponse.BodyHandlers;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.stream.IntStream;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/** {@link HttpEchoServer} over h2c, by prior knowledge and by upgrade, on a real loopback socket. */
class HttpEchoServerHttp2Test {

    private static final ObjectMapper JSON = new ObjectMapper();
    private static final Duration TIMEOUT = Duration.ofSeconds(10);
    private static HttpEchoServer server;

    @BeforeAll
    static void start() {
        server = new HttpEchoServer("catalog-v2").start();
    }

    @AfterAll
    static void stop() {
        server.close();
    }

    @Test
    void resetRoutesResetTheStreamAndTheConnectionCarriesOn() throws Exception {
        try (Http2TestClient h2 = connect(server, Mode.PRIOR_KNOWLEDGE)) {
            for (String path : List.of("/reset-after-headers", "/reset-mid-body/3000")) {
                assertThatThrownBy(() -> h2.get(path, Map.of()))
                        .as(path)
                        .isInstanceOf(IOException.class)
                        .hasMessageContaining("stream reset by the server");
                assertThat(h2.get("/after", Map.of()).status()).as("the connection after " + path).isEqualTo(200);
            }
        }
    }

    @Test
    void holdWaitsForTheTestOverHttp2Too() throws Exception {
        try (HttpEchoServer own = new HttpEchoServer("holding-h2").start();
                Http2TestClient h2 = connect(own, Mode.PRIOR_KNOWLEDGE)) {
            CompletableFuture<Response> held = CompletableFuture.supplyAsync(() -> {
                try {
                    return h2.get("/hold", Map.of());
                } catch (IOException e) {
                    throw new java.io.UncheckedIOException(e);
                }
            });
            org.awaitility.Awaitility.await().atMost(TIMEOUT).until(() -> own.heldCount() == 1);
            assertThat(held).isNotDone();
            own.releaseHeld();
            assertThat(held.get(10, java.util.concurrent.TimeUnit.SECONDS).status()).isEqualTo(200);
        }
    }

    @Test
    void priorKnowledgeGetIsEchoedAsHttp2() throws Exception {
        try (Http2TestClient h2 = connect(server, Mode.PRIOR_KNOWLEDGE)) {
            Response response = h2.get("/x?y=1", Map.of("X-Request-Id", "abc"));

            assertThat(response.status()).isEqualTo(200);
            assertThat(response.protocol()).isEqualTo("HTTP/2");
            assertThat(response.header("x-served-by")).isEqualTo("catalog-v2");
            assertThat(response.header("content-type")).isEqualTo("application/json");
            JsonNode body = JSON.readTree(response.body());
            assertThat(body.get("server").asText()).isEqualTo("catalog-v2");
            assertThat(body.get("method").asText()).isEqualTo("GET");
            assertThat(body.get("path").asText()).isEqualTo("/x?y=1");
            assertThat(body.get("protocol").asText()).isEqualTo("HTTP/2");
            assertThat(body.get("headers").get("x-request-id").asText()).isEqualTo("abc");
            assertThat(body.get("headers").has("x-http2-stream-id")).as("Netty's bookkeeping is hidden").isFalse();
            assertThat(body.get("bodyBytes").asLong()).isZero();
            assertThat(response.headers()).doesNotContainKey("x-http2-stream-id");
        }
    }

    @Test
    void priorKnowledgeCarriesManyRequestsOnOneConnection() throws Exception {
        try (HttpEchoServer own = new HttpEchoServer("multiplexed").start();
                Http2TestClient h2 = connect(own, Mode.PRIOR_KNOWLEDGE)) {
            for (int i = 0; i < 10; i++) {
                assertThat(h2.get("/n/" + i, Map.of()).status()).isEqualTo(200);
            }
            assertThat(own.requestCount()).isEqualTo(10);
            assertThat(own.connectionCount()).isEqualTo(1);
        }
    }

    @Test
    void postBodyIsCounted() throws Exception {
        String payload = "x".repeat(3 * 1024 * 1024);
        try (Http2TestClient h2 = connect(server, Mode.PRIOR_KNOWLEDGE)) {
            Response response = h2.post("/upload", Map.of("content-type", "text/plain"), payload);

            JsonNode body = JSON.readTree(response.body());
            assertThat(body.get("method").asText()).isEqualTo("POST");
            assertThat(body.get("bodyBytes").asLong()).isEqualTo(payload.length());
            assertThat(body.get("headers").get("content-type").asText()).isEqualTo("text/plain");
        }
    }

    @Test
    void specialPathsWorkOverHttp2() throws Exception {
        try (Http2TestClient h2 = connect(server, Mode.PRIOR_KNOWLEDGE)) {
            assertThat(h2.get("/status/418", Map.of()).status()).isEqualTo(418);
            assertThat(h2.get("/status/204", Map.of()).body()).isEmpty();

            long started = System.nanoTime();
            assertThat(h2.get("/delay/200", Map.of()).status()).isEqualTo(200);
            assertThat(Duration.ofNanos(System.nanoTime() - started)).isGreaterThanOrEqualTo(Duration.ofMillis(200));

            Response bytes = h2.get("/bytes/100000", Map.of());
            assertThat(bytes.header("content-length")).isEqualTo("100000");
            assertThat(bytes.body()).hasSize(100_000).startsWith("abcdefghijklmnopqrstuvwxyzabc");
        }
    }

    @Test
    void upgradeSwitchesTheConnectionToHttp2() throws Exception {
        try (Http2TestClient h2 = connect(server, Mode.UPGRADE)) {
            Response first = h2.get("/first", Map.of("x-a", "1"));

            assertThat(first.status()).isEqualTo(200);
            assertThat(first.protocol()).isEqualTo("HTTP/2");
            assertThat(h2.isHttp2()).isTrue();
            JsonNode body = JSON.readTree(first.body());
            assertThat(body.get("protocol").asText()).isEqualTo("HTTP/2");
            assertThat(body.get("path").asText()).isEqualTo("/first");
            assertThat(body.get("headers").get("x-a").asText()).isEqualTo("1");
            assertThat(body.get("headers").has("upgrade")).as("hop-by-hop headers are not forwarded").isFalse();

            Response second = h2.post("/second", Map.of(), "body");
            assertThat(second.protocol()).isEqualTo("HTTP/2");
            assertThat(JSON.readTree(second.body()).get("bodyBytes").asLong()).isEqualTo(4);
        }
    }

    @Test
    void upgradeCarriesASmallBody() throws Exception {
        try (Http2TestClient h2 = connect(server, Mode.UPGRADE)) {
            Response response = h2.post("/small", Map.of(), "0123456789");

            assertThat(response.protocol()).isEqualTo("HTTP/2");
            assertThat(JSON.readTree(response.body()).get("bodyBytes").asLong()).isEqualTo(10);
        }
    }

    @Test
    void largeBodyOfferingUpgradeIsServedOverHttp1Instead() throws Exception {
        String payload = "y".repeat(EchoServerInitializer.MAX_UPGRADE_BODY + 1);
        try (Http2TestClient h2 = connect(server, Mode.UPGRADE)) {
            Response response = h2.post("/big", Map.of(), payload);

            assertThat(response.protocol()).isEqualTo("HTTP/1.1");
            assertThat(h2.isHttp2()).isFalse();
            assertThat(JSON.readTree(response.body()).get("bodyBytes").asLong()).isEqualTo(payload.length());

            Response next = h2.get("/after", Map.of());
            assertThat(next.protocol()).isEqualTo("HTTP/1.1");
            assertThat(next.status()).isEqualTo(200);
        }
    }

    @Test
    void jdkClientUpgradesAndMultiplexes() throws Exception {
        try (HttpClient jdk = HttpClient.newBuilder().version(HttpClient.Version.HTTP_2).build()) {
            HttpResponse<String> first = jdk.send(
                    HttpRequest.newBuilder(server.uri("/jdk")).build(), BodyHandlers.ofString());
            assertThat(first.version()).isEqualTo(HttpClient.Version.HTTP_2);

            List<CompletableFuture<HttpResponse<String>>> many = IntStream.range(0, 20)
                    .mapToObj(i -> jdk.sendAsync(
                            HttpRequest.newBuilder(server.uri("/delay/50?i=" + i)).build(), BodyHandlers.ofString()))
                    .toList();
            for (CompletableFuture<HttpResponse<String>> each : many) {
                HttpResponse<String> response = each.get();
                assertThat(response.version()).isEqualTo(HttpClient.Version.HTTP_2);
                assertThat(JSON.readTree(response.body()).get("protocol").asText()).isEqualTo("HTTP/2");
            }
        }
    }

    @Test
    void clientTimesOutWhenTheServerIsSlow() throws Exception {
        try (Http2TestClient h2 = Http2TestClient.connect(
                SampleServer.HOST, server.port(), Mode.PRIOR_KNOWLEDGE, Duration.ofMillis(200))) {
            assertThatThrownBy(() -> h2.get("/delay/2000", Map.of()))
                    .isInstanceOf(SocketTimeoutException.class)
                    .hasMessageContaining("no response to GET /delay/2000 within PT0.2S");
        }
    }

    @Test
    void clientSaysWhenItCannotConnect() throws Exception {
        // A port nothing listens on cannot be had by binding 0: probing one is the point here.
        int port;
        try (ServerSocket probe = new ServerSocket(0)) {
            port = probe.getLocalPort();
        }

        assertThatThrownBy(() -> Http2TestClient.connect(SampleServer.HOST, port, Mode.PRIOR_KNOWLEDGE, TIMEOUT))
                .isInstanceOf(IOException.class)
                .hasMessageStartingWith("cannot connect to 127.0.0.1:" + port);
    }

    @Test
    void clientFailsPromptlyWhenTheServerGoesAway() throws Exception {
        for (Mode mode : Mode.values()) {
            HttpEchoServer doomed = new HttpEchoServer("doomed").start();
            try (Http2TestClient h2 = connect(doomed, mode)) {
                assertThat(h2.get("/x", Map.of()).status()).isEqualTo(200);
                doomed.close();

                long started = System.nanoTime();
                assertThatThrownBy(() -> h2.get("/y", Map.of())).isInstanceOf(IOException.class);
                assertThat(Duration.ofNanos(System.nanoTime() - started)).isLessThan(TIMEOUT);
            }
        }
    }

    private static Http2TestClient connect(HttpEchoServer target, Mode mode) throws Exception {
        return Http2TestClient.connect(SampleServer.HOST, target.port(), mode, TIMEOUT);
    }
}
