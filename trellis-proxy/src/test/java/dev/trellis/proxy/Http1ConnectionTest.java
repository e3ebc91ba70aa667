package dev.trellis.proxy;

import static org.assertj.core.api.Assertions.assertThat;

import dev.trellis.testing.Http2TestClient;
import dev.trellis.testing.HttpEchoServer;
import dev.trellis.testing.HttpWire;
import java.time.Duration;
import java.util.List;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/**
 * HTTP/1.x on the client's connection, over raw sockets where a client library would hide what
 * happened: pipelining, HEAD (over HTTP/2 too), responses without a body, HTTP/1.0 with and
 * without keep-alive, and the proxy's own answer to a request no route takes.
 */
class Http1ConnectionTest {
    static final Duration WAIT = Duration.ofSeconds(30);
    static TestMesh mesh;
    static int port, pickyPort;
    static String pickyListener = TestMesh.outbound("picky", 80);

    @BeforeAll
    static void start() throws Exception {
        mesh = new TestMesh();
        HttpEchoServer app = mesh.closeLater(new HttpEchoServer("app").start());
        mesh.write("mesh.yaml", """
                apiVersion: trellis.dev/v1alpha1
                kind: Proxy
                metadata: {name: client}
                spec:
                  upstreams:
                  - {service: app, port: 80, bindPort: 0}
                  - {service: picky, port: 80, bindPort: 0}
                  admin: {port: 0}
                ---
                apiVersion: networking.istio.io/v1
                kind: ServiceEntry
                metadata: {name: app}
                spec:
                  hosts: [app, picky]
                  ports: [{number: 80, name: http, protocol: HTTP}]
                  resolution: STATIC
                  endpoints: [{address: 127.0.0.1, ports: {http: %d}}]
                ---
                apiVersion: networking.istio.io/v1
                kind: VirtualService
                metadata: {name: picky}
                spec:
                  hosts: [picky]
                  http:
                  - name: api-only
                    match: [{uri: {prefix: /api/}}]
                    route: [{destination: {host: picky}}]
                """.formatted(app.port()));
        StandaloneProxy proxy = mesh.start("client");
        port = TestMesh.port(proxy, TestMesh.outbound("app", 80));
        pickyPort = TestMesh.port(proxy, pickyListener);
    }

    @AfterAll
    static void stop() {
        mesh.close();
    }

    static HttpWire connect(int port) throws Exception {
        return HttpWire.connect("127.0.0.1", port, WAIT);
    }

    @Test
    void aRequestNoRouteTakesGetsA404NamingItAndTheConnectionCarriesOn() throws Exception {
        try (HttpWire client = connect(pickyPort)) {
            client.write("DELETE /elsewhere?x=1 HTTP/1.1\r\nHost: picky.example:8080\r\n\r\n");
            HttpWire.Response notFound = client.read();
            assertThat(notFound.status()).isEqualTo(404);
            assertThat(notFound.header("content-type")).startsWith("text/plain");
            assertThat(notFound.bodyText()).isEqualTo("no route matched DELETE picky.example:8080/elsewhere?x=1 on listener "
                    + pickyListener + "\n");

            client.write("GET /api/items HTTP/1.1\r\nHost: picky.example:8080\r\n\r\n");
            HttpWire.Response routed = client.read();
            assertThat(routed.status()).isEqualTo(200);
            assertThat(routed.bodyText()).contains("\"path\":\"/api/items\"");
        }
    }

    @Test
    void pipelinedRequestsAreAnsweredInOrderOnTheirConnection() throws Exception {
        try (HttpWire client = connect(port)) {
            // Written at once; the first is the slowest to answer, the second has a body.
            client.write("GET /delay/300 HTTP/1.1\r\nHost: app\r\n\r\n"
                    + "POST /second HTTP/1.1\r\nHost: app\r\nContent-Length: 5\r\n\r\nhello"
                    + "GET /third HTTP/1.1\r\nHost: app\r\n\r\n"
                    + "HEAD /fourth HTTP/1.1\r\nHost: app\r\n\r\n"
                    + "GET /status/204 HTTP/1.1\r\nHost: app\r\n\r\n"
                    + "GET /fifth HTTP/1.1\r\nHost: app\r\n\r\n");
            assertThat(client.read().bodyText()).contains("\"path\":\"/delay/300\"");
            HttpWire.Response second = client.read();
            assertThat(second.bodyText()).contains("\"path\":\"/second\"").contains("\"bodyBytes\":5");
            assertThat(client.read().bodyText()).contains("\"path\":\"/third\"");
            assertThat(client.read("HEAD").status()).isEqualTo(200);
            assertThat(client.read().status()).isEqualTo(204);
            assertThat(client.read().bodyText()).contains("\"path\":\"/fifth\"");

            client.write("GET /after HTTP/1.1\r\nHost: app\r\n\r\n");
            assertThat(client.read().bodyText()).contains("\"path\":\"/after\"");
        }
    }

    @Test
    void headGetsTheHeadersOfAGetAndNoBody() throws Exception {
        try (HttpWire client = connect(port)) {
            client.write("GET /bytes/1000 HTTP/1.1\r\nHost: app\r\n\r\n");
            HttpWire.Response get = client.read();
            client.write("HEAD /bytes/1000 HTTP/1.1\r\nHost: app\r\n\r\n");
            HttpWire.Response head = client.read("HEAD");

            assertThat(head.status()).isEqualTo(200);
            assertThat(head.header("content-length")).isEqualTo("1000").isEqualTo(get.header("content-length"));
            assertThat(head.header("content-type")).isEqualTo(get.header("content-type"));
            assertThat(head.header("transfer-encoding")).isNull();

            // Had the proxy sent a body, it would be read here as the next response.
            client.write("GET /after HTTP/1.1\r\nHost: app\r\n\r\n");
            HttpWire.Response after = client.read();
            assertThat(after.status()).isEqualTo(200);
            assertThat(after.bodyText()).contains("\"path\":\"/after\"");
        }
    }

    @Test
    void headOverHttp2GetsTheHeadersOfAGetAndNoBody() throws Exception {
        // Over HTTP/1.1 Netty's server codec drops any body of a HEAD response; over HTTP/2
        // nothing does, so this is where a HEAD that the proxy mishandled would show a body.
        try (Http2TestClient client = Http2TestClient.connect("127.0.0.1", port, Http2TestClient.Mode.PRIOR_KNOWLEDGE, WAIT)) {
            Http2TestClient.Response get = client.get("/bytes/1000", java.util.Map.of());
            Http2TestClient.Response head = client.send("HEAD", "/bytes/1000", java.util.Map.of(), new byte[0]);
            assertThat(head.status()).isEqualTo(200);
            assertThat(head.body()).isEmpty();
            assertThat(head.header("content-length")).isEqualTo("1000").isEqualTo(get.header("content-length"));
            assertThat(client.get("/after", java.util.Map.of()).body()).contains("\"path\":\"/after\"");
        }
    }

    @Test
    void responsesWithoutABodyLeaveTheConnectionUsable() throws Exception {
        try (HttpWire client = connect(port)) {
            for (int status : List.of(204, 304, 204)) {
                client.write("GET /status/" + status + " HTTP/1.1\r\nHost: app\r\n\r\n");
                HttpWire.Response bodyless = client.read();
                assertThat(bodyless.status()).isEqualTo(status);
                assertThat(bodyless.headers()).as("%d has no body, so no framing", status)
                        .doesNotContainKeys("transfer-encoding", "content-length");
                assertThat(bodyless.header("connection")).isNull();

                client.write("GET /after-" + status + " HTTP/1.1\r\nHost: app\r\n\r\n");
                HttpWire.Response after = client.read();
                assertThat(after.bodyText()).as("the next response on the connection").contains("\"path\":\"/after-" + status + "\"");
            }
        }
    }

    @Test
    void http10WithoutKeepAliveGetsItsResponseThenTheConnectionCloses() throws Exception {
        try (HttpWire client = connect(port)) {
            client.write("GET /old HTTP/1.0\r\n\r\n");
            HttpWire.Response response = client.read();
            assertThat(response.status()).isEqualTo(200);
            assertThat(response.framing()).as("HTTP/1.0 has no chunks").isIn("length", "close");
            assertThat(response.bodyText()).contains("\"path\":\"/old\"");
            assertThat(client.awaitPeerClosed()).isTrue();
        }
    }

    @Test
    void http10WithKeepAliveKeepsTheConnection() throws Exception {
        try (HttpWire client = connect(port)) {
            for (int i = 0; i < 3; i++) {
                client.write("GET /old/" + i + " HTTP/1.0\r\nConnection: keep-alive\r\n\r\n");
                HttpWire.Response response = client.read();
                assertThat(response.status()).isEqualTo(200);
                assertThat(response.header("connection")).isEqualToIgnoringCase("keep-alive");
                assertThat(response.framing()).isEqualTo("length");
                assertThat(response.bodyText()).contains("\"path\":\"/old/" + i + "\"");
            }
        }
    }

    @Test
    void http10GetsAChunkedUpstreamBodyDelimitedByTheClose() throws Exception {
        for (String connection : List.of("", "Connection: keep-alive\r\n")) {
            try (HttpWire client = connect(port)) {
                client.write("GET /bytes/70000 HTTP/1.0\r\n" + connection + "x-echo-framing: chunked\r\n\r\n");
                HttpWire.Response response = client.read();
                assertThat(response.status()).isEqualTo(200);
                assertThat(response.header("transfer-encoding")).as("HTTP/1.0 has no chunks").isNull();
                assertThat(response.framing()).isEqualTo("close");
                assertThat(response.body()).hasSize(70_000);
            }
        }
    }
}
