package dev.trellis.proxy;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.catchThrowable;
import static org.awaitility.Awaitility.await;

import com.fasterxml.jackson.databind.JsonNode;
import dev.trellis.testing.Http2TestClient;
import dev.trellis.testing.HttpEchoServer;
import dev.trellis.testing.HttpWire;
import java.io.IOException;
import java.net.SocketTimeoutException;
import java.time.Duration;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

/**
 * Faults in the middle of a request: an app that resets after its response's head or in the
 * middle of its body, and a client that leaves before its response. A client must never take a
 * cut response for a whole one, and the endpoint's count of requests in flight (what least-request
 * balancing reads) must come back down whatever ended the request.
 */
class UpstreamFaultsTest {
    static final Duration WAIT = Duration.ofSeconds(30);
    static final String CLUSTER = "outbound|80||app.default.svc.cluster.local";
    static final String H2_CLUSTER = "outbound|80||app-h2.default.svc.cluster.local";

    static TestMesh mesh;
    static HttpEchoServer app;
    static StandaloneProxy proxy;
    static int port, h2UpstreamPort;

    @BeforeAll
    static void start() throws Exception {
        mesh = new TestMesh();
        app = mesh.closeLater(new HttpEchoServer("app").start());
        mesh.write("mesh.yaml", """
                apiVersion: trellis.dev/v1alpha1
                kind: Proxy
                metadata: {name: client}
                spec:
                  upstreams:
                  - {service: app, port: 80, bindPort: 0}
                  - {service: app-h2, port: 80, bindPort: 0}
                  admin: {port: 0}
                ---
                apiVersion: networking.istio.io/v1
                kind: ServiceEntry
                metadata: {name: app}
                spec:
                  hosts: [app]
                  ports: [{number: 80, name: http, protocol: HTTP}]
                  resolution: STATIC
                  endpoints: [{address: 127.0.0.1, ports: {http: %d}}]
                ---
                apiVersion: networking.istio.io/v1
                kind: ServiceEntry
                metadata: {name: app-h2}
                spec:
                  hosts: [app-h2]
                  ports: [{number: 80, name: http2, protocol: HTTP2}]
                  resolution: STATIC
                  endpoints: [{address: 127.0.0.1, ports: {http2: %d}}]
                """.formatted(app.port(), app.port()));
        proxy = mesh.start("client");
        port = TestMesh.port(proxy, TestMesh.outbound("app", 80));
        h2UpstreamPort = TestMesh.port(proxy, TestMesh.outbound("app-h2", 80));
    }

    @AfterAll
    static void stop() {
        app.releaseHeld();
        mesh.close();
    }

    /**
     * What the client read must not be a complete response: its connection ended first (the
     * proxy closed or reset it), or, had the reset come before any of the head, the proxy's own 503.
     */
    static void assertCut(HttpWire client, String what) {
        Throwable failure = catchThrowable(() -> {
            HttpWire.Response response = client.read();
            assertThat(response.status()).as("%s: a whole response, where the app sent a cut one: %s", what, response).isEqualTo(503);
            assertThat(response.bodyText()).startsWith("upstream connection closed before the response");
        });
        if (failure instanceof AssertionError assertion) {
            throw assertion;
        }
        if (failure != null) {
            assertThat(failure).as(what + ": the connection must end, not hang").isInstanceOf(IOException.class)
                    .isNotInstanceOf(SocketTimeoutException.class);
        }
    }

    @ParameterizedTest(name = "{0} framed by {1}, through an {2} upstream")
    @CsvSource({
        "/reset-after-headers, length, HTTP/1.1",
        "/reset-after-headers, chunked, HTTP/1.1",
        "/reset-after-headers, close, HTTP/1.1",
        "/reset-mid-body/20000, length, HTTP/1.1",
        "/reset-mid-body/20000, chunked, HTTP/1.1",
        "/reset-mid-body/20000, close, HTTP/1.1",
        "/reset-after-headers, length, HTTP/2",
        "/reset-mid-body/20000, length, HTTP/2",
    })
    void anAppThatResetsMidResponseCutsTheHttp1ClientsConnection(String path, String framing, String upstream) throws Exception {
        int listener = upstream.equals("HTTP/2") ? h2UpstreamPort : port;
        try (HttpWire client = HttpWire.connect("127.0.0.1", listener, WAIT)) {
            client.write("GET " + path + " HTTP/1.1\r\nHost: app\r\nx-echo-framing: " + framing + "\r\n\r\n");
            assertCut(client, path + " framed by " + framing);
        }
        await().atMost(WAIT).until(() -> activeRequests(upstream.equals("HTTP/2") ? H2_CLUSTER : CLUSTER) == 0);
    }

    @ParameterizedTest(name = "{0} framed by {1}")
    @CsvSource({
        "/reset-after-headers, length",
        "/reset-after-headers, close",
        "/reset-mid-body/20000, chunked",
        "/reset-mid-body/20000, close",
    })
    void anAppThatResetsMidResponseResetsTheHttp2ClientsStreamOnly(String path, String framing) throws Exception {
        try (Http2TestClient client = Http2TestClient.connect("127.0.0.1", port, Http2TestClient.Mode.PRIOR_KNOWLEDGE, WAIT)) {
            Throwable failure = catchThrowable(() -> client.get(path, Map.of("x-echo-framing", framing)));
            assertThat(failure).as("the stream is reset, not ended as if whole").isInstanceOf(IOException.class)
                    .hasMessageContaining("stream reset by the server");
            assertThat(client.get("/after", Map.of()).status()).as("the connection carries on").isEqualTo(200);
        }
    }

    @Test
    void aCloseDelimitedBodyThatEndsCleanlyIsWhole() throws Exception {
        try (HttpWire client = HttpWire.connect("127.0.0.1", port, WAIT)) {
            client.write("GET /bytes/70000 HTTP/1.1\r\nHost: app\r\nx-echo-framing: close\r\n\r\n");
            HttpWire.Response response = client.read();
            assertThat(response.status()).isEqualTo(200);
            assertThat(response.framing()).as("made self-delimiting for the HTTP/1.1 client").isEqualTo("chunked");
            assertThat(response.body()).hasSize(70_000);
            client.write("GET /after HTTP/1.1\r\nHost: app\r\n\r\n");
            assertThat(client.read().bodyText()).contains("\"path\":\"/after\"");
        }
    }

    @Test
    void aClientThatLeavesWhileItsRequestIsAtTheAppGivesTheEndpointItsRequestBack() throws Exception {
        for (int listener : new int[] {port, h2UpstreamPort}) {
            String cluster = listener == port ? CLUSTER : H2_CLUSTER;
            HttpWire client = HttpWire.connect("127.0.0.1", listener, WAIT);
            client.write("GET /hold HTTP/1.1\r\nHost: app\r\n\r\n");
            await().atMost(WAIT).until(() -> app.heldCount() == 1);
            assertThat(activeRequests(cluster)).as("counted while in flight").isEqualTo(1);

            client.close();

            await().atMost(WAIT).until(() -> activeRequests(cluster) == 0);
            await().atMost(WAIT).alias("the request upstream is given up too").until(() -> app.heldCount() == 0);
        }
    }

    @Test
    void aClientThatLeavesMidUploadGivesTheEndpointItsRequestBack() throws Exception {
        HttpWire client = HttpWire.connect("127.0.0.1", port, WAIT);
        client.write("POST /upload HTTP/1.1\r\nHost: app\r\nContent-Length: 1000000\r\n\r\n" + "x".repeat(10_000));
        await().atMost(WAIT).until(() -> activeRequests(CLUSTER) == 1);

        client.close();

        await().atMost(WAIT).until(() -> activeRequests(CLUSTER) == 0);
    }

    @Test
    void anHttp2ClientThatLeavesGivesTheEndpointItsRequestBack() throws Exception {
        Http2TestClient client = Http2TestClient.connect("127.0.0.1", port, Http2TestClient.Mode.PRIOR_KNOWLEDGE, WAIT);
        CompletableFuture<Void> held = CompletableFuture.runAsync(() -> {
            try {
                client.get("/hold", Map.of());
            } catch (IOException expected) {
                // the client leaves before the answer
            }
        });
        await().atMost(WAIT).until(() -> app.heldCount() == 1);
        assertThat(activeRequests(CLUSTER)).isEqualTo(1);

        client.close();

        await().atMost(WAIT).until(() -> activeRequests(CLUSTER) == 0);
        held.get();
    }

    /** The endpoint's requests in flight, as {@code /config_dump} shows them. */
    static int activeRequests(String cluster) throws Exception {
        for (JsonNode c : mesh.configDump(proxy).get("clusters")) {
            if (c.get("name").asText().equals(cluster)) {
                return c.at("/endpoints/0/activeRequests").asInt();
            }
        }
        throw new AssertionError("no cluster " + cluster + " in /config_dump");
    }
}
