package dev.trellis.proxy;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.SoftAssertions.assertSoftly;
import static org.awaitility.Awaitility.await;

import dev.trellis.testing.Http2TestClient;
import dev.trellis.testing.Http2TestClient.Mode;
import dev.trellis.testing.Http2TestClient.Response;
import dev.trellis.testing.HttpEchoServer;
import dev.trellis.testing.HttpWire;
import java.net.InetSocketAddress;
import java.net.Socket;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

/**
 * Many HTTP/2 streams through the proxy to an {@code HTTP2} upstream: the proxy honours the
 * peer's SETTINGS_MAX_CONCURRENT_STREAMS (more connections, then a queue), sends again what the
 * peer did not process (REFUSED_STREAM, streams above a GOAWAY's last stream id), and moves new
 * streams off a connection that sent GOAWAY while its open ones finish. What the proxy did is
 * counted at the backend, from the frames it received.
 */
class Http2UpstreamTest {
    static final Duration WAIT = Duration.ofSeconds(60);
    static final Duration CLIENT_TIMEOUT = Duration.ofSeconds(30);

    final TestMesh mesh = new TestMesh();

    @AfterEach
    void close() {
        mesh.close();
    }

    /** A proxy whose one upstream is {@code backend}, spoken to over HTTP/2; returns its listener's port. */
    int proxyTo(HttpEchoServer backend) throws Exception {
        writeMesh(backend);
        return mesh.start("client").server().ports().values().iterator().next();
    }

    void writeMesh(HttpEchoServer backend) {
        mesh.write("mesh.yaml", """
                apiVersion: trellis.dev/v1alpha1
                kind: Proxy
                metadata: {name: client}
                spec:
                  upstreams: [{service: api, port: 80, bindPort: 0}]
                  admin: {port: 0}
                ---
                apiVersion: networking.istio.io/v1
                kind: ServiceEntry
                metadata: {name: api}
                spec:
                  hosts: [api]
                  ports: [{number: 80, name: http2, protocol: HTTP2}]
                  resolution: STATIC
                  endpoints: [{address: 127.0.0.1, ports: {http2: %d}}]
                """.formatted(backend.port()));
    }

    Http2TestClient client(int port) throws Exception {
        return mesh.closeLater(Http2TestClient.connect("127.0.0.1", port, Mode.PRIOR_KNOWLEDGE, CLIENT_TIMEOUT));
    }

    static CompletableFuture<Response> get(Http2TestClient client, String path) {
        return client.sendAsync("GET", path, Map.of(), new byte[0]);
    }

    /** Status codes of all responses, counted; a request that failed counts under its exception. */
    static Map<String, Integer> outcomes(List<CompletableFuture<Response>> responses) {
        Map<String, Integer> counts = new TreeMap<>();
        for (CompletableFuture<Response> response : responses) {
            String outcome;
            try {
                Response r = response.get(WAIT.toSeconds(), TimeUnit.SECONDS);
                outcome = r.status() == 200 ? "200" : r.status() + " " + r.body().strip();
            } catch (Exception e) {
                outcome = "failed: " + e;
            }
            counts.merge(outcome, 1, Integer::sum);
        }
        return counts;
    }

    /**
     * A client that reads slowly has its stream's window held back, and with it what the stream took
     * of the shared connection's: another request's response on that connection must still come.
     */
    @Test
    void aSlowReaderHoldsBackItsOwnStreamNotTheSharedConnection() throws Exception {
        HttpEchoServer backend = mesh.closeLater(new HttpEchoServer("big-answers").start());
        writeMesh(backend);
        int port = mesh.startOnOneLoop("client").server().ports().values().iterator().next(); // one upstream connection
        try (Socket slow = new Socket()) {
            slow.setReceiveBufferSize(4096);
            slow.connect(new InetSocketAddress("127.0.0.1", port));
            slow.getOutputStream().write("GET /bytes/268435456 HTTP/1.1\r\nhost: api\r\n\r\n".getBytes(StandardCharsets.US_ASCII));
            await().atMost(WAIT).until(() -> backend.streamsOpened() == 1);

            try (HttpWire fast = HttpWire.connect("127.0.0.1", port, Duration.ofSeconds(20))) { // sent once, no resend
                HttpWire.Response response = fast.write("GET /bytes/8388608 HTTP/1.1\r\nhost: api\r\n\r\n").read();
                assertThat(response.status()).isEqualTo(200);
                assertThat(response.body()).hasSize(8 << 20);
            }
            assertThat(backend.connectionCount()).as("both on one upstream connection").isEqualTo(1);
        }
    }

    @Test
    void manyStreamsToAnUpstreamAllowingTwoPerConnectionAreAllAnsweredWithoutExceedingIt() throws Exception {
        HttpEchoServer backend = mesh.closeLater(new HttpEchoServer("two-streams").maxConcurrentStreams(2).start());
        int port = proxyTo(backend);

        // 16 connections x 20 streams, each held open 20 ms at the backend: far more than 2 per connection.
        List<CompletableFuture<Response>> responses = new ArrayList<>();
        for (int c = 0; c < 16; c++) {
            Http2TestClient client = client(port);
            for (int s = 0; s < 20; s++) {
                responses.add(get(client, "/delay/20"));
            }
        }

        Map<String, Integer> outcomes = outcomes(responses);
        assertSoftly(softly -> {
            softly.assertThat(outcomes).isEqualTo(Map.of("200", 320));
            softly.assertThat(backend.maxConcurrentStreamsSeen())
                    .as("most streams open at once on one connection, at the backend").isEqualTo(2);
            softly.assertThat(backend.refusedStreams()).as("streams beyond the limit, refused").isZero();
            softly.assertThat(backend.streamsOpened()).as("each request sent once").isEqualTo(320);
            softly.assertThat(backend.connectionCount()).as("more connections than the proxy's two event loops")
                    .isGreaterThan(2);
        });
    }

    @Test
    void requestsOnStreamsTheUpstreamRefusesAreSentAgainBodyIncluded() throws Exception {
        HttpEchoServer backend = mesh.closeLater(new HttpEchoServer("refuses-first").refuseFirstStreams(1).start());
        int port = proxyTo(backend);
        Http2TestClient client = client(port);
        byte[] body = "0123456789".repeat(1000).getBytes(StandardCharsets.UTF_8);

        // The first stream of the proxy's first connection: refused, then sent again with its body.
        Response post = client.send("POST", "/upload", Map.of("content-type", "text/plain"), body);
        assertThat(post.status()).as(post.body()).isEqualTo(200);
        assertThat(post.body()).contains("\"bodyBytes\":10000");
        assertThat(backend.refusedStreams()).isEqualTo(1);

        // A new connection (the old one drains after GOAWAY): its first stream, a GET, refused and sent again.
        backend.goAway();
        Response get = client.get("/again", Map.of());
        assertThat(get.status()).as(get.body()).isEqualTo(200);
        assertThat(backend.refusedStreams()).isEqualTo(2);
        assertThat(backend.connectionCount()).isEqualTo(2);

        List<CompletableFuture<Response>> more = new ArrayList<>();
        for (int i = 0; i < 20; i++) {
            more.add(get(client, "/delay/10"));
        }
        assertThat(outcomes(more)).isEqualTo(Map.of("200", 20));
    }

    @Test
    void afterGoAwayOpenStreamsFinishAndNewRequestsTakeANewConnection() throws Exception {
        HttpEchoServer backend = mesh.closeLater(new HttpEchoServer("goes-away").start());
        int port = proxyTo(backend);
        Http2TestClient client = client(port);
        assertThat(client.get("/", Map.of()).status()).isEqualTo(200);
        assertThat(backend.connectionCount()).isEqualTo(1);

        List<CompletableFuture<Response>> inFlight = new ArrayList<>();
        for (int i = 0; i < 3; i++) {
            inFlight.add(get(client, "/delay/1500"));
        }
        await().atMost(WAIT).until(backend::openStreams, n -> n == 3);

        backend.goAway(); // returns once the proxy has read it
        Response after = client.get("/after", Map.of());

        assertThat(after.status()).as(after.body()).isEqualTo(200);
        assertThat(backend.streamsOpenedAfterGoAway()).as("streams opened on the connection that sent GOAWAY").isZero();
        assertThat(backend.connectionCount()).as("a new connection for the new request").isEqualTo(2);
        assertThat(outcomes(inFlight)).as("the streams open at GOAWAY finish").isEqualTo(Map.of("200", 3));
        assertThat(backend.refusedStreams()).isZero();
        assertThat(backend.streamsOpened()).isEqualTo(5);
    }

    @Test
    void streamsAboveTheLastStreamIdOfAGoAwayAreSentAgainOnANewConnection() throws Exception {
        HttpEchoServer backend = mesh.closeLater(new HttpEchoServer("drops").start());
        int port = proxyTo(backend);
        Http2TestClient client = client(port);
        assertThat(client.get("/", Map.of()).status()).isEqualTo(200);

        List<CompletableFuture<Response>> inFlight = new ArrayList<>();
        for (int i = 0; i < 3; i++) {
            inFlight.add(client.sendAsync("POST", "/delay/300", Map.of(), "x".repeat(100).getBytes(StandardCharsets.UTF_8)));
        }
        await().atMost(WAIT).until(backend::openStreams, n -> n == 3);

        backend.goAwayDroppingOpenStreams(); // last stream id 0: none of the three was processed

        assertThat(outcomes(inFlight)).isEqualTo(Map.of("200", 3));
        assertThat(backend.connectionCount()).isEqualTo(2);
        assertThat(backend.streamsOpened()).as("1, then 3 dropped, then the same 3 again").isEqualTo(7);
    }
}
