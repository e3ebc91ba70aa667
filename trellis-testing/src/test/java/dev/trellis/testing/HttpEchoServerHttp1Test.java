package dev.trellis.testing;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.Socket;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpRequest.BodyPublishers;
import java.net.http.HttpResponse;
import java.net.http.HttpResponse.BodyHandlers;
import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.Arrays;
import java.util.concurrent.Flow;
import java.util.concurrent.SubmissionPublisher;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/** {@link HttpEchoServer} over HTTP/1.1 on a real loopback socket, driven by the JDK's client and raw sockets. */
class HttpEchoServerHttp1Test {

    private static final ObjectMapper JSON = new ObjectMapper();
    private static HttpEchoServer server;
    private static HttpClient client;

    @BeforeAll
    static void start() {
        server = new HttpEchoServer("catalog-v1").start();
        client = HttpClient.newBuilder().version(HttpClient.Version.HTTP_1_1).build();
    }

    @AfterAll
    static void stop() {
        client.close();
        server.close();
    }

    @Test
    void echoesTheRequestAsJson() throws Exception {
        HttpResponse<String> response = client.send(HttpRequest.newBuilder(server.uri("/x?y=1"))
                .header("X-Request-Id", "abc")
                .header("x-multi", "a")
                .header("x-multi", "b")
                .build(), BodyHandlers.ofString());

        assertThat(response.statusCode()).isEqualTo(200);
        assertThat(response.headers().firstValue("x-served-by")).hasValue("catalog-v1");
        assertThat(response.headers().firstValue("content-type")).hasValue("application/json");
        JsonNode body = JSON.readTree(response.body());
        assertThat(body.get("server").asText()).isEqualTo("catalog-v1");
        assertThat(body.get("method").asText()).isEqualTo("GET");
        assertThat(body.get("path").asText()).isEqualTo("/x?y=1");
        assertThat(body.get("protocol").asText()).isEqualTo("HTTP/1.1");
        assertThat(body.get("headers").get("x-request-id").asText()).isEqualTo("abc");
        assertThat(body.get("headers").get("x-multi").asText()).isEqualTo("a, b");
        assertThat(body.get("headers").get("host").asText()).isEqualTo("127.0.0.1:" + server.port());
        assertThat(body.get("bodyBytes").asLong()).isZero();
    }

    @Test
    void keepsTheConnectionAliveAcrossRequests() throws Exception {
        try (HttpEchoServer own = new HttpEchoServer("keep-alive").start();
                HttpClient oneConnection = HttpClient.newBuilder().version(HttpClient.Version.HTTP_1_1).build()) {
            for (int i = 0; i < 5; i++) {
                HttpResponse<String> response = oneConnection.send(
                        HttpRequest.newBuilder(own.uri("/n/" + i)).build(), BodyHandlers.ofString());
                assertThat(response.statusCode()).isEqualTo(200);
            }
            assertThat(own.requestCount()).isEqualTo(5);
            assertThat(own.connectionCount()).isEqualTo(1);
        }
    }

    @Test
    void countsA50MegabyteUploadWithKnownLength() throws Exception {
        long size = 50L * 1024 * 1024;
        HttpResponse<String> response = client.send(HttpRequest.newBuilder(server.uri("/upload"))
                .POST(BodyPublishers.fromPublisher(generated(size), size))
                .build(), BodyHandlers.ofString());

        assertThat(response.statusCode()).isEqualTo(200);
        JsonNode body = JSON.readTree(response.body());
        assertThat(body.get("bodyBytes").asLong()).isEqualTo(size);
        assertThat(body.get("headers").get("content-length").asText()).isEqualTo(Long.toString(size));
    }

    @Test
    void countsA50MegabyteChunkedUpload() throws Exception {
        long size = 50L * 1024 * 1024;
        HttpResponse<String> response = client.send(HttpRequest.newBuilder(server.uri("/upload"))
                .POST(BodyPublishers.ofInputStream(() -> new GeneratedInputStream(size)))
                .build(), BodyHandlers.ofString());

        JsonNode body = JSON.readTree(response.body());
        assertThat(body.get("headers").get("transfer-encoding").asText()).isEqualTo("chunked");
        assertThat(body.get("bodyBytes").asLong()).isEqualTo(size);
    }

    @Test
    void answersExpectContinue() throws Exception {
        HttpResponse<String> response = client.send(HttpRequest.newBuilder(server.uri("/continue"))
                .expectContinue(true)
                .POST(BodyPublishers.ofString("twelve bytes"))
                .build(), BodyHandlers.ofString());

        assertThat(response.statusCode()).isEqualTo(200);
        assertThat(JSON.readTree(response.body()).get("bodyBytes").asLong()).isEqualTo(12);
    }

    @Test
    void statusPathAnswersThatStatusWithTheEchoBody() throws Exception {
        HttpResponse<String> response = get("/status/503?why=test");

        assertThat(response.statusCode()).isEqualTo(503);
        assertThat(response.headers().firstValue("x-served-by")).hasValue("catalog-v1");
        assertThat(JSON.readTree(response.body()).get("path").asText()).isEqualTo("/status/503?why=test");
    }

    @Test
    void statusPathWithoutBody() throws Exception {
        HttpResponse<String> response = get("/status/204");

        assertThat(response.statusCode()).isEqualTo(204);
        assertThat(response.body()).isEmpty();
    }

    @Test
    void badStatusIsA400ThatSaysWhy() throws Exception {
        HttpResponse<String> response = get("/status/abc");

        assertThat(response.statusCode()).isEqualTo(400);
        assertThat(JSON.readTree(response.body()).get("error").asText())
                .isEqualTo("status: 'abc' (expected: an HTTP status 200..599)");
    }

    @Test
    void delayPathAnswersNoSoonerThanAsked() throws Exception {
        long started = System.nanoTime();
        HttpResponse<String> response = get("/delay/300");

        assertThat(response.statusCode()).isEqualTo(200);
        assertThat(Duration.ofNanos(System.nanoTime() - started)).isGreaterThanOrEqualTo(Duration.ofMillis(300));
    }

    @Test
    void bytesPathStreamsExactlyThatManyPatternBytes() throws Exception {
        int size = 10 * 1024 * 1024 + 3;
        HttpResponse<byte[]> response = client.send(
                HttpRequest.newBuilder(server.uri("/bytes/" + size)).build(), BodyHandlers.ofByteArray());

        assertThat(response.statusCode()).isEqualTo(200);
        assertThat(response.headers().firstValue("content-length")).hasValue(Integer.toString(size));
        assertThat(response.headers().firstValue("content-type")).hasValue("application/octet-stream");
        byte[] body = response.body();
        assertThat(body).hasSize(size);
        for (int i = 0; i < size; i++) {
            if (body[i] != (byte) ('a' + i % 26)) {
                throw new AssertionError("byte " + i + " is " + body[i]);
            }
        }
    }

    @Test
    void headAnswersWithoutBody() throws Exception {
        HttpResponse<String> response = client.send(HttpRequest.newBuilder(server.uri("/x"))
                .method("HEAD", BodyPublishers.noBody()).build(), BodyHandlers.ofString());

        assertThat(response.statusCode()).isEqualTo(200);
        assertThat(response.body()).isEmpty();
        assertThat(response.headers().firstValueAsLong("content-length").orElseThrow()).isPositive();
    }

    @Test
    void pipelinedRequestsAreAnsweredInOrder() throws Exception {
        try (Socket socket = new Socket(HttpEchoServer.HOST, server.port())) {
            socket.setSoTimeout(10_000);
            String host = "Host: x\r\n";
            write(socket, "GET /delay/200 HTTP/1.1\r\n" + host + "\r\n"
                    + "GET /second HTTP/1.1\r\n" + host + "\r\n"
                    + "GET /third HTTP/1.1\r\n" + host + "Connection: close\r\n\r\n");

            String all = new String(socket.getInputStream().readAllBytes(), StandardCharsets.UTF_8);

            assertThat(all).containsSubsequence(
                    "\"path\":\"/delay/200\"", "\"path\":\"/second\"", "\"path\":\"/third\"");
            assertThat(all.split("HTTP/1.1 200 OK", -1)).hasSize(4);
        }
    }

    @Test
    void connectionCloseEndsTheConnectionAfterTheResponse() throws Exception {
        try (Socket socket = new Socket(HttpEchoServer.HOST, server.port())) {
            socket.setSoTimeout(10_000);
            write(socket, "GET /bye HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n");

            String all = new String(socket.getInputStream().readAllBytes(), StandardCharsets.UTF_8);

            assertThat(all).startsWith("HTTP/1.1 200 OK").contains("connection: close");
        }
    }

    @Test
    void http10WithoutKeepAliveIsClosed() throws Exception {
        try (Socket socket = new Socket(HttpEchoServer.HOST, server.port())) {
            socket.setSoTimeout(10_000);
            write(socket, "GET /old HTTP/1.0\r\n\r\n");

            String all = new String(socket.getInputStream().readAllBytes(), StandardCharsets.UTF_8);

            assertThat(all).startsWith("HTTP/1.0 200 OK").contains("\"protocol\":\"HTTP/1.0\"");
        }
    }

    @Test
    void garbageGetsA400AndTheConnectionCloses() throws Exception {
        try (Socket socket = new Socket(HttpEchoServer.HOST, server.port())) {
            socket.setSoTimeout(10_000);
            write(socket, "GET /x HTTP/1.1\r\nBad Header Name: 1\r\n\r\n");

            String all = new String(socket.getInputStream().readAllBytes(), StandardCharsets.UTF_8);

            assertThat(all).contains(" 400 Bad Request").contains("malformed request");
        }
    }

    @Test
    void holdAnswersOnlyOnceReleased() throws Exception {
        try (HttpEchoServer own = new HttpEchoServer("holding").start();
                HttpWire first = HttpWire.connect(HttpEchoServer.HOST, own.port(), Duration.ofSeconds(10));
                HttpWire second = HttpWire.connect(HttpEchoServer.HOST, own.port(), Duration.ofSeconds(10))) {
            first.write("GET /hold?n=1 HTTP/1.1\r\nHost: x\r\n\r\n");
            second.write("GET /hold?n=2 HTTP/1.1\r\nHost: x\r\n\r\n");
            org.awaitility.Awaitility.await().atMost(Duration.ofSeconds(10)).until(() -> own.heldCount() == 2);
            assertThat(own.requestCount()).as("nothing answered while held").isZero();

            assertThat(own.releaseHeld()).isEqualTo(2);

            assertThat(first.read().bodyText()).contains("\"path\":\"/hold?n=1\"");
            assertThat(second.read().bodyText()).contains("\"path\":\"/hold?n=2\"");
            assertThat(own.heldCount()).isZero();
            assertThat(own.releaseHeld()).isZero();
        }
    }

    @Test
    void aHeldRequestWhoseClientLeavesIsForgotten() throws Exception {
        try (HttpEchoServer own = new HttpEchoServer("holding").start()) {
            try (HttpWire client = HttpWire.connect(HttpEchoServer.HOST, own.port(), Duration.ofSeconds(10))) {
                client.write("GET /hold HTTP/1.1\r\nHost: x\r\n\r\n");
                org.awaitility.Awaitility.await().atMost(Duration.ofSeconds(10)).until(() -> own.heldCount() == 1);
            }
            org.awaitility.Awaitility.await().atMost(Duration.ofSeconds(10)).until(() -> own.heldCount() == 0);
        }
    }

    @Test
    void resetAfterHeadersSendsTheHeadThenAnRst() throws Exception {
        for (String framing : java.util.List.of("length", "chunked", "close")) {
            try (HttpWire client = HttpWire.connect(HttpEchoServer.HOST, server.port(), Duration.ofSeconds(10))) {
                client.write("GET /reset-after-headers HTTP/1.1\r\nHost: x\r\nx-echo-framing: " + framing + "\r\n\r\n");
                String raw = readUntilReset(client);
                assertThat(raw).as(framing).startsWith("HTTP/1.1 200 OK\r\n").contains("x-served-by: catalog-v1\r\n").endsWith("\r\n\r\n");
                switch (framing) {
                    case "length" -> assertThat(raw).contains("content-length: 1024\r\n");
                    case "chunked" -> assertThat(raw).contains("transfer-encoding: chunked\r\n");
                    default -> assertThat(raw).contains("connection: close\r\n").doesNotContain("content-length").doesNotContain("chunked");
                }
            }
        }
    }

    @Test
    void resetMidBodySendsThatManyPatternBytesThenAnRst() throws Exception {
        try (HttpWire client = HttpWire.connect(HttpEchoServer.HOST, server.port(), Duration.ofSeconds(10))) {
            client.write("GET /reset-mid-body/5000 HTTP/1.1\r\nHost: x\r\n\r\n");
            String raw = readUntilReset(client);
            assertThat(raw).startsWith("HTTP/1.1 200 OK\r\n").contains("content-length: 6024\r\n");
            String body = raw.substring(raw.indexOf("\r\n\r\n") + 4);
            assertThat(body).hasSize(5000).startsWith("abcdefghijklmnopqrstuvwxyzabc");
            assertThat(body.charAt(4999)).isEqualTo((char) ('a' + 4999 % 26));
        }
        try (HttpWire client = HttpWire.connect(HttpEchoServer.HOST, server.port(), Duration.ofSeconds(10))) {
            client.write("GET /reset-mid-body/100 HTTP/1.1\r\nHost: x\r\nx-echo-framing: chunked\r\n\r\n");
            assertThat(readUntilReset(client)).contains("transfer-encoding: chunked\r\n").endsWith("\r\n\r\n64\r\n" + "abcdefghijklmnopqrstuvwxyz".repeat(4).substring(0, 100) + "\r\n");
        }
        assertThat(get("/reset-mid-body/0").statusCode()).isEqualTo(400);
    }

    @Test
    void bodyBytesSentCountsWhatBytesBodiesProduced() throws Exception {
        try (HttpEchoServer own = new HttpEchoServer("counting").start()) {
            client.send(HttpRequest.newBuilder(own.uri("/bytes/100000")).build(), BodyHandlers.ofByteArray());
            assertThat(own.bodyBytesSent()).isEqualTo(100_000);
        }
    }

    @Test
    void bytesPathFramesItsBodyAsAsked() throws Exception {
        try (HttpWire client = HttpWire.connect(HttpEchoServer.HOST, server.port(), Duration.ofSeconds(10))) {
            client.write("GET /bytes/70000 HTTP/1.1\r\nHost: x\r\nx-echo-framing: chunked\r\n\r\n");
            HttpWire.Response chunked = client.read();
            assertThat(chunked.framing()).isEqualTo("chunked");
            assertThat(chunked.body()).hasSize(70_000);
            assertThat(chunked.body()[69_999]).isEqualTo((byte) ('a' + 69_999 % 26));

            client.write("GET /bytes/70000 HTTP/1.1\r\nHost: x\r\nx-echo-framing: close\r\n\r\n");
            HttpWire.Response closeDelimited = client.read();
            assertThat(closeDelimited.framing()).isEqualTo("close");
            assertThat(closeDelimited.header("connection")).isEqualTo("close");
            assertThat(closeDelimited.body()).hasSize(70_000);
        }
    }

    @Test
    void status304HasNoBodyAndTheConnectionCarriesOn() throws Exception {
        try (HttpWire client = HttpWire.connect(HttpEchoServer.HOST, server.port(), Duration.ofSeconds(10))) {
            client.write("GET /status/304 HTTP/1.1\r\nHost: x\r\n\r\nGET /after HTTP/1.1\r\nHost: x\r\n\r\n");
            HttpWire.Response notModified = client.read();
            assertThat(notModified.status()).isEqualTo(304);
            assertThat(notModified.headers()).doesNotContainKeys("content-length", "transfer-encoding");
            assertThat(client.read().bodyText()).contains("\"path\":\"/after\"");
        }
    }

    /** Everything the server sent, up to the reset that ended the connection; fails on a clean end. */
    private static String readUntilReset(HttpWire client) throws IOException {
        HttpWire.Ending end = client.readToEnd();
        assertThat(end.reset()).as("the connection ended with a reset, after: %s", end.text()).isTrue();
        return end.text();
    }

    @Test
    void requestCountGrowsWithEveryAnswer() throws Exception {
        long before = server.requestCount();
        get("/one");
        get("/status/500");

        assertThat(server.requestCount()).isEqualTo(before + 2);
    }

    private HttpResponse<String> get(String path) throws IOException, InterruptedException {
        return client.send(HttpRequest.newBuilder(server.uri(path)).build(), BodyHandlers.ofString());
    }

    private static void write(Socket socket, String text) throws IOException {
        OutputStream out = socket.getOutputStream();
        out.write(text.getBytes(StandardCharsets.US_ASCII));
        out.flush();
    }

    /** {@code size} bytes made 64 KiB at a time as the client asks, never all in memory. */
    private static Flow.Publisher<ByteBuffer> generated(long size) {
        return subscriber -> {
            SubmissionPublisher<ByteBuffer> publisher = new SubmissionPublisher<>();
            publisher.subscribe(subscriber);
            Thread.ofVirtual().start(() -> {
                byte[] block = new byte[64 * 1024];
                for (long sent = 0; sent < size; sent += block.length) {
                    publisher.submit(ByteBuffer.wrap(block, 0, (int) Math.min(block.length, size - sent)));
                }
                publisher.close();
            });
        };
    }

    /** An input stream of {@code size} zero bytes that holds none of them. */
    private static final class GeneratedInputStream extends InputStream {
        private long remaining;

        GeneratedInputStream(long size) {
            this.remaining = size;
        }

        @Override
        public int read() {
            if (remaining <= 0) {
                return -1;
            }
            remaining--;
            return 0;
        }

        @Override
        public int read(byte[] b, int off, int len) {
            if (remaining <= 0) {
                return -1;
            }
            int n = (int) Math.min(len, remaining);
            Arrays.fill(b, off, off + n, (byte) 0);
            remaining -= n;
            return n;
        }
    }
}
