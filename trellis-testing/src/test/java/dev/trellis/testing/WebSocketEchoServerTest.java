package dev.trellis.testing;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.io.IOException;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.net.http.HttpResponse.BodyHandlers;
import java.net.http.WebSocket;
import java.time.Duration;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionStage;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/** {@link WebSocketEchoServer} against {@link WebSocketTestClient} (and the JDK's client) on real sockets. */
class WebSocketEchoServerTest {

    private static final Duration TIMEOUT = Duration.ofSeconds(10);
    private static WebSocketEchoServer server;

    @BeforeAll
    static void start() {
        server = new WebSocketEchoServer("chat-v1").start();
    }

    @AfterAll
    static void stop() {
        server.close();
    }

    @Test
    void echoesTextPrefixedWithTheServerName() throws Exception {
        assertThat(WebSocketTestClient.echo(server.uri("/ws"), "hello", TIMEOUT)).isEqualTo("chat-v1: hello");
    }

    @Test
    void echoesManyMessagesOnOneConnectionOnAnyPath() throws Exception {
        try (WebSocketTestClient ws = WebSocketTestClient.connect(server.uri("/any/deep/path?x=1"), TIMEOUT)) {
            for (int i = 0; i < 20; i++) {
                assertThat(ws.sendText("m" + i)).isEqualTo("chat-v1: m" + i);
            }
        }
    }

    @Test
    void echoesBinaryUnchanged() throws Exception {
        byte[] payload = new byte[256 * 1024];
        for (int i = 0; i < payload.length; i++) {
            payload[i] = (byte) i;
        }
        try (WebSocketTestClient ws = WebSocketTestClient.connect(server.uri("/ws"), TIMEOUT)) {
            assertThat(ws.sendBinary(payload)).isEqualTo(payload);
        }
    }

    @Test
    void echoesALargeTextMessage() throws Exception {
        String big = "é".repeat(1024 * 1024);
        try (WebSocketTestClient ws = WebSocketTestClient.connect(server.uri("/ws"), TIMEOUT)) {
            assertThat(ws.sendText(big)).isEqualTo("chat-v1: " + big);
        }
    }

    @Test
    void reassemblesFragmentedMessagesBeforeEchoing() throws Exception {
        CompletableFuture<String> reply = new CompletableFuture<>();
        StringBuilder received = new StringBuilder();
        try (HttpClient http = HttpClient.newHttpClient()) {
            WebSocket ws = http.newWebSocketBuilder().buildAsync(server.uri("/ws"), new WebSocket.Listener() {
                @Override
                public CompletionStage<?> onText(WebSocket socket, CharSequence data, boolean last) {
                    received.append(data);
                    if (last) {
                        reply.complete(received.toString());
                    }
                    socket.request(1);
                    return null;
                }
            }).get(10, TimeUnit.SECONDS);
            ws.sendText("frag", false).get(10, TimeUnit.SECONDS);
            ws.sendText("mented", true).get(10, TimeUnit.SECONDS);

            assertThat(reply.get(10, TimeUnit.SECONDS)).isEqualTo("chat-v1: fragmented");
            ws.sendClose(WebSocket.NORMAL_CLOSURE, "").get(10, TimeUnit.SECONDS);
        }
    }

    @Test
    void plainHttpGets426() throws Exception {
        try (HttpClient http = HttpClient.newBuilder().version(HttpClient.Version.HTTP_1_1).build()) {
            HttpResponse<String> response = http.send(HttpRequest.newBuilder(
                    URI.create("http://127.0.0.1:" + server.port() + "/ws")).build(), BodyHandlers.ofString());

            assertThat(response.statusCode()).isEqualTo(426);
            assertThat(response.headers().firstValue("x-served-by")).hasValue("chat-v1");
            assertThat(response.body()).contains("expected: a WebSocket handshake");
        }
    }

    @Test
    void clientReportsARefusedHandshake() {
        try (HttpEchoServer notWebSocket = new HttpEchoServer("plain").start()) {
            URI uri = URI.create("ws://127.0.0.1:" + notWebSocket.port() + "/ws");
            assertThatThrownBy(() -> WebSocketTestClient.connect(uri, TIMEOUT))
                    .isInstanceOf(IOException.class)
                    .hasMessageContaining("WebSocket handshake");
        }
    }

    @Test
    void clientRejectsANonWebSocketUri() {
        assertThatThrownBy(() -> WebSocketTestClient.connect(URI.create("http://127.0.0.1:1/"), TIMEOUT))
                .isInstanceOf(IllegalArgumentException.class)
                .hasMessage("uri: 'http://127.0.0.1:1/' (expected: ws://host[:port][/path])");
    }

    @Test
    void clientFailsCleanlyWhenTheServerGoesAway() throws Exception {
        WebSocketEchoServer doomed = new WebSocketEchoServer("doomed").start();
        try (WebSocketTestClient ws = WebSocketTestClient.connect(doomed.uri("/ws"), TIMEOUT)) {
            assertThat(ws.sendText("x")).isEqualTo("doomed: x");
            doomed.close();

            assertThatThrownBy(() -> ws.sendText("y"))
                    .isInstanceOf(IOException.class)
                    .hasMessageContaining("connection");
        }
    }
}
